// What a tool folder provides, and what the kernel gives a tool. A tool is a
// class exported from tools/<folder>/tool.ts with a static `contract` naming
// what it serves (a name from kernel/contract.ts, or a kernel-facing name that
// plugins cannot inject). Tools are stateless drivers: they never import
// domains, and reach another tool only through `call` (the scheduler
// publishing on the bus), never its instance.
import type { Answer, InvokeInput, InvokeOutput } from './contract.ts';
import type { KernelLog } from './log.ts';
import type { LogRing } from './log-ring.ts';
import type { ReportItem } from './registry.ts';
import type { CallMetrics } from './metrics.ts';
import type { RouteTable } from './route-table.ts';
import type { SubscriptionTable } from './subscription-table.ts';
import type { Tracer } from './tracer.ts';

export interface ToolContext {
  /** The project root (the working directory). */
  root: string;
  /** The process environment merged over the project's .env. */
  env: Readonly<Record<string, string | undefined>>;
  /** This kernel's id (KERNEL_ID, or host and pid): what tells kernels sharing a bus or database apart. */
  kernelId: string;
  /** The tool's own log (identity `tool/<name>`). */
  log: KernelLog;
  /** The kernel route table: endpoints by method and path. */
  routes: RouteTable;
  /** Folders whose *.sql files the db tool applies: one per domain or plugin folder. */
  migrations: readonly { owner: string; dir: string }[];
  /** The kernel subscription table: bus handlers by topic. */
  subscriptions: SubscriptionTable;
  /** The causal record of requests and events. */
  tracer: Tracer;
  /** Tool call metrics (read them; the kernel records them). */
  metrics: CallMetrics;
  /** The last log lines of every identity: the logger tool adds each line it writes; others read. */
  logs: LogRing;
  /**
   * Runs a plugin's handler, whatever its hosting. A native handler that answers
   * at once is answered at once (no promise, its error thrown), so the hot paths
   * pay for a promise only when there is something to wait for; `await` takes both.
   */
  invoke(identity: string, handlerId: string, input: InvokeInput): Answer<InvokeOutput>;
  /**
   * Calls a method of another loaded tool (`call('bus', 'publish', {…})`) as
   * `tool/<this tool's name>`: checked against the contract, counted and traced
   * like a plugin's call (kernel/tool-call.ts). Rejects with
   * MC_ERR_TOOL_UNAVAILABLE while that tool is not loaded or not ready.
   */
  call(tool: string, method: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The boot report so far (copies). */
  report(): ReportItem[];
}

export interface Tool {
  setup?(ctx: ToolContext): void | Promise<void>;
  /** After every plugin's onBoot, one tool at a time; http goes last. */
  onBootComplete?(): void | Promise<void>;
  shutdown?(): void | Promise<void>;
}

export interface ToolClass {
  new (): Tool;
  /** The contract name this tool serves: 'db', 'http' ... */
  readonly contract: string;
  /**
   * For one of several drivers of a contract (tools/db-sqlite, tools/db-postgres):
   * whether the settings choose this one (`DATABASE_URL=postgres://…`). A driver
   * that is not chosen is not loaded further; without `enabled` a tool always is.
   */
  enabled?(env: Readonly<Record<string, string | undefined>>): boolean;
}
