#!/usr/bin/env node
// The `microcore` bin (package.json). Plain JavaScript on purpose: `npx microcore`
// runs it with whatever `node` is first on PATH, and a Node older than 24 cannot
// load cli/main.ts (ERR_UNKNOWN_FILE_EXTENSION ".ts"). It finds a Node ≥ 24 — this
// one, the project's .tools/node24 (scripts/node-env.sh puts it there), or one on
// PATH — and runs cli/main.ts with it; otherwise it says how to get one, exit 1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIN_MAJOR = 24;
const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);

function major(node) {
  if (node === process.execPath) return Number(process.versions.node.split('.')[0]);
  const res = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 10_000 });
  return res.status === 0 ? Number(res.stdout.trim().split('.')[0]) : 0;
}

function findNode() {
  const local = (dir) => join(dir, '.tools/node24/node_modules/node/bin/node');
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'node'));
  const candidates = [process.execPath, local(root), local(process.cwd()), ...onPath];
  return [...new Set(candidates)].find((node) => existsSync(node) && major(node) >= MIN_MAJOR);
}

const node = findNode();
if (!node) {
  process.stderr.write(
    `microcore needs Node ${MIN_MAJOR} or newer; this is Node ${process.versions.node} (${process.execPath}) and none newer was found ` +
      `in ${join(root, '.tools/node24')} or on PATH.\n` +
      `Get it with \`source scripts/node-env.sh\` in the project (it installs Node ${MIN_MAJOR} into .tools/node24), ` +
      `or install Node ${MIN_MAJOR} from https://nodejs.org, then run the command again.\n`,
  );
  process.exit(1);
}

const child = spawn(node, ['--disable-warning=ExperimentalWarning', join(here, 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches the whole process group, the child included: forwarding SIGINT
// too would deliver it twice, and `microcore dev` takes a second one as "stop now".
// Signals sent to this process alone (kill <pid>) are passed on.
process.on('SIGINT', () => undefined);
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  process.stderr.write(`microcore: could not run ${node}: ${err.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
