// The microcore command (its entry is cli/main.ts). Every command runs in the working directory (the
// project root). Exit codes: 0 done, 1 something failed (said on stderr),
// 2 the command line was wrong.
import { buildPlugins } from './build.ts';
import { addTools, removeTools } from './catalog.ts';
import { dev } from './dev.ts';
import { runNew } from './new.ts';
import { formatReport, formatSchema } from './report.ts';
import { readEnv } from '../kernel/env.ts';
import { Kernel } from '../kernel/kernel.ts';
import { KERNEL_CERT_FILE, kernelIdentity } from '../kernel/kernel-identity.ts';
import { certKey } from '../kernel/sidecar-tls.ts';

const USAGE = `usage: microcore <command>

commands:
  start                          boot and serve until stopped (SIGINT/SIGTERM)
  dev                            start, and on every change swap the plugin it touches (restart for a tool, the kernel, the contract or a migration)
  status                         boot without serving: print what loaded, what failed and why; rewrite AI_CONTEXT.md
  context                        boot, write AI_CONTEXT.md, stop
  migrate                        apply pending migrations (the db tool alone), then stop
  schema                         print the database schema
  build                          build every sidecar and wasm plugin with a "build" command
  add <tool> [<tool> …]          put a tool from the catalog (catalog/) into the tree: its folder, contract, SDK wrappers, cases, docs
  remove <tool> [<tool> …]       take an added tool out again (the tree as before it was added)
  sidecar cert                   print the kernel's certificate for sidecars attached by address (made on first use)
  new plugin <domain> <name>     a native plugin and its test
  new sidecar <name> --lang go   a Go sidecar that boots as it is
  new wasm <name> --lang rust|go a Rust or Go wasm plugin that builds and boots as it is
`;

const out = (line: string) => process.stdout.write(line + '\n');
const err = (line: string) => process.stderr.write(line + '\n');

