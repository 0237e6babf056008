/**
 * End-to-end create latency on the real GlusterFS lab (scripts/lab). Runs only when a lab is up
 * (`BENCH_LAB=1 npm run bench` after `scripts/lab up 3 --disks 2`); otherwise prints why not.
 */
export async function runE2eLatency(): Promise<(string | number)[][]> {
  if (process.env.BENCH_LAB !== '1') {
    return [['e2e create 1 GiB replica-3 on the lab', '-', '-', '-', 'skipped: set BENCH_LAB=1 with a lab up']];
  }
  return [['e2e create 1 GiB replica-3 on the lab', '-', '-', '-', 'not implemented yet']];
}
