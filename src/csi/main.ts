/**
 * `brickyard csi`: the CSI driver process. Parses the flags, builds the services of the mode,
 * serves them on the unix socket until SIGTERM/SIGINT, then shuts down cleanly (running calls
 * finish, the socket file is removed).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { registrations, type ControllerPart } from './driver.js';
import { Mounter } from './mounter.js';
import { NodeService } from './node.js';
import { CSI_USAGE, parseCsiOptions, runsController, runsNode, UsageError, type CsiOptions } from './options.js';
import { driverVersion, loadCsiServices } from './proto.js';
import { startServer, type RunningServer } from './server.js';

export interface StartedDriver {
  options: CsiOptions;
  server: RunningServer;
  log: Logger;
}

/** The default server's key: --key-file (trailing newline dropped) or BRICKYARD_KEY, else none. */
function defaultKey(o: CsiOptions): string | undefined {
  if (o.keyFile !== undefined) return readFileSync(o.keyFile, 'utf8').replace(/\r?\n$/, '');
  return o.key;
}

export interface DriverDeps {
  log?: Logger;
  mounter?: Mounter;
  /** The controller of a controller/all mode driver. */
  controller?: ControllerPart;
}

export function driverLogger(options: CsiOptions): Logger {
  return pino({ level: options.logLevel, base: { component: 'csi', driver: options.driverName, mode: options.mode } });
}

export async function startDriver(options: CsiOptions, deps: DriverDeps = {}): Promise<StartedDriver> {
  const log = deps.log ?? driverLogger(options);
  if (runsController(options.mode) && !deps.controller) throw new Error(`--mode ${options.mode} needs a controller`);
  const node = runsNode(options.mode) ? new NodeService({ nodeId: options.nodeId, mountLogDir: options.mountLogDir, mounter: deps.mounter ?? new Mounter() }) : undefined;
  const parts = { driverName: options.driverName, version: driverVersion(), controller: runsController(options.mode) ? deps.controller : undefined, node };
  const server = await startServer(options.endpoint, registrations(loadCsiServices(), parts), log);
  return { options, server, log };
}

/** `brickyard csi ARGS`: runs until a signal; exit status 2 on bad flags. */
export async function runCsi(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(CSI_USAGE);
    return;
  }
  let options: CsiOptions;
  try {
    options = parseCsiOptions(argv, process.env, hostname());
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`ERROR: ${e.message}\n\n${CSI_USAGE}`);
    process.exitCode = 2;
    return;
  }
  const log = driverLogger(options);
  let d: StartedDriver;
  try {
    // The controller (and with it the REST client) is loaded only when the mode runs it.
    const controller = runsController(options.mode) ? await (await import('./controller.js')).createController(options, defaultKey(options), log) : undefined;
    d = await startDriver(options, { log, controller });
  } catch (e) {
    // A start-up problem (flags, key file, socket path) is the operator's to fix: say what, no stack.
    process.stderr.write(`ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
    return;
  }
  const stop = (signal: string) => {
    d.log.info({ signal }, 'shutting down');
    void d.server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
