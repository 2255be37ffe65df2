// PUT /users/:id: changes a user's name and/or email; 404 when absent, 409
// (MC_ERR_DB_UNIQUE) when the email is taken.
import { Type } from 'typebox';
import { mcError, type Tools, type Wire } from '../../../kernel/index.ts';
import { USER_COLUMNS, USER_FIELDS, USER_ID, USER_SCHEMA } from '../schema.ts';

/** name, email or both. */
const UserChanges = Type.Object({ name: Type.Optional(USER_FIELDS.name), email: Type.Optional(USER_FIELDS.email) }, { minProperties: 1, additionalProperties: false });

export class UpdateUserPlugin {
  #http: Tools['http'];
  #db: Tools['db'];

  constructor({ http, db }: Tools) {
    this.#http = http;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({
      method: 'PUT',
      path: '/users/:id',
      params: USER_ID,
      summary: 'Update a user',
      body: UserChanges,
      response: USER_SCHEMA,
      handler: (req) => this.execute(req.params.id, req.body),
    });
  }

  async execute(id: bigint, body: Wire<typeof UserChanges>) {
    const { rows } = await this.#db.query({
      sql: `UPDATE users SET name = coalesce(?, name), email = coalesce(?, email) WHERE id = ? RETURNING ${USER_COLUMNS}`,
      params: [body.name ?? null, body.email ?? null, id],
    });
    if (rows.length === 0) throw mcError('MC_ERR_NOT_FOUND', `no user with id ${id}`, { id: String(id) });
    return rows[0]!;
  }
}
