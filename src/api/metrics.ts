import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RouteModule } from './server.js';
import type { AppContext } from '../core/context.js';
import { stmt } from '../store/stmt.js';
import { listOperations } from '../operations/journal.js';

interface DeviceMetricRow {
  cluster: string;
  hostname: string;
  storage_hostname: string;
  id: string;
  device: string;
  pv_uuid: string;
  total: number;
  free: number;
  used: number;
  bricks: number;
}

/** Heketi's gauges (heketi-behaviour.md §12), computed from the DB at each scrape. */
function registerHeketiMetrics(registry: Registry, ctx: AppContext): void {
  const { db } = ctx;
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        collect(this);
      },
    });
  gauge('heketi_up', 'Is heketi running?', [], (g) => g.set(1));
  gauge('heketi_cluster_count', 'Number of clusters', [], (g) => g.set((stmt(db, 'SELECT COUNT(*) AS n FROM clusters').get() as { n: number }).n));
  const perCluster = (sql: string) => () => stmt(db, sql).all() as { cluster: string; n: number }[];
  const volumes = perCluster(
    'SELECT c.id AS cluster, COUNT(v.id) AS n FROM clusters c LEFT JOIN volumes v ON v.cluster_id = c.id AND v.pending_op IS NULL GROUP BY c.id',
  );
  const blockVolumes = perCluster(
    'SELECT c.id AS cluster, COUNT(b.id) AS n FROM clusters c LEFT JOIN block_volumes b ON b.cluster_id = c.id AND b.pending_op IS NULL GROUP BY c.id',
  );
  const nodes = perCluster(
    'SELECT c.id AS cluster, COUNT(n.id) AS n FROM clusters c LEFT JOIN nodes n ON n.cluster_id = c.id AND n.pending_op IS NULL GROUP BY c.id',
  );
  gauge('heketi_volumes_count', 'Number of volumes on cluster', ['cluster'], (g) => volumes().forEach((r) => g.set({ cluster: r.cluster }, r.n)));
  gauge('heketi_block_volumes_count', 'Number of block volumes on cluster', ['cluster'], (g) =>
    blockVolumes().forEach((r) => g.set({ cluster: r.cluster }, r.n)),
  );
  gauge('heketi_nodes_count', 'Number of nodes on cluster', ['cluster'], (g) => nodes().forEach((r) => g.set({ cluster: r.cluster }, r.n)));
  const devices = () =>
    stmt(
      db,
      `SELECT n.cluster_id AS cluster, n.manage_hostname AS hostname, n.storage_hostname AS storage_hostname, d.id AS id,
         d.name AS device, d.pv_uuid AS pv_uuid, d.total AS total, d.free AS free, d.used AS used,
         (SELECT COUNT(*) FROM bricks b WHERE b.device_id = d.id) AS bricks
       FROM devices d JOIN nodes n ON n.id = d.node_id WHERE d.pending_op IS NULL AND n.pending_op IS NULL`,
    ).all() as DeviceMetricRow[];
  const hostLabels = ['cluster', 'hostname', 'storage_hostname'];
  const devLabels = [...hostLabels, 'id', 'device', 'pv_uuid'];
  gauge('heketi_device_count', 'Number of devices on host', hostLabels, (g) => {
    for (const d of devices()) g.inc({ cluster: d.cluster, hostname: d.hostname, storage_hostname: d.storage_hostname });
  });
  const perDevice = (name: string, help: string, value: (d: DeviceMetricRow) => number) =>
    gauge(name, help, devLabels, (g) => {
      for (const d of devices()) {
        g.set({ cluster: d.cluster, hostname: d.hostname, storage_hostname: d.storage_hostname, id: d.id, device: d.device, pv_uuid: d.pv_uuid }, value(d));
      }
    });
  perDevice('heketi_device_size', 'Total size of the device', (d) => d.total);
  perDevice('heketi_device_free', 'Amount of Free space available on the device', (d) => d.free);
  perDevice('heketi_device_used', 'Amount of space used on the device', (d) => d.used);
  perDevice('heketi_device_size_bytes', 'Total size of the device in bytes', (d) => d.total * 1024);
  perDevice('heketi_device_free_bytes', 'Amount of Free space available on the device in bytes', (d) => d.free * 1024);
  perDevice('heketi_device_used_bytes', 'Amount of space used on the device in bytes', (d) => d.used * 1024);
  perDevice('heketi_device_brick_count', 'Number of bricks on device', (d) => d.bricks);
  const opCount = (status?: string) => () => listOperations(db).filter((o) => status === undefined || o.status === status).length;
  gauge('heketi_operations_stale_count', 'Number of Stale Operations', [], (g) => g.set(opCount('stale')()));
  gauge('heketi_operations_failed_count', 'Number of Failed Operations', [], (g) => g.set(opCount('failed')()));
  gauge('heketi_operations_new_count', 'Number of New Operations', [], (g) => g.set(opCount('')()));
  gauge('heketi_operations_total_count', 'Total Number of Operations', [], (g) => g.set(opCount()()));
  gauge('heketi_operations_inFlight_count', 'Number of in flight Operations', [], (g) => g.set(ctx.ops.activeOps.size));
}

export const metricsRoutes: RouteModule = (app, ctx) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerHeketiMetrics(registry, ctx);
  const requests = new Counter({
    name: 'brickyard_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'brickyard_http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'brickyard_operations_in_flight',
    help: 'Throttled operations currently running',
    registers: [registry],
    collect() {
      this.set(ctx.ops.inflightCount);
    },
  });
  ctx.ops.onOperationDone = (type, phase, seconds, outcome) => opDuration.observe({ type, phase, outcome }, seconds);
  const opDuration = new Histogram({
    name: 'brickyard_operation_duration_seconds',
    help: 'Background operation duration by type, phase and outcome',
    labelNames: ['type', 'phase', 'outcome'],
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { route, method: req.method, status: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await registry.metrics();
    return reply.code(200).header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(body);
  });
};
