// Hot reload of one plugin in the running kernel (`microcore dev`): a changed,
// added or removed plugin is swapped alone; the kernel and every other plugin
// keep running. A new version boots beside the old one, its endpoints,
// subscriptions and topic declarations held back (RouteTable and
// SubscriptionTable `stage`); once it booted, one synchronous step makes it the
// one served — routes, subscriptions and the host the kernel invokes — so a
// request or event is handled by the old version or the new, never both and
// never neither. Calls the old version had already taken finish; then it stops.
// Which native plugins a change touches: those whose module is, or imports, a
// changed file (module-generations.ts).
// A new version that fails to load or boot is dropped and the old one keeps
// serving, its status saying why.
import { getBuildFailure, markFailedBuilds } from './build-record.ts';
import { discover, type DiscoveredPlugin } from './discovery.ts';
import { mcError, toMcError } from './errors.ts';
import { bumpVersions, moduleGenerationsEnabled } from './module-generations.ts';
import type { KernelLog } from './log.ts';
import type { LoadedPlugin } from './plugin-loader.ts';
import type { PluginHost } from './plugin-host.ts';
import type { Registry } from './registry.ts';
import type { RouteTable } from './route-table.ts';
import type { SubscriptionTable } from './subscription-table.ts';
import { withTimeout } from './durations.ts';
import { newTrace, runInTrace } from './trace.ts';
import { join } from 'node:path';
import { realpathSync } from 'node:fs';

export interface SwapDeps {
  root: string;
  registry: Registry;
  routes: RouteTable;
  subscriptions: SubscriptionTable;
  /** The running hosts by identity: the kernel's own map, changed in place. */
  hosts: Map<string, PluginHost>;
  stepMs: number;
  log(): KernelLog;
  load(p: DiscoveredPlugin): Promise<LoadedPlugin>;
}

export interface SwapOutcome {
  identity: string;
  change: 'added' | 'reloaded' | 'removed';
  ok: boolean;
  /** Why the new version was refused (the old one, if any, keeps serving). */
  reason?: string;
  ms: number;
}

export class HotSwap {
  #d: SwapDeps;
  #turn: Promise<unknown> = Promise.resolve();
  #swapping?: string;
  #stopped = false;

  constructor(deps: SwapDeps) {
    this.#d = deps;
  }

  /** Whether a new version of `identity` is booting beside the old one now. */
  swapping(identity: string): boolean {
    return this.#swapping === identity;
  }

  /** No swap after this one: the kernel is shutting down. Resolves once the swap under way (if any) is done. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#turn;
  }

  /**
   * Swaps every plugin the changed files (relative to the root) touch: a plugin
   * whose file or folder holds one, or whose modules import one, is reloaded, a
   * new one is added, one whose file is gone is removed. Changes take turns.
   */
  apply(changed: readonly string[]): Promise<SwapOutcome[]> {
    if (!moduleGenerationsEnabled()) return Promise.reject(mcError('MC_ERR_INTERNAL', 'this kernel was not made reloadable (KernelOptions.reloadable): a native plugin would be imported from the module cache, unchanged', {}));
    const run = this.#turn.then(() => this.#apply(changed));
    this.#turn = run.catch(() => undefined);
    return run;
  }

