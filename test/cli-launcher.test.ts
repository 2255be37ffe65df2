// Issue item 16: `npx microcore …` works from the README as written, even when
// the machine's `node` is older than 24: the bin (cli/microcore.mjs, plain JS)
// finds the project's Node 24 and runs cli/main.ts with it, or says how to get one.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { plugin, REPO, writeProject } from './project.ts';

const LAUNCHER = join(REPO, 'cli/microcore.mjs');
const SYSTEM_NODE = '/usr/bin/node';
const systemMajor = existsSync(SYSTEM_NODE) ? Number(execFileSync(SYSTEM_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim()) : 0;
const oldNode = systemMajor > 0 && systemMajor < 24;
if (!oldNode) console.log(`skipped: the launcher's old-Node tests need ${SYSTEM_NODE} older than 24 (found ${systemMajor || 'none'})`);
// Only the system's directories: `node` on PATH is the old one, as for a user who never sourced scripts/node-env.sh.
const OLD_ENV = { ...process.env, PATH: '/usr/local/bin:/usr/bin:/bin', LOG_LEVEL: 'silent', AI_CONTEXT_PATH: 'off', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' };

let root = '';
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

describe('the microcore bin (issue item 16)', () => {
  it('is the launcher, committed executable as npm links it', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.microcore).toBe('./cli/microcore.mjs');
    const modes = execFileSync('git', ['ls-files', '-s', 'cli/microcore.mjs', 'cli/main.ts'], { cwd: REPO, encoding: 'utf8' });
    expect(modes).toMatch(/^100755 \S+ 0\tcli\/main\.ts$/m);
    expect(modes).toMatch(/^100755 \S+ 0\tcli\/microcore\.mjs$/m);
  });

  it.runIf(oldNode)('runs `npx microcore --help` under the system Node 20 by re-running itself with Node 24', () => {
    const res = spawnSync('npx', ['--offline', '--loglevel=error', 'microcore', '--help'], { cwd: REPO, env: OLD_ENV, encoding: 'utf8', timeout: 60_000 });
    expect(res.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('usage: microcore <command>');
  });

  it.runIf(oldNode)('boots a project with `status` under the system Node 20, exit code passed through', () => {
    root = writeProject({ 'domains/a/plugins/broken.ts': plugin(`export class BrokenPlugin { constructor({ mailer }) {} }`) });
    const res = spawnSync(SYSTEM_NODE, [LAUNCHER, 'status'], { cwd: root, env: OLD_ENV, encoding: 'utf8', timeout: 60_000 });
    expect(res.stdout).toMatch(/failed\s+native\s+a\/broken/);
    expect(res.status, res.stderr).toBe(1);
  });

  it.runIf(oldNode)('passes SIGTERM on to `microcore start`, which shuts down cleanly', async () => {
    root = writeProject({});
    const child = spawn(SYSTEM_NODE, [LAUNCHER, 'start'], { cwd: root, env: { ...OLD_ENV, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${lines.join('\n')}`)), 30_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.join('\n')).toContain('SIGTERM: shutting down');
  });

  it.runIf(oldNode)('without any Node 24 it says how to get one and exits 1', () => {
    // A copy of the launcher with no .tools/node24 beside it or in the working directory.
    root = mkdtempSync(join(tmpdir(), 'mc-launcher-'));
    copyFileSync(LAUNCHER, join(root, 'microcore.mjs'));
    const res = spawnSync(SYSTEM_NODE, [join(root, 'microcore.mjs'), 'status'], { cwd: root, env: OLD_ENV, encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`microcore needs Node 24 or newer; this is Node ${systemMajor}.`);
    expect(res.stderr).toContain('source scripts/node-env.sh');
    expect(res.stderr).toContain('https://nodejs.org');
  });
});
