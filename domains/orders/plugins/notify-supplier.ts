// Reacts to 'order.created' by telling the product's supplier what was sold.
import type { Tools, Wire } from '../../../kernel/index.ts';
import { OrderCreated } from '../topics.ts';

export class NotifySupplierPlugin {
  #bus: Tools['bus'];
  #db: Tools['db'];
  #config: Tools['config'];

  constructor({ bus, db, config }: Tools) {
    this.#bus = bus;
    this.#db = db;
    this.#config = config;
  }

  async onBoot(): Promise<void> {
    await this.#bus.subscribe({ topic: OrderCreated, handler: (event) => this.execute(event.payload) });
  }

  async execute(order: Wire<typeof OrderCreated.payload>) {
    const { value: supplier } = await this.#config.get({ key: 'SUPPLIER_EMAIL', defaultValue: 'supplier@example.org' });
    const body = `Sold ${order.quantity} × ${order.sku} (order #${order.orderId}).`;
    await this.#db.execute({ sql: "INSERT INTO outbox (order_id, channel, recipient, body) VALUES (?, 'supplier', ?, ?)", params: [order.orderId, supplier, body] });
    return null;
  }
}
