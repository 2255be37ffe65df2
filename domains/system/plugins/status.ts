// GET /system/status: every tool and plugin with its status and, when it is not
// ready, the reason (the boot report, live); which kernel answered, and the
// kernels sharing its database (the cluster's members). Each plugin lists its
// wiring, for a graph: routes, subscribes, answers, publishes, and a sidecar's
// restarts (proto/microcore/v1/system.proto, StatusItem).
import type { Tools } from '../../../kernel/index.ts';

export class SystemStatusPlugin {
  #http: Tools['http'];
  #system: Tools['system'];

  constructor({ http, system }: Tools) {
    this.#http = http;
    this.#system = system;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({ method: 'GET', path: '/system/status', summary: 'Every tool and plugin with its status and reason', tags: ['system'], handler: () => this.execute() });
  }

  execute() {
    return statusBody(this.#system);
  }
}

/** The /system/status body: tools and plugins apart. */
export async function statusBody(system: Tools['system']) {
  const { items, kernel, members } = await system.status();
  return { kernel, members, tools: items.filter((i) => i.kind === 'tool'), plugins: items.filter((i) => i.kind !== 'tool') };
}
