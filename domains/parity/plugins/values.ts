// The parity endpoints, native hosting: the same calls, with the same values, as
// sidecars/parity-go and wasm-plugins/parity-rust, so a test can compare what
// each hosting sends and gets back. The twins' /denied endpoint has no native
// counterpart: a native plugin holds only the tools it destructured, and reading
// any other from its tools object throws MC_ERR_CAP_DENIED (kernel tests).
import { mcError, type Tools } from '../../../kernel/index.ts';

const HOSTING = 'ts';
export const PARITY_TEXT = 'héllo wörld ✓ 日本語 🚀';
export const PARITY_BIG = 9007199254740993n;
export const PARITY_BYTES = new Uint8Array([0x00, 0xff, 0x10, 0x80]);
const MAX_BLOB_KIB = 65_536;

export class ParityValuesPlugin {
  #http: Tools['http'];
  #db: Tools['db'];
  #logger: Tools['logger'];

  constructor({ http, db, logger }: Tools) {
    this.#http = http;
    this.#db = db;
    this.#logger = logger;
  }

  async onBoot(): Promise<void> {
    const base = `/parity/${HOSTING}`;
    await this.#http.addEndpoint({ method: 'POST', path: `${base}/values`, handler: () => this.values() });
    await this.#http.addEndpoint({ method: 'POST', path: `${base}/tx-fail`, handler: () => this.txFail() });
    await this.#http.addEndpoint({ method: 'GET', path: `${base}/bad-sql`, handler: () => this.#db.query({ sql: 'SELEC 1' }) });
    await this.#http.addEndpoint({ method: 'GET', path: `${base}/count`, handler: () => this.count() });
    await this.#http.addEndpoint({ method: 'POST', path: `${base}/execute`, handler: () => this.execute() });
    await this.#http.addEndpoint({ method: 'POST', path: `${base}/unique`, handler: () => this.unique() });
    await this.#http.addEndpoint({ method: 'GET', path: `${base}/blob/:kib`, handler: (req) => this.blob(Number(req.params.kib), req.query.echo === '2') });
  }

  /** A zero-filled blob of `kib` KiB through the db tool; for the message size limit in the other hostings. */
  async blob(kib: number, twice: boolean) {
    if (!Number.isInteger(kib) || kib < 0 || kib > MAX_BLOB_KIB) throw mcError('MC_ERR_INVALID_ARGUMENT', `GET /parity/${HOSTING}/blob/:kib takes a whole number of KiB from 0 to ${MAX_BLOB_KIB}`, { field: 'kib' });
    const { row } = await this.#db.queryOne({ sql: 'SELECT zeroblob(? * 1024) AS b', params: [kib] });
    return twice ? { b: row!.b!, c: row!.b! } : { bytes: (row!.b as Uint8Array).length };
  }

  async values() {
    const { results } = await this.#db.transaction({
      statements: [
        { sql: 'INSERT INTO parity_items (hosting, big, blob, absent, text) VALUES (?, ?, ?, ?, ?)', params: [HOSTING, PARITY_BIG, PARITY_BYTES, null, PARITY_TEXT] },
        { sql: 'SELECT hosting, big, blob, absent, text FROM parity_items WHERE id = last_insert_rowid()' },
      ],
    });
    await this.#logger.log({ message: 'parity values written', fields: { hosting: HOSTING } });
    return results[1]!.rows[0]!;
  }

  async txFail() {
    return this.#db.transaction({
      statements: [
        { sql: "INSERT INTO parity_items (hosting, text) VALUES (?, 'tx-fail')", params: [HOSTING] },
        { sql: 'INSERT INTO parity_missing_table (x) VALUES (1)' },
      ],
    });
  }

  async execute() {
    return this.#db.execute({ sql: "INSERT INTO parity_items (hosting, text) VALUES (?, 'execute')", params: [HOSTING] });
  }

  /** Inserts this hosting's row twice: the second is a unique violation, passed on unchanged. */
  async unique() {
    const insert = { sql: 'INSERT INTO parity_unique (hosting) VALUES (?)', params: [HOSTING] };
    await this.#db.execute(insert);
    return this.#db.execute(insert);
  }

  async count() {
    const { row } = await this.#db.queryOne({ sql: 'SELECT COUNT(*) AS n FROM parity_items WHERE hosting = ?', params: [HOSTING] });
    return { n: row?.n ?? 0n };
  }
}
