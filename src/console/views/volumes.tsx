import { useState } from 'preact/hooks';
import { durabilityLabel, errorMessage, loadPool, loadVolume, loadVolumes, type Pool, type Session, type VolumeInfo, type VolumeQuery, type VolumeSort } from '../api.js';
import { Copy, Empty, ErrorNote, Loading, Note, PageHead, Spinner } from '../components.js';
import { count, gib, kib, shortId } from '../format.js';
import { useDebounced, usePoll } from '../hooks.js';
import { href } from '../router.js';
import { Freshness } from './pool.js';

const PAGE_SIZES = [25, 50, 100];

export function VolumesView({ session }: { session: Session }) {
  const admin = session.role === 'admin';
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<VolumeSort>('name');
  const [desc, setDesc] = useState(false);
  const [page, setPage] = useState(0);
  const [limit, setLimit] = useState(50);
  const debounced = useDebounced(search, 250);
  const q: VolumeQuery = { search: debounced, sort, desc, offset: page * limit, limit };
  const list = usePoll(() => loadVolumes(session, q), 10000, [session, debounced, sort, desc, page, limit]);

  const sortBy = (key: VolumeSort) => {
    if (key === sort) setDesc(!desc);
    else {
      setSort(key);
      setDesc(false);
    }
    setPage(0);
  };
  const th = (key: VolumeSort, label: string, cls = '') => (
    <th scope="col" class={cls} aria-sort={sort === key ? (desc ? 'descending' : 'ascending') : 'none'}>
      <button type="button" class="th-sort" onClick={() => sortBy(key)}>
        {label}
        <span class="sort-mark" aria-hidden="true">
          {sort === key ? (desc ? '▼' : '▲') : ''}
        </span>
      </button>
    </th>
  );
  // The pager sits under the table: a new page is read from its top.
  const turnTo = (n: number) => {
    setPage(n);
    window.scrollTo({ top: 0 });
  };
  const data = list.data;
  const total = data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <>
      <PageHead
        title="Volumes"
        sub={data ? `${count(total)} ${debounced ? 'matching' : 'in the pool'}` : undefined}
        actions={
          <>
            <Freshness at={list.at} error={list.error} />
            {admin ? (
              <a class="btn btn-primary" href={href('/create')}>
                Create volume
              </a>
            ) : null}
          </>
        }
      />
      {!admin ? <Note tone="info">Signed in with the user key: read-only. Creating volumes from the console needs the admin key.</Note> : null}
      <div class="toolbar">
        <label class="field field-inline grow">
          <span class="visually-hidden">Search volumes</span>
          <input
            type="search"
            placeholder="Search by name or id"
            value={search}
            onInput={(e) => {
              setSearch((e.target as HTMLInputElement).value);
              setPage(0);
            }}
          />
        </label>
        {list.loading && data ? <Spinner label="Refreshing" /> : null}
        <label class="field field-inline">
          <span>Rows</span>
          <select
            value={limit}
            onChange={(e) => {
              setLimit(Number((e.target as HTMLSelectElement).value));
              setPage(0);
            }}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!data ? (
        list.error ? (
          <ErrorNote error={errorMessage(list.error)} onRetry={list.refresh} />
        ) : (
          <Loading label="Loading volumes…" />
        )
      ) : data.rows.length === 0 ? (
        debounced ? (
          <Empty title="No volume matches">
            <p>Nothing is named like “{debounced}”.</p>
          </Empty>
        ) : (
          <Empty title="No volumes yet">{admin ? <p>Create one with the form, or with heketi-cli volume create.</p> : null}</Empty>
        )
      ) : (
        <>
          <div class="table-wrap card">
            <table class="table" aria-label="Volumes" aria-rowcount={total}>
              <thead>
                <tr>
                  {th('name', 'Name')}
                  {th('size', 'Size', 'num')}
                  <th scope="col">Durability</th>
                  {th('cluster', 'Cluster', 'hide-sm')}
                  <th scope="col" class="hide-sm">
                    Mount
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((v) => (
                  <tr key={v.id}>
                    <td class="cell-name">
                      <a href={href(`/volumes/${v.id}`)} class="strong">
                        {v.name}
                      </a>
                      {v.block ? <span class="chip">block</span> : null}
                    </td>
                    <td class="num">{v.size !== undefined ? gib(v.size) : ''}</td>
                    <td>{durabilityLabel(v.durability)}</td>
                    <td class="hide-sm">
                      <code title={v.cluster}>{v.cluster ? shortId(v.cluster) : ''}</code>
                    </td>
                    <td class="hide-sm mono small">{v.mount}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            <span class="muted">
              {count(page * limit + 1)}–{count(Math.min(total, (page + 1) * limit))} of {count(total)}
            </span>
            <button type="button" class="btn btn-ghost btn-sm" disabled={page === 0} onClick={() => turnTo(0)}>
              First
            </button>
            <button type="button" class="btn btn-ghost btn-sm" disabled={page === 0} onClick={() => turnTo(page - 1)}>
              Previous
            </button>
            <span aria-current="page">
              Page {count(page + 1)} of {count(pages)}
            </span>
            <button type="button" class="btn btn-ghost btn-sm" disabled={page + 1 >= pages} onClick={() => turnTo(page + 1)}>
              Next
            </button>
          </nav>
        </>
      )}
    </>
  );
}

