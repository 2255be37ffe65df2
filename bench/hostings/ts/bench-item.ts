// The bench endpoint, native hosting (bench/hostings.ts): GET /bench/ts/item/:id
// reads one row with db.queryOne and answers it as JSON. ?calls=K makes the same
// query K times (the last answers), so the bench can price one tool call.
// Its twins are ../go (sidecar and wasm) and ../rust (wasm and sidecar).
import { mcError, type Tools } from '../../../kernel/index.ts';

const HOSTING = 'ts';
const MAX_CALLS = 100;

export class BenchItemPlugin {
  #http: Tools['http'];
  #db: Tools['db'];

  constructor({ http, db }: Tools) {
    this.#http = http;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({ method: 'GET', path: `/bench/${HOSTING}/item/:id`, summary: 'One bench item (?calls=K: read it K times)', handler: (req) => this.item(req.params.id!, req.query.calls) });
  }

  async item(id: string, calls = '1') {
    const k = Number(calls);
    if (!Number.isInteger(k) || k < 1 || k > MAX_CALLS) throw mcError('MC_ERR_INVALID_ARGUMENT', `GET /bench/${HOSTING}/item/:id: calls must be a whole number from 1 to ${MAX_CALLS} (received '${calls}')`, { field: 'calls' });
    let one = await this.#db.queryOne({ sql: 'SELECT id, name, price FROM bench_items WHERE id = ?', params: [id] });
    for (let i = 1; i < k; i++) one = await this.#db.queryOne({ sql: 'SELECT id, name, price FROM bench_items WHERE id = ?', params: [id] });
    if (!one.found) throw mcError('MC_ERR_NOT_FOUND', `no bench item with id ${id}`, { id });
    return one.row;
  }
}
