/**
 * The edge between Brickyard and storage nodes. Everything that runs on a node is a
 * `NodeCommand` (an argv array, never a shell string we built) and goes through one
 * `CommandRunner`: ssh, kubectl exec, or the mock that simulates nodes.
 */

export interface NodeCommand {
  /** argv; argv[0] is the program. Every element was validated by the planner. */
  argv: string[];
  /** Per-command timeout in seconds (Heketi's per-kind minutes × 60). */
  timeoutSec: number;
  /**
   * When true a non-zero exit does not stop the batch; its result is still reported
   * (Heketi ignores e.g. `volume stop` failures before `volume delete`).
   */
  allowFailure?: boolean;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A batch failed: `message` is what the API reports (the failing command's stderr, as Heketi). */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly host: string,
    readonly argv: string[],
    readonly result: CommandResult | undefined,
    /** True when the node could not be reached at all (connection refused, timeout, no pod). */
    readonly unreachable = false,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface CommandRunner {
  /**
   * Runs `commands` on `host` (a node's manage hostname) in order, stopping at the first
   * failure that is not `allowFailure`, which rejects with a CommandError. Implementations run
   * at most one batch per host at a time and different hosts in parallel.
   * Resolves with one result per command that ran.
   */
  run(host: string, commands: NodeCommand[]): Promise<CommandResult[]>;
  /** Releases connections (ssh ControlMaster sockets and the like). */
  close(): Promise<void>;
}

/** The error text Heketi returns for a failed command: stderr if any, else the exit status. */
export function failureText(result: CommandResult): string {
  const err = result.stderr.trim();
  return err !== '' ? err : `Process exited with status ${result.exitCode}`;
}
