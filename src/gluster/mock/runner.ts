/**
 * MockRunner: a simulator of storage nodes. It executes the planned argv commands (LVM, xfs,
 * mount, fstab edits, gluster CLI, gluster-block) against simulated per-host state, so the mock
 * exercises the same planner/NodeOps code paths as ssh, with LVM/gluster-like outputs and errors.
 *
 * This file holds what a runner adds around the simulation: per-host batches in order, hosts that
 * are down, injected failures, the command log and (tests only) crash injection. The state and its
 * persistence are in state.ts; each simulated subsystem has its own module (lvm, fs, glusterd, block).
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { CommandError, failureText, type CommandResult, type CommandRunner, type NodeCommand } from '../executor.js';
import { renderCommand } from '../quote.js';
import { fail, type Result } from './common.js';
import { CommandDispatcher } from './dispatch.js';
import { NodeStore, type MockState } from './state.js';

export interface MockRunnerOptions {
  stateFile?: string;
  /** Size of every `/dev/...` disk (default 500 GiB). */
  deviceSizeGb?: number;
  /** Sleep before every command (simulated latency). */
  delayMs?: number;
  /** While the state file is smaller than this, every batch rewrites it whole (default 16 KiB). */
  fullWriteMaxBytes?: number;
  /** Entries of `commandLog` kept in memory (default 50,000; the file log next to the state keeps all). */
  commandLogLimit?: number;
}

export interface FailRule {
  /** Only on this host (default: any). */
  host?: string;
  /** Tested against the rendered command line (`renderCommand(argv)`). */
  match: RegExp;
  stderr: string;
  /** Default 1. */
  exitCode?: number;
  /** How many matching commands fail (default 1). */
  times?: number;
  /** Fail as if the node could not be reached (CommandError.unreachable). */
  unreachable?: boolean;
}

export interface CommandLogEntry {
  host: string;
  argv: string[];
  exitCode: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The index of the first rule for this command (its host, its rendered command line), or -1. */
function firstMatching(rules: readonly { host?: string; match: RegExp }[], host: string, argv: string[]): number {
  if (rules.length === 0) return -1;
  const line = renderCommand(argv);
  return rules.findIndex((rule) => {
    if (rule.host !== undefined && rule.host !== host) return false;
    rule.match.lastIndex = 0;
    return rule.match.test(line);
  });
}

/** A command held before it runs (see `MockRunner.holdNext`). */
export interface HeldCommand {
  /** Resolves when a matching command has reached the hold and is waiting. */
  reached: Promise<void>;
  /** Lets the held command run (also before it is reached: then it does not wait). */
  release(): void;
}

interface HoldRule {
  host?: string;
  match: RegExp;
  reached: () => void;
  released: Promise<void>;
}

/** Entries of `commandLog` kept in memory. */
const COMMAND_LOG_LIMIT = 50_000;

export class MockRunner implements CommandRunner {
  /** Every command executed (not those refused because the host was down). */
  readonly commandLog: CommandLogEntry[] = [];

  private readonly nodes: NodeStore;
  private readonly dispatcher: CommandDispatcher;
  private readonly delayMs: number;
  private failRules: FailRule[] = [];
  private holdRules: HoldRule[] = [];
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly commandLogLimit: number;

  constructor(opts: MockRunnerOptions = {}) {
    this.commandLogLimit = opts.commandLogLimit ?? COMMAND_LOG_LIMIT;
    this.nodes = new NodeStore({
      stateFile: opts.stateFile,
      deviceKiB: (opts.deviceSizeGb ?? 500) * 1024 * 1024,
      fullWriteMaxBytes: opts.fullWriteMaxBytes ?? 16 * 1024,
    });
    this.dispatcher = new CommandDispatcher(this.nodes);
    this.delayMs = opts.delayMs ?? 0;
    // Test-only crash injection (see `crashCheck`); unset in every real deployment.
    const after = Number(process.env.BRICKYARD_MOCK_CRASH_AFTER ?? '');
    if (Number.isSafeInteger(after) && after > 0) this.crashAfter = after;
    this.crashFile = process.env.BRICKYARD_MOCK_CRASH_FILE || undefined;
  }

  // ------------------------------------------------------------------------------ crash injection (tests only)

  /**
   * TEST ONLY (test/api/crash.test.ts): simulates a server crash in the middle of an operation.
   * - `BRICKYARD_MOCK_CRASH_AFTER=<n>`: the process SIGKILLs itself right after the n-th command
   *   this runner executed.
   * - `BRICKYARD_MOCK_CRASH_FILE=<path>`: re-armable form. When `<path>` exists before a command,
   *   its content `<n>` is read, the file is deleted and the count restarts: the process SIGKILLs
   *   itself right after the n-th command from then on.
   * Before dying the node state and the command log are written, as real nodes keep what they did.
   */
  private crashAfter = 0;
  private crashCount = 0;
  private crashFile: string | undefined;

