import { useEffect, useMemo, useState } from 'preact/hooks';
import { createVolume, errorMessage, loadPool, planVolume, type DurabilityRequest, type Pool, type Session, type VolumeCreateRequest, type VolumePlan } from '../api.js';
import { AdminOnly, ErrorNote, Loading, Note, PageHead, Spinner } from '../components.js';
import { kib, seconds, shortId } from '../format.js';
import { useDebounced, usePoll } from '../hooks.js';
import { href } from '../router.js';

/** The form's fields, as heketi-cli volume create's flags (defaults included). */
interface Form {
  size: string;
  name: string;
  durability: 'replicate' | 'disperse' | 'none';
  replica: string;
  data: string;
  redundancy: string;
  gid: string;
  snapshotFactor: string;
  clusters: string[];
  options: string;
  block: boolean;
}

const INITIAL: Form = { size: '', name: '', durability: 'replicate', replica: '3', data: '4', redundancy: '2', gid: '', snapshotFactor: '1', clusters: [], options: '', block: false };

/** The request heketi-cli would send for these flags, or the first problem with the input. */
export function requestOf(f: Form): { req?: VolumeCreateRequest; problem?: string } {
  const size = Number(f.size);
  if (f.size.trim() === '') return { problem: 'Enter a size.' };
  if (!Number.isInteger(size) || size < 1) return { problem: 'Size is a whole number of GiB, at least 1.' };
  const int = (v: string) => (v.trim() === '' ? 0 : Number(v));
  const durability: DurabilityRequest =
    f.durability === 'replicate'
      ? { type: 'replicate', replicate: { replica: int(f.replica) } }
      : f.durability === 'disperse'
        ? { type: 'disperse', disperse: { data: int(f.data), redundancy: int(f.redundancy) } }
        : { type: 'none' };
  const req: VolumeCreateRequest = { size, durability };
  if (f.name.trim()) req.name = f.name.trim();
  const gid = int(f.gid);
  if (!Number.isInteger(gid) || gid < 0) return { problem: 'GID is a whole number.' };
  if (gid > 0) req.gid = gid;
  const factor = Number(f.snapshotFactor || '1');
  if (!(factor >= 1)) return { problem: 'Snapshot factor is a number of at least 1.' };
  if (factor > 1) req.snapshot = { enable: true, factor };
  if (f.clusters.length > 0) req.clusters = f.clusters;
  // heketi-cli splits --gluster-volume-options on commas; one per line reads better here.
  const options = f.options
    .split(/[\n,]/)
    .map((o) => o.trim())
    .filter(Boolean);
  if (options.length > 0) req.glustervolumeoptions = options;
  if (f.block) req.block = true;
  return { req };
}

export function CreateView({ session }: { session: Session }) {
  if (session.role !== 'admin') return <AdminOnly title="Create volume" what="Creating volumes from the console needs the admin key: with the user key Heketi lets a create start but not be followed to its end." />;
  return <CreateForm session={session} />;
}

