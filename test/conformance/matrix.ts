// The conformance matrix (issue 8): every case in cases/ sent to every hosting's
// probe through the real kernel (a real Go sidecar process, a real Go wasm
// module, a native plugin), compared, printed as case × hosting. A probe that
// answers one case wrongly on purpose must show ✗: the comparison is tested too.
// One matrix per set of drivers: conformance.test.ts on the defaults (SQLite,
// the in-process bus; every tool, every hosting), conformance-postgres.test.ts
// with the db on PostgreSQL, conformance-nats.test.ts with the bus on NATS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kernel } from '../../kernel/index.ts';
import InProcessBus from '../../tools/bus/tool.ts';
import NatsBus from '../../tools/bus-nats/tool.ts';
import PostgresDb from '../../tools/db-postgres/tool.ts';
import SqliteDb from '../../tools/db-sqlite/tool.ts';
import { ADDED_TOOLS, REAL_TOOLS, writeProject } from '../project.ts';
import { natsPrefix, postgresDatabase, servicesFromEnv } from '../services.ts';
import { forDrivers, forHosting, readCaseFiles, type Case, type Drivers } from './case-file.ts';
import { buildProbes, HOSTINGS, link, projectFiles, WRONG, type Hosting } from './hostings.ts';
import { encodeCall, runCase, type Target } from './run-case.ts';

/** The case the wrong probe answers wrongly (state.Get of a stored value). */
const WRONG_CASE = { tool: 'state', method: 'Get', name: 'reads back a stored value' };

/** MC_MESSAGE_LIMIT_BYTES here: a 1 MiB blob fits, and cases/db.QueryOne.json goes one byte past it. */
const MESSAGE_LIMIT = 2 * 1024 * 1024;

const DB_TOOL = { sqlite: SqliteDb, postgres: PostgresDb };
const BUS_TOOL = { memory: InProcessBus, nats: NatsBus };

export interface MatrixOptions {
  drivers: Drivers;
  hostings: Hosting[];
  /** Only these tools' case files become rows (every case file still makes its boot calls). */
  tools?: string[];
  /** Whether the deliberately wrong probe runs (once is enough: it tests the comparison). */
  wrongProbe: boolean;
}

