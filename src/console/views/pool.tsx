import { useMemo, useRef, useState } from 'preact/hooks';
import { buildPool, errorMessage, loadCapacity, loadPool, takeFirstPool, type Pool, type PoolCluster, type PoolDevice, type PoolNode, type Session, type Target } from '../api.js';
import { CapacityBar, CapacityLegend, Empty, ErrorNote, Loading, PageHead, Stat, StateBadge, Tags } from '../components.js';
import { clock, count, gib, kib, pct, plural, shortId } from '../format.js';
import { usePoll, useSeen } from '../hooks.js';
import { ActionDialog } from './actions.js';

type Filter = 'all' | 'attention';

const full = (c: { used: number; total: number }) => c.total > 0 && c.used / c.total >= 0.9;
const needsAttention = (n: PoolNode) => n.state !== 'online' || full(n) || n.devices.some((d) => d.state !== 'online' || full(d));

export function PoolView({ session }: { session: Session }) {
  const pool = usePoll(() => loadPool(session), 5000, [session], () => {
    const first = takeFirstPool(session);
    return first && buildPool(first);
  });
  const capacity = usePoll(() => loadCapacity(session), 15000, [session]);
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState<Filter>('all');
  const [acting, setActing] = useState<{ target: Target; node: PoolNode; device?: PoolDevice } | undefined>();

  if (!pool.data) {
    return (
      <>
        <PageHead title="Pool" />
        {pool.error ? <ErrorNote error={errorMessage(pool.error)} onRetry={pool.refresh} /> : <Loading label="Loading the topology…" />}
      </>
    );
  }
  const p = pool.data;
  return (
    <>
      <PageHead
        title="Pool"
        sub={`${plural(p.clusters.length, 'cluster')} · ${plural(p.nodes, 'node')} · ${plural(p.devices, 'device')} · ${plural(p.volumes, 'volume')}`}
        actions={<Freshness at={pool.at} error={pool.error} />}
      />
      {p.clusters.length === 0 ? (
        <Empty title="No clusters yet">
          <p>
            Load a topology with <code>heketi-cli topology load --json=topology.json</code>, then its nodes and devices appear here.
          </p>
        </Empty>
      ) : (
        <>
          <Summary pool={p} />
          <CapacityCard capacity={capacity.data} error={capacity.error} />
          <div class="toolbar">
            <label class="field field-inline grow">
              <span class="visually-hidden">Filter nodes</span>
              <input type="search" placeholder="Filter by host, device, zone or tag" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
            </label>
            <fieldset class="segmented segmented-sm">
              <legend class="visually-hidden">Show</legend>
              {(['all', 'attention'] as const).map((f) => (
                <label key={f} class={filter === f ? 'is-on' : ''}>
                  <input type="radio" name="pool-filter" checked={filter === f} onChange={() => setFilter(f)} />
                  {f === 'all' ? 'All nodes' : 'Needs attention'}
                </label>
              ))}
            </fieldset>
          </div>
          {p.clusters.map((c, i) => (
            <ClusterSection key={c.id} cluster={c} query={query} filter={filter} eagerCards={p.devices <= ALL_AT_ONCE ? Infinity : i === 0 ? EAGER_CARDS : 0} verb={session.role === 'admin' ? 'Manage' : 'Show'} onAct={(target, node, device) => setActing({ target, node, device })} />
          ))}
        </>
      )}
      {acting ? (
        <ActionDialog
          session={session}
          pool={p}
          target={acting.target}
          node={acting.node}
          device={acting.device}
          onClose={() => setActing(undefined)}
          onDone={() => {
            pool.refresh();
            capacity.refresh();
          }}
        />
      ) : null}
    </>
  );
}

export function Freshness({ at, error }: { at?: number; error?: unknown }) {
  if (error) return <span class="live live-stale" title={errorMessage(error)}>Connection problem · showing last data</span>;
  return (
    <span class="live" aria-live="off">
      <span class="live-dot" aria-hidden="true" />
      Live{at ? ` · ${clock(at)}` : ''}
    </span>
  );
}

