-- Volume names are unique per cluster (checked on every create): look them up by index.
CREATE INDEX volumes_cluster_name ON volumes(cluster_id, name);
CREATE INDEX bricks_pending ON bricks(pending_op) WHERE pending_op IS NOT NULL;