/** A volume with its brick map: which set, node, zone and device each brick is on. */
export function VolumeDetail({ session, id }: { session: Session; id: string }) {
  const vol = usePoll(() => Promise.all([loadVolume(session, id), loadPool(session)]), 10000, [session, id]);
  if (!vol.data) {
    return (
      <>
        <PageHead title="Volume" />
        {vol.error ? <ErrorNote error={errorMessage(vol.error)} onRetry={vol.refresh} /> : <Loading />}
      </>
    );
  }
  const [{ volume: v, sets }, pool] = vol.data;
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href('/volumes')}>Volumes</a> <span aria-hidden="true">/</span> <span>{v.name}</span>
      </nav>
      <PageHead title={v.name} sub={`${gib(v.size)} · ${durabilityLabel(v.durability)}${v.block ? ' · block hosting' : ''}`} actions={<Freshness at={vol.at} error={vol.error} />} />
      <section class="card detail-grid">
        <div class="span-2">
          <div class="stat-label">Mount</div>
          <div class="mount">
            <code data-testid="mount">{v.mount.glusterfs.device}</code>
            <Copy text={v.mount.glusterfs.device} label="Copy mount source" />
          </div>
          {v.mount.glusterfs.options['backup-volfile-servers'] ? (
            <div class="muted small">backup-volfile-servers={v.mount.glusterfs.options['backup-volfile-servers']}</div>
          ) : null}
        </div>
        <div>
          <div class="stat-label">Id</div>
          <code>{v.id}</code>
        </div>
        <div>
          <div class="stat-label">Cluster</div>
          <code>{v.cluster}</code>
        </div>
        {v.gid ? (
          <div>
            <div class="stat-label">GID</div>
            {v.gid}
          </div>
        ) : null}
        <div>
          <div class="stat-label">Snapshots</div>
          {v.snapshot.enable ? `on, factor ${v.snapshot.factor}` : 'off'}
        </div>
        {v.glustervolumeoptions && v.glustervolumeoptions.filter(Boolean).length > 0 ? (
          <div class="span-all">
            <div class="stat-label">Gluster options</div>
            <ul class="plain mono small">
              {v.glustervolumeoptions.filter(Boolean).map((o) => (
                <li key={o}>{o}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </section>
      <BrickMap volume={v} sets={sets} pool={pool} />
    </>
  );
}

function setSizeOf(v: VolumeInfo): number {
  const d = v.durability;
  if (d.type === 'replicate') return d.replicate?.replica ?? 3;
  if (d.type === 'disperse') return (d.disperse?.data ?? 4) + (d.disperse?.redundancy ?? 2);
  return 1;
}

export function BrickMap({ volume: v, sets: setIds, pool }: { volume: VolumeInfo; sets: string[][]; pool: Pool }) {
  const per = setSizeOf(v);
  const byId = new Map(v.bricks.map((b) => [b.id, b]));
  const sets = setIds.map((ids) => ids.map((id) => byId.get(id)).filter((b): b is VolumeInfo['bricks'][number] => b !== undefined));
  const zonesUsed = (set: VolumeInfo['bricks']) => new Set(set.map((b) => pool.nodeById.get(b.node)?.zone)).size;
  return (
    <section aria-labelledby="bricks-title">
      <h2 id="bricks-title" class="section-title">
        Bricks <span class="muted">({v.bricks.length} in {sets.length} {per > 1 ? `set${sets.length === 1 ? '' : 's'} of ${per}` : 'distribute bricks'})</span>
      </h2>
      <div class="sets">
        {sets.map((set, i) => (
          <div class="set card" key={i}>
            <div class="set-head">
              <strong>{per > 1 ? `Set ${i + 1}` : `Brick ${i + 1}`}</strong>
              {per > 1 ? <span class="muted small">{zonesUsed(set)} zone(s)</span> : null}
            </div>
            <ul class="bricks">
              {set.map((b) => {
                const n = pool.nodeById.get(b.node);
                const d = pool.deviceById.get(b.device);
                return (
                  <li key={b.id} class="brick" data-brick={b.id}>
                    <div class="brick-where">
                      <strong>{n?.manage ?? shortId(b.node)}</strong>
                      <span class="chip">zone {n?.zone ?? '?'}</span>
                    </div>
                    <div class="muted small">
                      {d?.name ?? shortId(b.device)} · {kib(b.size)}
                    </div>
                    <div class="mono tiny muted" title={b.path}>
                      {b.path}
                    </div>
                  </li>
                );
              })}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}
