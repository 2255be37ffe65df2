package main

import (
	"context"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

// Each reaction is one Db.Transaction whose first statement records the
// envelope id in inventory_events. A redelivered event (same id) fails there
// with MC_ERR_DB_UNIQUE, the whole transaction rolls back, and the handler
// answers success: the stock changed exactly once. The stock change and the
// reservation row commit together or not at all.

const recordEvent = "INSERT INTO inventory_events (event_id, topic) VALUES (?, ?)"

// reserveSQL writes the order's reservation, 'reserved' when the stock covers
// it and 'rejected' when it does not (or the sku is unknown: NULL >= n is not
// true). An order that already has a row (reserved under another event id, or
// cancelled before its order.created arrived) keeps it: DO NOTHING.
const reserveSQL = `INSERT INTO inventory_reservations (order_id, sku, quantity, status, reserved_by)
  VALUES (?, ?, ?, CASE WHEN (SELECT stock FROM inventory WHERE sku = ?) >= ? THEN 'reserved' ELSE 'rejected' END, ?)
  ON CONFLICT (order_id) DO NOTHING`

// takeSQL takes the quantity out of stock only when the row above was written
// by this event and reserved; the CHECK (stock >= 0) is the backstop.
const takeSQL = `UPDATE inventory SET stock = stock - ? WHERE sku = ?
  AND EXISTS (SELECT 1 FROM inventory_reservations WHERE order_id = ? AND reserved_by = ? AND status = 'reserved')`

// outcomeSQL reads what this event decided: 'reserved', 'rejected', or no row
// when the order was already known.
const outcomeSQL = "SELECT status FROM inventory_reservations WHERE order_id = ? AND reserved_by = ?"

// giveBackSQL returns a reserved order's quantity to stock (no reserved row:
// the sku compares with NULL and nothing changes).
const giveBackSQL = `UPDATE inventory
  SET stock = stock + (SELECT quantity FROM inventory_reservations WHERE order_id = ? AND status = 'reserved')
  WHERE sku = (SELECT sku FROM inventory_reservations WHERE order_id = ? AND status = 'reserved')`

// releaseSQL marks the reservation released; a cancel that arrives before its
// order.created leaves a 'released' row, so the late order.created reserves
// nothing. A rejected order stays rejected. updated_at takes the proposed row's
// (excluded) value, the column's default: the time now, written by the same
// expression as every other row's on each engine (SQLite or PostgreSQL).
const releaseSQL = `INSERT INTO inventory_reservations (order_id, sku, quantity, status) VALUES (?, ?, ?, 'released')
  ON CONFLICT (order_id) DO UPDATE SET status = 'released', updated_at = excluded.updated_at
  WHERE inventory_reservations.status = 'reserved'`

// reserve handles order.created {orderId, sku, quantity, ...}.
func (inv *inventory) reserve(ctx context.Context, event *microcorev1.Envelope) (any, error) {
	o, err := readOrder(event)
	if err != nil {
		return nil, err
	}
	id := event.GetId()
	tx, err := inv.db.Transaction(ctx,
		microcore.Statement{SQL: recordEvent, Params: []any{id, event.GetTopic()}},
		microcore.Statement{SQL: reserveSQL, Params: []any{o.id, o.sku, o.quantity, o.sku, o.quantity, id}},
		microcore.Statement{SQL: takeSQL, Params: []any{o.quantity, o.sku, o.id, id}},
		microcore.Statement{SQL: outcomeSQL, Params: []any{o.id, id}},
	)
	if microcore.CodeOf(err) == microcore.CodeDbUnique {
		// Seen before: the first delivery's outcome stands. Its rejection may
		// not have been announced (the publish below failed), so say it again;
		// domains/orders applies it once.
		return nil, inv.announceIfRejected(ctx, o, event)
	}
	if err != nil {
		return nil, err
	}
	var status any
	if results := tx.GetResults(); len(results) == 4 && len(results[3].GetRows()) == 1 {
		status = microcore.Row(results[3].GetRows()[0])["status"]
	}
	if status == "rejected" {
		return nil, inv.reject(ctx, o)
	}
	return nil, nil
}

// announceIfRejected re-announces the rejection a redelivered event decided.
func (inv *inventory) announceIfRejected(ctx context.Context, o order, event *microcorev1.Envelope) error {
	one, err := inv.db.QueryOne(ctx, outcomeSQL, o.id, event.GetId())
	if err != nil {
		return err
	}
	if one.GetFound() && microcore.Row(one.GetRow())["status"] == "rejected" {
		return inv.reject(ctx, o)
	}
	return nil
}

// reject announces an order the stock could not cover: order.rejected, keyed
// by sku like order.created, so domains/orders marks the order 'rejected'.
func (inv *inventory) reject(ctx context.Context, o order) error {
	inv.warn(ctx, "order rejected: the stock does not cover it", map[string]any{"orderId": o.id, "sku": o.sku, "quantity": o.quantity})
	payload := map[string]any{"orderId": o.id, "sku": o.sku, "quantity": o.quantity, "reason": "insufficient stock"}
	_, err := inv.bus.Publish(ctx, "order.rejected", payload, o.sku)
	return err
}

// release handles order.cancelled {orderId, sku, quantity}.
func (inv *inventory) release(ctx context.Context, event *microcorev1.Envelope) (any, error) {
	o, err := readOrder(event)
	if err != nil {
		return nil, err
	}
	_, err = inv.db.Transaction(ctx,
		microcore.Statement{SQL: recordEvent, Params: []any{event.GetId(), event.GetTopic()}},
		microcore.Statement{SQL: giveBackSQL, Params: []any{o.id, o.id}},
		microcore.Statement{SQL: releaseSQL, Params: []any{o.id, o.sku, o.quantity}},
	)
	if microcore.CodeOf(err) == microcore.CodeDbUnique {
		return nil, nil // seen before: released then, or had nothing to release
	}
	return nil, err
}
