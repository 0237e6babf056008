/**
 * KubectlRunner without a cluster: a fake `kubectl` (bash) answers `get pods`/`get pod` from JSON
 * files the tests write, records every argv, and runs `exec` commands locally, printing kubectl's
 * "command terminated with exit code N" trailer on failure as the real one does.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KubeExecConfig } from '../../src/config.js';
import { CommandError, type NodeCommand } from '../../src/gluster/executor.js';
import { KubectlRunner, timeoutArg, type KubectlRunnerOptions } from '../../src/gluster/kubectl.js';
import { renderCommand } from '../../src/gluster/quote.js';

const FAKE_KUBECTL = `#!/bin/bash
# fake kubectl: get pods/pod from $FAKE_KUBE_DIR JSON files, exec runs locally.
d=\${FAKE_KUBE_DIR:?}
printf '%s\\0' "$@" >"$d/calls/$(date +%s%N).$$"
verb=$1; shift
case $verb in
  get)
    kind=$1; shift; name= sel=
    while [ $# -gt 0 ]; do
      case $1 in -n|-o) shift 2 ;; -l) sel=$2; shift 2 ;; -*) shift ;; *) name=$1; shift ;; esac
    done
    [ -f "$d/fail-get" ] && { echo "The connection to the server localhost:8080 was refused" >&2; exit 1; }
    if [ -n "$name" ]; then
      [ -f "$d/pod/$name.json" ] || { echo "Error from server (NotFound): pods \\"$name\\" not found" >&2; exit 1; }
      cat "$d/pod/$name.json"
    else
      case $sel in
        *=*) f="$d/list/\${sel#*=}.json"  # key=value or key==value: the pods with that value
             if [ -f "$f" ]; then cat "$f"; else echo '{"apiVersion":"v1","items":[],"kind":"List"}'; fi ;;
        *)   # a bare key: every pod that has the label, whatever its value
             node -e 'const fs = require("fs"), d = process.argv[1]; const items = fs.readdirSync(d).sort().flatMap((f) => JSON.parse(fs.readFileSync(d + "/" + f, "utf8")).items); console.log(JSON.stringify({ apiVersion: "v1", kind: "List", items }))' "$d/list" ;;
      esac
    fi ;;
  exec)
    pod=
    while [ $# -gt 0 ]; do
      case $1 in -n|-c) shift 2 ;; --) shift; break ;; -*) shift ;; *) pod=$1; shift ;; esac
    done
    [ -f "$d/gone/$pod" ] && { echo "Error from server (NotFound): pods \\"$pod\\" not found" >&2; exit 1; }
    export FAKE_POD=$pod
    "$@"; rc=$?
    [ $rc = 0 ] || echo "command terminated with exit code $rc" >&2
    exit $rc ;;
  *) echo "fake kubectl: unknown verb $verb" >&2; exit 2 ;;
esac
`;

let dir: string;
let fake: string;
const open: KubectlRunner[] = [];

function runner(c: KubeExecConfig, o: KubectlRunnerOptions = {}): KubectlRunner {
  const r = new KubectlRunner(c, o);
  open.push(r);
  return r;
}

function cfg(over: Partial<KubeExecConfig> = {}): KubeExecConfig {
  return { namespace: 'glusterfs', glusterDaemonset: false, usePodNames: false, kubectl: fake, disableTimeoutPrefix: false, ...over };
}

function cmd(argv: string[], over: Partial<NodeCommand> = {}): NodeCommand {
  return { argv, timeoutSec: 600, ...over };
}

function pod(name: string, opts: { node?: string; hostIP?: string; container?: string; phase?: string } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'glusterfs' },
    spec: { nodeName: opts.node ?? 'worker', containers: [{ name: opts.container ?? 'glusterfs' }, { name: 'sidecar' }] },
    status: { phase: opts.phase ?? 'Running', hostIP: opts.hostIP ?? '192.0.2.1' },
  };
}

/** Pods labelled `glusterfs-node=<value>`: returned for `-l glusterfs-node=<value>` and, with the other values' pods, for `-l glusterfs-node`. */
function setList(value: string, pods: ReturnType<typeof pod>[]): void {
  const labelled = pods.map((p) => ({ ...p, metadata: { ...p.metadata, labels: { 'glusterfs-node': value } } }));
  writeFileSync(join(dir, 'list', `${value}.json`), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: labelled }));
}

function calls(): string[][] {
  const d = join(dir, 'calls');
  return readdirSync(d)
    .sort((a, b) => (BigInt(a.split('.')[0]) < BigInt(b.split('.')[0]) ? -1 : 1))
    .map((f) => readFileSync(join(d, f), 'utf8').split('\0').slice(0, -1));
}

