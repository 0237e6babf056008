import { HeketiClient } from '../client/index.js';
import { cliMessage, type CliIO, type CliResult, type CommandGroup, type Ctx } from './command.js';
import { CliError, parseFlags, words } from './flags.js';
import { clusterCommands } from './commands/cluster.js';
import { dbCommands } from './commands/db.js';
import { deviceCommands } from './commands/device.js';
import { nodeCommands } from './commands/node.js';
import { topologyCommands } from './commands/topology.js';
import { volumeCommands } from './commands/volume.js';

/**
 * `brickyard <verb>`: heketi-cli's client verbs against a Heketi-compatible server (heketi-cli.md),
 * with the same output byte for byte, over src/client. `runCli` is the whole CLI as a function, for
 * tests. One file per command group under ./commands.
 */

export type { CliIO, CliResult } from './command.js';

/** Exit status of heketi-cli on any error (cobra's `os.Exit(-1)`). */
export const ERROR_EXIT = 255;

const GROUPS: Record<string, CommandGroup> = {
  topology: topologyCommands,
  cluster: clusterCommands,
  node: nodeCommands,
  device: deviceCommands,
  volume: volumeCommands,
  db: dbCommands,
};

export const USAGE = `brickyard: Heketi-compatible client (heketi-cli verbs)

Usage:
  brickyard [--server URL] [--user NAME] [--secret KEY] [--json] <command>

Commands:
  topology load --json=FILE | topology info
  cluster  create [--block=BOOL] [--file=BOOL] | list | info ID | delete ID | setflags ID [--file=BOOL] [--block=BOOL]
  node     add --zone=N --cluster=ID --management-host-name=H --storage-host-name=H
           list | info ID | delete ID | enable ID | disable ID | remove ID | settags ID k:v... | rmtags ID k...
  device   add --name=DEV --node=ID [--destroy-existing-data] | info ID | delete ID [--force-forget]
           remove ID | enable ID | disable ID | resync ID | settags ID k:v... | rmtags ID k...
  volume   create --size=N [--name] [--durability] [--replica] [--disperse-data] [--redundancy] [--gid]
                  [--snapshot-factor] [--clusters] [--gluster-volume-options] [--block] [--persistent-volume ...]
           list | info ID | delete ID | expand ID --expand-size=N | clone ID [--name]
           set-block-hosting-restriction locked|unlocked ID | endpoint patch ID
  db       dump | check                      (through the server)
  db       import|export|check --dbfile ...  (offline, see 'brickyard db --help')
  serve    [--config FILE] [--disable-auth]  (run the server)

Environment: HEKETI_CLI_SERVER, HEKETI_CLI_USER, HEKETI_CLI_KEY (flags win).
`;

/** Runs one CLI invocation; never throws, never exits the process. */
export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env, io: CliIO = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = (s: string) => {
    stdout += s;
    io.stdout?.(s);
  };
  const err = (s: string) => {
    stderr += s;
    io.stderr?.(s);
  };
  let progressShown = false;
  const progress = (line: string | null) => {
    if (!io.isTTY) return;
    if (line === null) {
      if (progressShown) err('\r\x1b[K');
      progressShown = false;
      return;
    }
    err(`\r\x1b[K${line}`);
    progressShown = true;
  };
  try {
    const w = words(argv);
    const group = w[0]?.word;
    if (group === undefined || group === 'help') {
      parseFlags(argv, []); // unknown flags are still errors
      out(USAGE);
      return { code: 0, stdout, stderr };
    }
    const cmds = GROUPS[group];
    if (!cmds) throw new CliError(`unknown command "${group}" for "brickyard"\nRun 'brickyard --help' for usage.`);
    const verb = w[1]?.word;
    if (verb === undefined) {
      out(USAGE);
      return { code: 0, stdout, stderr };
    }
    const cmd = cmds[verb];
    if (!cmd) throw new CliError(`unknown command "${verb}" for "brickyard ${group}"\nRun 'brickyard ${group} --help' for usage.`);
    const rest = argv.filter((_, i) => i !== w[0]!.index && i !== w[1]!.index);
    const parsed = parseFlags(rest, cmd.flags ?? []);
    if (parsed.flags.get('help') === true) {
      out(USAGE);
      return { code: 0, stdout, stderr };
    }
    const server = (parsed.flags.get('server') as string | undefined) ?? env.HEKETI_CLI_SERVER ?? 'http://localhost:8080';
    const user = (parsed.flags.get('user') as string | undefined) ?? env.HEKETI_CLI_USER ?? '';
    const key = (parsed.flags.get('secret') as string | undefined) ?? env.HEKETI_CLI_KEY ?? '';
    if (parsed.flags.get('insecure-tls') === true && server.startsWith('https:')) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    if (parsed.flags.has('tls-cert') && !env.NODE_EXTRA_CA_CERTS) {
      throw new CliError('--tls-cert is not supported by brickyard; start it with NODE_EXTRA_CA_CERTS=<ca file> instead');
    }
    const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    // The progress line names the command; topology load runs several kinds of operation and
    // names each by the client's label (node add, device add).
    const commandLabel = group === 'topology' ? undefined : `${group} ${verb}`;
    let client: HeketiClient | undefined;
    const ctx: Ctx = {
      args: parsed.args,
      flags: parsed.flags,
      json: group === 'topology' && verb === 'load' ? false : parsed.flags.get('json') === true,
      out,
      err,
      io,
      sleep,
      client: () =>
        (client ??= new HeketiClient({
          server,
          user,
          key,
          fetch: io.fetch,
          sleep,
          pollMs: io.pollMs,
          onProgress: (label, elapsedMs, done) => progress(done ? null : `${commandLabel ?? label}: waiting for operation… ${Math.floor(elapsedMs / 1000)}s`),
        })),
    };
    await cmd.run(ctx);
    return { code: 0, stdout, stderr };
  } catch (e) {
    progress(null);
    err(`Error: ${cliMessage(e)}\n`);
    return { code: ERROR_EXIT, stdout, stderr };
  }
}
