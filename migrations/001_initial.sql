-- Brickyard schema v1: Heketi's topology, volumes, pending operations and the /queue.
-- Sizes of devices and bricks are KiB, volume sizes GiB, as in Heketi's API.

CREATE TABLE clusters (
  id          TEXT PRIMARY KEY,
  file        INTEGER NOT NULL,
  block       INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);

-- Hostnames are unique across all clusters (manage and storage separately), as in Heketi.
CREATE TABLE nodes (
  id               TEXT PRIMARY KEY,
  cluster_id       TEXT NOT NULL REFERENCES clusters(id),
  zone             INTEGER NOT NULL,
  manage_hostname  TEXT NOT NULL UNIQUE,
  storage_hostname TEXT NOT NULL UNIQUE,
  state            TEXT NOT NULL DEFAULT 'online' CHECK (state IN ('online', 'offline', 'failed')),
  tags             TEXT NOT NULL DEFAULT '{}',
  pending_op       TEXT,
  created_at       INTEGER NOT NULL
);
CREATE INDEX nodes_cluster ON nodes(cluster_id);

-- free/used can never go negative: a reservation that would overcommit fails in the DB itself.
CREATE TABLE devices (
  id          TEXT PRIMARY KEY,
  node_id     TEXT NOT NULL REFERENCES nodes(id),
  name        TEXT NOT NULL,
  state       TEXT NOT NULL DEFAULT 'online' CHECK (state IN ('online', 'offline', 'failed')),
  tags        TEXT NOT NULL DEFAULT '{}',
  total       INTEGER NOT NULL DEFAULT 0,
  free        INTEGER NOT NULL DEFAULT 0 CHECK (free >= 0),
  used        INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
  extent_size INTEGER NOT NULL DEFAULT 4096,
  pv_uuid     TEXT NOT NULL DEFAULT '',
  paths       TEXT NOT NULL DEFAULT '[]',
  pending_op  TEXT,
  created_at  INTEGER NOT NULL
);
CREATE INDEX devices_node ON devices(node_id);

CREATE TABLE volumes (
  id                TEXT PRIMARY KEY,
  cluster_id        TEXT NOT NULL REFERENCES clusters(id),
  name              TEXT NOT NULL,
  size              INTEGER NOT NULL,
  durability        TEXT NOT NULL,            -- the request's durability echo, JSON
  gid               INTEGER NOT NULL DEFAULT 0,
  snapshot_enable   INTEGER NOT NULL DEFAULT 0,
  snapshot_factor   REAL NOT NULL DEFAULT 1,
  options           TEXT NOT NULL DEFAULT '[]', -- stored glustervolumeoptions, JSON
  block             INTEGER NOT NULL DEFAULT 0,
  block_free        INTEGER NOT NULL DEFAULT 0,
  block_reserved    INTEGER NOT NULL DEFAULT 0,
  block_restriction TEXT NOT NULL DEFAULT '',
  pending_op        TEXT,
  created_at        INTEGER NOT NULL
);
CREATE INDEX volumes_cluster ON volumes(cluster_id);

CREATE TABLE bricks (
  id                 TEXT PRIMARY KEY,
  volume_id          TEXT NOT NULL REFERENCES volumes(id),
  device_id          TEXT NOT NULL REFERENCES devices(id),
  node_id            TEXT NOT NULL REFERENCES nodes(id),
  path               TEXT NOT NULL,
  size               INTEGER NOT NULL,
  tp_size            INTEGER NOT NULL,
  pool_metadata_size INTEGER NOT NULL,
  sub_type           INTEGER NOT NULL DEFAULT 1, -- 1 normal, 2 arbiter (Heketi's numbers)
  lv_name            TEXT NOT NULL DEFAULT '',   -- '' = brick_<id>; clones use their own
  thin_pool          TEXT NOT NULL,
  position           INTEGER NOT NULL DEFAULT 0, -- index in gluster brick order
  pending_op         TEXT,
  created_at         INTEGER NOT NULL
);
CREATE INDEX bricks_volume ON bricks(volume_id);
CREATE INDEX bricks_device ON bricks(device_id);

CREATE TABLE block_volumes (
  id              TEXT PRIMARY KEY,
  hosting_volume  TEXT NOT NULL REFERENCES volumes(id),
  cluster_id      TEXT NOT NULL REFERENCES clusters(id),
  name            TEXT NOT NULL,
  size            INTEGER NOT NULL,
  usable_size     INTEGER NOT NULL DEFAULT 0,
  hacount         INTEGER NOT NULL DEFAULT 0,
  auth            INTEGER NOT NULL DEFAULT 0,
  hosts           TEXT NOT NULL DEFAULT '[]',
  iqn             TEXT NOT NULL DEFAULT '',
  lun             INTEGER NOT NULL DEFAULT 0,
  username        TEXT NOT NULL DEFAULT '',
  password        TEXT NOT NULL DEFAULT '',
  pending_op      TEXT,
  created_at      INTEGER NOT NULL
);
CREATE INDEX block_volumes_hosting ON block_volumes(hosting_volume);

-- Heketi's pending operations, extended into a journal: what the operation intends, the
-- steps it planned and which of them completed, so a restart can roll it back or forward.
CREATE TABLE operations (
  id          TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT '' CHECK (status IN ('', 'stale', 'failed')),
  timestamp   INTEGER NOT NULL,
  actions     TEXT NOT NULL DEFAULT '[]',  -- [{change, id, delta}] as Heketi's
  intent      TEXT NOT NULL DEFAULT '{}',  -- operation-specific data needed to undo/redo it
  steps_done  TEXT NOT NULL DEFAULT '[]',  -- names of completed steps, in order
  committed   INTEGER NOT NULL DEFAULT 0   -- 1 once past the commit point (roll forward)
);

-- The /queue: one entry per asynchronous request, kept across restarts.
CREATE TABLE queue (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
  location    TEXT,          -- 303 target for a finished operation with a result
  error       TEXT,          -- the 500 text of a failed one
  op_id       TEXT,
  created_at  INTEGER NOT NULL,
  finished_at INTEGER
);

CREATE TABLE db_attributes (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
