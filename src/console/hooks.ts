import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  /** When the last successful load finished (ms). */
  at?: number;
  refresh: () => void;
}

/**
 * Loads now and again every `intervalMs` while the tab is visible (0: once). Keeps the last good
 * data while a refresh runs or fails, so live views never flash empty. `initial` (read once) is
 * data already at hand: the first render shows it and the first load waits for the interval.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[] = [], initial?: () => T | undefined): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean; at?: number }>(() => {
    const data = initial?.();
    return data === undefined ? { loading: true } : { data, loading: false, at: Date.now() };
  });
  const skipFirstLoad = useRef(state.data !== undefined);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => mine === seq.current && setState({ data, loading: false, at: Date.now() }),
      (error: unknown) => mine === seq.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, []);
  useEffect(() => {
    if (skipFirstLoad.current) skipFirstLoad.current = false;
    else run();
    if (!intervalMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') run();
    }, intervalMs);
    return () => {
      clearInterval(timer);
      seq.current++;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { ...state, refresh: run };
}

/** `value`, updated only after it has been stable for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** Re-renders every `ms` (relative times). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** One observer for every element that waits to be seen (a node card each): 100 cards, one observer. */
const waiting = new Map<Element, () => void>();
let observer: IntersectionObserver | undefined;
function watch(el: Element, onSeen: () => void): () => void {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        observer!.unobserve(e.target);
        const seen = waiting.get(e.target);
        waiting.delete(e.target);
        seen?.();
      }
    },
    { rootMargin: '600px' },
  );
  waiting.set(el, onSeen);
  observer.observe(el);
  return () => {
    waiting.delete(el);
    observer?.unobserve(el);
  };
}

/**
 * True once the element has come within 600 px of the viewport (and stays true): big lists
 * render their details only where the operator looks, so 1,000 devices paint in one frame.
 */
export function useSeen(ref: { current: Element | null }, initially: boolean): boolean {
  const [seen, setSeen] = useState(initially);
  useEffect(() => {
    const el = ref.current;
    if (seen || !el || typeof IntersectionObserver === 'undefined') return;
    return watch(el, () => setSeen(true));
  }, [seen]);
  return seen;
}
