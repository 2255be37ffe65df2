-- PostgreSQL's 001_inventory.sql (tools/db-common/migration-files.ts chooses it
-- there): ON CONFLICT DO NOTHING for INSERT OR IGNORE, the same updated_at text.
-- Stock per product, owned by sidecar/inventory. Until the inventory moved to
-- this Go sidecar, domains/inventory/migrations/001_inventory.sql created the
-- same table (recorded under owner `inventory`); a database made then already
-- has it, with its stock. So this file only creates what is missing and seeds
-- only products that are not there: applied to that database, it changes no row.
CREATE TABLE IF NOT EXISTS inventory (
  sku TEXT PRIMARY KEY,
  stock INTEGER NOT NULL CHECK (stock >= 0)
);

-- Seeded so the example works out of the box; an existing product keeps its stock.
INSERT INTO inventory (sku, stock) VALUES ('widget', 100), ('gadget', 5), ('gizmo', 0) ON CONFLICT DO NOTHING;

-- One row per order the sidecar has seen. `reserved`: its quantity is out of
-- stock and held for it; `released`: cancelled, the quantity went back;
-- `rejected`: the stock could not cover it when order.created arrived.
-- order_id is the key, so an order is reserved at most once whatever the event;
-- reserved_by is the id of the order.created event that wrote the row.
CREATE TABLE IF NOT EXISTS inventory_reservations (
  order_id BIGINT PRIMARY KEY,
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  status TEXT NOT NULL CHECK (status IN ('reserved', 'released', 'rejected')),
  reserved_by TEXT,
  updated_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
);

CREATE INDEX IF NOT EXISTS inventory_reservations_sku ON inventory_reservations (sku, status);

-- The bus events already applied, by envelope id: inserted in the same
-- transaction as the stock change, so a redelivered event (same id) fails on
-- the key and changes nothing.
CREATE TABLE IF NOT EXISTS inventory_events (
  event_id TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
);
