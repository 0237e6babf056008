/**
 * Read rates measured with `wrk` (Debian package `wrk`), a C load generator that is not the bound
 * the way the bench's Node client is. Heketi's tokens name their method and path (qsh), so every
 * path gets its own token, minted here (valid 300 s) and handed to wrk in a Lua script that cycles
 * through the prepared requests. When wrk is not installed the caller prints a skipped row.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { importHmacKey, signToken } from '../src/client/index.js';

export interface WrkResult {
  requests: number;
  perSec: number;
  /** Answers other than 2xx/3xx, and socket errors (connect, read, write, timeout). */
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

let wrkFound: boolean | undefined;

/** Whether `wrk` can be run (checked once). */
export function haveWrk(): boolean {
  if (wrkFound === undefined) {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' });
      wrkFound = true;
    } catch (e) {
      // wrk --version prints its usage and exits 1: it is there all the same.
      wrkFound = (e as { code?: string }).code !== 'ENOENT';
    }
  }
  return wrkFound;
}

export const WRK_MISSING = 'skipped: wrk not installed (apt-get install wrk)';

const luaString = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * GETs `paths` (in turn, over `connections` connections and 2 threads) for `seconds`. With `key`,
 * each request carries an admin token for its path; without, none (open routes).
 */
export async function wrkGet(base: string, paths: string[], opts: { key?: string; connections: number; seconds: number; dir: string }): Promise<WrkResult> {
  const hmac = opts.key === undefined ? undefined : await importHmacKey(opts.key);
  const lines: string[] = [];
  for (const p of paths) {
    const token = hmac ? await signToken('GET', p, 'admin', hmac) : '';
    lines.push(`  {${luaString(p)}, ${luaString(token)}},`);
  }
  const script = join(opts.dir, `wrk-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(
    script,
    `local prepared = {
${lines.join('\n')}
}
local requests = {}
local i = 0
init = function()
  for n, r in ipairs(prepared) do
    local headers = {}
    if r[2] ~= "" then headers["Authorization"] = "bearer " .. r[2] end
    requests[n] = wrk.format("GET", r[1], headers)
  end
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format("WRKJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"errors\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`,
  );
  const threads = Math.min(2, opts.connections);
  const r = await execa('wrk', ['-t', String(threads), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '-s', script, base], { reject: false });
  const m = /WRKJSON (\{.*\})/.exec(r.stdout);
  if (!m) throw new Error(`wrk: no result (exit ${r.exitCode}): ${r.stderr || r.stdout}`.slice(0, 300));
  const j = JSON.parse(m[1]!) as { requests: number; duration_us: number; errors: number; p50_us: number; p99_us: number };
  return { requests: j.requests, perSec: j.requests / (j.duration_us / 1e6), errors: j.errors, p50Ms: j.p50_us / 1000, p99Ms: j.p99_us / 1000 };
}
