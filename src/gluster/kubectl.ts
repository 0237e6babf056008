/**
 * The kubernetes executor: runs node commands in the GlusterFS pods with `kubectl exec`.
 *
 * Pod lookup follows Heketi's kubeexec (spec §2.3, §9.1):
 *  - `usePodNames`: the manage hostname IS the pod name;
 *  - `glusterDaemonset`: `kubectl get pods -l glusterfs-node` — every pod that has the label
 *    key, whatever its value, as Heketi's TargetDaemonSet selects (gk-deploy labels its GlusterFS
 *    pods `glusterfs-node: pod`, deploy/kubernetes `glusterfs-node: daemonset`) — and of those
 *    the pod whose `spec.nodeName` (or, as an extension, `status.hostIP`) is the host;
 *  - otherwise: the one pod labelled `glusterfs-node=<host>`.
 * Commands run in the pod's first container as
 * `kubectl exec -n NS POD -c CONTAINER -- timeout <N>m bash -c <renderCommand(argv)>`
 * (without the `timeout <N>m` prefix when `disableTimeoutPrefix`); exit 124 there is `timeout`.
 * Pod names are cached per host and looked up again after an exec that could not reach the pod.
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import type { KubeExecConfig } from '../config.js';
import { CommandError, failureText, type CommandResult, type CommandRunner, type NodeCommand } from './executor.js';
import { renderCommand } from './quote.js';
import { HostQueue } from './ssh.js';

export const GLUSTER_POD_LABEL = 'glusterfs-node';
/** Daemonset mode selects by the key alone (Heketi: `LabelSelector: "glusterfs-node"`). */
export const DAEMONSET_SELECTOR = GLUSTER_POD_LABEL;
const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export interface KubectlRunnerOptions {
  log?: (msg: string) => void;
  /** Where to read the namespace when `cfg.namespace` is empty (Heketi: the pod's service account). */
  namespaceFile?: string;
  /** Timeout of a pod lookup (`kubectl get`), ms; default 60 s. */
  lookupTimeoutMs?: number;
}

export interface PodTarget {
  pod: string;
  container: string;
}

interface PodJson {
  metadata?: { name?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string; containers?: { name?: string }[] };
  status?: { phase?: string; hostIP?: string };
}

