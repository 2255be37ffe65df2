// The conformance cases: data in cases/<tool>.<Method>.json, one file per tool
// method, read here. Every request and response is in the protobuf JSON
// mapping (int64 as a string of digits, bytes as base64, Value as its oneof),
// so a case says exactly which message crosses the contract.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CASES_DIR = join(import.meta.dirname, 'cases');

/** One call through the probe, with what it must answer. */
export interface Step {
  tool: string;
  method: string;
  request: Record<string, unknown>;
  /** The response message, exactly ("$any" matches any present value). */
  response?: Record<string, unknown>;
  /** The error: code exactly, message as a substring, details as a subset. */
  error?: { code: string; message?: string; details?: Record<string, string> };
  /** Wait this long first (TTL expiry). */
  waitMs?: number;
}

export interface Case extends Omit<Step, 'tool' | 'method'> {
  name: string;
  /** Calls made first through the same probe; each must succeed. */
  setup?: Omit<Step, 'response' | 'error'>[];
  /** Calls made after, through the same probe, each compared (state entries, follow-ups). */
  then?: Step[];
  /** Rows read by SQLite itself afterwards (protobuf-JSON-free: SQLite's own values, int64 as strings, blobs as base64). */
  rows?: { sql: string; rows: Record<string, unknown>[] };
  /** Events the recorder got on conf.events.<hosting>, in order (each envelope in protobuf JSON). */
  events?: Record<string, unknown>[];
  /** Lines the logger tool got from the probe during the case (LogRequest in protobuf JSON). */
  logs?: Record<string, unknown>[];
  /** A real HTTP request after the case, and its answer. */
  http?: { method: string; path: string; headers?: Record<string, string>; body?: unknown; /** The body as exact text (int64 past 2^53). */ bodyText?: string; /** A JSON string body of exactly this many bytes. */ bodySize?: number; status: number; json?: unknown; contains?: string[] };
  /** The probe makes no tool call (the SDK refuses first); otherwise the call must carry the case's trace id. */
  noToolCall?: boolean;
  /** Made in the probe's onBoot (routes are fixed once the server listens); no setup, no trace check. */
  atBoot?: boolean;
  /** The runner holds SQLite's write lock from another connection while the call runs (busy). */
  lockDb?: boolean;
  /** The probe appends this many spaces to the db.Execute request's sql before calling: a request past the message limit could not itself cross into the probe. */
  padSql?: number;
  /** Hostings this case does not run in, each with the reason printed in the matrix. */
  skip?: Record<string, string>;
  /**
   * With the db tool on PostgreSQL (conformance-postgres.test.ts): fields that
   * replace the case's own (the same question in PostgreSQL's SQL, its own
   * words in an error), or `skip`, why the case has no PostgreSQL form.
   */
  postgres?: Override;
  /** With the bus on NATS JetStream (conformance-nats.test.ts): the same, for what the NATS driver answers otherwise by design. */
  nats?: Override;
}

/** A case's fields as one driver answers them, or `skip`: why the case cannot hold on that driver. */
export type Override = Partial<Omit<Case, 'name' | 'postgres' | 'nats' | 'skip'>> & { skip?: string };

/** The drivers a matrix runs on; the defaults are SQLite and the in-process bus. */
export interface Drivers {
  db: 'sqlite' | 'postgres';
  bus: 'memory' | 'nats';
}

/** The override keys in a case file, each with the driver it applies to and the name printed with its skip. */
const OVERRIDES = [
  { key: 'postgres', on: (d: Drivers) => d.db === 'postgres', label: 'PostgreSQL' },
  { key: 'nats', on: (d: Drivers) => d.bus === 'nats', label: 'NATS' },
] as const;

export interface CaseFile {
  tool: string;
  method: string;
  cases: Case[];
}

export function readCaseFiles(): (CaseFile & { file: string })[] {
  return readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8')) as CaseFile;
      const [tool, method] = file.replace(/\.json$/, '').split('.');
      if (parsed.tool !== tool || parsed.method !== method) throw new Error(`${file}: names ${parsed.tool}.${parsed.method}; the file name must be <tool>.<Method>.json of the same method`);
      return { ...parsed, file };
    });
}

/**
 * Replaces {hosting} in every string of a case, so each probe uses its own
 * paths, topics and keys; and each of `placeholders` (a fixture's, fixtures.ts:
 * "{fetch.server}"), in calls the runner makes (not in atBoot calls, encoded
 * before fixtures start).
 */
export function forHosting<T>(value: T, hosting: string, placeholders: Record<string, string> = {}): T {
  const fills = Object.entries({ ...placeholders, hosting });
  // A walk, not a JSON round trip: JSON.stringify writes -0 as 0.
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fills.reduce((s, [name, value]) => s.replaceAll(`{${name}}`, value), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** The case as it runs on `drivers`: each non-default driver's override applied, and its skip, if any, with the driver named. */
export function forDrivers(c: Case, drivers: Drivers): { case: Case; skip?: string } {
  let out = c;
  let skip: string | undefined;
  for (const o of OVERRIDES) {
    const override = c[o.key];
    if (!override || !o.on(drivers)) continue;
    const { skip: why, ...fields } = override;
    out = { ...out, ...fields };
    skip ??= why && `on ${o.label}: ${why}`;
  }
  return { case: out, skip };
}
