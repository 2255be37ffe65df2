// POST /orders { sku, quantity, email }: asks inventory whether the stock
// suffices (bus request 'inventory.check'), writes the order, and announces
// 'order.created'; the reactions live in their own files (email, supplier here;
// the stock reservation in sidecars/inventory, the Go sidecar).
// Not enough stock answers 409 MC_ERR_CONFLICT.
import { mcError, type Tools } from '../../../kernel/index.ts';

export interface NewOrder {
  sku: string;
  quantity: bigint;
  email: string;
}

export class CreateOrderPlugin {
  #http: Tools['http'];
  #db: Tools['db'];
  #bus: Tools['bus'];

  constructor({ http, db, bus }: Tools) {
    this.#http = http;
    this.#db = db;
    this.#bus = bus;
  }

  async onBoot(): Promise<void> {
    // This plugin owns order.created: every hosting's publish of it is checked against this.
    await this.#bus.declareTopic({
      topic: 'order.created',
      summary: 'An order was placed (keyed by sku); the inventory reserves its stock.',
      payloadSchemaJson: JSON.stringify({
        type: 'object',
        properties: { orderId: { type: 'integer' }, sku: { type: 'string', minLength: 1 }, quantity: { type: 'integer', minimum: 1 }, email: { type: 'string' } },
        required: ['orderId', 'sku', 'quantity', 'email'],
      }),
      replySchemaJson: '',
    });
    await this.#http.addEndpoint({
      method: 'POST',
      path: '/orders',
      summary: 'Place an order',
      successStatus: 201,
      bodySchemaJson: JSON.stringify({
        type: 'object',
        properties: { sku: { type: 'string', minLength: 1 }, quantity: { type: 'integer', minimum: 1 }, email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' } },
        required: ['sku', 'quantity', 'email'],
        additionalProperties: false,
      }),
      handler: (req) => this.execute(req.body as unknown as NewOrder),
    });
  }

  async execute(order: NewOrder) {
    const check = await this.#bus.request({ topic: 'inventory.check', payload: { sku: order.sku, quantity: order.quantity } });
    const { available, stock } = check.payload as { available: boolean; stock: bigint };
    if (!available) throw mcError('MC_ERR_CONFLICT', `only ${stock} of '${order.sku}' in stock, ${order.quantity} ordered`, { sku: order.sku, stock: String(stock) });
    const { rows } = await this.#db.query({
      sql: 'INSERT INTO orders (sku, quantity, email) VALUES (?, ?, ?) RETURNING id, sku, quantity, email, status, created_at',
      params: [order.sku, order.quantity, order.email],
    });
    const created = rows[0]!;
    // Keyed by sku: reactions to orders of one product run in order.
    await this.#bus.publish({ topic: 'order.created', key: order.sku, payload: { orderId: created.id!, sku: order.sku, quantity: order.quantity, email: order.email } });
    return created;
  }
}
