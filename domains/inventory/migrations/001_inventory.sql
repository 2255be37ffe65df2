-- Stock per product. Seeded so the example works out of the box.
CREATE TABLE inventory (
  sku TEXT PRIMARY KEY,
  stock INTEGER NOT NULL CHECK (stock >= 0)
);

INSERT INTO inventory (sku, stock) VALUES ('widget', 100), ('gadget', 5), ('gizmo', 0);