function Summary({ pool: p }: { pool: Pool }) {
  const nodes = [...p.nodeById.values()];
  const down = nodes.filter((n) => n.state !== 'online').length;
  const devices = [...p.deviceById.values()];
  const devDown = devices.filter((d) => d.state !== 'online').length;
  const devFull = devices.filter(full).length;
  return (
    <section class="summary" aria-label="Pool totals">
      <div class="card card-capacity">
        <div class="card-row">
          <div>
            <div class="stat-label">Capacity</div>
            <div class="stat-value" data-testid="pool-used">
              {kib(p.used)} <span class="muted">of {kib(p.total)}</span>
            </div>
          </div>
          <div class="stat-pct">{pct(p.used, p.total)} used</div>
        </div>
        <CapacityBar c={p} size="lg" label="Pool" />
        <CapacityLegend c={p} />
      </div>
      <Stat label="Nodes" value={<span data-testid="pool-nodes">{count(p.nodes)}</span>} sub={down > 0 ? `${down} not online` : 'all online'} tone={down > 0 ? 'warn' : undefined} />
      <Stat
        label="Devices"
        value={<span data-testid="pool-devices">{count(p.devices)}</span>}
        sub={[devDown > 0 ? `${devDown} not online` : 'all online', devFull > 0 ? `${devFull} ≥ 90% full` : ''].filter(Boolean).join(' · ')}
        tone={devFull > 0 ? 'crit' : devDown > 0 ? 'warn' : undefined}
      />
      <Stat label="Volumes" value={<span data-testid="pool-volumes">{count(p.volumes)}</span>} sub={`${kib(p.free)} free`} />
    </section>
  );
}

