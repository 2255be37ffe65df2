// Test-only export: real tools behind real proxies, without booting a kernel,
// for unit-testing a native plugin by passing tools to its constructor.
//
//   const t = await testTools({ migrations: ['domains/users/migrations'] });
//   const plugin = new CreateUserPlugin(t.tools);
//   await plugin.onBoot();
//   const user = await t.request('POST', '/users', { body: { name: 'Ann', email: 'a@x.io' } });
//
// db is SQLite in memory with the given migrations; http records endpoints so a
// test can call them; logger is silent; state and config are the real tools.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTRACT, CONTRACT_NAMES, type ContractName, type Plain, type Tools } from './contract.ts';
import { fromPlugin } from './errors.ts';
import { silentLog, stderrLog } from './log.ts';
import { CallMetrics } from './metrics.ts';
import { LogRing } from './log-ring.ts';
import { NativeHandlers, NativeHost } from './native-host.ts';
import { Registry } from './registry.ts';
import { RouteTable } from './route-table.ts';
import { SubscriptionTable } from './subscription-table.ts';
import { Tracer } from './tracer.ts';
import { ToolCaller, type ToolSlot } from './tool-call.ts';
import { toolMethods } from './tool-loader.ts';
import { newTrace, runInTrace } from './trace.ts';
import { createToolProxy } from './tool-proxy.ts';
import type { Tool, ToolClass, ToolContext } from './tool.ts';
import type { HttpRequest } from '../proto/gen/microcore/v1/http_pb.js';

const REPO = resolve(import.meta.dirname, '..');
// The drivers of each built-in contract, the first the settings choose (ToolClass.enabled) serving.
const TOOL_FOLDERS: Partial<Record<ContractName, readonly string[]>> = { bus: ['bus', 'bus-nats'], config: ['config'], db: ['db-sqlite', 'db-postgres'], http: ['http'], logger: ['logger'], state: ['state', 'state-postgres'], system: ['system'] };

/** A catalog tool's drivers (microcore add): tools/<name>, then tools/<name>-<driver>. */
function driverFolders(name: ContractName): readonly string[] {
  return TOOL_FOLDERS[name] ?? [name, ...readdirSync(join(REPO, 'tools')).filter((f) => f.startsWith(`${name}-`)).sort()];
}

async function chosenDriver(folders: readonly string[], env: ToolContext['env']): Promise<{ cls: ToolClass; folder: string }> {
  for (const folder of folders) {
    const cls = ((await import(pathToFileURL(join(REPO, 'tools', folder, 'tool.ts')).href)) as { default: ToolClass }).default;
    if (!cls.enabled || cls.enabled(env)) return { cls, folder };
  }
  throw new Error(`testTools: none of tools/${folders.join(', tools/')} is chosen by these settings`);
}

export interface TestTools {
  tools: Tools;
  metrics: CallMetrics;
  routes: RouteTable;
  subscriptions: SubscriptionTable;
  tracer: Tracer;
  logs: LogRing;
  /** Waits until the bus has delivered everything published so far (retries included). */
  settle(): Promise<void>;
  /** Calls the handler of an endpoint a plugin added, as the http tool would. */
  request(method: string, path: string, init?: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown }): Promise<unknown>;
  close(): Promise<void>;
}

/** `settings`: the plugin's per-tool settings, as its static `tools` would give them (kernel/tool-settings.ts). */
export async function testTools(options: { identity?: string; migrations?: string[]; env?: Record<string, string>; settings?: Record<string, Record<string, unknown>> } = {}): Promise<TestTools> {
  const identity = options.identity ?? 'test/plugin';
  const registry = new Registry();
  const metrics = new CallMetrics();
  const routes = new RouteTable();
  const handlers = new NativeHandlers();
  const caller = new ToolCaller(metrics, registry);
  const instances: Tool[] = [];
  const tools: Record<string, unknown> = {};
  const subscriptions = new SubscriptionTable();
  const tracer = new Tracer();
  const logs = new LogRing();
  const host = new NativeHost(identity, [], {}, handlers, silentLog());
  const ctx: ToolContext = {
    root: REPO,
    kernelId: 'test-kernel',
    env: { DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent', ...options.env },
    log: options.env?.LOG_LEVEL && options.env.LOG_LEVEL !== 'silent' ? stderrLog('test') : silentLog(),
    routes,
    subscriptions,
    tracer,
    metrics,
    logs,
    // The owner is the folder holding migrations/ (domains/users/migrations → users), wherever it sits.
    migrations: (options.migrations ?? []).map((dir) => ({ owner: dir.replace(/\/$/, '').split('/').at(-2) ?? dir, dir })),
    // Every handler belongs to the one plugin under test.
    invoke: (_identity, handlerId, input) => fromPlugin(() => host.invoke(handlerId, input)),
    report: () => registry.list(),
    call: (tool, method, input) => caller.asTool('tool/test', slots)(tool, method, input),
  };
  const slots = new Map<string, ToolSlot>();
  for (const name of CONTRACT_NAMES) {
    const { cls, folder } = await chosenDriver(driverFolders(name), ctx.env);
    const instance = new cls();
    await instance.setup?.(ctx);
    instances.push(instance);
    registry.add({ kind: 'tool', name, source: `tools/${folder}`, status: 'ready', needs: [] });
    const service = CONTRACT[name as ContractName];
    const slot = { name, methods: toolMethods(instance, service.methods.map((m) => m.localName)) };
    slots.set(name, slot);
    tools[name] = createToolProxy(identity, service, slot, caller, handlers, options.settings?.[name]);
  }
  return {
    tools: tools as Tools,
    metrics,
    routes,
    subscriptions,
    tracer,
    logs,
    async settle() {
      for (const t of instances) await (t as { idle?: () => Promise<void> }).idle?.();
    },
    async request(method, path, init = {}) {
      const route = routes.get(method, path);
      if (!route) throw new Error(`no endpoint ${method} ${path} (added: ${routes.list().map((r) => `${r.method} ${r.path}`).join(', ') || 'none'})`);
      const request: Plain<HttpRequest> = { method, route: path, url: path, params: init.params ?? {}, query: init.query ?? {}, headers: {}, body: (init.body ?? null) as never, requestId: 'test', streamId: '', auth: null };
      // As the http tool does: the request is a trace root and the event being handled.
      const trace = newTrace();
      return runInTrace({ ...trace, eventId: request.requestId }, () => handlers.get(route.handlerId)!(request));
    },
    async close() {
      for (const t of instances.reverse()) await t.shutdown?.();
    },
  };
}
