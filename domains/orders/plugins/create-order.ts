// POST /orders { sku, quantity, email }: asks inventory whether the stock
// suffices (bus request 'inventory.check'), writes the order, and announces
// 'order.created'; the reactions live in their own files (email, supplier here;
// the stock reservation in sidecars/inventory, the Go sidecar).
// Not enough stock answers 409 MC_ERR_CONFLICT.
import { Type } from 'typebox';
import { mcError, type Tools, type Wire } from '../../../kernel/index.ts';
import { InventoryCheck, OrderCreated } from '../topics.ts';

const NewOrder = Type.Object(
  { sku: Type.String({ minLength: 1 }), quantity: Type.Integer({ minimum: 1 }), email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' }) },
  { additionalProperties: false },
);
/** { sku: string; quantity: bigint; email: string }, as the handler gets it. */
export type NewOrder = Wire<typeof NewOrder>;

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
    // This plugin owns order.created: every hosting's publish of it is checked against its schema.
    await this.#bus.declareTopic({ topic: OrderCreated, summary: 'An order was placed (keyed by sku); the inventory reserves its stock.' });
    await this.#http.addEndpoint({
      method: 'POST',
      path: '/orders',
      summary: 'Place an order',
      successStatus: 201,
      body: NewOrder,
      handler: (req) => this.execute(req.body),
    });
  }

  async execute(order: NewOrder) {
    const check = await this.#bus.request({ topic: InventoryCheck, payload: { sku: order.sku, quantity: order.quantity } });
    const { available, stock } = check.payload;
    if (!available) throw mcError('MC_ERR_CONFLICT', `only ${stock} of '${order.sku}' in stock, ${order.quantity} ordered`, { sku: order.sku, stock: String(stock) });
    const { rows } = await this.#db.query({
      sql: 'INSERT INTO orders (sku, quantity, email) VALUES (?, ?, ?) RETURNING id, sku, quantity, email, status, created_at',
      params: [order.sku, order.quantity, order.email],
    });
    const created = rows[0]!;
    // Keyed by sku: reactions to orders of one product run in order.
    await this.#bus.publish({ topic: OrderCreated, key: order.sku, payload: { orderId: created.id!, sku: order.sku, quantity: order.quantity, email: order.email } });
    return created;
  }
}