function CapacityCard({ capacity, error }: { capacity?: Awaited<ReturnType<typeof loadCapacity>>; error?: unknown }) {
  if (!capacity && !error) return null;
  return (
    <section class="card capacity-now" aria-labelledby="capacity-title">
      <h2 id="capacity-title" class="card-title">
        Largest volume you can create now
      </h2>
      {error && !capacity ? (
        <p class="muted">Not available: {errorMessage(error)}</p>
      ) : (
        <ul class="capacity-list">
          {capacity!.map((c) => (
            <li key={c.label}>
              <span class="muted">{c.label}</span>
              <strong data-testid={`capacity-${c.label}`}>{c.size === undefined ? '—' : c.size === 0 ? 'none' : gib(c.size)}</strong>
              {c.size === 0 && c.why ? (
                <span class="small text-crit" title={c.reasons?.join('\n')}>
                  {c.why}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function matches(n: PoolNode, q: string): boolean {
  if (!q) return true;
  const hay = [n.manage, n.storage, n.id, `zone ${n.zone}`, ...Object.entries(n.tags).map(([k, v]) => `${k}=${v}`)];
  for (const d of n.devices) hay.push(d.name, d.id, ...Object.entries(d.tags).map(([k, v]) => `${k}=${v}`));
  return hay.some((h) => h.toLowerCase().includes(q));
}

/** What a node's or device's button does: the admin manages it, a user key only looks (read-only dialog). */
type Verb = 'Manage' | 'Show';

function ClusterSection(props: { cluster: PoolCluster; query: string; filter: Filter; eagerCards: number; verb: Verb; onAct: (t: Target, n: PoolNode, d?: PoolDevice) => void }) {
  const { cluster: c, query, filter, eagerCards, verb, onAct } = props;
  let card = 0;
  const q = query.trim().toLowerCase();
  const zones = useMemo(
    () =>
      c.zones
        .map((z) => ({ ...z, shown: z.nodes.filter((n) => matches(n, q) && (filter === 'all' || needsAttention(n))) }))
        .filter((z) => z.shown.length > 0),
    [c, q, filter],
  );
  return (
    <section class="cluster" aria-labelledby={`cluster-${c.id}`}>
      <header class="cluster-head">
        <div>
          <h2 id={`cluster-${c.id}`}>
            Cluster <code title={c.id}>{shortId(c.id)}</code>
          </h2>
          <p class="muted">
            {plural(c.nodeCount, 'node')} · {plural(c.deviceCount, 'device')} · {plural(c.volumes, 'volume')} · {[c.file && 'file', c.block && 'block'].filter(Boolean).join(' + ') || 'no volume types'}
          </p>
        </div>
        <div class="cluster-cap">
          <CapacityBar c={c} label={`Cluster ${shortId(c.id)}`} />
          <span class="muted">
            {kib(c.used)} of {kib(c.total)} · {kib(c.free)} free
          </span>
        </div>
      </header>
      {c.zones.length === 0 ? <Empty title="No nodes in this cluster" /> : null}
      {c.zones.length > 0 && zones.length === 0 ? <p class="muted pad">No node matches the filter.</p> : null}
      {zones.map((z) => (
        <div class="zone" key={z.zone}>
          <div class="zone-head">
            <h3>Zone {z.zone}</h3>
            <span class="muted">
              {plural(z.nodes.length, 'node')} · {kib(z.free)} free of {kib(z.total)}
            </span>
            <CapacityBar c={z} size="sm" label={`Zone ${z.zone}`} />
          </div>
          <div class="nodes">
            {z.shown.map((n) => (
              <NodeCard key={n.id} node={n} verb={verb} onAct={onAct} eager={card++ < eagerCards} />
            ))}
          </div>
        </div>
      ))}
    </section>
  );
}

/**
 * A pool of up to this many devices renders every device list at once. A bigger one renders
 * those of the first EAGER_CARDS node cards (the first screen), the others when scrolled near.
 */
const ALL_AT_ONCE = 200;
const EAGER_CARDS = 6;

function NodeCard({ node: n, verb, onAct, eager }: { node: PoolNode; verb: Verb; onAct: (t: Target, n: PoolNode, d?: PoolDevice) => void; eager: boolean }) {
  const ref = useRef<HTMLElement>(null);
  const seen = useSeen(ref, eager);
  return (
    <article ref={ref} class={`node node-${n.state}`} aria-label={`Node ${n.manage}`} data-node={n.id}>
      <header class="node-head">
        <div class="node-name">
          <strong>{n.manage}</strong>
          <span class="muted">{n.storage}</span>
        </div>
        <StateBadge state={n.state} />
        <button type="button" class="btn btn-icon btn-sm" aria-label={`${verb} node ${n.manage}`} onClick={() => onAct({ kind: 'node', id: n.id }, n)}>
          ⋯
        </button>
      </header>
      <Tags tags={n.tags} />
      <div class="node-cap">
        <CapacityBar c={n} label={n.manage} />
        <span class="muted small">
          {pct(n.used, n.total)} · {kib(n.free)} free
        </span>
      </div>
      {n.devices.length === 0 ? (
        <p class="muted small">No devices</p>
      ) : !seen ? (
        <p class="devices-later muted small" style={{ '--devices': n.devices.length }}>
          {plural(n.devices.length, 'device')}
        </p>
      ) : (
        <ul class="devices">
          {n.devices.map((d) => (
            <li key={d.id} class={`device device-${d.state}`} data-device={d.id}>
              <button type="button" class="device-btn" aria-label={`${verb} device ${d.name} on ${n.manage}`} onClick={() => onAct({ kind: 'device', id: d.id }, n, d)}>
                <span class="device-name">{d.name}</span>
                <CapacityBar c={d} size="sm" label={`${n.manage} ${d.name}`} />
                <span class="device-pct">{pct(d.used, d.total)}</span>
                {d.state !== 'online' ? <StateBadge state={d.state} /> : null}
              </button>
              <Tags tags={d.tags} />
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
