/**
 * The ssh executor: runs node commands with the OpenSSH client (`ssh`), one process per command.
 *
 * Every command becomes `ssh [options] -- HOST LINE`, where LINE is `renderCommand(argv)` (POSIX
 * quoting of each argument), so the remote login shell sees exactly the argv the planner built.
 * The `--` ends ssh's options before the host, so no host can be read as one (`-oProxyCommand=…`);
 * the host is also checked with the one hostname rule (validate.ts) before ssh runs at all.
 * Connections are multiplexed per host (ControlMaster=auto, sockets in a private 0700 temp dir,
 * ControlPersist=60s), so a batch costs one TCP/SSH handshake, as Heketi's one connection per batch.
 *
 * Heketi behaviour kept (spec §9.1): one batch at a time per host, hosts in parallel; the batch
 * stops at the first failing command; error text = the failing command's stderr (trimmed) or
 * `Process exited with status N`; a per-command timeout fails with `SSH command timeout`; host keys
 * are not verified unless `SSH_KNOWN_HOSTS` (colon-separated known_hosts files) is set.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { SshExecConfig } from '../config.js';
import { CommandError, failureText, type CommandResult, type CommandRunner, type NodeCommand } from './executor.js';
import { renderCommand } from './quote.js';
import { problem, validateHostname } from './validate.js';

export interface SshRunnerOptions {
  /** Debug log: one line per command (never the key material). */
  log?: (msg: string) => void;
  /** The ssh client to run (default `ssh`, found on PATH). Tests use a stand-in. */
  sshBinary?: string;
  /** Connection multiplexing per host (ControlMaster); default true. */
  multiplex?: boolean;
  /** ControlPersist value for the per-host master connection; default `60s`. */
  controlPersist?: string;
  /** Environment to read `SSH_KNOWN_HOSTS` from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Serialises work per key (host): at most one task per host runs at a time, in call order;
 * tasks for different hosts run in parallel. Shared by the ssh and kubectl runners.
 */
export class HostQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(host: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(host) ?? Promise.resolve();
    const result = prev.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(host, tail);
    void tail.then(() => {
      if (this.tails.get(host) === tail) this.tails.delete(host);
    });
    return result;
  }

  /** Resolves when every task queued so far has settled. */
  async drain(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}

