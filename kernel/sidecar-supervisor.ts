// Keeps sidecars running: one that exits while it should run is restarted after
// a backoff (doubling from restart.backoffMs up to 30 s), booted again (its
// subscriptions are dropped first; its routes stay and are replaced by the
// re-registration, answering 503 in between), and marked ready. More than
// restart.maxRestarts exits within restart.windowMs is a crash loop: it stays
// failed, with the reason. What go-plugin leaves to its host. An attached
// sidecar (manifest `address`) is not ours to restart: its connection is tried
// again on the same backoff until it is back or the kernel stops, since only
// whoever runs it can end a crash loop (restart.maxRestarts does not apply).
import { mcError, toMcError } from './errors.ts';
import type { KernelLog } from './log.ts';
import type { RestartPolicy } from './manifest.ts';
import type { Registry } from './registry.ts';
import type { SidecarHost } from './sidecar-host.ts';
import type { SubscriptionTable } from './subscription-table.ts';
import { withTimeout } from './durations.ts';
import { newTrace, runInTrace } from './trace.ts';

const MAX_BACKOFF_MS = 30_000;
// A signal sent to the whole process group (Ctrl-C in a terminal, a service
// manager's SIGTERM) reaches a sidecar and the kernel at once, and the sidecar
// may exit before the kernel's own handler starts the shutdown: an exit is judged
// after this grace, so such a stop is not reported as a crash.
const EXIT_GRACE_MS = 200;

export interface SupervisorDeps {
  registry: Registry;
  subscriptions: SubscriptionTable;
  log: KernelLog;
  stepMs: number;
  host(identity: string): SidecarHost | undefined;
  /** A new version of it is booting (hot-swap.ts): a restart now would register into it. */
  swapping(identity: string): boolean;
}

export class SidecarSupervisor {
  #deps: SupervisorDeps;
  #exits = new Map<string, number[]>();
  #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
  }

  /**
   * A sidecar exited while it should run: after a grace, mark it dead, then
   * restart it or give up. Only while `host` is the one the kernel runs under its
   * identity: a version replaced by a hot swap is not restarted.
   */
  exited(host: SidecarHost, policy: RestartPolicy, reason: string, attached = false): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopped) this.#judge(host, policy, reason, attached);
    }, EXIT_GRACE_MS);
    this.#timers.add(timer);
  }

  #judge(host: SidecarHost, policy: RestartPolicy, reason: string, attached: boolean): void {
    const { registry, log } = this.#deps;
    const identity = host.identity;
    const current = this.#deps.host(identity);
    if (current && current !== host) return;
    const down = mcError('MC_ERR_SIDECAR_DOWN', reason, { plugin: identity });
    registry.set('sidecar', identity, { status: 'dead', reason: down.message, code: down.code });
    log.error(reason, { plugin: identity });
    if (this.#stopped || policy.policy === 'never') return;
    const now = Date.now();
    const recent = [...(this.#exits.get(identity) ?? []), now].filter((t) => now - t <= policy.windowMs);
    this.#exits.set(identity, recent);
    if (!attached && recent.length > policy.maxRestarts) {
      const loop = mcError('MC_ERR_SIDECAR_DOWN', `${identity} exited ${recent.length} times within ${policy.windowMs} ms (restart.maxRestarts ${policy.maxRestarts}), so it is not restarted again; last: ${reason}`, { plugin: identity }, undefined, 'Fix the crash (its last stderr lines are above), then restart the kernel.');
      registry.set('sidecar', identity, { status: 'failed', reason: loop.message, code: loop.code });
      log.error(loop.message, { plugin: identity });
      return;
    }
    const delay = Math.min(policy.backoffMs * 2 ** (recent.length - 1), MAX_BACKOFF_MS);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#restart(host, policy, attached, delay);
    }, delay);
    this.#timers.add(timer);
    if (attached) log.warn(`reconnecting to ${identity} in ${delay} ms`, { plugin: identity });
    else log.warn(`restarting ${identity} in ${delay} ms (restart ${recent.length} of at most ${policy.maxRestarts} within ${policy.windowMs} ms)`, { plugin: identity });
  }

  async #restart(host: SidecarHost, policy: RestartPolicy, attached: boolean, delay: number): Promise<void> {
    const identity = host.identity;
    if (this.#stopped || this.#deps.host(identity) !== host) return;
    if (this.#deps.swapping(identity)) {
      // Its new version may take over; if it is refused, this one is restarted after all.
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        void this.#restart(host, policy, attached, delay);
      }, delay);
      this.#timers.add(timer);
      return;
    }
    const { registry, subscriptions, log, stepMs } = this.#deps;
    try {
      // Its old handler ids die with the old process; onBoot subscribes afresh.
      subscriptions.removeOwner(identity);
      await withTimeout(stepMs + 15_000, `restarting ${identity}`, () => host.start());
      await runInTrace(newTrace(), () => withTimeout(stepMs, `${identity} onBoot`, () => host.boot()));
      registry.set('sidecar', identity, { status: 'ready', reason: undefined, code: undefined, restarts: (registry.get('sidecar', identity)?.restarts ?? 0) + 1 });
      log.info(`${attached ? 'reconnected to' : 'restarted'} ${identity}`, { plugin: identity });
    } catch (err) {
      await host.shutdown();
      this.#judge(host, policy, `${identity} failed to ${attached ? 'reconnect' : 'restart'}: ${toMcError(err, 'MC_ERR_SIDECAR_HANDSHAKE', identity).message}`, attached);
    }
  }

  /** No more restarts: the kernel is shutting down. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
