// The microkernel: discovery, DI, lifecycle. It knows no business rule and no
// engine; tools do the work, plugins hold the features, hosts speak each
// hosting's language. Boot order:
//   1. tools load; the logger sets up first (the kernel logs through it), then
//      the rest in parallel
//   2. plugins resolve their needs and are constructed / started (sidecars
//      spawned, wasm modules instantiated) in parallel
//   3. every plugin's onBoot, concurrently
//   4. tools' onBootComplete one at a time, by name, http last (listening opens
//      the door to requests, so everything else must be ready)
// Shutdown reverses it: http stops taking requests, plugins stop (reverse
// order), then the other tools (reverse set-up order, logger last). Every step
// runs under a time limit; a failure marks one item failed, never the kernel.
import { markFailedBuilds } from './build-record.ts';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { CONTRACT, isContractName, type Answer, type InvokeInput, type InvokeOutput } from './contract.ts';
import { discover } from './discovery.ts';
import { readEnv } from './env.ts';
import { fromPlugin, mcError, toMcError } from './errors.ts';
import { Gateway } from './gateway.ts';
import { HotSwap, type SwapOutcome } from './hot-swap.ts';
import { enableModuleGenerations } from './module-generations.ts';
import { messageLimit } from './message-limit.ts';
import { stderrLog, type KernelLog, type LogSource } from './log.ts';
import { CallMetrics } from './metrics.ts';
import { LogRing } from './log-ring.ts';
import { loadPlugin, type LoaderDeps } from './plugin-loader.ts';
import type { PluginHost } from './plugin-host.ts';
import { Registry, type ReportItem } from './registry.ts';
import { RouteTable } from './route-table.ts';
import type { SidecarHost } from './sidecar-host.ts';
import { SidecarPorts } from './sidecar-ports.ts';
import { SidecarSupervisor } from './sidecar-supervisor.ts';
import { SubscriptionTable } from './subscription-table.ts';
import { durationMs, withTimeout } from './durations.ts';
import { ToolCaller, type ToolSlot } from './tool-call.ts';
import { loadTools, toolMethods, type LoadedTool } from './tool-loader.ts';
import type { ToolContext } from './tool.ts';
import { newTrace, runInTrace } from './trace.ts';
import { Tracer } from './tracer.ts';

export interface KernelOptions {
  /** The project root; default the working directory. */
  root?: string;
  /** Settings; default the project's .env under the process environment. */
  env?: Record<string, string | undefined>;
  /** false: boot without opening the doors — no tool's onBootComplete (http does not listen). */
  serve?: boolean;
  /** Load only these tools (contract names) and no plugins: `microcore migrate` wants the db alone. */
  onlyTools?: readonly string[];
  /** Plugins may be swapped while it runs (`reload`): `microcore dev`. */
  reloadable?: boolean;
}

const LAST_TO_COMPLETE = 'http';

export class Kernel {
  /** This kernel among several sharing a bus and a database: KERNEL_ID, or host and pid. */
  readonly id: string;
  readonly root: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly registry = new Registry();
  readonly metrics = new CallMetrics();
  readonly routes = new RouteTable();
  readonly subscriptions = new SubscriptionTable();
  readonly tracer = new Tracer();
  readonly logs = new LogRing();
  readonly #serve: boolean;
  readonly #onlyTools?: readonly string[];
  readonly #stepMs: number;
  readonly #shutdownMs: number;
  #log: KernelLog = stderrLog('kernel');
  #logSource?: LogSource;
  #tools: LoadedTool[] = [];
  #slots = new Map<string, ToolSlot>();
  #hosts = new Map<string, PluginHost>();
  #toolCaller = new ToolCaller(this.metrics, this.registry);
  readonly gateway: Gateway;
  #ports: SidecarPorts;
  #stopped?: Promise<void>;
  #supervisor: SidecarSupervisor;
  #swap: HotSwap;

