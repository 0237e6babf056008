import { useEffect, useState } from 'preact/hooks';
import { deleteTarget, errorMessage, removalPlan, removeTarget, setState, type Pool, type PoolDevice, type PoolNode, type RemovalPlan, type Session, type State, type Target } from '../api.js';
import { CapacityBar, Dialog, ErrorNote, Loading, Note, Spinner, StateBadge } from '../components.js';
import { kib, plural, shortId } from '../format.js';

type Action = 'disable' | 'enable' | 'remove' | 'delete';

const EXPLAIN: Record<Action, { label: string; text: (what: string) => string; tone: 'normal' | 'danger' }> = {
  disable: { label: 'Disable', text: (w) => `No new bricks are placed on this ${w}. Its bricks stay and keep serving.`, tone: 'normal' },
  enable: { label: 'Enable', text: (w) => `New bricks may be placed on this ${w} again.`, tone: 'normal' },
  remove: {
    label: 'Remove',
    text: (w) => `Moves every brick of this ${w} to other devices (gluster replace-brick, then self-heal) and marks it failed. It cannot be enabled again.`,
    tone: 'danger',
  },
  delete: { label: 'Delete', text: (w) => `Forgets this removed ${w}: its LVM volume group is wiped from the node and it leaves the topology.`, tone: 'danger' },
};

function actionsFor(state: State, hasContent: boolean): Action[] {
  if (state === 'online') return ['disable', 'remove'];
  if (state === 'offline') return ['enable', 'remove'];
  return hasContent ? [] : ['delete'];
}

export function ActionDialog(props: { session: Session; pool: Pool; target: Target; node: PoolNode; device?: PoolDevice; onClose: () => void; onDone: () => void }) {
  const { session, pool, target, node, device, onClose, onDone } = props;
  const admin = session.role === 'admin';
  const what = target.kind;
  const subject = device ? `${device.name} on ${node.manage}` : node.manage;
  const state = device ? device.state : node.state;
  const hasContent = device ? device.bricks > 0 : node.devices.length > 0;
  const [chosen, setChosen] = useState<Action | undefined>();
  const [phase, setPhase] = useState<'choose' | 'confirm' | 'running' | 'done'>('choose');
  const [error, setError] = useState('');
  const [plan, setPlan] = useState<RemovalPlan | undefined>();

  useEffect(() => {
    if (chosen !== 'remove') return;
    setPlan(undefined);
    removalPlan(session, target).then(setPlan, (e: unknown) => setError(errorMessage(e)));
  }, [chosen]);

  const run = async () => {
    if (!chosen) return;
    setPhase('running');
    setError('');
    try {
      if (chosen === 'disable') await setState(session, target, 'offline');
      else if (chosen === 'enable') await setState(session, target, 'online');
      else if (chosen === 'remove') await removeTarget(session, target, state);
      else await deleteTarget(session, target);
      setPhase('done');
      onDone();
    } catch (e) {
      setError(errorMessage(e));
      setPhase('confirm');
      onDone();
    }
  };

  const c = device ?? node;
  const actions = actionsFor(state, hasContent);
  const footer =
    phase === 'done' ? (
      <button type="button" class="btn btn-primary" onClick={onClose} autoFocus>
        Close
      </button>
    ) : chosen ? (
      <>
        <button type="button" class="btn btn-ghost" onClick={() => (phase === 'running' ? undefined : (setChosen(undefined), setPhase('choose'), setError('')))} disabled={phase === 'running'}>
          Back
        </button>
        <button
          type="button"
          class={`btn ${EXPLAIN[chosen].tone === 'danger' ? 'btn-danger' : 'btn-primary'}`}
          disabled={phase === 'running' || (chosen === 'remove' && (!plan || !plan.feasible))}
          onClick={run}
        >
          {phase === 'running' ? <Spinner label="Working" /> : null}
          {confirmLabel(chosen, what, plan)}
        </button>
      </>
    ) : (
      <button type="button" class="btn btn-ghost" onClick={onClose}>
        Close
      </button>
    );

  return (
    <Dialog title={`${what === 'node' ? 'Node' : 'Device'} ${subject}`} onClose={onClose} footer={footer} wide={chosen === 'remove'}>
      <div class="subject">
        <StateBadge state={state} />
        <span class="muted">
          {device ? `${plural(device.bricks, 'brick')} · ` : `zone ${node.zone} · ${plural(node.devices.length, 'device')} · `}
          {kib(c.used)} used of {kib(c.total)}
        </span>
        <code class="muted" title={target.id}>
          {shortId(target.id)}
        </code>
      </div>
      <CapacityBar c={c} label={subject} />
      {!admin ? (
        <Note tone="info">Read-only: changing the pool needs the admin key.</Note>
      ) : phase === 'done' ? (
        <Note tone="ok">Done: {doneText(chosen!, what)}</Note>
      ) : !chosen ? (
        actions.length === 0 ? (
          <p class="muted">
            This {what} is removed. {what === 'node' ? 'Delete its devices first; then the node can be deleted.' : 'It still has bricks; it can be deleted once they are gone.'}
          </p>
        ) : (
          <ul class="action-list">
            {actions.map((a) => (
              <li key={a}>
                <button type="button" class={`action action-${EXPLAIN[a].tone}`} onClick={() => (setChosen(a), setPhase('confirm'))}>
                  <strong>
                    {EXPLAIN[a].label} {what}
                  </strong>
                  <span>{EXPLAIN[a].text(what)}</span>
                </button>
              </li>
            ))}
          </ul>
        )
      ) : (
        <div class="confirm">
          <p>{EXPLAIN[chosen].text(what)}</p>
          {chosen === 'remove' ? <MovePlan plan={plan} pool={pool} error={error && !plan ? error : ''} /> : null}
          {chosen === 'remove' && state === 'online' ? <p class="muted small">The {what} is disabled first, as Heketi requires.</p> : null}
        </div>
      )}
      {error && (plan || chosen !== 'remove') ? <ErrorNote error={error} /> : null}
    </Dialog>
  );
}

