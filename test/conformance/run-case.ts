// Runs one case against one hosting through the real kernel and lists every
// difference: the answer, the trace id on the probe's tool call, follow-up
// calls, rows, events delivered, log lines and a real HTTP request.
import { fromBinary, fromJson, toBinary, toJson, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import Database from 'better-sqlite3';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { CONTRACT, type Kernel } from '../../kernel/index.ts';
import { methodOf } from '../../kernel/contract.ts';
import { fromPlain } from '../../kernel/plain.ts';
import { EnvelopeSchema } from '../../proto/gen/microcore/v1/bus_pb.js';
import { LogRequestSchema } from '../../proto/gen/microcore/v1/logger_pb.js';
import type { Case, Step } from './case-file.ts';
import { differences, missing } from './compare.ts';
import type { Hosting } from './hostings.ts';
import { recorded, type RecordingLogger } from './recorders.ts';

export interface Target {
  url: string;
  kernel: Kernel;
  /** The SQLite file, or with dbUrl the PostgreSQL database, the db tool runs on. */
  dbPath: string;
  dbUrl?: string;
}

type Outcome = { response: JsonValue } | { error: { code: string; message: string; details: Record<string, string> } };

function methodFor(step: Pick<Step, 'tool' | 'method'>) {
  const method = methodOf(CONTRACT[step.tool as keyof typeof CONTRACT], step.method);
  if (!method) throw new Error(`no method ${step.tool}.${step.method} in the contract`);
  return method;
}

/** A call as a probe takes it: the request message encoded by the contract, base64. */
export function encodeCall(step: Pick<Step, 'tool' | 'method' | 'request'>): { tool: string; method: string; request: string } {
  const method = methodFor(step);
  return { tool: step.tool, method: method.name, request: Buffer.from(toBinary(method.input, fromJson(method.input, step.request as JsonValue))).toString('base64') };
}

/** Sends one call to the hosting's probe (or asks for the outcome of boot call `bootIndex`), the answer decoded by the contract. */
async function send(t: Target, h: Hosting, step: Pick<Step, 'tool' | 'method' | 'request'>, traceId: string, bootIndex?: number, padSql?: number): Promise<Outcome> {
  const method = methodFor(step);
  const res = await fetch(`${t.url}/conformance/${h.name}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    body: JSON.stringify(bootIndex === undefined ? { ...encodeCall(step), padSql } : { tool: '_boot', method: String(bootIndex) }),
  });
  const text = await res.text();
  if (res.status !== 200) return { error: { code: `HTTP ${res.status}`, message: text, details: {} } };
  const body = JSON.parse(text) as { response?: string; error?: { code: string; message: string; details?: Record<string, string> | null } };
  if (body.error) return { error: { ...body.error, details: body.error.details ?? {} } };
  return { response: toJson(method.output, fromBinary(method.output, Buffer.from(body.response ?? '', 'base64'))) };
}

function compareOutcome(step: Omit<Step, 'tool' | 'method' | 'request'>, got: Outcome, where: string): string[] {
  if (step.error) {
    if (!('error' in got)) return [`${where}: expected error ${step.error.code}, got response ${JSON.stringify(got.response)}`];
    const out = differences(step.error.code, got.error.code, `${where}.error.code`);
    if (step.error.message !== undefined && !got.error.message.includes(step.error.message)) out.push(`${where}.error.message: expected to contain ${JSON.stringify(step.error.message)}, got ${JSON.stringify(got.error.message)}`);
    if (step.error.details) out.push(...missing(step.error.details, got.error.details, `${where}.error.details`));
    return out;
  }
  if ('error' in got) return [`${where}: expected a response, got error ${got.error.code}: ${got.error.message}`];
  return differences(step.response ?? {}, got.response, `${where}.response`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runCase(t: Target, h: Hosting, tool: string, methodName: string, c: Case, bootIndex?: number): Promise<string[]> {
  const traceId = randomBytes(16).toString('hex');
  const diffs: string[] = [];
  for (const [i, s] of (c.setup ?? []).entries()) {
    if (s.waitMs) await sleep(s.waitMs);
    const got = await send(t, h, s, traceId);
    if ('error' in got) return [`setup[${i}] ${s.tool}.${s.method} failed: ${got.error.code}: ${got.error.message}`];
  }
  if (c.waitMs) await sleep(c.waitMs);
  const logsBefore = (t.kernel.getTool('logger') as RecordingLogger).lines.length;
  const lock = c.lockDb ? await writeLock(t) : undefined;
  try {
    diffs.push(...compareOutcome(c, await send(t, h, { tool, method: methodName, request: c.request }, traceId, bootIndex, c.padSql), 'call'));
  } finally {
    await lock?.release();
  }

  if (!c.noToolCall && !c.atBoot) {
    const carried = t.kernel.metrics.recent().some((r) => r.caller === h.identity && r.tool === tool && r.method.toLowerCase() === methodName.toLowerCase() && r.traceId === traceId);
    if (!carried) diffs.push(`trace: no ${tool}.${methodName} call from ${h.identity} carried the case's trace id ${traceId}`);
  }
  for (const [i, s] of (c.then ?? []).entries()) {
    if (s.waitMs) await sleep(s.waitMs);
    diffs.push(...compareOutcome(s, await send(t, h, s, traceId), `then[${i}] ${s.tool}.${s.method}`));
  }
  if (c.rows) diffs.push(...differences(c.rows.rows, await readRows(t, c.rows.sql), 'rows'));
  if (c.events) diffs.push(...differences(c.events, await eventsOf(h, traceId, c.events.length), 'events'));
  if (c.logs) {
    const lines = (t.kernel.getTool('logger') as RecordingLogger).lines.slice(logsBefore).filter((l) => l.caller === h.identity && l.traceId === traceId);
    diffs.push(...differences(c.logs, lines.map((l) => toJson(LogRequestSchema, fromPlain(LogRequestSchema, l.request, 'log')) as unknown), 'logs'));
  }
  if (c.http) diffs.push(...(await checkHttp(t, c.http)));
  return diffs;
}

/** A write lock held by a connection of the runner's own until released: SQLite's, or on PostgreSQL the conformance table's. */
async function writeLock(t: Target): Promise<{ release(): Promise<void> }> {
  if (t.dbUrl) {
    const client = new pg.Client({ connectionString: t.dbUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE conf_items IN EXCLUSIVE MODE');
    return { release: () => client.query('ROLLBACK').then(() => client.end()) };
  }
  const db = new Database(t.dbPath);
  db.exec('BEGIN IMMEDIATE');
  return {
    release: async () => {
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

/** The engine's own view: int64 as exact digits, blobs as base64. */
async function readRows(t: Target, sql: string): Promise<Record<string, unknown>[]> {
  const plain = (rows: Record<string, unknown>[]) =>
    rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('base64') : v])));
  if (t.dbUrl) {
    // pg gives int8 as its digits already, bytea as a Buffer.
    const client = new pg.Client({ connectionString: t.dbUrl });
    await client.connect();
    try {
      return plain((await client.query(sql)).rows as Record<string, unknown>[]);
    } finally {
      await client.end();
    }
  }
  const db = new Database(t.dbPath, { readonly: true });
  try {
    db.defaultSafeIntegers(true);
    return plain(db.prepare(sql).all() as Record<string, unknown>[]);
  } finally {
    db.close();
  }
}

/** Events delivered to the recorder for this case's trace, waiting up to 2 s for `count` of them. */
async function eventsOf(h: Hosting, traceId: string, count: number): Promise<unknown[]> {
  const mine = () => recorded.filter((e) => e.topic === `conf.events.${h.name}` && e.traceId === traceId);
  for (let waited = 0; mine().length < count && waited < 2000; waited += 20) await sleep(20);
  return mine().map((e) => toJson(EnvelopeSchema as DescMessage, fromPlain(EnvelopeSchema, e, 'event')));
}

async function checkHttp(t: Target, want: NonNullable<Case['http']>): Promise<string[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 3000);
  try {
    const res = await fetch(t.url + want.path, { method: want.method, headers: { 'content-type': 'application/json', ...want.headers }, body: want.bodySize ? `"${'x'.repeat(want.bodySize - 2)}"` : (want.bodyText ?? (want.body === undefined ? undefined : JSON.stringify(want.body))), signal: abort.signal });
    const out = differences(want.status, res.status, 'http.status');
    if (want.contains) {
      // A stream never ends by itself: read until every expected piece arrived.
      let text = '';
      const reader = res.body!.getReader();
      while (!want.contains.every((s) => text.includes(s))) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) break;
        text += Buffer.from(value!).toString();
      }
      abort.abort();
      for (const s of want.contains) if (!text.includes(s)) out.push(`http: expected the answer to contain ${JSON.stringify(s)}, got ${JSON.stringify(text.slice(0, 300))}`);
    } else if (want.json !== undefined) {
      out.push(...differences(want.json, JSON.parse(await res.text()), 'http.json'));
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}
