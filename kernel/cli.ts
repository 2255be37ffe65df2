#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The microcore command. `start` boots the kernel in the working directory and
// runs until SIGINT/SIGTERM; `build` builds every sidecar and wasm plugin that
// declares a build command.
import { buildPlugins } from './build.ts';
import { Kernel, readEnv } from './kernel.ts';
import type { ReportItem } from './registry.ts';

const USAGE = `usage: microcore <command>

commands:
  start     boot the kernel in this directory and serve until stopped (SIGINT/SIGTERM)
  context   boot, write AI_CONTEXT.md, stop (no port is taken: the server listens on a free one)
  build     build every sidecar and wasm plugin whose manifest has a "build" command
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === 'start') return start();
  if (command === 'context') return context();
  if (command === 'build') return (await buildPlugins(process.cwd(), (line) => process.stdout.write(line + '\n'))) ? 0 : 1;
  process.stderr.write(command && command !== 'help' && command !== '--help' ? `microcore: unknown command '${command}'\n\n${USAGE}` : USAGE);
  return command === 'help' || command === '--help' ? 0 : 2;
}

async function start(): Promise<number> {
  const kernel = new Kernel();
  const report = await kernel.boot();
  process.stdout.write(formatReport(report));
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(`\n${signal}: shutting down\n`);
      kernel.shutdown().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

async function context(): Promise<number> {
  const kernel = new Kernel({ env: { ...readEnv(process.cwd()), HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' } });
  const report = await kernel.boot();
  await kernel.shutdown();
  const failed = report.filter((i) => i.status === 'failed');
  process.stdout.write(`wrote ${kernel.env.AI_CONTEXT_PATH || 'AI_CONTEXT.md'} (${report.length - failed.length} ready, ${failed.length} failed)\n`);
  return 0;
}

export function formatReport(report: ReportItem[]): string {
  const rows = report.map((i) => `  ${i.status === 'ready' ? 'ok  ' : i.status.padEnd(4)}  ${i.kind.padEnd(7)} ${i.name.padEnd(28)} ${i.ms === undefined ? '' : `${i.ms} ms`}${i.reason ? `\n        ${i.reason}` : ''}`);
  return `boot report (${report.filter((i) => i.status === 'ready').length}/${report.length} ready)\n${rows.join('\n')}\n`;
}

// Exit as soon as the kernel has stopped: grpc-js keeps idle timers that would
// hold the process open for seconds after everything has shut down.
process.exit(await main(process.argv.slice(2)));
