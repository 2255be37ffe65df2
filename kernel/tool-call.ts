// The one path every tool call takes, whatever the caller's hosting: health
// check, trace context, the call, output normalized against the contract,
// metrics, health update. Native proxies and the gateway both end here.
import type { DescMethod } from '@bufbuild/protobuf';
import type { CallContext } from './contract.ts';
import { isFromPlugin, McError, mcError, toMcError } from './errors.ts';
import type { CallMetrics } from './metrics.ts';
import { normalize } from './normalize.ts';
import type { Registry } from './registry.ts';
import { currentTrace } from './trace.ts';

/** A loaded tool: its contract name and its method implementations. */
export interface ToolSlot {
  name: string;
  methods: Record<string, (input: unknown, call: CallContext) => unknown>;
}

// Codes that say the tool itself is failing, not the caller's input: five in a
// row mark it dead; MC_ERR_TOOL_UNAVAILABLE marks it dead at once. Any success
// brings it back (MicroCoreOS's hybrid policy).
const INFRA_CODES = new Set(['MC_ERR_INTERNAL', 'MC_ERR_TOOL_UNAVAILABLE']);
const DEAD_STREAK = 5;
const NO_TRACE = { traceId: '', spanId: '' };

export class ToolCaller {
  #metrics: CallMetrics;
  #registry: Registry;
  #streaks = new Map<string, number>();

  constructor(metrics: CallMetrics, registry: Registry) {
    this.#metrics = metrics;
    this.#registry = registry;
  }

  /** Calls the tool; returns its output checked against the contract, in complete plain form. */
  async call(caller: string, tool: ToolSlot, method: DescMethod, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    // A call outside any trace (at boot, from a timer) records an empty trace id
    // rather than paying for a new trace nobody will follow.
    const trace = currentTrace() ?? NO_TRACE;
    const where = `${tool.name}.${method.localName}`;
    const started = performance.now();
    try {
      const status = this.#registry.status('tool', tool.name);
      // A dead tool still gets calls: the next success is how it recovers.
      if (status !== 'ready' && status !== 'dead') throw mcError('MC_ERR_TOOL_UNAVAILABLE', `${caller} called ${where}, but tool '${tool.name}' is ${status ?? 'not loaded'}`, { tool: tool.name });
      const out = await tool.methods[method.localName]!(input, { caller, traceId: trace.traceId });
      let output;
      try {
        output = normalize(method.output, out, `${where} result`);
      } catch (err) {
        // The tool broke the contract, not the caller: count it against the tool.
        throw mcError('MC_ERR_INTERNAL', `tool '${tool.name}' returned a ${where} result that does not fit ${method.output.typeName}: ${(err as Error).message}`, { tool: tool.name }, err);
      }
      this.#finish(caller, tool.name, method.localName, started, trace);
      return output;
    } catch (err) {
      const error = toMcError(err, 'MC_ERR_INTERNAL', `${where} called by ${caller}`);
      this.#finish(caller, tool.name, method.localName, started, trace, error, isFromPlugin(err));
      throw error;
    }
  }

  /** Counts a call refused before it reached the tool (a capability denial), like any failed call. */
  refused(caller: string, tool: string, method: string, error: McError): void {
    const trace = currentTrace();
    this.#metrics.record({ caller, tool, method, ms: 0, ok: false, code: error.code, traceId: trace?.traceId ?? '', eventId: trace?.eventId, at: Date.now() });
  }

  #finish(caller: string, tool: string, method: string, started: number, trace: { traceId: string; eventId?: string }, error?: McError, fromPlugin = false): void {
    this.#metrics.record({ caller, tool, method, ms: performance.now() - started, ok: !error, code: error?.code, traceId: trace.traceId, eventId: trace.eventId, at: Date.now() });
    if (!error) {
      if (this.#registry.status('tool', tool) === 'dead') this.#registry.set('tool', tool, { status: 'ready', reason: undefined, code: undefined });
      this.#streaks.set(tool, 0);
      return;
    }
    if (fromPlugin || !INFRA_CODES.has(error.code)) return;
    const streak = (this.#streaks.get(tool) ?? 0) + 1;
    this.#streaks.set(tool, streak);
    const dead = error.code === 'MC_ERR_TOOL_UNAVAILABLE' || streak >= DEAD_STREAK;
    if (dead && this.#registry.status('tool', tool) === 'ready') this.#registry.set('tool', tool, { status: 'dead', reason: error.message, code: error.code });
  }
}