  private crashArm(): void {
    if (this.crashFile === undefined || !existsSync(this.crashFile)) return;
    const n = Number(readFileSync(this.crashFile, 'utf8').trim());
    unlinkSync(this.crashFile);
    if (Number.isSafeInteger(n) && n > 0) {
      this.crashAfter = n;
      this.crashCount = 0;
    }
  }

  /** Command log entries of the batches running now (written to `<stateFile>.log` when each ends). */
  private readonly batchLogs = new Set<CommandLogEntry[]>();

  private crashCheck(): void {
    if (this.crashAfter <= 0 || ++this.crashCount < this.crashAfter) return;
    this.nodes.persist();
    this.nodes.appendLog([...this.batchLogs].flat());
    process.kill(process.pid, 'SIGKILL');
  }

  // ------------------------------------------------------------------------------ public API

  run(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    const prev = this.queues.get(host) ?? Promise.resolve();
    const p = prev.then(() => this.execBatch(host, commands));
    this.queues.set(
      host,
      p.then(
        () => undefined,
        () => undefined,
      ),
    );
    return p;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()]);
    this.nodes.compact();
  }

  /** A down host refuses every batch like sshd would (exit 255, unreachable). */
  setHostDown(host: string, down: boolean): void {
    this.nodes.hostMut(host, 'meta', 'down', down || undefined);
    this.nodes.persist();
  }

  /** `systemctl status glusterd` exits 3 and gluster commands fail while stopped. */
  setGlusterdRunning(host: string, running: boolean): void {
    this.nodes.hostMut(host, 'meta', 'glusterdStopped', running ? undefined : true);
    this.nodes.persist();
  }

  /** The next matching command(s) fail with `stderr` instead of running. Returns what drops the failures not used yet. */
  failNext(rule: FailRule): () => void {
    const added = { ...rule, times: rule.times ?? 1 };
    this.failRules.push(added);
    return () => {
      this.failRules = this.failRules.filter((r) => r !== added);
    };
  }

  /**
   * The next matching command (host and rendered command line, as `failNext`) waits before it runs
   * until released: an operation stays in flight, at a known step, for as long as a test looks at it.
   */
  holdNext(rule: { host?: string; match: RegExp }): HeldCommand {
    let reached!: () => void;
    let release!: () => void;
    const held: HeldCommand = { reached: new Promise((r) => (reached = r)), release: () => release() };
    const released = new Promise<void>((r) => (release = r));
    this.holdRules.push({ ...rule, reached, released });
    return held;
  }

  /** A deep copy of the simulated state, for assertions. */
  snapshot(): MockState {
    return structuredClone(this.nodes.state);
  }

  // ------------------------------------------------------------------------------ batches

  private async execBatch(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    const results: CommandResult[] = [];
    const logged: CommandLogEntry[] = [];
    this.batchLogs.add(logged);
    try {
      for (const c of commands) {
        if (this.delayMs > 0) await sleep(this.delayMs);
        await this.held(host, c.argv);
        if (this.nodes.state.hosts[host]?.meta.down) {
          const msg = `ssh: connect to host ${host} port 22: Connection refused`;
          throw new CommandError(msg, host, c.argv, { exitCode: 255, stdout: '', stderr: `${msg}\n` }, true);
        }
        this.crashArm();
        const r = this.execOne(host, c.argv);
        const entry = { host, argv: [...c.argv], exitCode: r.exitCode };
        // Bounded: a long-running mock server must not grow without limit (the file log keeps all).
        if (this.commandLogLimit > 0) {
          this.commandLog.push(entry);
          if (this.commandLog.length > 2 * this.commandLogLimit) this.commandLog.splice(0, this.commandLog.length - this.commandLogLimit);
        }
        logged.push(entry);
        this.crashCheck();
        if (r.unreachable) throw new CommandError(failureText(r), host, c.argv, { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }, true);
        const res: CommandResult = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
        results.push(res);
        if (r.exitCode !== 0 && !c.allowFailure) throw new CommandError(failureText(res), host, c.argv, res);
      }
      return results;
    } finally {
      this.batchLogs.delete(logged);
      this.nodes.persist();
      this.nodes.appendLog(logged);
    }
  }

  private async held(host: string, argv: string[]): Promise<void> {
    const i = firstMatching(this.holdRules, host, argv);
    if (i < 0) return;
    const [rule] = this.holdRules.splice(i, 1);
    rule!.reached();
    await rule!.released;
  }

  private injected(host: string, argv: string[]): Result | undefined {
    const i = firstMatching(this.failRules, host, argv);
    if (i < 0) return undefined;
    const rule = this.failRules[i]!;
    rule.times = (rule.times ?? 1) - 1;
    if (rule.times <= 0) this.failRules.splice(i, 1);
    return { ...fail(rule.stderr, rule.exitCode ?? 1), unreachable: rule.unreachable };
  }

  private execOne(host: string, argv: string[]): Result {
    if (argv.length === 0 || argv.some((a) => typeof a !== 'string')) return fail('mock: argv must be a non-empty array of strings', 127);
    return this.injected(host, argv) ?? this.dispatcher.exec(host, argv);
  }
}
