-- The table the parity endpoints of every hosting write to (domains/parity,
-- sidecars/parity-go, wasm-plugins/parity-rust): one row per call, so a test can
-- compare what each hosting stored, type by type.
CREATE TABLE parity_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hosting TEXT NOT NULL,
  big INTEGER,
  blob BLOB,
  absent TEXT,
  text TEXT
);
