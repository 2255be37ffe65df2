// The cluster drivers' real servers for tests and benches: nats-server with
// JetStream and PostgreSQL, each started on a free loopback port over a private
// temp directory, stopped afterwards. vitest starts them once per run
// (test/services.setup.ts); a bench starts its own with startServices().
//
// Existing servers instead: MC_TEST_NATS_URL=nats://… and
// MC_TEST_DATABASE_URL=postgres://user@host:port/db (a role that may CREATE
// DATABASE): nothing is started then.
//
// PostgreSQL refuses to run as root: as root (CI), the server runs as the
// `postgres` user that Debian's package creates, over a data directory it owns.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface Services {
  natsUrl: string;
  /** The server's own database: a test makes its own with postgresDatabase(). */
  postgresUrl: string;
  stop(): Promise<void>;
}

const SETUP_HINT = 'Run scripts/setup.sh (as root it installs Debian\'s nats-server and postgresql), or apt-get install nats-server postgresql; or point MC_TEST_NATS_URL and MC_TEST_DATABASE_URL at running servers.';

/** Starts (or adopts, from MC_TEST_*) a NATS JetStream server and a PostgreSQL server. */
export async function startServices(env: NodeJS.ProcessEnv = process.env): Promise<Services> {
  const started = await Promise.allSettled([
    env.MC_TEST_NATS_URL ? { url: env.MC_TEST_NATS_URL, stop: async () => {} } : startNats(),
    env.MC_TEST_DATABASE_URL ? { url: env.MC_TEST_DATABASE_URL, stop: async () => {} } : startPostgres(),
  ]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    // The one that did start stops: nothing is left running.
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw failed.reason;
  }
  const [nats, postgres] = started.map((r) => (r as PromiseFulfilledResult<{ url: string; stop(): Promise<void> }>).value) as [{ url: string; stop(): Promise<void> }, { url: string; stop(): Promise<void> }];
  return {
    natsUrl: nats.url,
    postgresUrl: postgres.url,
    stop: async () => {
      await Promise.all([nats.stop(), postgres.stop()]);
    },
  };
}

/** A new, empty database on the test server; its URL. Tests share the server, never a database. */
export async function postgresDatabase(serverUrl = servicesFromEnv().postgresUrl): Promise<string> {
  const name = `mc_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.href;
}

/** A prefix for stream, consumer and bucket names no other test uses. */
export function natsPrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** The servers vitest's global setup started (it puts their URLs in the environment of every test process). */
export function servicesFromEnv(): { natsUrl: string; postgresUrl: string } {
  const natsUrl = process.env.MC_TEST_NATS_URL;
  const postgresUrl = process.env.MC_TEST_DATABASE_URL;
  if (!natsUrl || !postgresUrl) throw new Error(`No test servers: vitest's global setup (test/services.setup.ts) starts them. ${SETUP_HINT}`);
  return { natsUrl, postgresUrl };
}

async function startNats(): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = findBinary('nats-server', ['/usr/bin/nats-server', '/usr/sbin/nats-server']);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mc-nats-'));
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, '--http_port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const log = collect(child);
  await waitForPort(port, child, () => `nats-server did not start: ${log()}`);
  return { url: `nats://127.0.0.1:${port}`, stop: () => stopChild(child, 'SIGTERM').then(() => rmSync(dir, { recursive: true, force: true })) };
}

async function startPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  const bindir = postgresBinDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mc-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : userInfo().username;
  // As root, every PostgreSQL process runs as the postgres user (spawn's uid/gid,
  // so signals reach the server itself, not a runuser in between).
  const as = asRoot ? { uid: idOf('-u'), gid: idOf('-g') } : {};
  if (asRoot) chownSync(dir, as.uid!, as.gid!);
  try {
    execFileSync(join(bindir, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], { stdio: 'pipe', cwd: dir, ...as });
  } catch (err) {
    throw new Error(`initdb failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
  // fsync off and a small shared buffer: a test server, thrown away afterwards.
  const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', '-c', 'shared_buffers=64MB'];
  const child = spawn(join(bindir, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...as });
  const log = collect(child);
  await waitForPort(port, child, () => `postgres did not start: ${log()}`);
  const url = `postgres://${user}@127.0.0.1:${port}/postgres`;
  const stop = () => stopChild(child, 'SIGINT').then(() => rmSync(dir, { recursive: true, force: true }));
  await waitForQuery(url, child, log).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { url, stop };
}

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length) return join(root, versions[0]!, 'bin');
  const onPath = which('postgres');
  if (onPath) return onPath.replace(/\/postgres$/, '');
  throw new Error(`PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/postgres). ${SETUP_HINT}`);
}

function findBinary(name: string, candidates: string[]): string {
  const found = which(name) ?? candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`${name} is not installed. ${SETUP_HINT}`);
  return found;
}

function which(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The postgres user's uid (-u) or gid (-g); Debian's postgresql package creates the user. */
function idOf(flag: '-u' | '-g'): number {
  try {
    return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
  } catch {
    throw new Error(`PostgreSQL will not run as root and there is no 'postgres' user to run it as. ${SETUP_HINT}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// A run that ends without its teardown (an interrupted vitest, a crashed bench)
// must not leave servers behind.
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

function collect(child: ChildProcess): () => string {
  started.add(child);
  child.once('exit', () => started.delete(child));
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4000);
  });
  return () => text.trim() || '(nothing on stderr)';
}

async function waitForPort(port: number, child: ChildProcess, why: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(why());
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(why());
}

/** The port opens before the server takes connections (startup, recovery): wait for a query. */
async function waitForQuery(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`postgres does not answer: ${(err as Error).message}; ${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => (clearTimeout(kill), resolve()));
    child.kill(signal);
  });
}
