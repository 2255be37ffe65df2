// POST /users: creates a user. A taken email answers 409 (MC_ERR_DB_UNIQUE).
import { Type } from 'typebox';
import type { Tools, Wire } from '../../../kernel/index.ts';
import { USER_COLUMNS, USER_FIELDS, USER_SCHEMA } from '../schema.ts';

const NewUser = Type.Object(USER_FIELDS, { additionalProperties: false });

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
      body: NewUser,
      response: USER_SCHEMA,
      handler: (req) => this.execute(req.body),
    });
  }

  async execute(body: Wire<typeof NewUser>) {
    const { rows } = await this.#db.query({ sql: `INSERT INTO users (name, email) VALUES (?, ?) RETURNING ${USER_COLUMNS}`, params: [body.name, body.email] });
    await this.#logger.log({ message: 'user created', fields: { id: rows[0]!.id! } });
    return rows[0]!;
  }
}
