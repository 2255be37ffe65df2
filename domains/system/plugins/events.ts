// GET /system/events: every topic with its subscribers, its recent publishers and
// how often it fired.
import type { Tools } from '../../../kernel/index.ts';

export class SystemEventsPlugin {
  #http: Tools['http'];
  #system: Tools['system'];

  constructor({ http, system }: Tools) {
    this.#http = http;
    this.#system = system;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({ method: 'GET', path: '/system/events', summary: 'The event topology', tags: ['system'], handler: () => this.#system.events() });
  }
}
