// The scheduler tool: named cron and delayed jobs, each run published as a bus
// event through the bus tool (ctx.call, as `tool/scheduler`: counted, checked and
// traced like any publish). A delayed job's run joins the trace that scheduled
// it, caused by the event or request handled then (kept with the job, so across
// a restart too); each cron tick is the root of a trace of its own.
// Jobs are namespaced by caller and stored (store-sqlite.ts in the app's SQLite
// database, store-postgres.ts with DATABASE_URL=postgres://…), so they survive a
// restart; with several kernels on one store each run is claimed by one (jobs.ts).
//
// One timer, to the earliest next run or SCHEDULER_POLL_MS away, whichever is
// sooner (unref'd, re-armed when a job is scheduled sooner, cleared at
// shutdown). The poll is how a job another kernel stored is noticed here.
// Nothing fires before onBootComplete: the plugins' onBoot has subscribed them
// by then, and has re-scheduled its jobs (a cron job of the same expression
// keeps its due run, so a tick missed while down still fires, once).
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { checkTopic, currentTrace, durationMs, jsToValue, mcError, newTrace, runInTrace, valueToJs, type CallContext, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
import type { ScheduleRequest, SchedulerCancelRequest, SchedulerListRequest } from '../../proto/gen/microcore/v1/scheduler_pb.js';
import { ValueSchema } from '../../proto/gen/microcore/v1/value_pb.js';
import { isPostgresUrl, redactUrl } from '../db-common/database-url.ts';
import { nextRun, parseCron } from './cron.ts';
import type { Job, JobStore } from './jobs.ts';
import { PostgresJobs } from './store-postgres.ts';
import { SqliteJobs } from './store-sqlite.ts';

const POLL_MS = 5_000;
/** The longest job name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 200;
// A hundred years: far enough for any delay, near enough to stay an exact integer once added to now.
const MAX_DELAY_MS = 100 * 366 * 86_400_000;
// Due runs read per query; a tick reads again while a full batch came back.
const BATCH = 100;

export default class SchedulerTool implements ToolMethods<'scheduler'> {
  static readonly contract = 'scheduler';
  #ctx?: ToolContext;
  #store?: JobStore;
  #pollMs = POLL_MS;
  #timer?: NodeJS.Timeout;
  /** When the armed timer fires (ms since the epoch); Infinity when none is armed. */
  #armedAt = Infinity;
  /** The tick in progress: one at a time. */
  #tick?: Promise<void>;
  #started = false;
  #closed = false;

  async setup(ctx: ToolContext): Promise<void> {
    this.#ctx = ctx;
    this.#pollMs = durationMs(ctx.env.SCHEDULER_POLL_MS, 'SCHEDULER_POLL_MS', POLL_MS, 'MC_ERR_TOOL_SETUP') || POLL_MS;
    const url = ctx.env.DATABASE_URL;
    try {
      this.#store = isPostgresUrl(url) ? await PostgresJobs.open(url!, ctx.env, ctx.log) : new SqliteJobs(ctx.root, ctx.env.DATABASE_PATH);
    } catch (err) {
      const where = isPostgresUrl(url) ? `PostgreSQL at ${redactUrl(url!)}` : `the SQLite database ${ctx.env.DATABASE_PATH || 'data/microcore.db'}`;
      throw mcError('MC_ERR_TOOL_SETUP', `the scheduler tool cannot keep its jobs in ${where}: ${(err as Error).message}`, { setting: isPostgresUrl(url) ? 'DATABASE_URL' : 'DATABASE_PATH' }, err, 'Start the server or fix DATABASE_URL / DATABASE_PATH; the role or user needs to create a table there.');
    }
  }

  /** Every plugin has booted (and subscribed): runs what is due, then keeps the timer. */
  onBootComplete(): void {
    this.#started = true;
    this.#arm(Date.now());
  }

  async schedule(input: Plain<ScheduleRequest>, call: CallContext) {
    const where = `${call.caller} scheduler.schedule`;
    checkName(input.name, where);
    try {
      checkTopic(input.topic, call.caller);
    } catch (err) {
      throw mcError('MC_ERR_INVALID_ARGUMENT', `${where} '${input.name}': ${(err as Error).message}`, { field: 'topic' }, err, 'Give the topic the job publishes on: dot-separated words (report.nightly).');
    }
    const delay = durationMs(input.delayMs, `${where} delayMs`, 0, 'MC_ERR_INVALID_ARGUMENT', MAX_DELAY_MS);
    if (input.cron && delay) throw mcError('MC_ERR_INVALID_ARGUMENT', `${where} '${input.name}' has both cron '${input.cron}' and delayMs ${delay}`, { field: 'delayMs' }, undefined, 'Give cron for a repeating job or delayMs for a one-off, not both.');
    const now = Date.now();
    const nextRunMs = input.cron ? nextRun(parseCron(input.cron, `${where} '${input.name}' cron`), now)! : now + delay;
    const payload = toBinary(ValueSchema, jsToValue(input.payload ?? null, `${where} payload`));
    // A delayed run belongs to the work that asked for it; a cron tick starts a trace of its own.
    const trace = input.cron ? undefined : currentTrace();
    const job: Job = { owner: call.caller, name: input.name, cron: input.cron.trim(), topic: input.topic, payload, key: input.key, nextRunMs, traceId: input.cron ? '' : call.traceId, parentId: trace?.eventId ?? '' };
    const stored = await this.#use(call, 'schedule', (s) => s.put(job));
    this.#arm(stored);
    return { name: input.name, nextRunMs: BigInt(stored) };
  }

  async cancel(input: Plain<SchedulerCancelRequest>, call: CallContext) {
    checkName(input.name, `${call.caller} scheduler.cancel`);
    return { cancelled: await this.#use(call, 'cancel', (s) => s.remove(call.caller, input.name)) };
  }

  async list(_input: Plain<SchedulerListRequest>, call: CallContext) {
    const jobs = await this.#use(call, 'list', (s) => s.list(call.caller));
    return { jobs: jobs.map((j) => ({ name: j.name, cron: j.cron, topic: j.topic, payload: payloadOf(j), key: j.key, nextRunMs: BigInt(j.nextRunMs) })) };
  }

  async shutdown(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    await this.#store?.close();
    this.#store = undefined;
  }

  /** Arms the timer for `atMs` unless it already fires sooner; never further than the poll. */
  #arm(atMs: number): void {
    if (!this.#started || this.#closed || atMs >= this.#armedAt) return;
    const now = Date.now();
    const at = Math.min(Math.max(atMs, now), now + this.#pollMs);
    clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = setTimeout(() => this.#fire(), at - now).unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    // A tick still running re-arms when it ends.
    this.#tick ??= this.#runDue().then(
      () => this.#rearm(),
      (err: Error) => {
        // The store failed (PostgreSQL unreachable, SQLite busy past its timeout): try again after a poll, not at once.
        this.#ctx!.log.error(`scheduler: running the due jobs failed; trying again in ${this.#pollMs} ms: ${err.message}`, { code: (err as { code?: string }).code });
        this.#tick = undefined;
        this.#arm(Date.now() + this.#pollMs);
      },
    );
  }

  /** After a tick: the timer to the earliest next run, or a poll away (for jobs another kernel stores). */
  async #rearm(): Promise<void> {
    const earliest = await this.#store?.earliest().catch(() => undefined);
    this.#tick = undefined;
    this.#arm(earliest ?? Date.now() + this.#pollMs);
  }

  /** Claims and publishes every run due now. */
  async #runDue(): Promise<void> {
    for (;;) {
      const store = this.#store;
      if (!store || this.#closed) return;
      const now = Date.now();
      const due = await store.due(now, BATCH);
      for (const job of due) {
        if (this.#closed) return;
        await this.#runOne(store, job, now);
      }
      if (due.length < BATCH) return;
    }
  }

  async #runOne(store: JobStore, job: Job, now: number): Promise<void> {
    const log = this.#ctx!.log;
    let next: number | undefined;
    try {
      // Every tick missed up to now is this one run (coalesced): the next is after now.
      next = job.cron ? nextRun(parseCron(job.cron), now) : undefined;
    } catch (err) {
      log.error(`scheduler: ${job.owner}'s job '${job.name}' has cron '${job.cron}', which no longer parses; it is removed`, { code: (err as { code?: string }).code });
    }
    const claimed = await store.claim(job, next);
    if (!claimed || (job.cron && next === undefined)) return;
    try {
      const trace = claimed.traceId ? { traceId: claimed.traceId, ...(claimed.parentId ? { eventId: claimed.parentId } : {}) } : newTrace();
      await runInTrace(trace, () => this.#ctx!.call('bus', 'publish', { topic: claimed.topic, payload: payloadOf(claimed), key: claimed.key }));
    } catch (err) {
      // Claimed, so no other kernel fires it: the run is lost, and said so (at most once per tick).
      log.warn(`scheduler: ${claimed.owner}'s job '${claimed.name}' could not publish on '${claimed.topic}': ${(err as Error).message}`, { owner: claimed.owner, job: claimed.name, code: (err as { code?: string }).code });
    }
  }

  /** A store call of one tool call; a failing store (PostgreSQL down) as a coded error naming the setting. */
  async #use<T>(call: CallContext, method: string, fn: (store: JobStore) => Promise<T>): Promise<T> {
    if (!this.#store) throw mcError('MC_ERR_TOOL_UNAVAILABLE', `scheduler.${method} by ${call.caller}: the scheduler tool is not open`);
    try {
      return await fn(this.#store);
    } catch (err) {
      throw mcError('MC_ERR_TOOL_UNAVAILABLE', `scheduler.${method} by ${call.caller}: the job store failed: ${(err as Error).message}`, { setting: this.#ctx?.env.DATABASE_URL ? 'DATABASE_URL' : 'DATABASE_PATH' }, err, 'Check that the database is reachable; the call can be retried.');
    }
  }
}

function checkName(name: string, where: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > MAX_NAME_BYTES) throw mcError('MC_ERR_INVALID_ARGUMENT', `${where}: a job name of ${bytes} bytes; a name has 1 to ${MAX_NAME_BYTES}`, { field: 'name' }, undefined, 'Name the job (nightly-report): scheduling that name again replaces it.');
}

function payloadOf(job: Job) {
  return valueToJs(fromBinary(ValueSchema, job.payload), `scheduler job ${job.name}`);
}