  async #apply(changed: readonly string[]): Promise<SwapOutcome[]> {
    const { root, hosts, registry } = this.#d;
    const paths = changed.map((f) => join(root, f));
    // Every module that is, or imports, a changed file gets a new version.
    const bumped = bumpVersions(paths.flatMap((path) => [path, realpath(path)]));
    const found = discover(root).plugins.filter((p) => !p.refused);
    const known = new Set(registry.list().filter((i) => i.kind !== 'tool').map((i) => i.name));
    const outcomes: SwapOutcome[] = [];
    for (const p of found) {
      if (this.#stopped) break;
      if (!known.has(p.identity)) outcomes.push(await this.#swap(p, 'added'));
      else if (this.#touches(p, paths, bumped)) outcomes.push(await this.#swap(p, 'reloaded'));
    }
    const present = new Set(found.map((p) => p.identity));
    for (const identity of [...hosts.keys()].filter((id) => !present.has(id) && !this.#stopped)) outcomes.push(await this.#remove(identity));
    return outcomes;
  }

  #touches(p: DiscoveredPlugin, paths: readonly string[], bumped: ReadonlySet<string>): boolean {
    const { root } = this.#d;
    if (p.kind !== 'native') return paths.some((path) => path.startsWith(join(root, p.dir) + '/'));
    return bumped.has(join(root, p.file)) || bumped.has(realpath(join(root, p.file)));
  }

  async #swap(p: DiscoveredPlugin, change: 'added' | 'reloaded'): Promise<SwapOutcome> {
    const { routes, subscriptions, hosts, registry, stepMs } = this.#d;
    const t0 = performance.now();
    const old = hosts.get(p.identity);
    // Its build failed (`microcore build` left a record): what runs stays, marked failed with the build's output.
    if (getBuildFailure(this.#d.root, p.identity)) {
      if (!registry.get(p.kind, p.identity)) registry.add({ kind: p.kind, name: p.identity, source: p.file, status: 'failed', needs: [] });
      markFailedBuilds(this.#d.root, registry, [p], (identity) => hosts.has(identity));
      return { identity: p.identity, change, ok: false, reason: registry.get(p.kind, p.identity)!.reason, ms: ms(t0) };
    }
    this.#swapping = p.identity;
    routes.stage(p.identity);
    subscriptions.stage(p.identity);
    // From now on what the old version registers would land in the new one's staging: it may add no handler.
    old?.retire?.(true);
    let host: PluginHost | undefined;
    let loaded: LoadedPlugin;
    try {
      loaded = await this.#d.load(p);
      host = loaded.host;
      await withTimeout(stepMs + (p.kind === 'sidecar' ? 15_000 : 0), `starting ${p.identity} (${p.file})`, () => host!.start());
      await runInTrace(newTrace(), () => withTimeout(stepMs, `${p.identity} onBoot`, () => host!.boot()));
      if (this.#stopped) throw mcError('MC_ERR_PLUGIN_BOOT', `${p.identity}: the kernel is shutting down`, { plugin: p.identity });
    } catch (err) {
      this.#swapping = undefined;
      routes.discard(p.identity);
      subscriptions.discard(p.identity);
      old?.retire?.(false);
      if (host) await this.#stop(host, 'new version');
      const e = toMcError(err, 'MC_ERR_PLUGIN_BOOT', p.identity);
      const reason = old ? `a new version failed to boot; the previous one keeps serving: ${e.message}` : e.message;
      if (old) registry.set(p.kind, p.identity, { reason, code: e.code });
      else registry.add({ kind: p.kind, name: p.identity, source: p.file, status: 'failed', reason, code: e.code, needs: [] });
      this.#d.log().error(`${p.identity}: ${reason}`, { plugin: p.identity, code: e.code });
      return { identity: p.identity, change, ok: false, reason, ms: ms(t0) };
    }
    // The swap itself: one synchronous step, nothing else runs in between.
    routes.commit(p.identity);
    subscriptions.commit(p.identity);
    hosts.set(p.identity, host);
    this.#swapping = undefined;
    registry.add({ kind: p.kind, name: p.identity, source: p.file, status: 'ready', needs: loaded.needs, language: loaded.language, ms: ms(t0) });
    // Reported once served: a route the new version added is in the router.
    await routes.settled();
    if (old) await this.#retire(old);
    this.#d.log().info(`${p.identity} ${change} in ${ms(t0)} ms`, { plugin: p.identity });
    return { identity: p.identity, change, ok: true, ms: ms(t0) };
  }

  /** A version going away: calls it already took finish (within the step limit), then it stops. */
  async #retire(old: PluginHost): Promise<void> {
    await withTimeout(this.#d.stepMs, `${old.identity}'s previous version finishing its calls`, () => old.idle?.() ?? Promise.resolve()).catch((err) => this.#d.log().warn((err as Error).message, { plugin: old.identity }));
    await this.#stop(old, 'previous version');
  }

  async #stop(host: PluginHost, which: string): Promise<void> {
    await withTimeout(this.#d.stepMs, `${host.identity}'s ${which} shutdown`, () => host.shutdown()).catch((err) => this.#d.log().error((err as Error).message, { plugin: host.identity }));
  }

  async #remove(identity: string): Promise<SwapOutcome> {
    const t0 = performance.now();
    const host = this.#d.hosts.get(identity)!;
    // Nothing new reaches it (its queued events move on or are dead-lettered); what it took finishes.
    this.#d.hosts.delete(identity);
    this.#d.routes.removeOwner(identity);
    this.#d.subscriptions.removeOwner(identity);
    await this.#retire(host);
    this.#d.registry.set(host.hosting, identity, { status: 'stopped', reason: 'its file was removed' });
    this.#d.log().info(`${identity} removed`, { plugin: identity });
    return { identity, change: 'removed', ok: true, ms: ms(t0) };
  }
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

const ms = (t0: number): number => Math.round(performance.now() - t0);
