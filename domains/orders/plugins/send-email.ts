// Reacts to 'order.created' by writing the customer's confirmation to the outbox.
import type { Tools, Wire } from '../../../kernel/index.ts';
import { OrderCreated } from '../topics.ts';

export class SendEmailPlugin {
  #bus: Tools['bus'];
  #db: Tools['db'];

  constructor({ bus, db }: Tools) {
    this.#bus = bus;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#bus.subscribe({ topic: OrderCreated, handler: (event) => this.execute(event.payload) });
  }

  async execute(order: Wire<typeof OrderCreated.payload>) {
    const body = `Thank you for your order #${order.orderId}: ${order.quantity} × ${order.sku}.`;
    await this.#db.execute({ sql: "INSERT INTO outbox (order_id, channel, recipient, body) VALUES (?, 'email', ?, ?)", params: [order.orderId, order.email, body] });
    return null;
  }
}
