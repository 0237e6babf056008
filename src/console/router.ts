import { useEffect, useState } from 'preact/hooks';

/** The app lives under /ui; the server answers index.html for every path below it. */
export const BASE = '/ui';

export type Route =
  | { view: 'pool' }
  | { view: 'volumes' }
  | { view: 'volume'; id: string }
  | { view: 'create' }
  | { view: 'operations' }
  | { view: 'drift' };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split('/').filter(Boolean);
  switch (parts[0]) {
    case 'volumes':
      return parts[1] && /^[0-9a-f]+$/i.test(parts[1]) ? { view: 'volume', id: parts[1] } : { view: 'volumes' };
    case 'create':
      return { view: 'create' };
    case 'operations':
      return { view: 'operations' };
    case 'drift':
      return { view: 'drift' };
    default:
      return { view: 'pool' };
  }
}

export const href = (path: string): string => `${BASE}${path}`;

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  history.pushState(null, '', href(path));
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** Client-side navigation for plain left clicks on in-app links; others (new tab) stay native. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE) || a.target) return;
  e.preventDefault();
  navigate(url.pathname.slice(BASE.length) + url.search);
}
