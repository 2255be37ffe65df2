// GET /health: readiness. 503 while a tool some plugin needs is failed or dead,
// so a load balancer stops sending traffic that could only fail.
import { reply, type Tools } from '../../../kernel/index.ts';

export class HealthPlugin {
  #http: Tools['http'];
  #system: Tools['system'];

  constructor({ http, system }: Tools) {
    this.#http = http;
    this.#system = system;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({ method: 'GET', path: '/health', summary: 'Readiness: 503 while a needed tool is down', tags: ['system'], handler: () => this.execute() });
  }

  async execute() {
    const { items } = await this.#system.status();
    const needed = new Set(items.filter((i) => i.kind !== 'tool').flatMap((i) => i.needs));
    const down = items.filter((i) => i.kind === 'tool' && needed.has(i.name) && (i.status === 'failed' || i.status === 'dead'));
    const body = { status: down.length ? 'unavailable' : 'ready', down: down.map((t) => ({ tool: t.name, status: t.status, reason: t.reason })) };
    return down.length ? reply(503, body) : body;
  }
}
