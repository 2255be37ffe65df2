-- PostgreSQL's 001_products.sql (tools/db-common/migration-files.ts chooses it
-- there): the same 10,000 rows from the same generator, read that file for how.
-- Its arithmetic is BIGINT from the first row on (an integer literal is a 4-byte
-- INTEGER here, and 1103515245 * 20261201 overflows one; the recursive CTE's
-- columns take their types from that first row), and lpad pads the sku number
-- where SQLite has printf.
CREATE TABLE products (
  id BIGINT PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  brand TEXT NOT NULL,
  category TEXT NOT NULL,
  price_cents INTEGER NOT NULL
);

INSERT INTO products (id, sku, name, brand, category, price_cents)
WITH RECURSIVE
  categories(c, category) AS (VALUES
    (0, 'Audio'), (1, 'Computing'), (2, 'Phones'), (3, 'Home'), (4, 'Kitchen'),
    (5, 'Outdoor'), (6, 'Fitness'), (7, 'Gaming'), (8, 'Office'), (9, 'Wearables')),
  -- Six adjectives per category: adjective c*6 + 0..5.
  adjectives(a, word) AS (VALUES
    (0, 'Wireless'), (1, 'Noise-Cancelling'), (2, 'Bluetooth'), (3, 'Studio'), (4, 'Portable'), (5, 'Hi-Fi'),
    (6, 'Ergonomic'), (7, 'Mechanical'), (8, 'Ultra-Slim'), (9, '4K'), (10, 'USB-C'), (11, 'Backlit'),
    (12, 'Rugged'), (13, 'Fast-Charging'), (14, 'Magnetic'), (15, 'Leather'), (16, 'Slim'), (17, 'Dual-SIM'),
    (18, 'Smart'), (19, 'Quiet'), (20, 'Cordless'), (21, 'Programmable'), (22, 'Energy-Saving'), (23, 'Compact'),
    (24, 'Stainless Steel'), (25, 'Non-Stick'), (26, 'Cast Iron'), (27, 'Ceramic'), (28, 'Bamboo'), (29, 'Copper'),
    (30, 'Waterproof'), (31, 'Lightweight'), (32, 'Insulated'), (33, 'Ultralight'), (34, 'All-Weather'), (35, 'Solar'),
    (36, 'Adjustable'), (37, 'Foldable'), (38, 'Anti-Slip'), (39, 'Heavy-Duty'), (40, 'Breathable'), (41, 'Resistance'),
    (42, 'RGB'), (43, 'Pro Gaming'), (44, 'Wireless'), (45, 'Tournament'), (46, 'Low-Latency'), (47, 'Retro'),
    (48, 'Ergonomic'), (49, 'Height-Adjustable'), (50, 'Recycled'), (51, 'Executive'), (52, 'LED'), (53, 'Minimalist'),
    (54, 'Smart'), (55, 'GPS'), (56, 'Titanium'), (57, 'Waterproof'), (58, 'Sport'), (59, 'Solar-Powered')),
  -- The things sold, each in one category.
  nouns(n, c, word) AS (VALUES
    (0, 0, 'Headphones'), (1, 0, 'Earbuds'), (2, 0, 'Speaker'), (3, 0, 'Soundbar'), (4, 0, 'Turntable'), (5, 0, 'Microphone'),
    (6, 1, 'Laptop'), (7, 1, 'Keyboard'), (8, 1, 'Mouse'), (9, 1, 'Monitor'), (10, 1, 'Webcam'), (11, 1, 'Docking Station'),
    (12, 2, 'Smartphone'), (13, 2, 'Phone Case'), (14, 2, 'Charger'), (15, 2, 'Power Bank'), (16, 2, 'Screen Protector'), (17, 2, 'Car Mount'),
    (18, 3, 'Air Purifier'), (19, 3, 'Vacuum Cleaner'), (20, 3, 'Humidifier'), (21, 3, 'Thermostat'), (22, 3, 'Ceiling Fan'), (23, 3, 'Space Heater'),
    (24, 4, 'Frying Pan'), (25, 4, 'Chef Knife'), (26, 4, 'Cutting Board'), (27, 4, 'Saucepan'), (28, 4, 'Coffee Maker'), (29, 4, 'Kettle'),
    (30, 5, 'Tent'), (31, 5, 'Sleeping Bag'), (32, 5, 'Backpack'), (33, 5, 'Hiking Boots'), (34, 5, 'Water Bottle'), (35, 5, 'Headlamp'),
    (36, 6, 'Yoga Mat'), (37, 6, 'Dumbbell Set'), (38, 6, 'Jump Rope'), (39, 6, 'Running Shoes'), (40, 6, 'Exercise Bike'), (41, 6, 'Resistance Bands'),
    (42, 7, 'Controller'), (43, 7, 'Gaming Chair'), (44, 7, 'Gaming Mouse'), (45, 7, 'Headset'), (46, 7, 'Racing Wheel'), (47, 7, 'Arcade Stick'),
    (48, 8, 'Office Chair'), (49, 8, 'Standing Desk'), (50, 8, 'Desk Lamp'), (51, 8, 'Notebook'), (52, 8, 'Fountain Pen'), (53, 8, 'Paper Shredder'),
    (54, 9, 'Smartwatch'), (55, 9, 'Fitness Tracker'), (56, 9, 'Heart Rate Monitor'), (57, 9, 'Smart Ring'), (58, 9, 'Watch Strap'), (59, 9, 'Sleep Tracker')),
  -- Brands, some with the diacritics a search must fold; code is the sku prefix.
  brands(b, brand, code) AS (VALUES
    (0, 'Sonora', 'SON'), (1, 'Müller & Söhne', 'MUL'), (2, 'Northwind', 'NOR'), (3, 'Açaí Labs', 'ACA'), (4, 'Kestrel', 'KES'),
    (5, 'Brightline', 'BRI'), (6, 'Nørdisk', 'NRD'), (7, 'Vantage', 'VAN'), (8, 'Café Royal', 'CAF'), (9, 'Halcyon', 'HAL'),
    (10, 'Ironclad', 'IRO'), (11, 'Lumière', 'LUM'), (12, 'Pinnacle', 'PIN'), (13, 'Señor Tech', 'SEN'), (14, 'Tidewater', 'TID'),
    (15, 'Zenith', 'ZEN'), (16, 'Orbital', 'ORB'), (17, 'Crestline', 'CRE'), (18, 'Fjällräv', 'FJA'), (19, 'Aurora', 'AUR')),
  series(s, suffix) AS (VALUES (0, ''), (1, ''), (2, ''), (3, ' Pro'), (4, ' Lite'), (5, ' Plus'), (6, ' Max'), (7, ' Mini'),
    (8, ' 2'), (9, ' X'), (10, ' Air'), (11, ' Elite'), (12, ''), (13, ''), (14, ' Go'), (15, ' Ultra')),
  rng(i, x, y, z) AS (
    SELECT 1, CAST(1103515245 AS BIGINT) * 20261201 % 2147483648, CAST(0 AS BIGINT), CAST(0 AS BIGINT)
    UNION ALL
    SELECT i + 1,
      (1103515245 * ((1103515245 * ((1103515245 * x + 12345) % 2147483648) + 12345) % 2147483648) + 12345) % 2147483648,
      (1103515245 * x + 12345) % 2147483648,
      (1103515245 * ((1103515245 * x + 12345) % 2147483648) + 12345) % 2147483648
    FROM rng WHERE i <= 10000),
  draws(i, noun, adjective, brand, suffix, price) AS MATERIALIZED (
    SELECT i - 1, (x >> 16) % 60, (y >> 16) % 6, (z >> 16) % 20, (x >> 8) % 16, 199 + ((y >> 9) % 2000) * 50
    FROM rng WHERE i > 1)
SELECT d.i, b.code || '-' || lpad(CAST(d.i AS TEXT), 5, '0'), a.word || ' ' || n.word || s.suffix, b.brand, c.category, d.price
FROM draws d
JOIN nouns n ON n.n = d.noun
JOIN categories c ON c.c = n.c
JOIN adjectives a ON a.a = n.c * 6 + d.adjective
JOIN brands b ON b.b = d.brand
JOIN series s ON s.s = d.suffix
ORDER BY d.i;