async function main([command, ...args]: string[]): Promise<number> {
  switch (command) {
    case 'start':
      return start(args.includes('--hot'));
    case 'dev':
      return dev(process.cwd(), out);
    case 'status':
      return status();
    case 'context':
      return context();
    case 'migrate':
      return migrate();
    case 'schema':
      return schema();
    case 'build':
      return (await buildPlugins(process.cwd(), out)) ? 0 : 1;
    case 'new':
      return runNew(process.cwd(), args, out, err);
    case 'add':
      return addTools(process.cwd(), args, out, err);
    case 'remove':
      return removeTools(process.cwd(), args, out, err);
    case 'sidecar':
      return sidecarCert(args);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return command ? 0 : 2;
    default:
      err(`microcore: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

/** `hot`: run under `microcore dev`, which sends the changed files over IPC; each change swaps the plugins it touches. */
async function start(hot = false): Promise<number> {
  const kernel = new Kernel({ reloadable: hot });
  // Signals are taken from the start: the server listens before boot() returns, so a
  // SIGTERM in between must wait for the boot and then shut down, not kill the process.
  let early: string | undefined;
  let onSignal = (signal: string) => {
    early ??= signal;
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  const booted = kernel.boot();
  // A change `microcore dev` sends during the boot is swapped in after it.
  if (hot && process.send) {
    process.on('message', (m: { type?: string; files?: string[] }) => {
      if (m?.type !== 'changed' || !Array.isArray(m.files)) return;
      booted.then(() => kernel.reload(m.files!)).then(
        (outcomes) => process.send?.({ type: 'swapped', outcomes }),
        (e: unknown) => process.send?.({ type: 'swapped', outcomes: [{ identity: '(kernel)', change: 'reloaded', ok: false, reason: (e as Error).message, ms: 0 }] }),
      );
    });
  }
  // The IPC channel would keep the process alive once everything stopped.
  const hangUp = () => hot && process.connected && process.disconnect();
  const report = await booted;
  out(formatReport(report));
  // Without its server there is nothing to serve: say so and stop, rather than wait.
  const http = report.find((i) => i.kind === 'tool' && i.name === 'http');
  if (http?.status === 'failed') {
    err(`microcore: the http tool failed, so nothing is served: ${http.reason}`);
    hangUp();
    await kernel.shutdown().catch(() => undefined);
    return 1;
  }
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      hangUp();
      out(`\n${signal}: shutting down`);
      kernel.shutdown().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    onSignal = stop;
    if (early) stop(early);
  });
}

/** The kernel's lasting certificate on stdout (PEM, for a file), where it lives and what to do with it on stderr. */
function sidecarCert(args: string[]): number {
  if (args.length !== 1 || args[0] !== 'cert') {
    err(`microcore: unknown sidecar command '${args.join(' ')}' (known: sidecar cert)\n\n${USAGE}`);
    return 2;
  }
  try {
    const own = kernelIdentity(process.cwd());
    out(own.certPem.trimEnd());
    err(`${KERNEL_CERT_FILE} (sha256 ${certKey(own.certDer)}): give this file to a sidecar started by hand, as MICROCORE_KERNEL_CERT_FILE (docs/protocol.md, "Attached sidecars"); its key stays in ${KERNEL_CERT_FILE.replace(/\.crt$/, '.key')}, readable by you alone.`);
    return 0;
  } catch (e) {
    err(`microcore: ${(e as Error).message}`);
    return 1;
  }
}

async function status(): Promise<number> {
  const kernel = new Kernel({ serve: false });
  const report = await kernel.boot();
  // Nothing listens, but AI_CONTEXT.md is rewritten as start would: an assistant never reads a stale copy.
  (kernel.getTool('context') as { onBootComplete?(): void } | undefined)?.onBootComplete?.();
  await kernel.shutdown();
  out(formatReport(report));
  return report.some((i) => i.status === 'failed') ? 1 : 0;
}

async function context(): Promise<number> {
  // A free port: writing the document must not collide with a running server.
  const kernel = new Kernel({ env: { ...readEnv(process.cwd()), HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' } });
  const report = await kernel.boot();
  await kernel.shutdown();
  const failed = report.filter((i) => i.status === 'failed');
  out(`wrote ${kernel.env.AI_CONTEXT_PATH || 'AI_CONTEXT.md'} (${report.length - failed.length} ready, ${failed.length} failed)`);
  return 0;
}

/** Boots the db tool alone (it migrates as it sets up), runs `work` on it, stops. */
async function withDb(work: (db: DbTool) => Promise<void>): Promise<number> {
  const kernel = new Kernel({ serve: false, onlyTools: ['logger', 'db'] });
  const report = await kernel.boot();
  try {
    const db = report.find((i) => i.kind === 'tool' && i.name === 'db');
    if (db?.status !== 'ready') {
      err(db ? `db failed: ${db.reason}` : 'microcore: no tool serves db here (tools/*/tool.ts with contract "db").');
      return 1;
    }
    await work(kernel.getTool('db') as DbTool);
    return 0;
  } finally {
    await kernel.shutdown();
  }
}

// SQLite's driver answers at once, PostgreSQL's with a promise: await takes both.
interface DbTool {
  query(input: { sql: string; params: unknown[] }, call: { caller: string; traceId: string }): { rows: Record<string, unknown>[] } | Promise<{ rows: Record<string, unknown>[] }>;
  describeSchema?(input: object, call: { caller: string; traceId: string }): { tables: Parameters<typeof formatSchema>[0] } | Promise<{ tables: Parameters<typeof formatSchema>[0] }>;
}

const CLI_CALL = { caller: 'cli', traceId: '' };

function migrate(): Promise<number> {
  return withDb(async (db) => {
    const { rows } = await db.query({ sql: 'SELECT owner, file, applied_at FROM _microcore_migrations ORDER BY applied_at, owner, file', params: [] }, CLI_CALL);
    out(rows.length ? rows.map((r) => `applied  ${r.owner}  ${r.file}  ${r.applied_at}`).join('\n') : 'no migrations');
  });
}

function schema(): Promise<number> {
  return withDb(async (db) => {
    if (!db.describeSchema) throw new Error('the db tool has no describeSchema');
    out(formatSchema((await db.describeSchema({}, CLI_CALL)).tables));
  });
}

// Exit as soon as the work is done: grpc-js keeps idle timers that would hold
// the process open for seconds after everything has shut down.
process.exit(await main(process.argv.slice(2)));
