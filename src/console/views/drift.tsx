import { useState } from 'preact/hooks';
import { errorMessage, loadDrift, loadPool, repairDrift, type DriftItem, type RepairResult, type Session } from '../api.js';
import { AdminOnly, Dialog, Empty, ErrorNote, Loading, Note, PageHead, Spinner } from '../components.js';
import { plural, shortId } from '../format.js';
import { usePoll } from '../hooks.js';

export function DriftView({ session }: { session: Session }) {
  if (session.role !== 'admin') return <AdminOnly title="Drift" what="The drift report runs commands on every node, so it needs the admin key." />;
  return <Drift session={session} />;
}

function Drift({ session }: { session: Session }) {
  // Examining runs commands on every node: on demand, not on a timer.
  const report = usePoll(() => Promise.all([loadDrift(session), loadPool(session)]), 0, [session]);
  const [preview, setPreview] = useState<RepairResult | undefined>();
  const [previewing, setPreviewing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const [applying, setApplying] = useState(false);
  const [applied, setApplied] = useState<RepairResult | undefined>();
  const [error, setError] = useState('');

  const dryRun = async () => {
    setPreviewing(true);
    setError('');
    setApplied(undefined);
    try {
      setPreview(await repairDrift(session, true));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPreviewing(false);
    }
  };
  const apply = async () => {
    setApplying(true);
    setError('');
    try {
      setApplied(await repairDrift(session, false));
      setPreview(undefined);
      setConfirming(false);
      report.refresh();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setApplying(false);
    }
  };

  const examine = (
    <button type="button" class="btn btn-ghost" onClick={report.refresh} disabled={report.loading}>
      {report.loading ? <Spinner label="Examining" /> : null}
      Examine nodes again
    </button>
  );
  if (!report.data) {
    return (
      <>
        <PageHead title="Drift" />
        {report.error ? <ErrorNote error={errorMessage(report.error)} onRetry={report.refresh} /> : <Loading label="Examining every node (LVM, mounts, fstab, gluster)…" />}
      </>
    );
  }
  const [drift, pool] = report.data;
  const byNode = new Map<string, DriftItem[]>();
  for (const item of drift.items) byNode.set(item.node, [...(byNode.get(item.node) ?? []), item]);
  const nodeName = (id: string) => (id ? (pool.nodeById.get(id)?.manage ?? shortId(id)) : 'Whole pool');
  return (
    <>
      <PageHead title="Drift" sub="Differences between the database and what the nodes really have." actions={examine} />
      {error ? <ErrorNote error={error} /> : null}
      {applied ? (
        <Note tone="ok">
          Repair applied: {plural(applied.fixes.length, 'fix', 'fixes')}.
        </Note>
      ) : null}
      {drift.clean ? (
        <Empty title="No drift" icon="check">
          <p>Every volume, brick, logical volume, mount and fstab line on the nodes matches the database.</p>
        </Empty>
      ) : (
        <>
          <div class="section-head">
            <h2 class="section-title">{plural(drift.items.length, 'difference')}</h2>
            <button type="button" class="btn btn-primary" onClick={dryRun} disabled={previewing}>
              {previewing ? <Spinner label="Planning" /> : null}
              Preview repair
            </button>
          </div>
          {[...byNode.entries()].map(([node, items]) => (
            <section class="card drift-node" key={node} aria-label={`Drift on ${nodeName(node)}`}>
              <h3>{nodeName(node)}</h3>
              <ul class="drift-items">
                {items.map((it, i) => (
                  <li key={i}>
                    <span class="chip chip-kind">{it.kind}</span> {it.detail}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </>
      )}
      {preview ? (
        <section class="card repair" aria-labelledby="repair-title" data-testid="repair-preview">
          <h2 id="repair-title" class="card-title">
            Repair plan (dry run)
          </h2>
          {preview.fixes.length === 0 ? (
            <p class="muted">Nothing the repair may fix safely: the differences above need a person (the repair only removes leftovers with Brickyard/Heketi names that the database does not know).</p>
          ) : (
            <>
              <FixList fixes={preview.fixes} />
              <button type="button" class="btn btn-danger" onClick={() => (setUnderstood(false), setConfirming(true))}>
                Apply {plural(preview.fixes.length, 'fix', 'fixes')}…
              </button>
            </>
          )}
        </section>
      ) : null}
      {confirming && preview ? (
        <Dialog
          title="Apply the repair?"
          onClose={() => !applying && setConfirming(false)}
          footer={
            <>
              <button type="button" class="btn btn-ghost" disabled={applying} onClick={() => setConfirming(false)}>
                Cancel
              </button>
              <button type="button" class="btn btn-danger" disabled={!understood || applying} onClick={apply}>
                {applying ? <Spinner label="Repairing" /> : null}
                Apply repair
              </button>
            </>
          }
        >
          <p>These commands run on the nodes and delete what they name. They cannot be undone.</p>
          <FixList fixes={preview.fixes} />
          <label class="check">
            <input type="checkbox" checked={understood} onChange={(e) => setUnderstood((e.target as HTMLInputElement).checked)} />
            I understand these leftovers will be deleted from the nodes
          </label>
        </Dialog>
      ) : null}
    </>
  );
}

function FixList({ fixes }: { fixes: string[] }) {
  return (
    <ol class="fixes">
      {fixes.map((f, i) => (
        <li key={i} class="mono small">
          {f}
        </li>
      ))}
    </ol>
  );
}
