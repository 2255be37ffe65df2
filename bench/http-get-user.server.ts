// The server side of the http-get-user benchmark, forked by bench/http-get-user.ts
// as `microcore` or `fastify`. Each server lives in its own process so the load
// generator (autocannon, in the parent) does not share its event loop, and so
// process.cpuUsage() here counts the server's work and nothing else.
//
// IPC, parent → child: start | stop | exit; child → parent: ready {port},
// started, stopped {cpuUs}. CPU is read between start and stop only, so boot,
// seeding and warm-up are not billed to requests.
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel } from '../kernel/index.ts';
import { REPO, writeProject } from '../test/project.ts';
import { answerParent } from './server-ipc.ts';

export const USERS = 1000;
const MIGRATION = join(REPO, 'domains/users/migrations/001_users.sql');

type Server = { port: number; stop(): Promise<void> };

/** Same rows in both databases, so both servers read the same sizes of values. */
function seed(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const insert = db.prepare('INSERT INTO users (name, email) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= USERS; i++) insert.run(`User Number ${i}`, `user${i}@example.org`);
  })();
  db.close();
}

/** A real kernel on a temp project: every repository tool, the users domain re-exported. */
async function microcore(): Promise<Server> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(join(REPO, 'domains/users/plugins'))) {
    if (name.endsWith('.test.ts')) continue;
    files[`domains/users/plugins/${name}`] = `export * from '${REPO}/domains/users/plugins/${name}';\n`;
  }
  files['domains/users/migrations/001_users.sql'] = readFileSync(MIGRATION, 'utf8');
  // Every tool folder the repository has (context included, as `npm start` loads it).
  const tools = readdirSync(join(REPO, 'tools'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && readdirSync(join(REPO, 'tools', e.name)).includes('tool.ts'))
    .map((e) => e.name);
  const root = writeProject(files, tools);
  const dbPath = join(root, 'data/bench.db');
  const kernel = new Kernel({ root, env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', AI_CONTEXT_PATH: 'off', DATABASE_PATH: dbPath } });
  const report = await kernel.boot();
  const failed = report.filter((i) => i.status !== 'ready');
  if (failed.length) throw new Error(`MicroCore did not boot cleanly: ${failed.map((i) => `${i.name}: ${i.reason}`).join('; ')}`);
  // The kernel applied the migration; a second connection fills the table (WAL lets both be open).
  seed(dbPath);
  return {
    port: (kernel.getTool('http') as { port: number }).port,
    stop: async () => {
      await kernel.shutdown();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** What one would write by hand: fastify 5, one prepared statement, the same JSON for int64. */
async function fastify(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-'));
  const path = join(dir, 'bench.db');
  const setup = new Database(path);
  setup.exec(readFileSync(MIGRATION, 'utf8'));
  setup.close();
  seed(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.defaultSafeIntegers(true);
  const byId = db.prepare('SELECT id, name, email, created_at FROM users WHERE id = ?');
  // Ids come back as bigint (safeIntegers); JSON.rawJSON writes their exact digits.
  const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
  const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? rawJSON(v.toString()) : v);
  const app = Fastify({ logger: false });
  app.get<{ Params: { id: string } }>('/users/:id', async (req, reply) => {
    const row = byId.get(req.params.id);
    if (!row) return reply.code(404).type('application/json').send(JSON.stringify({ error: { code: 'MC_ERR_NOT_FOUND', message: `no user with id ${req.params.id}` } }));
    return reply.type('application/json').send(JSON.stringify(row, replacer));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: (app.server.address() as { port: number }).port,
    stop: async () => {
      await app.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const kind = process.argv[2];
if (kind !== 'microcore' && kind !== 'fastify') throw new Error(`usage: http-get-user.server.ts microcore|fastify (got ${kind})`);
const server = await (kind === 'microcore' ? microcore() : fastify());
answerParent(server.port, server.stop);
