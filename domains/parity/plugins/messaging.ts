// The parity bus calls, native hosting: the same subscriptions, publishes and
// requests as sidecars/parity-go and wasm-plugins/parity-rust make under their
// own names, so a test can send requests across every pair of hostings and see
// every hosting react to one broadcast.
import type { Tools } from '../../../kernel/index.ts';
import { PARITY_BIG, PARITY_BYTES, PARITY_TEXT } from './values.ts';

const HOSTING = 'ts';

export class ParityMessagingPlugin {
  #http: Tools['http'];
  #db: Tools['db'];
  #bus: Tools['bus'];

  constructor({ http, db, bus }: Tools) {
    this.#http = http;
    this.#db = db;
    this.#bus = bus;
  }

  async onBoot(): Promise<void> {
    // Answers requests with the payload, unchanged.
    await this.#bus.subscribe({ topic: `parity.${HOSTING}.echo`, handler: (event) => event.payload });
    // Every hosting hears every broadcast and records who sent it.
    await this.#bus.subscribe({
      topic: 'parity.broadcast',
      broadcast: true,
      handler: async (event) => {
        await this.#db.execute({ sql: 'INSERT INTO parity_items (hosting, text) VALUES (?, ?)', params: [HOSTING, `event:${event.source}`] });
        return null;
      },
    });
    await this.#http.addEndpoint({ method: 'POST', path: `/parity/${HOSTING}/publish`, handler: () => this.#bus.publish({ topic: 'parity.broadcast', payload: { from: HOSTING } }) });
    await this.#http.addEndpoint({ method: 'POST', path: `/parity/${HOSTING}/request/:to`, handler: (req) => this.request(req.params.to!) });
  }

  async request(to: string) {
    const payload = { big: PARITY_BIG, blob: PARITY_BYTES, absent: null, text: PARITY_TEXT, from: HOSTING };
    const reply = await this.#bus.request({ topic: `parity.${to}.echo`, payload, timeoutMs: 2000 });
    return reply.payload;
  }
}
