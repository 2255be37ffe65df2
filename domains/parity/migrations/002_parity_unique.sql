-- One row per hosting at most: the second insert is a unique violation, which
-- every hosting must receive as the same classified error (MC_ERR_DB_UNIQUE).
CREATE TABLE parity_unique (
  hosting TEXT PRIMARY KEY
);
