-- An order's state: placed (POST /orders), cancelled (POST /orders/:id/cancel),
-- or rejected (the inventory sidecar could not reserve its stock: order.rejected).
-- Orders written before this column existed were placed.
ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'placed' CHECK (status IN ('placed', 'cancelled', 'rejected'));
