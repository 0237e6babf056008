/**
 * The gRPC server of the driver on a unix socket: registers the Identity, Controller and Node
 * services, turns every handler's result or thrown error into the call's answer, and logs each
 * call (method, volume, duration, code). Secrets are never logged.
 */
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CsiError, codeName, unimplemented } from './errors.js';

/** The path of a `unix://` endpoint (`unix:///csi/csi.sock`, `unix:/csi/csi.sock` or a bare absolute path). */
export function socketPath(endpoint: string): string {
  let p = endpoint;
  if (p.startsWith('unix://')) p = p.slice('unix://'.length);
  else if (p.startsWith('unix:')) p = p.slice('unix:'.length);
  if (!p.startsWith('/')) throw new Error(`--endpoint ${JSON.stringify(endpoint)}: expected unix:///absolute/path.sock`);
  if (/[\u0000-\u001f]/.test(p) || p.length > 107) throw new Error(`--endpoint ${JSON.stringify(endpoint)}: not a usable unix socket path (at most 107 bytes)`);
  return p;
}

export type Handler = (request: never) => Promise<unknown> | unknown;

/** Calls that the CO repeats all the time (health checks, metrics): logged at debug when OK. */
const ROUTINE = new Set(['Probe', 'GetPluginInfo', 'GetPluginCapabilities', 'NodeGetCapabilities', 'ControllerGetCapabilities', 'NodeGetVolumeStats', 'GetCapacity']);

function toStatus(err: unknown): { code: status; message: string } {
  if (err instanceof CsiError) return { code: err.code, message: err.message };
  return { code: status.INTERNAL, message: err instanceof Error ? err.message : String(err) };
}

/** The volume (or CreateVolume name) a request is about, for the log line. */
function subjectOf(req: Record<string, unknown> | null | undefined): Record<string, string> {
  if (!req) return {};
  if (typeof req.volume_id === 'string' && req.volume_id !== '') return { volume: req.volume_id };
  if (typeof req.name === 'string' && req.name !== '') return { name: req.name };
  return {};
}

/**
 * grpc-js handlers for `service`: the methods in `handlers` answer with their result (or their
 * CsiError); any other method of the service answers UNIMPLEMENTED.
 */
export function serviceImplementation(service: ServiceDefinition, handlers: Record<string, Handler>, log: Logger): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const key of Object.keys(service)) {
    const method = key;
    const fn: Handler = handlers[method] ?? (() => Promise.reject(unimplemented(`${method} is not implemented by this driver${Object.keys(handlers).length === 0 ? ' in this mode' : ''}`)));
    impl[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const t0 = performance.now();
      const subject = subjectOf(call.request as Record<string, unknown>);
      Promise.resolve()
        .then(() => fn(call.request as never))
        .then(
          (res) => {
            const ms = Math.round(performance.now() - t0);
            log[ROUTINE.has(method) ? 'debug' : 'info']({ method, ...subject, ms, code: 'OK' }, `${method} OK`);
            callback(null, res ?? {});
          },
          (err: unknown) => {
            const ms = Math.round(performance.now() - t0);
            const { code, message } = toStatus(err);
            const level = code === status.INTERNAL || code === status.UNKNOWN ? 'error' : 'warn';
            log[level]({ method, ...subject, ms, code: codeName(code), err: message }, `${method} ${codeName(code)}: ${message}`);
            callback({ code, details: message });
          },
        );
    };
  }
  return impl;
}

export interface ServiceRegistration {
  service: ServiceDefinition;
  handlers: Record<string, Handler>;
}

export interface RunningServer {
  socket: string;
  /** Stops accepting calls, lets running ones finish (up to `graceMs`), removes the socket. */
  close(graceMs?: number): Promise<void>;
}

/** A socket file left by a killed driver blocks bind(): remove it, but never anything else. */
async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket: refusing to remove it`);
  await unlink(path);
}

export async function startServer(endpoint: string, registrations: ServiceRegistration[], log: Logger): Promise<RunningServer> {
  const socket = socketPath(endpoint);
  await mkdir(dirname(socket), { recursive: true });
  await removeStaleSocket(socket);
  const server = new Server();
  for (const r of registrations) server.addService(r.service, serviceImplementation(r.service, r.handlers, log));
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
  log.info({ endpoint: `unix://${socket}` }, 'CSI driver listening');
  let closing: Promise<void> | undefined;
  return {
    socket,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await unlink(socket).catch(() => undefined);
      })();
      return closing;
    },
  };
}
