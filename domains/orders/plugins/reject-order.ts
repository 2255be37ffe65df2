// Reacts to 'order.rejected' { orderId, sku, quantity, reason } (the inventory
// sidecar could not reserve the stock: another order took it between the
// check and the reservation) by marking the placed order 'rejected'. Applying
// it twice changes nothing, so the sidecar may announce it again.
import type { Tools } from '../../../kernel/index.ts';
import { OrderRejected } from '../topics.ts';

export class RejectOrderPlugin {
  #bus: Tools['bus'];
  #db: Tools['db'];

  constructor({ bus, db }: Tools) {
    this.#bus = bus;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#bus.subscribe({ topic: OrderRejected, handler: (event) => this.execute(event.payload) });
  }

  async execute({ orderId }: { orderId: bigint }) {
    await this.#db.execute({ sql: "UPDATE orders SET status = 'rejected' WHERE id = ? AND status = 'placed'", params: [orderId] });
    return null;
  }
}
