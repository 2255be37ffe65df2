// Where the scheduler keeps its jobs: one row per (owner, name), the same shape
// in both stores (store-sqlite.ts, store-postgres.ts). Every kernel watching a
// store fires a due run only after claiming it: one conditional statement that
// moves the row's next run on (or deletes a delayed job) where the row still
// holds the due time and the expression it was read with. Whichever kernel's
// statement changes the row fires; the others find nothing to claim.

/** One stored job. The payload is the contract's Value in protobuf bytes, so int64 and bytes come back exact. */
export interface Job {
  owner: string;
  name: string;
  /** Empty for a delayed job. */
  cron: string;
  topic: string;
  payload: Uint8Array;
  key: string;
  nextRunMs: number;
  /** A delayed job's run belongs to the trace that scheduled it (and is caused by the event then handled); empty for cron jobs, whose ticks each start a trace. */
  traceId: string;
  parentId: string;
}

export interface JobStore {
  /**
   * Adds or replaces a job; a cron job replaced by the same expression keeps
   * its stored next run. Returns the next run stored.
   */
  put(job: Job): Promise<number>;
  /** Whether the owner had a job of that name (now removed). */
  remove(owner: string, name: string): Promise<boolean>;
  /** The owner's jobs, by name. */
  list(owner: string): Promise<Job[]>;
  /** Jobs due at `nowMs`, earliest first, at most `limit`. */
  due(nowMs: number, limit: number): Promise<Job[]>;
  /** The earliest next run of any job, if there is one. */
  earliest(): Promise<number | undefined>;
  /**
   * Claims `job`'s due run: its next run becomes `nextRunMs`, or, undefined,
   * the job goes. The job as it stands when claimed, or undefined when another
   * kernel claimed it first (or it was replaced or cancelled meanwhile).
   */
  claim(job: Job, nextRunMs: number | undefined): Promise<Job | undefined>;
  close(): Promise<void>;
}

export const TABLE = '_microcore_scheduler';