function CreateForm({ session }: { session: Session }) {
  const pool = usePoll(() => loadPool(session), 0, [session]);
  const [form, setForm] = useState<Form>(INITIAL);
  const [running, setRunning] = useState<{ started: number; elapsed: number } | undefined>();
  const [created, setCreated] = useState<string | undefined>();
  const [error, setError] = useState('');
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));
  const { req, problem } = useMemo(() => requestOf(form), [form]);
  const debouncedReq = useDebounced(req ? JSON.stringify(req) : '', 300);
  const [plan, setPlan] = useState<{ for: string; plan?: VolumePlan; error?: string } | undefined>();

  useEffect(() => {
    if (!debouncedReq) return setPlan(undefined);
    let live = true;
    planVolume(session, JSON.parse(debouncedReq) as VolumeCreateRequest).then(
      (p) => live && setPlan({ for: debouncedReq, plan: p }),
      (e: unknown) => live && setPlan({ for: debouncedReq, error: errorMessage(e) }),
    );
    return () => {
      live = false;
    };
  }, [debouncedReq]);

  const planCurrent = plan && req && plan.for === JSON.stringify(req);
  const canCreate = !!req && !!planCurrent && plan?.plan?.feasible === true && !running;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!req || !canCreate) return;
    setError('');
    setCreated(undefined);
    const started = Date.now();
    setRunning({ started, elapsed: 0 });
    try {
      const id = await createVolume(session, req, (elapsed) => setRunning({ started, elapsed }));
      setCreated(id);
      setForm(INITIAL);
      pool.refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setRunning(undefined);
    }
  };

  const field = (k: keyof Form, label: string, props: Record<string, unknown> = {}, help?: string) => (
    <label class="field">
      <span class="field-label">{label}</span>
      <input name={k} value={form[k] as string} onInput={(e) => set(k, (e.target as HTMLInputElement).value as never)} aria-describedby={help ? `${k}-help` : undefined} {...props} />
      {help ? (
        <span class="field-help" id={`${k}-help`}>
          {help}
        </span>
      ) : null}
    </label>
  );

  return (
    <>
      <PageHead title="Create volume" sub="The same options as heketi-cli volume create. The placement preview is a dry run: nothing is reserved until you create." />
      <div class="create">
        <form class="card form" onSubmit={submit} aria-label="New volume">
          <div class="form-row">
            {field('size', 'Size (GiB)', { inputMode: 'numeric', required: true, autoFocus: true, placeholder: 'e.g. 100' })}
            {field('name', 'Name', { placeholder: 'vol_<id> when empty', pattern: '[A-Za-z0-9_\\-]*' })}
          </div>
          <fieldset class="field">
            <legend class="field-label">Durability</legend>
            <div class="segmented">
              {(['replicate', 'disperse', 'none'] as const).map((d) => (
                <label key={d} class={form.durability === d ? 'is-on' : ''}>
                  <input type="radio" name="durability" value={d} checked={form.durability === d} onChange={() => set('durability', d)} />
                  {d === 'replicate' ? 'Replicate' : d === 'disperse' ? 'Disperse' : 'None'}
                </label>
              ))}
            </div>
          </fieldset>
          {form.durability === 'replicate' ? <div class="form-row">{field('replica', 'Replica count', { inputMode: 'numeric' }, '2 or 3 (heketi-cli --replica, default 3)')}</div> : null}
          {form.durability === 'disperse' ? (
            <div class="form-row">
              {field('data', 'Data bricks', { inputMode: 'numeric' }, '--disperse-data')}
              {field('redundancy', 'Redundancy', { inputMode: 'numeric' }, '--redundancy')}
            </div>
          ) : null}
          <details class="more">
            <summary>More options</summary>
            <div class="form-row">
              {field('gid', 'GID', { inputMode: 'numeric', placeholder: 'none' }, 'Group owning the volume root (--gid)')}
              {field('snapshotFactor', 'Snapshot factor', { inputMode: 'decimal' }, 'Above 1 enables snapshots (--snapshot-factor)')}
            </div>
            <label class="field">
              <span class="field-label">Gluster volume options</span>
              <textarea name="options" rows={3} value={form.options} onInput={(e) => set('options', (e.target as HTMLTextAreaElement).value)} placeholder={'performance.readdir-ahead on\nuser.heketi.zone-checking strict'} aria-describedby="options-help" />
              <span class="field-help" id="options-help">
                One “key value” per line (--gluster-volume-options).
              </span>
            </label>
            {pool.data && pool.data.clusters.length > 1 ? <ClusterPicker pool={pool.data} value={form.clusters} onChange={(v) => set('clusters', v)} /> : null}
            <label class="check">
              <input type="checkbox" checked={form.block} onChange={(e) => set('block', (e.target as HTMLInputElement).checked)} />
              Block hosting volume (--block)
            </label>
          </details>
          {error ? <ErrorNote error={error} /> : null}
          {created ? (
            <Note tone="ok">
              Volume created.{' '}
              <a href={href(`/volumes/${created}`)} data-testid="created-link">
                Open it
              </a>
            </Note>
          ) : null}
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={!canCreate} aria-describedby="create-why">
              {running ? <Spinner label="Creating" /> : null}
              {running ? `Creating… ${seconds(running.elapsed)}` : 'Create volume'}
            </button>
            <span class="muted small" id="create-why">
              {running ? 'Bricks are being made on the nodes, then gluster creates and starts the volume.' : problem ?? (planCurrent ? (plan?.plan?.feasible ? '' : 'The preview shows why this cannot be placed.') : 'Checking placement…')}
            </span>
          </div>
          {running ? <div class="progress" role="progressbar" aria-label="Creating volume" /> : null}
        </form>
        <section class="card preview" aria-labelledby="preview-title" aria-live="polite">
          <h2 id="preview-title" class="card-title">
            Placement preview
          </h2>
          <PlanPreview problem={problem} plan={plan?.plan} error={plan?.error} stale={!planCurrent} pool={pool.data} />
        </section>
      </div>
    </>
  );
}

