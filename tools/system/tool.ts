// The system tool: the kernel's own state (boot report with each plugin's
// wiring, tool call metrics, traces, event topology, recent log lines) for
// plugins that show it, such as domains/system. It
// only reads what the kernel hands every tool; it changes nothing, but for
// saying this kernel is alive to the others on a PostgreSQL database (members.ts).
import { durationMs, LOG_LEVELS, mcError, type CallRecord, type CallContext, type JsRecord, type LogLevelName, type LogLine, type Plain, type ToolContext, type ToolMethods, type TraceNode } from '../../kernel/index.ts';
import type { LogsRequest, MetricsRequest, TracesRequest } from '../../proto/gen/microcore/v1/system_pb.js';
import { wiringByIdentity } from './graph.ts';
import { isPostgresUrl } from '../db-common/database-url.ts';
import { postgresMembers, soloMember, type Members } from './members.ts';
import { natsSettings } from '../bus-nats/settings.ts';
import { TracePeers } from './trace-peers.ts';

const KIND_ORDER = ['tool', 'native', 'sidecar', 'wasm'];
// A faster heartbeat would be writes to the database, not news.
const MIN_HEARTBEAT_MS = 100;

export default class KernelSystem implements ToolMethods<'system'> {
  static readonly contract = 'system';
  #ctx?: ToolContext;
  #members?: Members;
  #peers?: TracePeers<ReturnType<typeof traceNode>>;

  async setup(ctx: ToolContext): Promise<void> {
    this.#ctx = ctx;
    const url = ctx.env.DATABASE_URL;
    const heartbeatMs = durationMs(ctx.env.CLUSTER_HEARTBEAT_MS, 'CLUSTER_HEARTBEAT_MS', 2_000, 'MC_ERR_TOOL_SETUP');
    if (heartbeatMs < MIN_HEARTBEAT_MS) throw mcError('MC_ERR_TOOL_SETUP', `CLUSTER_HEARTBEAT_MS=${heartbeatMs} is below ${MIN_HEARTBEAT_MS} ms`, { setting: 'CLUSTER_HEARTBEAT_MS' }, undefined, `Set it to ${MIN_HEARTBEAT_MS} or more (2000 by default), or unset it.`);
    this.#members = isPostgresUrl(url) ? await postgresMembers(ctx.kernelId, url!, heartbeatMs, ctx.log) : soloMember(ctx.kernelId);
    if (ctx.env.BUS_DRIVER === 'nats') {
      this.#peers = await TracePeers.connect(natsSettings(ctx.env), ctx.kernelId, ctx.log, (traceId) => this.#localNodes(traceId));
    }
  }

