/**
 * SshRunner and KubectlRunner against the real lab (scripts/lab): glusterd, LVM and a hostile
 * argument on real nodes. Run with `bash scripts/e2e.sh` (brings the lab up and down) or, with a
 * lab already up, `npx vitest run -c vitest.e2e.config.ts`. Skipped when no lab is up.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeExecConfig, SshExecConfig } from '../../src/config.js';
import { CommandError, type CommandRunner, type NodeCommand } from '../../src/gluster/executor.js';
import { KubectlRunner } from '../../src/gluster/kubectl.js';
import { SshRunner } from '../../src/gluster/ssh.js';

const LAB = fileURLToPath(new URL('../../scripts/lab', import.meta.url));
const STANDIN = fileURLToPath(new URL('./kubectl-standin', import.meta.url));
const HOSTILE = "'; touch /tmp/pwned #";

interface LabEnv {
  dir: string;
  ssh: { user: string; port: number; key: string; options: string[] };
  nodes: { name: string; ip: string; devices: string[] }[];
}

async function loadLab(): Promise<{ lab?: LabEnv; why?: string }> {
  if (process.getuid?.() !== 0) return { why: 'not running as root' };
  const r = await execa(LAB, ['env', '--json'], { reject: false });
  if (r.exitCode !== 0) return { why: `${String(r.stderr).trim() || 'lab env failed'} (GLAB_DIR=${process.env.GLAB_DIR ?? '/tmp/glusterlab'})` };
  return { lab: JSON.parse(String(r.stdout)) as LabEnv };
}

const { lab, why } = await loadLab();
if (!lab) {
  console.warn(`\n*** executors e2e SKIPPED: ${why}.\n*** Run \`bash scripts/e2e.sh\` (it brings the lab up and down), or \`scripts/lab up 3 --disks 2\` first.\n`);
}

/** Runners made by the tests, closed after each test (and after each suite) even on failure. */
const open: CommandRunner[] = [];
function track<T extends CommandRunner>(r: T): T {
  open.push(r);
  return r;
}
const closeAll = () => Promise.all(open.splice(0).map((r) => r.close()));

const cmd = (argv: string[], over: Partial<NodeCommand> = {}): NodeCommand => ({ argv, timeoutSec: 60, ...over });

async function rejection(p: Promise<unknown>): Promise<CommandError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CommandError);
    return e as CommandError;
  }
  throw new Error('expected the batch to fail');
}

function sshConfig(l: LabEnv, over: Partial<SshExecConfig> = {}): SshExecConfig {
  return { keyfile: l.ssh.key, user: l.ssh.user, port: l.ssh.port, sudo: false, options: l.ssh.options.filter((o) => o !== '-o'), connectTimeoutSec: 5, ...over };
}

function kubeConfig(over: Partial<KubeExecConfig> = {}): KubeExecConfig {
  return { namespace: 'glusterfs', glusterDaemonset: false, usePodNames: false, kubectl: STANDIN, disableTimeoutPrefix: false, ...over };
}