/** Registers the matrix's beforeAll, afterAll and test in the calling test file. */
export function defineMatrix(o: MatrixOptions): void {
  const caseFiles = readCaseFiles();
  const rowFiles = caseFiles.filter((f) => !o.tools || o.tools.includes(f.tool));
  const probes = o.wrongProbe ? [...o.hostings, WRONG] : o.hostings;
  const boot = bootCalls(caseFiles, probes);
  let target: Target;
  let root: string;
  let dataDir: string;

  beforeAll(async () => {
    if (o.hostings.some((h) => h.kind !== 'native')) buildProbes();
    const { files, links } = projectFiles(o.hostings);
    root = writeProject(files, [...REAL_TOOLS, ...ADDED_TOOLS]);
    link(root, links);
    dataDir = mkdtempSync(join(tmpdir(), 'mc-conf-'));
    const dbPath = join(dataDir, 'conf.db');
    const dbUrl = o.drivers.db === 'postgres' ? await postgresDatabase() : undefined;
    // A fresh prefix: streams, consumers and request subjects of no other run.
    const bus = o.drivers.bus === 'nats' ? { BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: natsPrefix() } : {};
    const kernel = new Kernel({
      root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: dbPath, ...(dbUrl ? { DATABASE_URL: dbUrl } : {}), ...bus, AI_CONTEXT_PATH: 'off', CONF_GREETING: 'héllo 🚀', CONF_EMPTY: '', MC_MESSAGE_LIMIT_BYTES: String(MESSAGE_LIMIT), DATABASE_BUSY_TIMEOUT_MS: '50', HTTP_BODY_LIMIT: String(4 * MESSAGE_LIMIT), ...boot.env },
    });
    const report = await kernel.boot();
    const notReady = report.filter((i) => i.status !== 'ready');
    expect(notReady, JSON.stringify(notReady, null, 2)).toEqual([]);
    // The drivers asked for are the ones that run (a matrix on the wrong one would pass unnoticed).
    expect(kernel.getTool('db'), `the db tool on ${o.drivers.db}`).toBeInstanceOf(DB_TOOL[o.drivers.db]);
    expect(kernel.getTool('bus'), `the bus tool on ${o.drivers.bus}`).toBeInstanceOf(BUS_TOOL[o.drivers.bus]);
    target = { kernel, dbPath, dbUrl, url: `http://127.0.0.1:${(kernel.getTool('http') as { port: number }).port}` };
  }, 900_000);

  afterAll(async () => {
    await target?.kernel.shutdown();
    if (root) rmSync(root, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function cell(h: Hosting, tool: string, method: string, original: Case): Promise<Cell> {
    const { case: c, skip: driverSkip } = forDrivers(original, o.drivers);
    const skip = h.skip ?? c.skip?.[h.name] ?? driverSkip;
    if (skip) return { mark: '–', note: [`skipped: ${skip}`] };
    const diffs = await runCase(target, h, tool, method, forHosting(c, h.name), boot.index.get(original));
    return { mark: diffs.length ? '✗' : '✓', note: diffs };
  }

  const on = `db on ${o.drivers.db}, bus on ${o.drivers.bus}`;
  const title = o.wrongProbe ? 'every case answers the same in every hosting, and the wrong probe shows ✗' : `every case answers the same in every hosting (${on})`;
  it(title, async () => {
    const rows: { id: string; cells: Cell[] }[] = [];
    let wrong: Cell | undefined;
    for (const f of rowFiles) {
      for (const c of f.cases) {
        const cells: Cell[] = [];
        // One hosting at a time: cases share the database and the bus.
        for (const h of o.hostings) cells.push(await cell(h, f.tool, f.method, c));
        const extra = o.wrongProbe && f.tool === WRONG_CASE.tool && f.method === WRONG_CASE.method && c.name === WRONG_CASE.name;
        if (extra) cells.push((wrong = await cell(WRONG, f.tool, f.method, c)));
        rows.push({ id: `${f.tool}.${f.method}: ${c.name}`, cells });
      }
    }
    const names = probes.map((h) => h.name);
    const width = Math.max(...rows.map((r) => r.id.length));
    const lines = [on, `${'case'.padEnd(width)}  ${names.join('  ')}`];
    for (const r of rows) lines.push(`${r.id.padEnd(width)}  ${r.cells.map((c, i) => c.mark.padEnd(names[i]!.length)).join('  ')}`);
    for (const h of o.hostings.filter((x) => x.skip)) lines.push(`– ${h.name}: skipped, ${h.skip}`);
    for (const r of rows) r.cells.forEach((c, i) => c.mark !== '✓' && !o.hostings[i]?.skip && lines.push(`${c.mark} ${r.id} [${names[i]}]: ${c.note.join('; ')}`));
    console.log(lines.join('\n'));

    const failed = rows.flatMap((r) => r.cells.slice(0, o.hostings.length).map((c, i) => ({ c, id: `${r.id} [${names[i]}]` })).filter(({ c }) => c.mark === '✗'));
    expect(failed.map(({ id, c }) => `${id}: ${c.note.join('; ')}`)).toEqual([]);
    if (!o.wrongProbe) return;
    expect(wrong, `the case ${WRONG_CASE.tool}.${WRONG_CASE.method} "${WRONG_CASE.name}" is missing`).toBeDefined();
    expect(wrong!.mark, 'the deliberately wrong probe must show ✗').toBe('✗');
    expect(wrong!.note).toEqual(['call.response.value.stringValue: expected "stored", got "not what was stored"']);
  }, 600_000);
}

type Cell = { mark: '✓' | '✗' | '–'; note: string[] };

/** Each hosting's calls made at boot (CONF_BOOT_<hosting>), in case file order; a case's index is the same in each. */
function bootCalls(caseFiles: ReturnType<typeof readCaseFiles>, probes: Hosting[]): { env: Record<string, string>; index: Map<object, number> } {
  const index = new Map<object, number>();
  const env: Record<string, string> = {};
  for (const h of probes) {
    const calls = [];
    for (const f of caseFiles) {
      for (const c of f.cases.filter((x) => x.atBoot)) {
        index.set(c, calls.length);
        calls.push(encodeCall({ tool: f.tool, method: f.method, request: forHosting(c, h.name).request }));
      }
    }
    // One "tool method base64" a line: trivial to read in every language, no JSON library needed.
    env[`CONF_BOOT_${h.name}`] = calls.map((c) => `${c.tool} ${c.method} ${c.request}`).join('\n');
  }
  return { env, index };
}
