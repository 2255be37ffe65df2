// Reacts to 'order.created' by telling the product's supplier what was sold.
import type { Tools } from '../../../kernel/index.ts';

interface OrderCreated {
  orderId: bigint;
  sku: string;
  quantity: bigint;
}

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
    await this.#bus.subscribe({ topic: 'order.created', handler: (event) => this.execute(event.payload as unknown as OrderCreated) });
  }

  async execute(order: OrderCreated) {
    const { value: supplier } = await this.#config.get({ key: 'SUPPLIER_EMAIL', defaultValue: 'supplier@example.org' });
    const body = `Sold ${order.quantity} × ${order.sku} (order #${order.orderId}).`;
    await this.#db.execute({ sql: "INSERT INTO outbox (order_id, channel, recipient, body) VALUES (?, 'supplier', ?, ?)", params: [order.orderId, supplier, body] });
    return null;
  }
}