/** Runs the checks every executor must pass on a real node. */
function nodeChecks(name: string, make: () => CommandRunner) {
  describe(name, () => {
    let runner: CommandRunner;
    beforeAll(() => {
      runner = make();
    });
    afterAll(async () => {
      await runner.close();
    });

    it('gluster --version on every node, in parallel', async () => {
      const all = await Promise.all(lab!.nodes.map((n) => runner.run(n.ip, [cmd(['gluster', '--version'])])));
      for (const [res] of all) expect(res.stdout).toMatch(/^glusterfs \d+\.\d+/);
    });

    it('systemctl status glusterd (Heketi node check)', async () => {
      const [res] = await runner.run(lab!.nodes[0].ip, [cmd(['systemctl', 'status', 'glusterd'])]);
      expect(res.exitCode).toBe(0);
      expect(res.stdout).toContain('active (running)');
    });

    it('pvcreate + pvs --reportformat json on a lab disk, then pvremove', async () => {
      const node = lab!.nodes[1];
      const dev = node.devices[0];
      try {
        const res = await runner.run(node.ip, [
          cmd(['pvcreate', '-qq', '--metadatasize=128M', '--dataalignment=256K', dev], { timeoutSec: 300 }),
          cmd(['pvs', '--reportformat', 'json', '--units', 'k', dev]),
        ]);
        const report = JSON.parse(res[1].stdout) as { report: { pv: { pv_name: string; pv_size: string }[] }[] };
        expect(report.report[0].pv[0].pv_name).toBe(dev);
        expect(Number.parseFloat(report.report[0].pv[0].pv_size)).toBeGreaterThan(9 * 1024 * 1024);
      } finally {
        await runner.run(node.ip, [cmd(['pvremove', '-qq', '-y', dev], { allowFailure: true })]);
      }
    });

    it('a failing LVM command: its real stderr is the error, and the batch stops there', async () => {
      const node = lab!.nodes[1];
      const dev = node.devices[node.devices.length - 1];
      const marker = `/tmp/brickyard-e2e-never-${process.pid}`;
      const e = await rejection(runner.run(node.ip, [cmd(['pvs', dev]), cmd(['touch', marker])]));
      expect(e.message).toContain(`Failed to find physical volume "${dev}"`);
      expect(e.result?.exitCode).toBe(5);
      expect(e.unreachable).toBe(false);
      expect(existsSync(marker)).toBe(false);
    });

    it('gluster errors come back as Heketi would report them', async () => {
      const e = await rejection(runner.run(lab!.nodes[0].ip, [cmd(['gluster', '--mode=script', 'volume', 'info', 'brickyard-no-such-vol'])]));
      expect(e.message).toBe('Volume brickyard-no-such-vol does not exist');
    });

    it(`passes ${JSON.stringify(HOSTILE)} to the node as one literal argument`, async () => {
      rmSync('/tmp/pwned', { force: true });
      const ip = lab!.nodes[2].ip;
      const [one] = await runner.run(ip, [cmd(['printf', '%s', HOSTILE])]);
      expect(one.stdout).toBe(HOSTILE);
      const more = [HOSTILE, '$(touch /tmp/pwned)', '`touch /tmp/pwned`', 'a b\n"c"\\', '', '*', '~root', '--help'];
      const [many] = await runner.run(ip, [cmd(['bash', '-c', 'printf "%s|" "$@"', 'bash', ...more])]);
      expect(many.stdout).toBe(more.map((a) => `${a}|`).join(''));
      // not on the node (checked there), and not on the host (the lab's /tmp is the host's)
      const [check] = await runner.run(ip, [cmd(['test', '-e', '/tmp/pwned'], { allowFailure: true })]);
      expect(check.exitCode).toBe(1);
      expect(existsSync('/tmp/pwned')).toBe(false);
    });
  });
}

