-- The attributes Heketi keeps in its DB (shown by /db/dump): format flags and a generation id.
INSERT OR IGNORE INTO db_attributes (key, value) VALUES
  ('DB_BRICK_HAS_SUBTYPE_FIELD', 'yes'),
  ('DB_CLUSTER_HAS_FILE_BLOCK_FLAG', 'yes'),
  ('DB_DEVICE_HAS_ID_META', 'yes'),
  ('DB_GENERATION_ID', lower(hex(randomblob(16)))),
  ('DB_HAS_PENDING_OPS_BUCKET', 'yes');
