import { useEffect, useRef, useState } from 'preact/hooks';
import logo from './favicon.svg';
import { loadOperations, type Session } from './api.js';
import { usePoll } from './hooks.js';
import { Icon } from './icons.js';
import { href, onLinkClick, useRoute, type Route } from './router.js';
import { SignIn } from './views/signin.js';
import { PoolView } from './views/pool.js';
import { VolumesView, VolumeDetail } from './views/volumes.js';
import { CreateView } from './views/create.js';
import { OperationsView } from './views/operations.js';
import { DriftView } from './views/drift.js';

const NAV: { view: Route['view']; path: string; label: string; icon: string; admin: boolean }[] = [
  { view: 'pool', path: '/pool', label: 'Pool', icon: 'pool', admin: false },
  { view: 'volumes', path: '/volumes', label: 'Volumes', icon: 'volumes', admin: false },
  { view: 'create', path: '/create', label: 'Create volume', icon: 'create', admin: true },
  { view: 'operations', path: '/operations', label: 'Operations', icon: 'operations', admin: false },
  { view: 'drift', path: '/drift', label: 'Drift', icon: 'drift', admin: true },
];

const TITLES: Record<Route['view'], string> = {
  pool: 'Pool',
  volumes: 'Volumes',
  volume: 'Volume',
  create: 'Create volume',
  operations: 'Operations',
  drift: 'Drift',
};

export function App() {
  // The key lives only in this object, in this tab's memory: a reload signs out.
  const [session, setSession] = useState<Session | undefined>();
  const route = useRoute();
  useEffect(() => {
    document.title = session ? `${TITLES[route.view]} · Brickyard` : 'Sign in · Brickyard';
  }, [route.view, session]);
  if (!session) return <SignIn onSignedIn={setSession} />;
  return <Shell session={session} route={route} onSignOut={() => setSession(undefined)} />;
}

function Shell({ session, route, onSignOut }: { session: Session; route: Route; onSignOut: () => void }) {
  const admin = session.role === 'admin';
  const ops = usePoll(() => loadOperations(session).then((o) => o.counts), 4000, [session]);
  const attention = ops.data ? ops.data.failed + ops.data.stale : 0;
  // After a navigation, keyboard and screen-reader users land on the new page's content.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [route]);
  const active = route.view === 'volume' ? 'volumes' : route.view;
  return (
    <div class="shell" onClick={onLinkClick}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href('/pool')} aria-label="Brickyard home">
          <img src={logo} alt="" width="26" height="26" />
          <span>Brickyard</span>
        </a>
        <nav class="nav" aria-label="Main">
          {NAV.map((n) => {
            const locked = n.admin && !admin;
            return (
              <a
                key={n.view}
                href={href(n.path)}
                class={`nav-item${active === n.view ? ' is-active' : ''}${locked ? ' is-locked' : ''}`}
                aria-current={active === n.view ? 'page' : undefined}
                title={locked ? 'Needs the admin key' : undefined}
              >
                <Icon name={n.icon} />
                <span>{n.label}</span>
                {n.view === 'operations' && ops.data && ops.data.in_flight > 0 ? (
                  <span class="pill pill-live" aria-label={`${ops.data.in_flight} in flight`}>
                    {ops.data.in_flight}
                  </span>
                ) : null}
                {n.view === 'operations' && attention > 0 ? (
                  <span class="pill pill-crit" aria-label={`${attention} failed or stale`}>
                    {attention}
                  </span>
                ) : null}
                {locked ? <Icon name="lock" size={14} /> : null}
              </a>
            );
          })}
        </nav>
        <div class="who">
          <span class={`role role-${session.role}`}>{admin ? 'Admin' : 'User · read-only'}</span>
          <button type="button" class="btn btn-ghost btn-sm" onClick={onSignOut}>
            <Icon name="logout" size={16} />
            <span>Sign out</span>
          </button>
        </div>
      </header>
      <main id="main" class="main" tabIndex={-1}>
        <RouteView session={session} route={route} />
      </main>
    </div>
  );
}

function RouteView({ session, route }: { session: Session; route: Route }) {
  switch (route.view) {
    case 'pool':
      return <PoolView session={session} />;
    case 'volumes':
      return <VolumesView session={session} />;
    case 'volume':
      return <VolumeDetail session={session} id={route.id} />;
    case 'create':
      return <CreateView session={session} />;
    case 'operations':
      return <OperationsView session={session} />;
    case 'drift':
      return <DriftView session={session} />;
  }
}
