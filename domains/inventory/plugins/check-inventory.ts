// Answers the bus request 'inventory.check' { sku, quantity } with
// { available, stock }. An unknown sku answers MC_ERR_NOT_FOUND.
import { mcError, type Tools } from '../../../kernel/index.ts';

export class CheckInventoryPlugin {
  #bus: Tools['bus'];
  #db: Tools['db'];

  constructor({ bus, db }: Tools) {
    this.#bus = bus;
    this.#db = db;
  }

  async onBoot(): Promise<void> {
    await this.#bus.subscribe({ topic: 'inventory.check', handler: (event) => this.execute(event.payload as { sku: string; quantity: bigint }) });
  }

  async execute({ sku, quantity }: { sku: string; quantity: bigint }) {
    const { found, row } = await this.#db.queryOne({ sql: 'SELECT stock FROM inventory WHERE sku = ?', params: [sku] });
    if (!found) throw mcError('MC_ERR_NOT_FOUND', `no product with sku '${sku}'`, { sku });
    const stock = row!.stock as bigint;
    return { available: stock >= BigInt(quantity), stock };
  }
}
