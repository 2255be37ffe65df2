CREATE TABLE orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  email TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Messages the order reactions send. A mail or supplier-API tool can deliver
-- from here; the example stops at recording them.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id INTEGER NOT NULL REFERENCES orders (id),
  channel TEXT NOT NULL CHECK (channel IN ('email', 'supplier')),
  recipient TEXT NOT NULL,
  body TEXT NOT NULL
);
