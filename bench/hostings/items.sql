-- The table every bench plugin reads (bench/hostings.ts): 1000 rows, written here
-- so every hosting's kernel starts from the same data.
CREATE TABLE bench_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO bench_items (id, name, price) SELECT i, 'Item number ' || i, i * 7 % 1000 FROM n;
