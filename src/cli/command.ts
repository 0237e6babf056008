import { NetworkError, type HeketiClient } from '../client/index.js';
import { CliError, type FlagSpec, type FlagValue } from './flags.js';

/** What a command group file provides: its verbs, with their flags. */

export interface CliIO {
  /** Live sinks (the process streams when run from main); output is also returned. */
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  /** stdout is a terminal: show a progress line on stderr while an operation is pending. */
  isTTY?: boolean;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Base for relative file paths (topology files). */
  cwd?: string;
  /** Poll interval for /queue (Go client: 400 ms). */
  pollMs?: number;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Ctx {
  args: string[];
  flags: Map<string, FlagValue>;
  json: boolean;
  out(s: string): void;
  err(s: string): void;
  client(): HeketiClient;
  io: CliIO;
  sleep(ms: number): Promise<void>;
}

export interface Command {
  flags?: FlagSpec[];
  run(c: Ctx): Promise<void>;
}

export type CommandGroup = Record<string, Command>;

export function flagStr(c: Ctx, name: string, def = ''): string {
  const v = c.flags.get(name);
  return v === undefined ? def : String(v);
}

export function flagNum(c: Ctx, name: string, def: number): number {
  const v = c.flags.get(name);
  return typeof v === 'number' ? v : def;
}

export function flagBool(c: Ctx, name: string, def = false): boolean {
  const v = c.flags.get(name);
  return typeof v === 'boolean' ? v : def;
}

export function needId(c: Ctx, message: string): string {
  const id = c.args[0];
  if (id === undefined) throw new CliError(message);
  return id;
}

/** A Go map[string]string marshals with its keys sorted. */
export function goMap(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

/** Go's net/http error text for a request that got no answer: `Get "URL": dial tcp …`. */
function goNetworkMessage(e: NetworkError): string {
  let detail = e.reason;
  if (e.code === 'ECONNREFUSED') detail = `dial tcp ${e.address ?? ''}:${e.port ?? ''}: connect: connection refused`;
  else if (e.code === 'ENOTFOUND') detail = `dial tcp: lookup ${new URL(e.url).hostname}: no such host`;
  return `${e.method.charAt(0)}${e.method.slice(1).toLowerCase()} "${e.url}": ${detail}`;
}

/** The text heketi-cli prints for an error (after `Error: `, or inside its own messages). */
export function cliMessage(e: unknown): string {
  if (e instanceof NetworkError) return goNetworkMessage(e);
  return e instanceof Error ? e.message : String(e);
}