describe.skipIf(!lab)('executors on the lab', () => {
  afterAll(closeAll);
  nodeChecks('SshRunner', () => track(new SshRunner(sshConfig(lab!))));
  nodeChecks('KubectlRunner (stand-in, label lookup)', () => track(new KubectlRunner(kubeConfig())));

  describe('SshRunner specifics', () => {
    it('an unreachable node (connection refused) is flagged unreachable', async () => {
      const r = track(new SshRunner(sshConfig(lab!, { port: 2 })));
      const e = await rejection(r.run(lab!.nodes[0].ip, [cmd(['true'])]));
      expect(e.unreachable).toBe(true);
      expect(e.message).toBe(`ssh: connect to host ${lab!.nodes[0].ip} port 2: Connection refused`);
      await r.close();
    });

    it('a wrong key is flagged unreachable (Permission denied)', async () => {
      const r = track(new SshRunner(sshConfig(lab!, { keyfile: '/nonexistent/key' })));
      const e = await rejection(r.run(lab!.nodes[0].ip, [cmd(['true'])]));
      expect(e.unreachable).toBe(true);
      expect(e.message).toMatch(/Permission denied \(publickey/);
      await r.close();
    });

    it('kills a command past its timeout ("SSH command timeout"); the host stays usable', async () => {
      const r = track(new SshRunner(sshConfig(lab!)));
      const ip = lab!.nodes[0].ip;
      const t0 = Date.now();
      const e = await rejection(r.run(ip, [cmd(['sleep', '30'], { timeoutSec: 1 }), cmd(['true'])]));
      expect(e.message).toBe('SSH command timeout');
      expect(Date.now() - t0).toBeLessThan(6000);
      const [res] = await r.run(ip, [cmd(['echo', 'still here'])]);
      expect(res.stdout).toBe('still here\n');
      await r.close();
    });

    it('multiplexes per host and close() ends the masters and removes the socket dir', async () => {
      const r = track(new SshRunner(sshConfig(lab!)));
      await Promise.all(lab!.nodes.map((n) => r.run(n.ip, [cmd(['true'])])));
      const dir = r.sshArgs('x', 'true').find((a) => a.startsWith('ControlPath='))!.slice('ControlPath='.length, -'/%C'.length);
      expect(readdirSync(dir)).toHaveLength(lab!.nodes.length);
      const masters = () =>
        readdirSync('/proc').filter((p) => {
          if (!/^\d+$/.test(p)) return false;
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
          } catch {
            return false;
          }
        });
      expect(masters().length).toBeGreaterThanOrEqual(lab!.nodes.length);
      await r.close();
      expect(existsSync(dir)).toBe(false);
      for (let i = 0; i < 50 && masters().length > 0; i++) await new Promise((res) => setTimeout(res, 100));
      expect(masters()).toEqual([]);
    });

    it('a network partition under a live master connection: unreachable, then usable again', async () => {
      const r = track(new SshRunner(sshConfig(lab!)));
      const node = lab!.nodes[2];
      await r.run(node.ip, [cmd(['true'])]);
      await execa(LAB, ['link', node.name, 'down']);
      try {
        const e = await rejection(r.run(node.ip, [cmd(['echo', 'partitioned'])]));
        expect(e.unreachable).toBe(true);
        expect(e.message).toBe(`ssh: connect to host ${node.ip} port 22: Connection timed out`);
      } finally {
        await execa(LAB, ['link', node.name, 'up']);
      }
      const [res] = await r.run(node.ip, [cmd(['echo', 'healed'])]);
      expect(res.stdout).toBe('healed\n');
      await r.close();
    });

    it('latency per command, with and without ControlMaster', async () => {
      const ip = lab!.nodes[0].ip;
      const n = 10;
      const measure = async (multiplex: boolean) => {
        const r = track(new SshRunner(sshConfig(lab!), { multiplex }));
        const t0 = performance.now();
        await r.run(ip, [cmd(['true'])]);
        const first = performance.now() - t0;
        const t1 = performance.now();
        await r.run(ip, Array.from({ length: n }, () => cmd(['true'])));
        const each = (performance.now() - t1) / n;
        await r.close();
        return { first, each };
      };
      const plain = await measure(false);
      const mux = await measure(true);
      console.log(
        `ssh latency on ${ip}: without ControlMaster first ${plain.first.toFixed(0)} ms, then ${plain.each.toFixed(1)} ms/command; ` +
          `with ControlMaster first ${mux.first.toFixed(0)} ms, then ${mux.each.toFixed(1)} ms/command`,
      );
      expect(mux.each).toBeLessThan(plain.each);
    });
  });

  describe('KubectlRunner specifics', () => {
    it('daemonset mode finds the pod by host IP; usePodNames takes the pod name', async () => {
      const ds = track(new KubectlRunner(kubeConfig({ glusterDaemonset: true })));
      const [a] = await ds.run(lab!.nodes[1].ip, [cmd(['hostname'])]);
      expect(a.stdout).toBe(`glab-${lab!.nodes[1].name}\n`);
      const byName = track(new KubectlRunner(kubeConfig({ usePodNames: true })));
      const [b] = await byName.run(`glusterfs-${lab!.nodes[2].ip}`, [cmd(['hostname'])]);
      expect(b.stdout).toBe(`glab-${lab!.nodes[2].name}\n`);
      await Promise.all([ds.close(), byName.close()]);
    });

    it('exit 124 of the timeout prefix is "timeout"', async () => {
      const r = track(new KubectlRunner(kubeConfig()));
      const t0 = Date.now();
      const e = await rejection(r.run(lab!.nodes[0].ip, [cmd(['sleep', '30'], { timeoutSec: 1 }), cmd(['true'])]));
      expect(e.message).toBe('timeout');
      expect(Date.now() - t0).toBeLessThan(6000);
      await r.close();
    });

    it('disableTimeoutPrefix runs plain bash -c and still times out', async () => {
      const r = track(new KubectlRunner(kubeConfig({ disableTimeoutPrefix: true })));
      const [ok] = await r.run(lab!.nodes[0].ip, [cmd(['gluster', '--version'])]);
      expect(ok.stdout).toMatch(/^glusterfs /);
      const t0 = Date.now();
      const e = await rejection(r.run(lab!.nodes[0].ip, [cmd(['sleep', '30'], { timeoutSec: 1 })]));
      expect(e.message).toBe('timeout');
      expect(Date.now() - t0).toBeLessThan(6000);
      await r.close();
    });

    it('a host without a pod: Heketi\'s "No pods with the label" error, unreachable', async () => {
      const r = track(new KubectlRunner(kubeConfig()));
      const e = await rejection(r.run('10.99.0.250', [cmd(['true'])]));
      expect(e.message).toBe("No pods with the label 'glusterfs-node=10.99.0.250' were found");
      expect(e.unreachable).toBe(true);
      await r.close();
    });
  });

  describe('lab', () => {
    it('topology is valid Heketi topology JSON for the running lab', async () => {
      const r = await execa(LAB, ['topology']);
      const topo = JSON.parse(r.stdout) as {
        clusters: { nodes: { node: { hostnames: { manage: string[]; storage: string[] }; zone: number }; devices: { name: string; destroydata: boolean }[] }[] }[];
      };
      expect(topo.clusters).toHaveLength(1);
      const nodes = topo.clusters[0].nodes;
      expect(nodes).toHaveLength(lab!.nodes.length);
      nodes.forEach((n, i) => {
        expect(n.node.hostnames).toEqual({ manage: [lab!.nodes[i].ip], storage: [lab!.nodes[i].ip] });
        expect(n.node.zone).toBe(i + 1);
        expect(n.devices).toEqual(lab!.nodes[i].devices.map((name) => ({ name, destroydata: false })));
      });
    });
  });
});
