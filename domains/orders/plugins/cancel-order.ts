// POST /orders/:id/cancel: marks a placed order cancelled and announces
// 'order.cancelled' { orderId, sku, quantity } (keyed by sku, like
// order.created, so the inventory sidecar handles the two in order and gives
// the reserved stock back). 404 MC_ERR_NOT_FOUND for an unknown order, 409
// MC_ERR_CONFLICT for one already cancelled or rejected.
import { Type } from 'typebox';
import { mcError, type Tools } from '../../../kernel/index.ts';
import { OrderCancelled } from '../topics.ts';

export class CancelOrderPlugin {
  #http: Tools['http'];
  #db: Tools['db'];
  #bus: Tools['bus'];

  constructor({ http, db, bus }: Tools) {
    this.#http = http;
    this.#db = db;
    this.#bus = bus;
  }

  async onBoot(): Promise<void> {
    await this.#bus.declareTopic({ topic: OrderCancelled, summary: 'A placed order was cancelled (keyed by sku); the inventory gives its stock back.' });
    await this.#http.addEndpoint({
      method: 'POST',
      path: '/orders/:id/cancel',
      params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      summary: 'Cancel an order; its reserved stock is released',
      handler: (req) => this.execute(req.params.id),
    });
  }

  async execute(id: bigint) {
    // One statement decides: only a placed order changes, so two cancels race to one winner.
    const { rows } = await this.#db.query({
      sql: "UPDATE orders SET status = 'cancelled' WHERE id = ? AND status = 'placed' RETURNING id, sku, quantity, email, status, created_at",
      params: [id],
    });
    const cancelled = rows[0];
    if (!cancelled) {
      const { found, row } = await this.#db.queryOne({ sql: 'SELECT status FROM orders WHERE id = ?', params: [id] });
      if (!found) throw mcError('MC_ERR_NOT_FOUND', `no order with id ${id}`, { id: String(id) });
      throw mcError('MC_ERR_CONFLICT', `order ${id} is ${String(row!.status)}; only a placed order can be cancelled`, { id: String(id), status: String(row!.status) });
    }
    await this.#bus.publish({ topic: OrderCancelled, key: String(cancelled.sku), payload: { orderId: cancelled.id!, sku: cancelled.sku!, quantity: cancelled.quantity! } });
    return cancelled;
  }
}
