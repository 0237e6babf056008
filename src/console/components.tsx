import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Capacity, State } from './api.js';
import { kib, pct } from './format.js';
import { Icon } from './icons.js';

/** used / reserved-by-operations-in-flight / free, as one bar with an accessible text. */
export function CapacityBar({ c, size = 'md', label }: { c: Capacity; size?: 'sm' | 'md' | 'lg'; label?: string }) {
  const committed = Math.max(0, c.used - c.reserved);
  const w = (n: number) => (c.total > 0 ? `${(n / c.total) * 100}%` : '0%');
  const text = `${label ? `${label}: ` : ''}${kib(c.used)} used (${pct(c.used, c.total)})${c.reserved > 0 ? `, ${kib(c.reserved)} of it reserved by operations not finished yet` : ''}, ${kib(c.free)} free of ${kib(c.total)}`;
  const level = c.total > 0 && c.used / c.total >= 0.9 ? 'crit' : c.total > 0 && c.used / c.total >= 0.75 ? 'warn' : 'ok';
  return (
    <div class={`bar bar-${size} bar-${level}`} role="img" aria-label={text}>
      <span class="bar-used" style={{ width: w(committed) }} />
      {c.reserved > 0 && <span class="bar-reserved" style={{ width: w(c.reserved) }} />}
    </div>
  );
}

export function CapacityLegend({ c }: { c: Capacity }) {
  return (
    <dl class="legend">
      <div>
        <dt><i class="swatch swatch-used" />Used</dt>
        <dd>{kib(c.used - c.reserved)}</dd>
      </div>
      <div>
        <dt title="Held by operations not finished yet"><i class="swatch swatch-reserved" />Reserved</dt>
        <dd>{kib(c.reserved)}</dd>
      </div>
      <div>
        <dt><i class="swatch swatch-free" />Free</dt>
        <dd>{kib(c.free)}</dd>
      </div>
    </dl>
  );
}

export function StateBadge({ state }: { state: State | string }) {
  const label = state === '' ? 'running' : state;
  return <span class={`badge badge-${label}`}>{label}</span>;
}

export function Tags({ tags }: { tags: Record<string, string> }) {
  const entries = Object.entries(tags);
  if (entries.length === 0) return null;
  return (
    <ul class="tags" aria-label="Tags">
      {entries.map(([k, v]) => (
        <li key={k} class="tag">
          {k}
          {v ? <span class="tag-value">={v}</span> : null}
        </li>
      ))}
    </ul>
  );
}

export function Stat({ label, value, sub, tone }: { label: string; value: ComponentChildren; sub?: ComponentChildren; tone?: 'warn' | 'crit' | 'ok' }) {
  return (
    <div class={`stat${tone ? ` stat-${tone}` : ''}`}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {sub ? <div class="stat-sub">{sub}</div> : null}
    </div>
  );
}

export function Empty({ title, children, icon = 'empty' }: { title: string; children?: ComponentChildren; icon?: string }) {
  return (
    <div class="empty">
      <div class="empty-icon">
        <Icon name={icon} size={28} />
      </div>
      <h3>{title}</h3>
      {children ? <div class="empty-body">{children}</div> : null}
    </div>
  );
}

export function ErrorNote({ error, onRetry }: { error: string; onRetry?: () => void }) {
  return (
    <div class="note note-error note-row" role="alert">
      <span>{error}</span>
      {onRetry ? (
        <button type="button" class="btn btn-ghost btn-sm" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function Note({ tone = 'info', children }: { tone?: 'info' | 'warn' | 'ok'; children: ComponentChildren }) {
  return <div class={`note note-${tone}`}>{children}</div>;
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span class="spinner" role="status">
      <span class="visually-hidden">{label}</span>
    </span>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="loading">
      <Spinner label={label} />
      <span>{label}</span>
    </div>
  );
}

/** A modal dialog (native <dialog>: focus is trapped and Escape closes it). */
export function Dialog({ title, onClose, children, footer, wide }: { title: string; onClose: () => void; children: ComponentChildren; footer?: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    const cancel = (e: Event) => {
      e.preventDefault();
      onClose();
    };
    d?.addEventListener('cancel', cancel);
    return () => d?.removeEventListener('cancel', cancel);
  }, [onClose]);
  return (
    <dialog ref={ref} class={`dialog${wide ? ' dialog-wide' : ''}`} aria-labelledby="dialog-title">
      <header class="dialog-head">
        <h2 id="dialog-title">{title}</h2>
        <button type="button" class="btn btn-icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div class="dialog-body">{children}</div>
      {footer ? <footer class="dialog-foot">{footer}</footer> : null}
    </dialog>
  );
}

export function Copy({ text, label }: { text: string; label: string }) {
  return (
    <button
      type="button"
      class="btn btn-ghost btn-sm"
      aria-label={label}
      onClick={() => {
        void navigator.clipboard?.writeText(text);
      }}
    >
      Copy
    </button>
  );
}

export function PageHead({ title, sub, actions }: { title: string; sub?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="page-head">
      <div>
        <h1>{title}</h1>
        {sub ? <p class="page-sub">{sub}</p> : null}
      </div>
      {actions ? <div class="page-actions">{actions}</div> : null}
    </div>
  );
}

/** Shown in place of an admin-only view for a user key. */
export function AdminOnly({ title, what }: { title: string; what: string }) {
  return (
    <>
      <PageHead title={title} />
      <Empty title="Needs the admin key" icon="lock">
        <p>
          {what} Signed in with the user key the console is read-only: the pool, the volumes with their brick maps, and the operations. Sign
          in with the admin key to change the pool.
        </p>
      </Empty>
    </>
  );
}
