// GET /ping: the cheapest endpoint a plugin can have, to measure what the kernel
// itself costs per request (bench/http-ping.ts).
import type { Tools } from '../../kernel/index.ts';

export class PingPlugin {
  #http: Tools['http'];

  constructor({ http }: Tools) {
    this.#http = http;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({ method: 'GET', path: '/ping', summary: 'Answers {"pong":true}', handler: () => ({ pong: true }) });
  }
}
