// GET /users/:id: one user, or 404 (MC_ERR_NOT_FOUND).
import { mcError, type Tools } from '../../../kernel/index.ts';
import { USER_COLUMNS, USER_ID, USER_SCHEMA } from '../schema.ts';

export class GetUserPlugin {
  #http: Tools['http'];
  #db: Tools['db'];

  constructor({ http, db }: Tools) {
    this.#http = http;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({
      method: 'GET',
      path: '/users/:id',
      params: USER_ID,
      summary: 'Get a user',
      response: USER_SCHEMA,
      handler: (req) => this.execute(req.params.id),
    });
  }

  async execute(id: bigint) {
    const { found, row } = await this.#db.queryOne({ sql: `SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, params: [id] });
    if (!found) throw mcError('MC_ERR_NOT_FOUND', `no user with id ${id}`, { id: String(id) });
    return row;
  }
}