  async status() {
    const items = this.#ctx!.report().sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.name.localeCompare(b.name));
    const wiring = wiringByIdentity(this.#ctx!);
    return {
      items: items.map((i) => ({ kind: i.kind, name: i.name, source: i.source, status: i.status, reason: i.reason ?? '', code: i.code ?? '', ms: BigInt(i.ms ?? 0), needs: i.needs, ...wiring(i.name), restarts: i.restarts ?? 0, language: i.language ?? '' })),
      kernel: this.#ctx!.kernelId,
      members: await this.#members!.list(),
    };
  }

  async shutdown(): Promise<void> {
    await this.#peers?.close();
    await this.#members?.close();
  }

  metrics(input: Plain<MetricsRequest>) {
    const m = this.#ctx!.metrics;
    return {
      recent: m.recent(Number(input.afterSeq), input.limit).map(callRecord),
      totals: m.totals().map((t) => ({ ...t, count: BigInt(t.count), errors: BigInt(t.errors) })),
      oldestSeq: BigInt(m.oldestSeq),
      lastSeq: BigInt(m.lastSeq),
    };
  }

  logs(input: Plain<LogsRequest>, call: CallContext) {
    if (input.level && !LOG_LEVELS.includes(input.level as LogLevelName)) {
      throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} asked system.logs for level '${input.level}'`, { level: input.level }, undefined, `Use one of ${LOG_LEVELS.join(', ')}, or leave it empty for every line.`);
    }
    const ring = this.#ctx!.logs;
    const lines = ring.list(Number(input.afterSeq), input.limit, (input.level || undefined) as LogLevelName | undefined);
    return { lines: lines.map(logLine), oldestSeq: BigInt(ring.oldestSeq), lastSeq: BigInt(ring.lastSeq) };
  }

  async traces(input: Plain<TracesRequest>) {
    const tracer = this.#ctx!.tracer;
    const seqs = { oldestSeq: BigInt(tracer.oldestSeq), lastSeq: BigInt(tracer.lastSeq) };
    const nodes = this.#localNodes(input.traceId, Number(input.afterSeq), input.limit);
    if (!input.traceId || !this.#peers) return { nodes, ...seqs };
    // Members are known on PostgreSQL: wait for exactly the others; otherwise for the first silence.
    const members = this.#members!.list().then((m) => (m.length > 1 ? m.length - 1 : undefined));
    const remote = await this.#peers.gather(input.traceId, await members);
    return { nodes: mergeById([...nodes, ...remote]).sort((a, b) => Number(b.atUnixMs - a.atUnixMs)), ...seqs };
  }

  #localNodes(traceId: string, afterSeq = 0, limit = 0) {
    const nodes = this.#ctx!.tracer.list(traceId || undefined, afterSeq, limit);
    // A live view asks every quarter second: nothing new, no walk through the calls.
    if (nodes.length === 0) return [];
    const calls = new Map<string, CallRecord[]>();
    for (const c of this.#ctx!.metrics.recent()) if (c.eventId) calls.set(c.eventId, [c, ...(calls.get(c.eventId) ?? [])]);
    return nodes.map((n) => traceNode(n, calls.get(n.id) ?? [], this.#ctx!.kernelId));
  }

  events() {
    const topics = new Map<string, { subscribers: Set<string>; publishers: Set<string>; timesFired: bigint; payloadKeys?: string[] }>();
    const entry = (topic: string) => {
      let t = topics.get(topic);
      if (!t) topics.set(topic, (t = { subscribers: new Set(), publishers: new Set(), timesFired: 0n }));
      return t;
    };
    for (const s of this.#ctx!.subscriptions.list()) entry(s.topic).subscribers.add(s.owner);
    // Newest first: the first payload keys seen are the most recent.
    for (const n of this.#ctx!.tracer.list()) {
      if (n.kind === 'http') continue;
      const t = entry(n.name);
      t.publishers.add(n.source);
      t.timesFired++;
      t.payloadKeys ??= n.payloadKeys;
    }
    return {
      topics: [...topics.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([topic, t]) => ({ topic, subscribers: [...t.subscribers].sort(), publishers: [...t.publishers].sort(), timesFired: t.timesFired, payloadKeys: t.payloadKeys ?? [] })),
    };
  }
}

function callRecord(c: CallRecord) {
  return { seq: BigInt(c.seq), caller: c.caller, tool: c.tool, method: c.method, ms: c.ms, ok: c.ok, code: c.code ?? '', traceId: c.traceId, eventId: c.eventId ?? '', atUnixMs: BigInt(c.at) };
}

function logLine(l: LogLine) {
  // Through JSON, as the line went to stdout: a field JSON cannot hold (undefined, a function) is left out.
  const fields = JSON.parse(JSON.stringify(l.fields)) as JsRecord;
  return { seq: BigInt(l.seq), atUnixMs: BigInt(l.at), level: l.level, source: l.source, message: l.message, fields, traceId: l.traceId };
}

function traceNode(n: TraceNode, calls: CallRecord[], kernel: string) {
  return {
    seq: BigInt(n.seq),
    kernel,
    id: n.id,
    parentId: n.parentId,
    traceId: n.traceId,
    kind: n.kind,
    name: n.name,
    source: n.source,
    atUnixMs: BigInt(n.at),
    ms: n.ms,
    ok: n.ok,
    code: n.code ?? '',
    reactions: n.reactions.map((r) => ({ ...r, code: r.code ?? '', kernel: r.kernel ?? kernel })),
    calls: calls.map(callRecord),
    payloadKeys: n.payloadKeys,
  };
}

type Node = ReturnType<typeof traceNode>;

/**
 * An event handled in several kernels has a node in each, under the one id:
 * one node with every kernel's reactions and calls. Its date and kernel are the
 * record made where its cause happened (the kernel of its parent node: the
 * publisher's), else the earliest.
 */
function mergeById(nodes: Node[]): Node[] {
  const kernelOf = new Map<string, string>();
  for (const n of nodes) if (!kernelOf.has(n.id)) kernelOf.set(n.id, n.kernel);
  const byId = new Map<string, Node>();
  for (const n of nodes) {
    const seen = byId.get(n.id);
    if (!seen) {
      byId.set(n.id, n);
      continue;
    }
    const causeKernel = kernelOf.get(n.parentId);
    const nFirst = causeKernel ? n.kernel === causeKernel && seen.kernel !== causeKernel : n.atUnixMs < seen.atUnixMs;
    const [first, other] = nFirst ? [n, seen] : [seen, n];
    byId.set(n.id, { ...first, ok: first.ok && other.ok, ms: Math.max(first.ms, other.ms), reactions: [...first.reactions, ...other.reactions], calls: [...first.calls, ...other.calls] });
  }
  return [...byId.values()];
}