/** `ssh` exits 255 for its own errors; these stderr texts mean the node was never reached. */
const UNREACHABLE_PATTERNS = [
  /ssh: connect to host .* port \d+:/,
  /Could not resolve hostname/,
  /Connection (refused|timed out|reset|closed)/,
  /No route to host|Network is unreachable|Operation timed out/,
  /kex_exchange_identification|banner exchange/,
  /Permission denied \(/,
  /Host key verification failed/,
  /Broken pipe|Timeout, server .* not responding/,
];

/** ssh's exit 255 with one of its own connection errors (a remote command may exit 255 too). */
export function isUnreachable(exitCode: number | undefined, stderr: string): boolean {
  return exitCode === 255 && UNREACHABLE_PATTERNS.some((re) => re.test(stderr));
}

/**
 * The ssh client's own multiplexing chatter (a master that died, e.g. in a network partition,
 * before ssh fell back to a direct connection) is not the command's stderr.
 */
const MUX_NOISE = /^(mux_client_\w+|muxclient|mux_master_\w+|Control socket connect|ControlSocket .* already exists|control_persist_detach)\b.*(\r?\n|$)/gm;

export function stripMuxNoise(stderr: string): string {
  return stderr.includes('mux') || stderr.includes('Control') ? stderr.replace(MUX_NOISE, '') : stderr;
}


/** ssh's messages do not always say which node they are about (`Host key verification failed.`). */
function withHost(host: string, text: string): string {
  return text.includes(host) ? text : `ssh to ${host}: ${text}`;
}

function quoteKnownHostsPath(p: string): string {
  return /\s/.test(p) ? `"${p}"` : p;
}

export class SshRunner implements CommandRunner {
  private readonly queue = new HostQueue();
  private readonly bin: string;
  private readonly multiplex: boolean;
  private readonly controlPersist: string;
  private readonly hostKeyOptions: string[];
  private readonly log: (msg: string) => void;
  /** Private 0700 directory for the ControlMaster sockets, made on first use. */
  private controlDir: string | undefined;
  /** Hosts that may have a master connection in `controlDir`. */
  private readonly usedHosts = new Set<string>();

  constructor(
    private readonly cfg: SshExecConfig,
    opts: SshRunnerOptions = {},
  ) {
    this.bin = opts.sshBinary ?? 'ssh';
    this.multiplex = opts.multiplex ?? true;
    this.controlPersist = opts.controlPersist ?? '60s';
    this.log = opts.log ?? (() => undefined);
    const known = ((opts.env ?? process.env).SSH_KNOWN_HOSTS ?? '').split(':').filter((f) => f !== '');
    this.hostKeyOptions =
      known.length > 0
        ? ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${known.map(quoteKnownHostsPath).join(' ')}`]
        : ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
  }

  run(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    return this.queue.run(host, () => this.runBatch(host, commands));
  }

  async close(): Promise<void> {
    await this.queue.drain();
    const dir = this.controlDir;
    const hosts = [...this.usedHosts];
    this.controlDir = undefined;
    this.usedHosts.clear();
    if (dir === undefined) return;
    let sockets: string[] = [];
    try {
      sockets = readdirSync(dir);
    } catch {
      // already gone
    }
    if (sockets.length > 0) {
      await Promise.all(
        hosts.map((host) =>
          execa(this.bin, [...this.controlArgs(dir, false), ...this.targetArgs(), '-O', 'exit', '--', host], {
            reject: false,
            stdin: 'ignore',
            timeout: 10_000,
          }),
        ),
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }

  /** The full ssh argv (without the binary) for one remote line. Exposed for tests and logs. */
  sshArgs(host: string, line: string, fresh = false): string[] {
    const args = [...this.targetArgs(), '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${this.cfg.connectTimeoutSec}`];
    // ssh keeps the first value it sees for an option: the operator's options beat our defaults.
    for (const o of this.cfg.options) {
      if (o !== '-o') args.push('-o', o);
    }
    args.push(...this.hostKeyOptions, '-o', 'LogLevel=ERROR', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3');
    // `fresh`: a connection of its own, never through the multiplexing master.
    if (fresh) args.push('-o', 'ControlPath=none');
    else if (this.multiplex) args.push(...this.controlArgs(this.ensureControlDir(), true));
    args.push('--', host, line);
    return args;
  }

  /**
   * Connects afresh (no multiplexing) and runs `true`: undefined when the node answers, else
   * ssh's own message about why it does not.
   */
  private async connectionProblem(host: string): Promise<string | undefined> {
    const r = await execa(this.bin, this.sshArgs(host, 'true', true), { reject: false, stdin: 'ignore', timeout: (this.cfg.connectTimeoutSec + 5) * 1000 });
    if (r.exitCode === 0) return undefined;
    const text = typeof r.stderr === 'string' ? stripMuxNoise(r.stderr).trim() : '';
    return text !== '' ? text : r.timedOut ? 'the connection timed out' : `ssh exited with status ${r.exitCode ?? r.signal ?? 'unknown'} without a message`;
  }

  private targetArgs(): string[] {
    const args: string[] = [];
    if (this.cfg.keyfile) args.push('-i', this.cfg.keyfile);
    args.push('-p', String(this.cfg.port));
    if (this.cfg.user) args.push('-l', this.cfg.user);
    return args;
  }

  private controlArgs(dir: string, withMaster: boolean): string[] {
    const args = ['-o', `ControlPath=${join(dir, '%C')}`];
    if (withMaster) args.push('-o', 'ControlMaster=auto', '-o', `ControlPersist=${this.controlPersist}`);
    return args;
  }

  private ensureControlDir(): string {
    if (this.controlDir === undefined) {
      // A UNIX socket path must fit in ~104 bytes: %C is 40 hex characters.
      const base = tmpdir().length > 48 ? '/tmp' : tmpdir();
      const dir = mkdtempSync(join(base, 'brickyard-ssh-'));
      chmodSync(dir, 0o700);
      this.controlDir = dir;
    }
    return this.controlDir;
  }

  private async runBatch(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    // Never an option or a `user@host`: the hostname rule the API and the planner use.
    const bad = problem(validateHostname, host);
    if (bad !== undefined) throw new CommandError(bad.message, host, commands[0]?.argv ?? [], undefined, true);
    const results: CommandResult[] = [];
    for (const cmd of commands) {
      const argv = this.cfg.sudo ? ['sudo', ...cmd.argv] : cmd.argv;
      const line = renderCommand(argv);
      const args = this.sshArgs(host, line);
      if (this.multiplex) this.usedHosts.add(host);
      const started = Date.now();
      const timeoutMs = Math.max(1, Math.round(cmd.timeoutSec * 1000));
      const sub = execa(this.bin, args, {
        reject: false,
        stdin: 'ignore',
        stripFinalNewline: false,
        timeout: timeoutMs,
        forceKillAfterDelay: 2000,
      });
      // A multiplexed session's stdout/stderr are written by the master, which got copies of our
      // pipes over the control socket and keeps them until the remote command ends. So once the
      // timeout has killed our ssh, stop waiting for the pipes to close.
      const unstick = setTimeout(() => {
        sub.stdout?.destroy();
        sub.stderr?.destroy();
      }, timeoutMs + 500);
      const r = await sub;
      clearTimeout(unstick);
      const result: CommandResult = {
        exitCode: r.exitCode ?? -1,
        stdout: typeof r.stdout === 'string' ? r.stdout : '',
        stderr: typeof r.stderr === 'string' ? stripMuxNoise(r.stderr) : '',
      };
      const ms = Date.now() - started;
      if (r.timedOut) {
        this.log(`ssh ${host}: ${line} -> timeout after ${ms}ms`);
        throw new CommandError('SSH command timeout', host, cmd.argv, result);
      }
      if (r.exitCode === undefined) {
        // Not started (e.g. no ssh binary) or killed by a signal.
        const why = r.signal ? `ssh killed by signal ${r.signal}` : `cannot run ${this.bin}: ${r.originalMessage ?? r.shortMessage ?? 'unknown error'}`;
        this.log(`ssh ${host}: ${line} -> ${why}`);
        throw new CommandError(result.stderr.trim() || why, host, cmd.argv, result);
      }
      this.log(`ssh ${host}: ${line} -> exit ${r.exitCode} in ${ms}ms`);
      if (r.exitCode === 0) {
        results.push(result);
        continue;
      }
      if (isUnreachable(r.exitCode, result.stderr)) {
        throw new CommandError(withHost(host, failureText(result)), host, cmd.argv, result, true);
      }
      if (r.exitCode === 255 && result.stderr.trim() === '') {
        // Silent 255: a connection lost mid-command (ssh reports that below LogLevel=ERROR, or only
        // through a dead master's chatter) or the remote command's own status. A fresh connection tells.
        const lost = await this.connectionProblem(host);
        if (lost !== undefined) throw new CommandError(`ssh to ${host} failed (exit 255): ${lost}`, host, cmd.argv, result, true);
      }
      results.push(result);
      if (!cmd.allowFailure) throw new CommandError(failureText(result), host, cmd.argv, result);
    }
    return results;
  }
}
