// POST /users: creates a user. A taken email answers 409 (MC_ERR_DB_UNIQUE).
import type { Tools } from '../../../kernel/index.ts';
import { USER_COLUMNS, USER_FIELDS, USER_SCHEMA } from '../schema.ts';

export class CreateUserPlugin {
  #http: Tools['http'];
  #db: Tools['db'];
  #logger: Tools['logger'];

  constructor({ http, db, logger }: Tools) {
    this.#http = http;
    this.#db = db;
    this.#logger = logger;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({
      method: 'POST',
      path: '/users',
      summary: 'Create a user',
      successStatus: 201,
      bodySchemaJson: JSON.stringify({ type: 'object', properties: USER_FIELDS, required: ['name', 'email'], additionalProperties: false }),
      responseSchemaJson: JSON.stringify(USER_SCHEMA),
      handler: (req) => this.execute(req.body as { name: string; email: string }),
    });
  }

  async execute(body: { name: string; email: string }) {
    const { rows } = await this.#db.query({ sql: `INSERT INTO users (name, email) VALUES (?, ?) RETURNING ${USER_COLUMNS}`, params: [body.name, body.email] });
    await this.#logger.log({ message: 'user created', fields: { id: rows[0]!.id! } });
    return rows[0]!;
  }
}