async function rejection(p: Promise<unknown>): Promise<CommandError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CommandError);
    return e as CommandError;
  }
  throw new Error('expected the batch to fail');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubectl-runner-test-'));
  fake = join(dir, 'kubectl');
  writeFileSync(fake, FAKE_KUBECTL);
  chmodSync(fake, 0o755);
  process.env.FAKE_KUBE_DIR = dir;
});

beforeEach(() => {
  for (const sub of ['calls', 'list', 'pod', 'gone']) {
    rmSync(join(dir, sub), { recursive: true, force: true });
    mkdirSync(join(dir, sub));
  }
  rmSync(join(dir, 'fail-get'), { force: true });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('KubectlRunner pod lookup', () => {
  it('finds the pod by label glusterfs-node=<host>, execs in its first container with a timeout prefix', async () => {
    setList('node1', [pod('glusterfs-abc12', { container: 'glusterfs-main' })]);
    const r = runner(cfg());
    const res = await r.run('node1', [cmd(['echo', 'hello world'])]);
    expect(res).toEqual([{ exitCode: 0, stdout: 'hello world\n', stderr: '' }]);
    const [get, exec] = calls();
    expect(get).toEqual(['get', 'pods', '-n', 'glusterfs', '-l', 'glusterfs-node=node1', '-o', 'json']);
    expect(exec).toEqual([
      'exec', '-n', 'glusterfs', 'glusterfs-abc12', '-c', 'glusterfs-main', '--',
      'timeout', '10m', 'bash', '-c', renderCommand(['echo', 'hello world']),
    ]);
    await r.close();
  });

  it('caches the pod name per host', async () => {
    setList('node1', [pod('glusterfs-1')]);
    setList('node2', [pod('glusterfs-2')]);
    const r = runner(cfg());
    await r.run('node1', [cmd(['true'])]);
    await r.run('node1', [cmd(['true']), cmd(['true'])]);
    await r.run('node2', [cmd(['true'])]);
    const gets = calls().filter((c) => c[0] === 'get');
    expect(gets.map((g) => g[5])).toEqual(['glusterfs-node=node1', 'glusterfs-node=node2']);
    await r.close();
  });

  it('reports Heketi texts when no pod or several pods carry the label', async () => {
    setList('two', [pod('glusterfs-a'), pod('glusterfs-b')]);
    const r = runner(cfg());
    const none = await rejection(r.run('nobody', [cmd(['true'])]));
    expect(none.message).toBe("No pods with the label 'glusterfs-node=nobody' were found");
    expect(none.unreachable).toBe(true);
    const two = await rejection(r.run('two', [cmd(['true'])]));
    expect(two.message).toBe("Found 2 pods sharing the same label 'glusterfs-node=two': glusterfs-a, glusterfs-b");
    expect(calls().filter((c) => c[0] === 'exec')).toHaveLength(0);
    await r.close();
  });

  it('fails with "Failed to get list of pods" when kubectl get fails', async () => {
    writeFileSync(join(dir, 'fail-get'), '');
    const logs: string[] = [];
    const r = runner(cfg(), { log: (m) => logs.push(m) });
    const e = await rejection(r.run('node1', [cmd(['true'])]));
    expect(e.message).toBe('Failed to get list of pods');
    expect(e.unreachable).toBe(true);
    expect(logs.join('\n')).toContain('connection to the server localhost:8080 was refused');
    await r.close();
  });

  it('refuses a host that would change the label selector', async () => {
    const r = runner(cfg());
    const e = await rejection(r.run('a,glusterfs-node!=x', [cmd(['true'])]));
    expect(e.message).toMatch(/Unable to get pod with a matching label/);
    expect(calls()).toHaveLength(0);
    await r.close();
  });

  it('daemonset mode: the pod whose spec.nodeName (or status.hostIP) is the host', async () => {
    setList('daemonset', [
      pod('glusterfs-x1', { node: 'worker-1', hostIP: '10.0.0.1' }),
      pod('glusterfs-x2', { node: 'worker-2', hostIP: '10.0.0.2' }),
    ]);
    const r = runner(cfg({ glusterDaemonset: true }));
    await r.run('worker-2', [cmd(['true'])]);
    await r.run('10.0.0.1', [cmd(['true'])]);
    const e = await rejection(r.run('worker-9', [cmd(['true'])]));
    // Heketi's text, with the selector it uses.
    expect(e.message).toBe('Unable to find a GlusterFS pod on host worker-9 with a label key glusterfs-node');
    const c = calls();
    expect(c[0]).toEqual(['get', 'pods', '-n', 'glusterfs', '-l', 'glusterfs-node', '-o', 'json']);
    expect(c.filter((x) => x[0] === 'exec').map((x) => x[3])).toEqual(['glusterfs-x2', 'glusterfs-x1']);
    await r.close();
  });

  it("daemonset mode selects as Heketi does, by the label key alone: gk-deploy's pods (glusterfs-node=pod) are found", async () => {
    // gk-deploy's glusterfs DaemonSet (kube-templates/glusterfs-daemonset.yaml) labels its pods glusterfs-node=pod.
    setList('pod', [pod('glusterfs-gk1', { node: 'worker-1', hostIP: '10.0.0.1' }), pod('glusterfs-gk2', { node: 'worker-2', hostIP: '10.0.0.2' })]);
    const r = runner(cfg({ glusterDaemonset: true }));
    const out = await r.run('worker-2', [cmd(['sh', '-c', 'echo "$FAKE_POD"'])]);
    expect(out[0]!.stdout).toBe('glusterfs-gk2\n');
    await r.run('10.0.0.1', [cmd(['true'])]);
    expect(calls().filter((x) => x[0] === 'exec').map((x) => x[3])).toEqual(['glusterfs-gk2', 'glusterfs-gk1']);
    await r.close();
  });

  it('usePodNames: the host is the pod name; its first container is looked up', async () => {
    writeFileSync(join(dir, 'pod', 'glusterfs-p1.json'), JSON.stringify(pod('glusterfs-p1', { container: 'gluster' })));
    const r = runner(cfg({ usePodNames: true }));
    await r.run('glusterfs-p1', [cmd(['true'])]);
    const [get, exec] = calls();
    expect(get).toEqual(['get', 'pod', 'glusterfs-p1', '-n', 'glusterfs', '-o', 'json']);
    expect(exec.slice(0, 7)).toEqual(['exec', '-n', 'glusterfs', 'glusterfs-p1', '-c', 'gluster', '--']);
    const e = await rejection(r.run('glusterfs-missing', [cmd(['true'])]));
    expect(e.message).toBe('Unable to get pod spec for glusterfs-missing: Error from server (NotFound): pods "glusterfs-missing" not found');
    expect(e.unreachable).toBe(true);
    await r.close();
  });

  it('reads the namespace from the service account file when none is configured', async () => {
    const nsFile = join(dir, 'namespace');
    writeFileSync(nsFile, 'storage\n');
    setList('node1', [pod('glusterfs-1')]);
    const r = runner(cfg({ namespace: '' }), { namespaceFile: nsFile });
    await r.run('node1', [cmd(['true'])]);
    expect(calls()[0].slice(0, 4)).toEqual(['get', 'pods', '-n', 'storage']);
    const r2 = runner(cfg({ namespace: '' }), { namespaceFile: join(dir, 'no-such-file') });
    await r2.run('node1', [cmd(['true'])]);
    expect(calls()[2]).toEqual(['get', 'pods', '-l', 'glusterfs-node=node1', '-o', 'json']);
    await Promise.all([r.close(), r2.close()]);
  });

  it('looks the pod up again when the cached pod is gone, and retries that command once', async () => {
    setList('node1', [pod('glusterfs-old')]);
    const r = runner(cfg());
    await r.run('node1', [cmd(['true'])]);
    writeFileSync(join(dir, 'gone', 'glusterfs-old'), '');
    setList('node1', [pod('glusterfs-new')]);
    const res = await r.run('node1', [cmd(['sh', '-c', 'echo "$FAKE_POD"'])]);
    expect(res[0].stdout).toBe('glusterfs-new\n');
    expect(calls().map((c) => (c[0] === 'get' ? 'get' : c[3]))).toEqual(['get', 'glusterfs-old', 'glusterfs-old', 'get', 'glusterfs-new']);
    // and when the pod is gone for good: unreachable, and the next batch looks it up again
    writeFileSync(join(dir, 'gone', 'glusterfs-new'), '');
    const e = await rejection(r.run('node1', [cmd(['true'])]));
    expect(e.unreachable).toBe(true);
    expect(e.message).toBe('Error from server (NotFound): pods "glusterfs-new" not found');
    await r.close();
  });
});

describe('KubectlRunner commands', () => {
  beforeEach(() => setList('n', [pod('glusterfs-n')]));

  it('stops at the first failure; error = stderr without kubectl\'s exit-code trailer', async () => {
    const r = runner(cfg());
    const e = await rejection(r.run('n', [cmd(['echo', 'a']), cmd(['sh', '-c', 'echo out; echo "  lvcreate: no space  " >&2; exit 5']), cmd(['echo', 'c'])]));
    expect(e.message).toBe('lvcreate: no space');
    expect(e.result).toEqual({ exitCode: 5, stdout: 'out\n', stderr: '  lvcreate: no space  \n' });
    expect(e.unreachable).toBe(false);
    expect(calls().filter((c) => c[0] === 'exec')).toHaveLength(2);
    await r.close();
  });

  it('reports "Process exited with status N" when stderr is empty', async () => {
    const r = runner(cfg());
    const e = await rejection(r.run('n', [cmd(['sh', '-c', 'exit 7'])]));
    expect(e.message).toBe('Process exited with status 7');
    expect(e.result?.stderr).toBe('');
    await r.close();
  });

  it('goes on after an allowFailure command', async () => {
    const r = runner(cfg());
    const res = await r.run('n', [cmd(['sh', '-c', 'echo x >&2; exit 1'], { allowFailure: true }), cmd(['echo', 'next'])]);
    expect(res).toEqual([
      { exitCode: 1, stdout: '', stderr: 'x\n' },
      { exitCode: 0, stdout: 'next\n', stderr: '' },
    ]);
    await r.close();
  });

  it('exit 124 from the timeout prefix is the error "timeout"', async () => {
    const r = runner(cfg());
    const t0 = Date.now();
    const e = await rejection(r.run('n', [cmd(['sleep', '10'], { timeoutSec: 1 }), cmd(['echo', 'never'])]));
    expect(e.message).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(5000);
    const execs = calls().filter((c) => c[0] === 'exec');
    expect(execs).toHaveLength(1);
    expect(execs[0].slice(7, 9)).toEqual(['timeout', '1s']);
    await r.close();
  });

  it('disableTimeoutPrefix: plain bash -c, and our own timer gives "timeout"', async () => {
    const r = runner(cfg({ disableTimeoutPrefix: true }));
    await r.run('n', [cmd(['true'])]);
    expect(calls().at(-1)!.slice(7)).toEqual(['bash', '-c', 'true']);
    const e = await rejection(r.run('n', [cmd(['sleep', '10'], { timeoutSec: 0.4 })]));
    expect(e.message).toBe('timeout');
    // without the prefix a command's own exit 124 is just a failure
    const f = await rejection(r.run('n', [cmd(['sh', '-c', 'exit 124'])]));
    expect(f.message).toBe('Process exited with status 124');
    await r.close();
  });

  it('renders whole minutes as Nm and anything else in seconds', () => {
    expect(timeoutArg(600)).toBe('10m');
    expect(timeoutArg(660)).toBe('11m');
    expect(timeoutArg(90)).toBe('90s');
    expect(timeoutArg(0.2)).toBe('1s');
  });

  it('passes a hostile argument as one literal argument', async () => {
    const target = join(dir, 'pwned');
    const hostile = [`'; touch ${target} #`, `$(touch ${target})`, `a\nb"c\\d`, '', '*'];
    const r = runner(cfg());
    for (const arg of hostile) {
      const [res] = await r.run('n', [cmd(['printf', '%s', arg])]);
      expect(res.stdout).toBe(arg);
    }
    expect(existsSync(target)).toBe(false);
    await r.close();
  });

  it('a missing kubectl binary is a clear error', async () => {
    const r = runner(cfg({ kubectl: join(dir, 'no-kubectl') }));
    const e = await rejection(r.run('n', [cmd(['true'])]));
    expect(e.message).toBe('Failed to get list of pods');
    await r.close();
  });
});

describe('KubectlRunner serialisation', () => {
  it('never overlaps two batches to one host, runs two hosts in parallel', async () => {
    setList('hA', [pod('glusterfs-a')]);
    setList('hB', [pod('glusterfs-b')]);
    const log = join(dir, 'timing.log');
    rmSync(log, { force: true });
    const step = cmd(['sh', '-c', `echo "$FAKE_POD start $(date +%s%N)" >>${log}; sleep 0.3; echo "$FAKE_POD end $(date +%s%N)" >>${log}`]);
    const r = runner(cfg());
    await Promise.all([r.run('hA', [step, step]), r.run('hA', [step]), r.run('hB', [step]), r.run('hB', [step])]);
    const iv = new Map<string, [bigint, bigint][]>();
    const open = new Map<string, bigint>();
    for (const l of readFileSync(log, 'utf8').trim().split('\n')) {
      const [p, what, ns] = l.split(' ');
      if (what === 'start') open.set(p, BigInt(ns));
      else iv.set(p, [...(iv.get(p) ?? []), [open.get(p)!, BigInt(ns)]]);
    }
    const overlap = (a: [bigint, bigint], b: [bigint, bigint]) => a[0] < b[1] && b[0] < a[1];
    const a = iv.get('glusterfs-a')!;
    const b = iv.get('glusterfs-b')!;
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(2);
    for (const list of [a, b]) {
      for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) expect(overlap(list[i], list[j])).toBe(false);
    }
    expect(a.some((x) => b.some((y) => overlap(x, y)))).toBe(true);
    await r.close();
  });
});