function confirmLabel(a: Action, what: string, plan?: RemovalPlan): string {
  if (a === 'remove') return plan && plan.moves.length > 0 ? `Remove ${what} and move ${plural(plan.moves.length, 'brick')}` : `Remove ${what}`;
  return `${EXPLAIN[a].label} ${what}`;
}

function doneText(a: Action, what: string): string {
  return { disable: `the ${what} is offline.`, enable: `the ${what} is online.`, remove: `the ${what} is removed and its bricks moved.`, delete: `the ${what} is deleted.` }[a];
}

/** What will move where: one row per brick, with the destination's node, zone and device. */
function MovePlan({ plan, pool, error }: { plan?: RemovalPlan; pool: Pool; error: string }) {
  if (error) return <ErrorNote error={error} />;
  if (!plan) return <Loading label="Planning where each brick goes…" />;
  if (plan.moves.length === 0) return <Note tone="ok">No bricks to move.</Note>;
  const where = (loc: { node: string; device: string }) => {
    const n = pool.nodeById.get(loc.node);
    const d = pool.deviceById.get(loc.device);
    return (
      <>
        <strong>{n?.manage ?? shortId(loc.node)}</strong> <span class="muted">{d?.name ?? shortId(loc.device)}</span>
        {n ? <span class="muted"> · zone {n.zone}</span> : null}
      </>
    );
  };
  const stuck = plan.moves.filter((m) => !m.to).length;
  return (
    <>
      {plan.feasible ? (
        <Note tone="info">
          {plural(plan.moves.length, 'brick')} will move as below (the allocator's plan; among equally good devices the final choice may differ).
        </Note>
      ) : (
        <Note tone="warn">
          {plural(stuck, 'brick')} cannot be moved: add capacity (or nodes in other zones) first. Nothing has been changed.
        </Note>
      )}
      <div class="table-wrap">
        <table class="table table-compact" aria-label="Planned brick moves">
          <thead>
            <tr>
              <th scope="col">Volume</th>
              <th scope="col">Brick</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
            </tr>
          </thead>
          <tbody>
            {plan.moves.map((m) => (
              <tr key={m.brick} class={m.to ? '' : 'row-bad'}>
                <td>{m.volume_name}</td>
                <td>{kib(m.size)}</td>
                <td>{where(m.from)}</td>
                <td>
                  {m.to ? (
                    where(m.to)
                  ) : (
                    <>
                      <span class="text-crit">{m.reason}</span>
                      {m.reasons && m.reasons.length > 0 ? (
                        <details class="why">
                          <summary>Why, per device ({m.reasons.length})</summary>
                          <ul class="reasons">
                            {m.reasons.map((r, i) => (
                              <li key={i}>{r}</li>
                            ))}
                          </ul>
                        </details>
                      ) : null}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
