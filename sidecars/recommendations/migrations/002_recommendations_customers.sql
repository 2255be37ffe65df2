-- One row per customer, taken (upserted) first by each order.created
-- transaction: it makes one customer's orders count one at a time. Without it,
-- two orders of one customer handled at once (two kernels on PostgreSQL, READ
-- COMMITTED) each count pairs before the other's purchase row commits, and their
-- co-purchase is never counted. SQLite has one writer at a time anyway.
CREATE TABLE recommendations_customers (
  customer TEXT PRIMARY KEY
);
