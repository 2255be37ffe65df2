// DELETE /users/:id: removes a user; 404 when absent.
import { Type } from 'typebox';
import { mcError, type Tools } from '../../../kernel/index.ts';
import { USER_ID } from '../schema.ts';

export class DeleteUserPlugin {
  #http: Tools['http'];
  #db: Tools['db'];

  constructor({ http, db }: Tools) {
    this.#http = http;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({
      method: 'DELETE',
      path: '/users/:id',
      params: USER_ID,
      summary: 'Delete a user',
      response: Type.Object({ deleted: Type.Integer() }),
      handler: (req) => this.execute(req.params.id),
    });
  }

  async execute(id: bigint) {
    const { changes } = await this.#db.execute({ sql: 'DELETE FROM users WHERE id = ?', params: [id] });
    if (changes === 0n) throw mcError('MC_ERR_NOT_FOUND', `no user with id ${id}`, { id: String(id) });
    return { deleted: id };
  }
}
