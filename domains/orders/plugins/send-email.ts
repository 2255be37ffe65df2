// Reacts to 'order.created' by writing the customer's confirmation to the outbox.
import type { Tools } from '../../../kernel/index.ts';

interface OrderCreated {
  orderId: bigint;
  sku: string;
  quantity: bigint;
  email: string;
}

export class SendEmailPlugin {
  #bus: Tools['bus'];
  #db: Tools['db'];

  constructor({ bus, db }: Tools) {
    this.#bus = bus;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#bus.subscribe({ topic: 'order.created', handler: (event) => this.execute(event.payload as unknown as OrderCreated) });
  }

  async execute(order: OrderCreated) {
    const body = `Thank you for your order #${order.orderId}: ${order.quantity} × ${order.sku}.`;
    await this.#db.execute({ sql: "INSERT INTO outbox (order_id, channel, recipient, body) VALUES (?, 'email', ?, ?)", params: [order.orderId, order.email, body] });
    return null;
  }
}