  constructor(options: KernelOptions = {}) {
    this.root = resolve(options.root ?? process.cwd());
    this.env = options.env ?? readEnv(this.root);
    this.id = this.env.KERNEL_ID || `${hostname()}-${process.pid}`;
    this.#serve = options.serve ?? true;
    this.#onlyTools = options.onlyTools;
    this.#stepMs = durationMs(this.env.MC_STEP_TIMEOUT_MS, 'MC_STEP_TIMEOUT_MS', 10_000);
    this.#shutdownMs = durationMs(this.env.MC_SHUTDOWN_TIMEOUT_MS, 'MC_SHUTDOWN_TIMEOUT_MS', 15_000);
    this.gateway = new Gateway(this.#slots, this.#toolCaller, { log: () => this.#log, messageLimit: messageLimit(this.env) });
    this.#ports = new SidecarPorts(this.root, this.env, this.gateway);
    this.#supervisor = new SidecarSupervisor({
      registry: this.registry,
      subscriptions: this.subscriptions,
      // Through this.#log at call time: it becomes the logger tool's once that is set up.
      log: { debug: (m, f) => this.#log.debug(m, f), info: (m, f) => this.#log.info(m, f), warn: (m, f) => this.#log.warn(m, f), error: (m, f) => this.#log.error(m, f) },
      stepMs: this.#stepMs,
      host: (identity) => this.#hosts.get(identity) as SidecarHost | undefined,
      swapping: (identity) => this.#swap.swapping(identity),
    });
    if (options.reloadable) enableModuleGenerations(this.root);
    this.#swap = new HotSwap({
      root: this.root, registry: this.registry, routes: this.routes, subscriptions: this.subscriptions, hosts: this.#hosts, stepMs: this.#stepMs,
      log: () => this.#log, load: (p) => loadPlugin(p, this.#loaderDeps(this.#tools)),
    });
  }

  /** Swaps the plugins these changed files (relative to the root) touch, each alone, while everything else keeps serving (hot-swap.ts). */
  reload(changed: readonly string[]): Promise<SwapOutcome[]> {
    return this.#swap.apply(changed);
  }

  /** A tool's own instance, bypassing proxies: for the CLI, tests and kernel-facing plugins. */
  getTool(contract: string): unknown {
    return this.#tools.find((t) => t.contract === contract)?.instance;
  }

  /** Boots everything it can; returns the boot report. Throws only for a broken tree (two tools serving one name). */
  async boot(): Promise<ReportItem[]> {
    const found = discover(this.root);
    if (this.#onlyTools) found.plugins = [];
    const loadedTools = await loadTools(this.root, found.tools, this.env);
    const failures = loadedTools.failures;
    const tools = this.#onlyTools ? loadedTools.tools.filter((t) => this.#onlyTools!.includes(t.contract)) : loadedTools.tools;
    for (const f of failures) this.registry.add({ kind: 'tool', name: f.folder, source: f.file, status: 'failed', reason: f.reason, code: f.code, needs: [] });
    this.#tools = tools;
    for (const t of tools) this.registry.add({ kind: 'tool', name: t.contract, source: t.folder, status: 'pending', needs: [] });

    const logger = tools.find((t) => t.contract === 'logger');
    if (logger && (await this.#setUpTool(logger, found.migrations))) {
      this.#logSource = logger.instance as unknown as LogSource;
      if (typeof this.#logSource.child === 'function') this.#log = this.#logSource.child('kernel');
    }
    await Promise.all(tools.filter((t) => t !== logger).map((t) => this.#setUpTool(t, found.migrations)));

    const loaded = await Promise.all(
      found.plugins.map(async (p) => {
        this.registry.add({ kind: p.kind, name: p.identity, source: p.file, status: 'pending', needs: [] });
        const t0 = performance.now();
        let host: PluginHost | undefined;
        try {
          const loaded = await loadPlugin(p, this.#loaderDeps(tools));
          host = loaded.host;
          this.registry.set(p.kind, p.identity, { needs: loaded.needs, language: loaded.language });
          await withTimeout(this.#stepMs + (p.kind === 'sidecar' ? 15_000 : 0), `starting ${p.identity} (${p.file})`, () => host!.start());
          return host;
        } catch (err) {
          this.#fail(p.kind, p.identity, err, 'MC_ERR_PLUGIN_BOOT', t0);
          // A start that failed or ran out of time may have left a process behind.
          if (host) await this.#release(host);
          return undefined;
        }
      }),
    );
    // Discovery order, not start-up order: shutdown reverses it, so it must not depend on timing.
    const started = loaded.filter((h): h is PluginHost => h !== undefined);
    for (const host of started) this.#hosts.set(host.identity, host);

    await Promise.all(
      started.map(async (host) => {
        const t0 = performance.now();
        try {
          await runInTrace(newTrace(), () => withTimeout(this.#stepMs, `${host.identity} onBoot`, () => host.boot()));
          this.registry.set(host.hosting, host.identity, { status: 'ready', ms: ms(t0) });
        } catch (err) {
          this.#fail(host.hosting, host.identity, err, 'MC_ERR_PLUGIN_BOOT', t0);
          this.routes.removeOwner(host.identity);
          this.#hosts.delete(host.identity);
          await this.#release(host);
        }
      }),
    );

    markFailedBuilds(this.root, this.registry, found.plugins, (identity) => this.#hosts.has(identity));
    for (const tool of this.#serve ? this.#completionOrder() : []) {
      try {
        await withTimeout(this.#stepMs, `${tool.folder} onBootComplete`, () => tool.instance.onBootComplete?.());
      } catch (err) {
        this.#fail('tool', tool.contract, err, 'MC_ERR_TOOL_SETUP');
      }
    }
    const report = this.registry.list();
    const failed = report.filter((i) => i.status === 'failed');
    this.#log.info(`booted: ${report.length - failed.length} ready, ${failed.length} failed`, { failed: failed.map((i) => i.name) });
    return report;
  }

  #loaderDeps(tools: LoadedTool[]): LoaderDeps {
    return {
      root: this.root, env: this.env,
      tools: this.#slots,
      declared: new Set(tools.map((t) => t.contract)),
      toolCaller: this.#toolCaller,
      gateway: this.gateway,
      subscriptions: this.subscriptions,
      toolServer: () => this.#ports.toolServer(),
      attachPoint: () => this.#ports.attachPoint(),
      socketDir: () => this.#ports.socketDir(),
      log: (identity: string) => this.#logFor(identity),
      onSidecarExit: (host, policy, reason, attached) => this.#supervisor.exited(host, policy, reason, attached),
      onWasmReboot: (identity) => this.registry.set('wasm', identity, { restarts: (this.registry.get('wasm', identity)?.restarts ?? 0) + 1 }),
    };
  }

  /** Runs a plugin's handler (tools call this through their context); a native handler's answer comes at once if it gave one at once. */
  invoke(identity: string, handlerId: string, input: InvokeInput): Answer<InvokeOutput> {
    const host = this.#hosts.get(identity);
    if (!host) throw mcError('MC_ERR_HANDLER_UNKNOWN', `no running plugin '${identity}' for handler '${handlerId}'`, { plugin: identity });
    return fromPlugin(() => host.invoke(handlerId, input));
  }

  /** Stops everything in reverse order, within MC_SHUTDOWN_TIMEOUT_MS. Safe to call twice. */
  shutdown(): Promise<void> {
    this.#stopped ??= withTimeout(this.#shutdownMs, 'shutdown', () => this.#stopAll())
      .catch((err) => {
        this.#log.error((err as Error).message);
        throw err;
      })
      // Even a shutdown that overran its limit removes the private socket folder.
      .finally(() => this.#ports.removeDir());
    return this.#stopped;
  }

  async #stopAll(): Promise<void> {
    this.#supervisor.stop();
    await this.#swap.stop();
    const http = this.#tools.find((t) => t.contract === LAST_TO_COMPLETE);
    if (http) await this.#stopTool(http);
    for (const host of [...this.#hosts.values()].reverse()) {
      const t0 = performance.now();
      await this.#release(host);
      this.registry.set(host.hosting, host.identity, { status: 'stopped' });
      this.#log.debug(`stopped ${host.identity} in ${ms(t0)} ms`);
    }
    this.#hosts.clear();
    await this.#ports.close();
    // Reverse set-up order: the logger set up first, so it stops last.
    const rest = this.#tools.filter((t) => t !== http).reverse();
    for (const tool of rest.sort((a, b) => Number(a.contract === 'logger') - Number(b.contract === 'logger'))) await this.#stopTool(tool);
  }

  /** Stops a plugin (at shutdown, or one the boot gave up on) within the step limit. Its subscriptions go first, so the bus moves or dead-letters their queued events while other plugins still run. */
  async #release(host: PluginHost): Promise<void> {
    this.subscriptions.removeOwner(host.identity);
    await withTimeout(this.#stepMs, `${host.identity} shutdown`, () => host.shutdown()).catch((err) => this.#log.error((err as Error).message));
  }

  async #stopTool(tool: LoadedTool): Promise<void> {
    const t0 = performance.now();
    await withTimeout(this.#stepMs, `${tool.folder} shutdown`, () => tool.instance.shutdown?.()).catch((err) => this.#log.error((err as Error).message));
    if (this.registry.status('tool', tool.contract) !== 'failed') this.registry.set('tool', tool.contract, { status: 'stopped' });
    this.#log.debug(`stopped ${tool.folder} in ${ms(t0)} ms`);
  }

  async #setUpTool(tool: LoadedTool, migrations: ToolContext['migrations']): Promise<boolean> {
    const t0 = performance.now();
    try {
      const service = isContractName(tool.contract) ? CONTRACT[tool.contract] : undefined;
      const names = service?.methods.map((m) => m.localName) ?? [];
      const methods = toolMethods(tool.instance, names);
      const missing = names.filter((n) => !methods[n]);
      if (missing.length) throw mcError('MC_ERR_TOOL_SETUP', `${tool.file} serves '${tool.contract}' but lacks ${missing.map((n) => `${tool.contract}.${n}`).join(', ')}`, { tool: tool.contract });
      const ctx: ToolContext = {
        root: this.root, env: this.env, kernelId: this.id,
        log: this.#logFor(`tool/${tool.contract}`),
        routes: this.routes, subscriptions: this.subscriptions, tracer: this.tracer, metrics: this.metrics, logs: this.logs, migrations,
        call: this.#toolCaller.asTool(`tool/${tool.contract}`, this.#slots),
        invoke: (identity, handlerId, input) => this.invoke(identity, handlerId, input),
        report: () => this.registry.list(),
      };
      await withTimeout(this.#stepMs, `${tool.folder} setup`, () => tool.instance.setup?.(ctx));
      if (service) this.#slots.set(tool.contract, { name: tool.contract, methods });
      this.registry.set('tool', tool.contract, { status: 'ready', ms: ms(t0) });
      return true;
    } catch (err) {
      this.#fail('tool', tool.contract, err, 'MC_ERR_TOOL_SETUP', t0);
      return false;
    }
  }

  #completionOrder(): LoadedTool[] {
    const ready = this.#tools.filter((t) => this.registry.status('tool', t.contract) !== 'failed');
    return ready.sort((a, b) => Number(a.contract === LAST_TO_COMPLETE) - Number(b.contract === LAST_TO_COMPLETE) || a.contract.localeCompare(b.contract));
  }

  #fail(kind: ReportItem['kind'], name: string, err: unknown, code: 'MC_ERR_PLUGIN_BOOT' | 'MC_ERR_TOOL_SETUP', t0?: number): void {
    const e = toMcError(err, code, name);
    this.registry.set(kind, name, { status: 'failed', reason: e.message, code: e.code, ...(t0 === undefined ? {} : { ms: ms(t0) }) });
    this.#log.error(e.message, { item: name, code: e.code });
  }

  #logFor(identity: string): KernelLog {
    return this.#logSource?.child?.(identity) ?? stderrLog(identity);
  }
}

const ms = (t0: number): number => Math.round(performance.now() - t0);
