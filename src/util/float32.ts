/** Shortest decimal that is the same float32, as Go prints a float32 (1.2, not 1.2000000476837158). */
export function float32Shortest(x: number): number {
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}
