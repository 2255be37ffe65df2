-- PostgreSQL's 001_recommendations.sql (tools/db-common/migration-files.ts
-- chooses it there): no WITHOUT ROWID, the same applied_at text.
-- Co-purchases, owned by sidecar/recommendations (src/purchases.rs writes them,
-- src/recommend.rs reads them). An order holds one product, so "bought together"
-- means bought by the same customer (the order's email), in any orders.

-- Each product a customer has ordered, once however many orders repeat it.
-- A new row here is what adds to the counts below.
CREATE TABLE recommendations_purchases (
  customer TEXT NOT NULL,
  sku TEXT NOT NULL,
  PRIMARY KEY (customer, sku)
);

-- Whether anyone bought a sku: GET answers 404 for one nobody bought and the
-- catalog does not list.
CREATE INDEX recommendations_purchases_sku ON recommendations_purchases (sku);

-- How many customers bought both sku and other_sku; each pair is stored both
-- ways round, so one sku's recommendations are one range of the key.
CREATE TABLE recommendations_pairs (
  sku TEXT NOT NULL,
  other_sku TEXT NOT NULL,
  customers INTEGER NOT NULL CHECK (customers > 0),
  PRIMARY KEY (sku, other_sku)
);

-- The order.created events already counted, by envelope id: inserted in the
-- same transaction as the counts, so a redelivered event (same id) fails on
-- the key and counts nothing.
CREATE TABLE recommendations_events (
  event_id TEXT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
);