/** kubectl prints this (and exits with the code) when the command in the pod exits non-zero. */
const TERMINATED = /(?:^|\n)command terminated with exit code (\d+)\s*$/;
/** An exec that never reached a running container: worth a fresh pod lookup and one retry. */
const POD_GONE = /NotFound|not found|does not exist|is not valid for pod|unable to upgrade connection|container not running|is terminated/i;
/** Label values and object names we pass to kubectl (no selector or flag injection). */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** `timeout` duration: Heketi's whole minutes when the budget is whole minutes, else seconds. */
export function timeoutArg(timeoutSec: number): string {
  const s = Math.max(1, Math.ceil(timeoutSec));
  return s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

export class KubectlRunner implements CommandRunner {
  private readonly queue = new HostQueue();
  private readonly pods = new Map<string, PodTarget>();
  private readonly log: (msg: string) => void;
  private readonly namespace: string;
  private readonly lookupTimeoutMs: number;

  constructor(
    private readonly cfg: KubeExecConfig,
    opts: KubectlRunnerOptions = {},
  ) {
    this.log = opts.log ?? (() => undefined);
    this.lookupTimeoutMs = opts.lookupTimeoutMs ?? 60_000;
    let ns = cfg.namespace;
    if (ns === '') {
      try {
        ns = readFileSync(opts.namespaceFile ?? SA_NAMESPACE_FILE, 'utf8').trim();
      } catch {
        ns = ''; // kubectl's current-context namespace
      }
    }
    this.namespace = ns;
  }

  run(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    return this.queue.run(host, () => this.runBatch(host, commands));
  }

  async close(): Promise<void> {
    await this.queue.drain();
    this.pods.clear();
  }

  /** `-n NS` unless the namespace is left to kubectl. */
  private nsArgs(): string[] {
    return this.namespace ? ['-n', this.namespace] : [];
  }

  /** Finds (and caches) the pod and first container for a host. */
  async resolve(host: string, argv: string[] = []): Promise<PodTarget> {
    const cached = this.pods.get(host);
    if (cached) return cached;
    const fail = (msg: string): never => {
      throw new CommandError(msg, host, argv, undefined, true);
    };
    let pod: PodJson | undefined;
    if (this.cfg.usePodNames) {
      if (!OBJECT_NAME.test(host)) fail(`invalid pod name ${JSON.stringify(host)}`);
      const r = await this.kubectl(['get', 'pod', host, ...this.nsArgs(), '-o', 'json']);
      if (r.exitCode !== 0) fail(`Unable to get pod spec for ${host}: ${failureText(r)}`);
      pod = parseJson<PodJson>(r.stdout) ?? fail(`Unable to get pod spec for ${host}: bad JSON from kubectl`);
    } else {
      const daemonset = this.cfg.glusterDaemonset;
      if (!daemonset && !LABEL_VALUE.test(host)) {
        fail(`Unable to get pod with a matching label of ${GLUSTER_POD_LABEL}==${host}`);
      }
      const selector = daemonset ? DAEMONSET_SELECTOR : `${GLUSTER_POD_LABEL}=${host}`;
      const r = await this.kubectl(['get', 'pods', ...this.nsArgs(), '-l', selector, '-o', 'json']);
      if (r.exitCode !== 0) {
        this.log(`kubectl get pods -l ${selector}: ${failureText(r)}`);
        fail('Failed to get list of pods');
      }
      const list = parseJson<{ items?: unknown }>(r.stdout)?.items;
      const items = Array.isArray(list) ? (list as PodJson[]) : fail('Failed to get list of pods');
      if (daemonset) {
        const onHost = items.filter((p) => p.spec?.nodeName === host);
        const matches = onHost.length > 0 ? onHost : items.filter((p) => p.status?.hostIP === host);
        pod = preferRunning(matches);
        if (!pod) fail(`Unable to find a GlusterFS pod on host ${host} with a label key ${DAEMONSET_SELECTOR}`);
      } else if (items.length === 0) {
        fail(`No pods with the label '${GLUSTER_POD_LABEL}=${host}' were found`);
      } else if (items.length > 1) {
        const names = items.map((p) => p.metadata?.name ?? '?').join(', ');
        fail(`Found ${items.length} pods sharing the same label '${GLUSTER_POD_LABEL}=${host}': ${names}`);
      } else {
        pod = items[0];
      }
    }
    const name = pod?.metadata?.name ?? '';
    const container = pod?.spec?.containers?.[0]?.name ?? '';
    if (!OBJECT_NAME.test(name)) fail(`Unable to get pod spec for ${host}: bad pod name ${JSON.stringify(name)}`);
    if (!OBJECT_NAME.test(container)) fail(`Unable to get pod spec for ${name}: no usable container`);
    const target = { pod: name, container };
    this.pods.set(host, target);
    this.log(`kubectl: host ${host} -> pod ${name} container ${container}`);
    return target;
  }

  private async kubectl(args: string[]): Promise<CommandResult> {
    const r = await this.spawn(args, this.lookupTimeoutMs);
    const stderr = r.why !== undefined && r.stderr.trim() === '' ? r.why : r.stderr;
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr };
  }

  /**
   * Runs kubectl in its own process group and, past `timeoutMs`, kills the whole group (TERM,
   * then KILL): a wrapper script's children must not keep our pipes open after a timeout.
   */
  private async spawn(
    args: string[],
    timeoutMs: number,
  ): Promise<{ exitCode: number | undefined; stdout: string; stderr: string; timedOut: boolean; why?: string }> {
    const sub = execa(this.cfg.kubectl, args, { reject: false, stdin: 'ignore', stripFinalNewline: false, detached: true });
    let timedOut = false;
    let force: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(sub.pid, 'SIGTERM');
      force = setTimeout(() => killGroup(sub.pid, 'SIGKILL'), 2000);
    }, Math.max(1, timeoutMs));
    const r = await sub;
    clearTimeout(timer);
    if (force) clearTimeout(force);
    const why =
      r.exitCode !== undefined ? undefined : r.signal ? `kubectl killed by signal ${r.signal}` : `cannot run ${this.cfg.kubectl}: ${r.originalMessage ?? r.shortMessage ?? 'unknown error'}`;
    return {
      exitCode: r.exitCode,
      stdout: typeof r.stdout === 'string' ? r.stdout : '',
      stderr: typeof r.stderr === 'string' ? r.stderr : '',
      timedOut,
      why,
    };
  }

  private execArgs(t: PodTarget, line: string, timeoutSec: number): string[] {
    const prefix = this.cfg.disableTimeoutPrefix ? [] : ['timeout', timeoutArg(timeoutSec)];
    return ['exec', ...this.nsArgs(), t.pod, '-c', t.container, '--', ...prefix, 'bash', '-c', line];
  }

  private async runBatch(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    const results: CommandResult[] = [];
    for (const cmd of commands) {
      const line = renderCommand(cmd.argv);
      let outcome = await this.execOnce(host, cmd, line);
      if (outcome.kind === 'gone' && outcome.retry) {
        // The cached pod may have been replaced: look it up again and retry once.
        this.pods.delete(host);
        outcome = await this.execOnce(host, cmd, line);
      }
      if (outcome.kind === 'gone') {
        this.pods.delete(host);
        throw new CommandError(failureText(outcome.result), host, cmd.argv, outcome.result, true);
      }
      const { result } = outcome;
      if (outcome.kind === 'timeout') throw new CommandError('timeout', host, cmd.argv, result);
      results.push(result);
      if (result.exitCode !== 0 && !cmd.allowFailure) {
        throw new CommandError(failureText(result), host, cmd.argv, result);
      }
    }
    return results;
  }

  private async execOnce(
    host: string,
    cmd: NodeCommand,
    line: string,
  ): Promise<{ kind: 'done' | 'timeout' | 'gone'; result: CommandResult; retry?: boolean }> {
    const cached = this.pods.has(host);
    const t = await this.resolve(host, cmd.argv);
    const args = this.execArgs(t, line, cmd.timeoutSec);
    const started = Date.now();
    // With the `timeout` prefix the pod enforces the limit; ours only guards a stuck kubectl.
    const limitMs = Math.round(cmd.timeoutSec * 1000) + (this.cfg.disableTimeoutPrefix ? 0 : 30_000);
    const r = await this.spawn(args, limitMs);
    let stderr = r.stderr;
    const stdout = r.stdout;
    const ms = Date.now() - started;
    if (r.timedOut) {
      this.log(`kubectl ${t.pod}: ${line} -> timeout after ${ms}ms`);
      return { kind: 'timeout', result: { exitCode: r.exitCode ?? -1, stdout, stderr } };
    }
    if (r.exitCode === undefined) {
      this.log(`kubectl ${t.pod}: ${line} -> ${r.why}`);
      return { kind: 'gone', result: { exitCode: -1, stdout, stderr: stderr.trim() ? stderr : (r.why ?? '') } };
    }
    this.log(`kubectl ${t.pod}: ${line} -> exit ${r.exitCode} in ${ms}ms`);
    if (r.exitCode === 0) return { kind: 'done', result: { exitCode: 0, stdout, stderr } };
    const term = TERMINATED.exec(stderr);
    if (!term) {
      // kubectl itself failed: the command did not run in the pod. Retry once with a fresh
      // lookup only when the cached pod is plainly gone (never re-run a command that may have run).
      return { kind: 'gone', result: { exitCode: r.exitCode, stdout, stderr }, retry: cached && POD_GONE.test(stderr) };
    }
    const code = Number(term[1]);
    stderr = stderr.slice(0, term.index + (term[0].startsWith('\n') ? 1 : 0));
    if (code === 124 && !this.cfg.disableTimeoutPrefix) {
      return { kind: 'timeout', result: { exitCode: code, stdout, stderr } };
    }
    return { kind: 'done', result: { exitCode: code, stdout, stderr } };
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function preferRunning(pods: PodJson[]): PodJson | undefined {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp && (p.status?.phase ?? 'Running') === 'Running');
  return live.at(-1) ?? pods.at(-1);
}
