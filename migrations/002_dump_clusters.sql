-- Brickyard schema v2: what a Heketi DB dump carries that v1 had no column for, so that
-- `db import` followed by `db export` gives back the same JSON.
-- `clusters` is the request's cluster list Heketi keeps in a volume's / block volume's Info
-- (e.g. ["<id>"] for an automatically created block-hosting volume); NULL = absent.

ALTER TABLE volumes ADD COLUMN clusters TEXT;
ALTER TABLE block_volumes ADD COLUMN clusters TEXT;
