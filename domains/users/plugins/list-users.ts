// GET /users: every user, oldest first.
import { Type } from 'typebox';
import type { Tools } from '../../../kernel/index.ts';
import { USER_COLUMNS, USER_SCHEMA } from '../schema.ts';

export class ListUsersPlugin {
  #http: Tools['http'];
  #db: Tools['db'];

  constructor({ http, db }: Tools) {
    this.#http = http;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({
      method: 'GET',
      path: '/users',
      summary: 'List users',
      response: Type.Object({ users: Type.Array(USER_SCHEMA) }),
      handler: () => this.execute(),
    });
  }

  async execute() {
    const { rows } = await this.#db.query({ sql: `SELECT ${USER_COLUMNS} FROM users ORDER BY id` });
    return { users: rows };
  }
}
