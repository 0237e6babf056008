/** Formatting for sizes (the API counts devices in KiB and volumes in GiB), counts and times. */

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function kib(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = v >= 100 || u === 0 ? 0 : 1;
  return `${v.toFixed(digits)} ${UNITS[u]}`;
}

export const gib = (n: number): string => kib(n * 1024 * 1024);

export function pct(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  const p = (part / whole) * 100;
  return `${p > 0 && p < 1 ? '<1' : Math.round(p)}%`;
}

// One formatter and one collator for the app: building them per call costs ~50 µs each.
const numberFormat = new Intl.NumberFormat('en-US');
export const count = (n: number): string => numberFormat.format(n);

const timeFormat = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
/** The time of day of a Unix ms timestamp, in the browser's locale. */
export const clock = (ms: number): string => timeFormat.format(ms);

const collator = new Intl.Collator('en', { numeric: true });
/** Natural order (node2 before node10). */
export const naturalCompare = (a: string, b: string): number => collator.compare(a, b);

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export const shortId = (id: string): string => id.slice(0, 8);

export function ago(unixSec: number, nowMs = Date.now()): string {
  const s = Math.max(0, Math.round(nowMs / 1000 - unixSec));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
