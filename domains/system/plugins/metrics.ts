// GET /system/metrics: tool calls per plugin, tool and method — running totals
// and the most recent calls (?limit=N, default 100), newest first.
import type { Tools } from '../../../kernel/index.ts';

export class SystemMetricsPlugin {
  #http: Tools['http'];
  #system: Tools['system'];

  constructor({ http, system }: Tools) {
    this.#http = http;
    this.#system = system;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({ method: 'GET', path: '/system/metrics', summary: 'Tool call metrics per plugin, tool and method', tags: ['system'], handler: (req) => this.execute(Number(req.query.limit ?? 100)) });
  }

  async execute(limit: number) {
    return this.#system.metrics({ limit: Number.isSafeInteger(limit) && limit > 0 ? limit : 100 });
  }
}
