// The orders flow's bus topics, each a value with its schemas: its owner
// declares it (`bus.declareTopic({ topic: OrderCreated })`), and a consumer that
// subscribes to it or requests it with the same value gets the payload (or the
// reply) typed — integers as bigint, as they arrive. The inventory's topics are
// owned by the Go sidecar (sidecars/inventory/stock.go declares them, and the
// kernel checks every hosting against that); here they are the TS view of it.
import { Type } from 'typebox';
import { topic } from '../../kernel/index.ts';

/** Owned by orders/create-order. */
export const OrderCreated = topic('order.created', {
  payload: Type.Object({ orderId: Type.Integer(), sku: Type.String({ minLength: 1 }), quantity: Type.Integer({ minimum: 1 }), email: Type.String() }),
});

/** Owned by orders/cancel-order. */
export const OrderCancelled = topic('order.cancelled', {
  payload: Type.Object({ orderId: Type.Integer(), sku: Type.String({ minLength: 1 }), quantity: Type.Integer({ minimum: 1 }) }),
});

/** Owned by sidecars/inventory: is there stock for { sku, quantity }? */
export const InventoryCheck = topic('inventory.check', {
  payload: Type.Object({ sku: Type.String({ minLength: 1 }), quantity: Type.Integer({ minimum: 1 }) }),
  reply: Type.Object({ available: Type.Boolean(), stock: Type.Integer() }),
});

/** Owned by sidecars/inventory: an order the stock could not cover. */
export const OrderRejected = topic('order.rejected', {
  payload: Type.Object({ orderId: Type.Integer(), sku: Type.String(), quantity: Type.Integer(), reason: Type.String() }),
});
