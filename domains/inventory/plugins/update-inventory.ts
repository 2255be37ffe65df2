// Reacts to 'order.created' by taking the ordered quantity out of stock.
import type { Tools } from '../../../kernel/index.ts';

export class UpdateInventoryPlugin {
  #bus: Tools['bus'];
  #db: Tools['db'];

  constructor({ bus, db }: Tools) {
    this.#bus = bus;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#bus.subscribe({ topic: 'order.created', handler: (event) => this.execute(event.payload as { sku: string; quantity: bigint }) });
  }

  async execute({ sku, quantity }: { sku: string; quantity: bigint }) {
    await this.#db.execute({ sql: 'UPDATE inventory SET stock = stock - ? WHERE sku = ?', params: [quantity, sku] });
    return null;
  }
}
