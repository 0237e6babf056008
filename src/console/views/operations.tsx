import { useState } from 'preact/hooks';
import { cleanupOperations, errorMessage, loadOperations, type OperationDetail, type Session } from '../api.js';
import { Dialog, Empty, ErrorNote, Loading, Note, PageHead, Spinner, Stat, StateBadge } from '../components.js';
import { ago, count, shortId } from '../format.js';
import { useNow, usePoll } from '../hooks.js';
import { Freshness } from './pool.js';

/** Readable names for the journal's step markers (`bricks:0` → "Bricks made (attempt 1)"). */
function stepLabel(step: string): string {
  const [name, arg] = step.split(':');
  const attempt = arg !== undefined && /^\d+$/.test(arg) ? ` (attempt ${Number(arg) + 1})` : '';
  const names: Record<string, string> = {
    bricks: 'Bricks',
    gluster: 'Gluster volume',
    'new-brick': 'New brick',
    'replace-brick': 'Replace brick',
    evicted: 'Brick moved',
  };
  if (name === 'evicted' && arg) return `Brick ${shortId(arg)} moved`;
  return `${names[name!] ?? name}${attempt}`;
}

const TYPE_LABEL: Record<string, string> = {
  'create-volume': 'Create volume',
  'delete-volume': 'Delete volume',
  'expand-volume': 'Expand volume',
  'clone-volume': 'Clone volume',
  'create-block-volume': 'Create block volume',
  'delete-block-volume': 'Delete block volume',
  'expand-block-volume': 'Expand block volume',
  'remove-device': 'Remove device',
  'evict-brick': 'Move brick',
};

export function OperationsView({ session }: { session: Session }) {
  const admin = session.role === 'admin';
  const ops = usePoll(() => loadOperations(session), 2000, [session]);
  const [confirm, setConfirm] = useState<string[] | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  useNow(5000);

  const clean = async (ids: string[]) => {
    setBusy(true);
    setError('');
    setDone('');
    try {
      await cleanupOperations(session, ids);
      setDone(`Cleanup finished for ${ids.length === 1 ? 'the operation' : `${ids.length} operations`}.`);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setConfirm(undefined);
      ops.refresh();
    }
  };

  if (!ops.data) {
    return (
      <>
        <PageHead title="Operations" />
        {ops.error ? <ErrorNote error={errorMessage(ops.error)} onRetry={ops.refresh} /> : <Loading />}
      </>
    );
  }
  const { counts, operations } = ops.data;
  const running = operations.filter((o) => o.status === '');
  const broken = operations.filter((o) => o.status !== '');
  return (
    <>
      <PageHead title="Operations" sub="Every multi-step change is journaled: what it touches and the steps it has done." actions={<Freshness at={ops.at} error={ops.error} />} />
      {!admin ? <Note tone="info">Read-only: cleaning up failed operations needs the admin key.</Note> : null}
      <section class="summary summary-ops" aria-label="Operation counts">
        <Stat label="In flight" value={<span data-testid="ops-inflight">{count(counts.in_flight)}</span>} sub="running in this server" />
        <Stat label="Failed" value={<span data-testid="ops-failed">{count(counts.failed)}</span>} sub="undo could not finish" tone={counts.failed > 0 ? 'crit' : undefined} />
        <Stat label="Stale" value={<span data-testid="ops-stale">{count(counts.stale)}</span>} sub="left by an earlier run" tone={counts.stale > 0 ? 'warn' : undefined} />
        <Stat label="Total" value={<span data-testid="ops-total">{count(counts.total)}</span>} sub="pending in the journal" />
      </section>
      {error ? <ErrorNote error={error} /> : null}
      {done ? <Note tone="ok">{done}</Note> : null}

      <section aria-labelledby="broken-title">
        <div class="section-head">
          <h2 id="broken-title" class="section-title">
            Failed and stale
          </h2>
          {admin && broken.length > 1 ? (
            <button type="button" class="btn btn-ghost btn-sm" disabled={busy} onClick={() => setConfirm(broken.slice(0, 32).map((o) => o.id))}>
              Clean up all ({Math.min(32, broken.length)})
            </button>
          ) : null}
        </div>
        {broken.length === 0 ? (
          <Empty title="Nothing failed" icon="check">
            <p>Operations that could not finish or undo themselves show up here{admin ? ', with a cleanup action' : ''}.</p>
          </Empty>
        ) : (
          <ul class="ops">
            {broken.map((o) => (
              <OperationItem key={o.id} op={o} action={
                  admin ? (
                    <button type="button" class="btn btn-sm" disabled={busy} onClick={() => setConfirm([o.id])}>
                      Clean up
                    </button>
                  ) : undefined
                }
              />
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="running-title">
        <h2 id="running-title" class="section-title">
          In flight
        </h2>
        {running.length === 0 ? (
          <p class="muted pad">No operation is running.</p>
        ) : (
          <ul class="ops">
            {running.map((o) => (
              <OperationItem key={o.id} op={o} />
            ))}
          </ul>
        )}
      </section>

      {confirm ? (
        <Dialog
          title={confirm.length === 1 ? 'Clean up this operation?' : `Clean up ${confirm.length} operations?`}
          onClose={() => !busy && setConfirm(undefined)}
          footer={
            <>
              <button type="button" class="btn btn-ghost" disabled={busy} onClick={() => setConfirm(undefined)}>
                Cancel
              </button>
              <button type="button" class="btn btn-primary" disabled={busy} onClick={() => clean(confirm)}>
                {busy ? <Spinner label="Cleaning up" /> : null}
                Clean up
              </button>
            </>
          }
        >
          <p>
            The server retries each operation's undo: what it made on the nodes is destroyed and its space released. An operation past its commit
            point is finished instead. Nodes must be reachable; one that still fails stays listed.
          </p>
        </Dialog>
      ) : null}
    </>
  );
}

function OperationItem({ op, action }: { op: OperationDetail; action?: preact.ComponentChildren }) {
  const kinds = new Map<string, number>();
  for (const c of op.changes) kinds.set(c.description, (kinds.get(c.description) ?? 0) + 1);
  return (
    <li class={`op card op-${op.status || 'running'}`} data-op={op.id}>
      <div class="op-head">
        <strong>{TYPE_LABEL[op.type_name] ?? op.type_name}</strong>
        <StateBadge state={op.sub_status === 'in-flight' ? 'in flight' : op.status} />
        {op.committed ? <span class="chip">past commit point</span> : null}
        <span class="muted small">{ago(op.timestamp)}</span>
        <code class="muted small" title={op.id}>
          {shortId(op.id)}
        </code>
        <span class="grow" />
        {action}
      </div>
      <div class="op-body">
        <div class="muted small">
          {[...kinds.entries()].map(([d, n]) => `${d}${n > 1 ? ` ×${n}` : ''}`).join(' · ')}
        </div>
        <ol class="steps" aria-label="Steps done">
          {op.steps_done.length === 0 ? <li class="step step-todo">No step done yet</li> : null}
          {op.steps_done.map((s, i) => (
            <li key={i} class="step step-done">
              {stepLabel(s)}
            </li>
          ))}
        </ol>
      </div>
    </li>
  );
}