function ClusterPicker({ pool, value, onChange }: { pool: Pool; value: string[]; onChange: (v: string[]) => void }) {
  return (
    <fieldset class="field">
      <legend class="field-label">Clusters (none chosen: any)</legend>
      {pool.clusters.map((c) => (
        <label key={c.id} class="check">
          <input type="checkbox" checked={value.includes(c.id)} onChange={(e) => onChange((e.target as HTMLInputElement).checked ? [...value, c.id] : value.filter((x) => x !== c.id))} />
          <code>{shortId(c.id)}</code> <span class="muted">({kib(c.free)} free)</span>
        </label>
      ))}
    </fieldset>
  );
}

function PlanPreview({ problem, plan, error, stale, pool }: { problem?: string; plan?: VolumePlan; error?: string; stale: boolean; pool?: Pool }) {
  if (problem) return <p class="muted">{problem}</p>;
  if (error) return <ErrorNote error={error} />;
  if (!plan) return <Loading label="Planning…" />;
  return (
    <div class={stale ? 'is-stale' : ''} data-testid="plan">
      {plan.feasible ? (
        <>
          <Note tone="ok">
            Fits: {plan.sets.length} {plan.sets[0]!.length > 1 ? `set${plan.sets.length === 1 ? '' : 's'} of ${plan.sets[0]!.length}` : 'bricks'}, {kib(plan.brick_size)} per data brick, in cluster{' '}
            <code>{shortId(plan.cluster)}</code>.
          </Note>
          <ol class="plan-sets">
            {plan.sets.map((set, i) => (
              <li key={i}>
                <span class="muted small">Set {i + 1}</span>
                <ul class="plan-bricks">
                  {set.map((b, j) => {
                    const n = pool?.nodeById.get(b.node);
                    const d = pool?.deviceById.get(b.device);
                    return (
                      <li key={j}>
                        <strong>{n?.manage ?? shortId(b.node)}</strong>
                        <span class="muted">
                          {' '}
                          {d?.name ?? shortId(b.device)} · zone {n?.zone ?? '?'} · {kib(b.size)}
                          {b.arbiter ? ' · arbiter' : ''}
                        </span>
                      </li>
                    );
                  })}
                </ul>
              </li>
            ))}
          </ol>
        </>
      ) : (
        <>
          <Note tone="warn">{plan.error}</Note>
          {plan.reasons.length > 0 ? (
            <>
              <p class="small muted">Why, per constraint:</p>
              <ul class="reasons" data-testid="reasons">
                {plan.reasons.map((r, i) => (
                  <li key={i}>{r}</li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      )}
    </div>
  );
}
