// The one path every tool call takes, whatever the caller's hosting: health
// check, trace context, the call, output normalized against the contract,
// metrics, health update. Native proxies and the gateway both end here.
//
// A native plugin's proxy resolves its call sites once (`site`): the method, its
// output check and its metrics totals; each call then does only the per-call
// work. A tool method that answers synchronously is finished synchronously —
// one settled promise instead of a chain of awaits, which was most of what a
// proxy call cost.
import type { DescMethod } from '@bufbuild/protobuf';
import { methodOf, serviceOf, type CallContext } from './contract.ts';
import { isFromPlugin, McError, mcError, toMcError } from './errors.ts';
import type { CallMetrics, CallTotals } from './metrics.ts';
import { normalize, normalizer, type Normalizer } from './normalize.ts';
import type { Registry } from './registry.ts';
import { currentTrace, type TraceContext } from './trace.ts';

/** A loaded tool: its contract name and its method implementations. */
export interface ToolSlot {
  name: string;
  methods: Record<string, (input: unknown, call: CallContext) => unknown>;
}

/** One caller's calls to one method of one tool, resolved once. */
export interface CallSite {
  caller: string;
  tool: ToolSlot;
  method: DescMethod;
  /** "state.get" */
  where: string;
  output: Normalizer;
  totals: CallTotals;
  /** The caller's settings for this tool (CallContext.settings). */
  settings?: Readonly<Record<string, unknown>>;
}

// Codes that say the tool itself is failing, not the caller's input: five in a
// row mark it dead; MC_ERR_TOOL_UNAVAILABLE marks it dead at once. Any success
// brings it back (MicroCoreOS's hybrid policy).
const INFRA_CODES = new Set(['MC_ERR_INTERNAL', 'MC_ERR_TOOL_UNAVAILABLE']);
const DEAD_STREAK = 5;
const NO_TRACE: TraceContext = { traceId: '' };
const EPOCH = performance.timeOrigin;

export class ToolCaller {
  #metrics: CallMetrics;
  #registry: Registry;
  #streaks = new Map<string, number>();
  #sites = new Map<string, CallSite>();

  constructor(metrics: CallMetrics, registry: Registry) {
    this.#metrics = metrics;
    this.#registry = registry;
  }

  site(caller: string, tool: ToolSlot, method: DescMethod, settings?: Readonly<Record<string, unknown>>): CallSite {
    const where = `${tool.name}.${method.localName}`;
    return { caller, tool, method, where, output: normalizer(method.output), totals: this.#metrics.totalsFor(caller, tool.name, method.localName), settings };
  }

  /** Calls the tool; returns its output checked against the contract, in complete plain form. */
  call(caller: string, tool: ToolSlot, method: DescMethod, input: Record<string, unknown>, settings?: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const key = `${caller}\u0000${tool.name}\u0000${method.localName}`;
    let site = this.#sites.get(key);
    // A new version of the caller (hot reload) may bring other settings.
    if (site?.tool !== tool || site.settings !== settings) this.#sites.set(key, (site = this.site(caller, tool, method, settings)));
    return this.callAt(site, input);
  }

  /** `call` at a resolved site: never throws, the promise carries any error. */
  callAt(site: CallSite, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    // A call outside any trace (at boot, from a timer) records an empty trace id
    // rather than paying for a new trace nobody will follow.
    const trace = currentTrace() ?? NO_TRACE;
    const started = performance.now();
    let out: unknown;
    try {
      const status = this.#registry.status('tool', site.tool.name);
      // A dead tool still gets calls: the next success is how it recovers.
      if (status !== 'ready' && status !== 'dead') throw mcError('MC_ERR_TOOL_UNAVAILABLE', `${site.caller} called ${site.where}, but tool '${site.tool.name}' is ${status ?? 'not loaded'}`, { tool: site.tool.name });
      out = site.tool.methods[site.method.localName]!(input, { caller: site.caller, traceId: trace.traceId, settings: site.settings });
    } catch (err) {
      return Promise.reject(this.#failed(site, started, trace, err));
    }
    if (typeof (out as PromiseLike<unknown> | null)?.then === 'function') {
      return (out as PromiseLike<unknown>).then(
        (value) => this.#answered(site, started, trace, value),
        (err: unknown) => {
          throw this.#failed(site, started, trace, err);
        },
      ) as Promise<Record<string, unknown>>;
    }
    try {
      return Promise.resolve(this.#answered(site, started, trace, out));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * How a tool calls another loaded tool (ToolContext.call): as `caller`
   * (`tool/scheduler`), its input checked against the contract as a plugin's
   * is, then counted and traced like any call. No capability check: tools are
   * the kernel's own code.
   */
  asTool(caller: string, slots: ReadonlyMap<string, ToolSlot>): (tool: string, method: string, input: Record<string, unknown>) => Promise<Record<string, unknown>> {
    return (tool, method, input) => {
      const service = serviceOf(tool);
      const m = service && methodOf(service, method);
      const slot = slots.get(tool);
      try {
        if (!m || !slot) throw mcError('MC_ERR_TOOL_UNAVAILABLE', `${caller} called ${tool}.${method}, but ${m ? `tool '${tool}' is not loaded` : 'the contract has no such method'}`, { tool, method });
        return this.call(caller, slot, m, normalize(m.input, input, `${tool}.${m.localName} input`));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    };
  }

  /** Counts a call refused before it reached the tool (a capability denial), like any failed call. */
  refused(caller: string, tool: string, method: string, error: McError): void {
    const trace = currentTrace();
    this.#metrics.add(this.#metrics.totalsFor(caller, tool, method), 0, error.code, trace?.traceId ?? '', trace?.eventId, Date.now());
  }

  #answered(site: CallSite, started: number, trace: TraceContext, out: unknown): Record<string, unknown> {
    let output;
    try {
      output = site.output(out, `${site.where} result`);
    } catch (err) {
      // The tool broke the contract, not the caller: count it against the tool.
      const error = mcError('MC_ERR_INTERNAL', `tool '${site.tool.name}' returned a ${site.where} result that does not fit ${site.method.output.typeName}: ${(err as Error).message}`, { tool: site.tool.name }, err);
      throw this.#failed(site, started, trace, error);
    }
    const ms = performance.now() - started;
    this.#metrics.add(site.totals, ms, undefined, trace.traceId, trace.eventId, Math.floor(EPOCH + started + ms));
    // Only a tool with failures in its streak can be dead (#failed is what marks it).
    const tool = site.tool.name;
    if (this.#streaks.size !== 0 && this.#streaks.delete(tool) && this.#registry.status('tool', tool) === 'dead') {
      this.#registry.set('tool', tool, { status: 'ready', reason: undefined, code: undefined });
    }
    return output;
  }

  #failed(site: CallSite, started: number, trace: TraceContext, err: unknown): McError {
    const error = toMcError(err, 'MC_ERR_INTERNAL', `${site.where} called by ${site.caller}`);
    const ms = performance.now() - started;
    this.#metrics.add(site.totals, ms, error.code, trace.traceId, trace.eventId, Math.floor(EPOCH + started + ms));
    const tool = site.tool.name;
    if (isFromPlugin(err) || !INFRA_CODES.has(error.code)) return error;
    const streak = (this.#streaks.get(tool) ?? 0) + 1;
    this.#streaks.set(tool, streak);
    const dead = error.code === 'MC_ERR_TOOL_UNAVAILABLE' || streak >= DEAD_STREAK;
    if (dead && this.#registry.status('tool', tool) === 'ready') this.#registry.set('tool', tool, { status: 'dead', reason: error.message, code: error.code });
    return error;
  }
}
