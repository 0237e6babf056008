/** What every simulated command returns, and the argv/path helpers the subsystems share. */
import type { CommandResult } from '../executor.js';

export interface Result extends CommandResult {
  /** The command "failed" because the node could not be reached (CommandError.unreachable). */
  unreachable?: boolean;
}

export const ok = (stdout = ''): Result => ({ exitCode: 0, stdout, stderr: '' });
export const fail = (stderr: string, exitCode = 1, stdout = ''): Result => ({ exitCode, stdout, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` });

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

export function normPath(p: string): string {
  if (!p.startsWith('/')) return p;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** The arguments that are not options (coreutils-style commands: mkdir, umount, wipefs, ...). */
export const operands = (args: string[]): string[] => parseOpts(args, new Set()).pos;

/**
 * Minimal getopt-style option parser: `valued` names take a value (`--x v`, `--x=v`, `-x v`); a
 * bare `--` ends the options, as in every getopt tool, so what follows is an operand even when it
 * starts with `-`.
 */
export function parseOpts(args: string[], valued: Set<string>): { opts: Map<string, string>; flags: Map<string, number>; pos: string[]; bad?: string } {
  const opts = new Map<string, string>();
  const flags = new Map<string, number>();
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      pos.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) opts.set(name, a.slice(eq + 1));
      else if (valued.has(name)) {
        if (i + 1 >= args.length) return { opts, flags, pos, bad: `Option --${name} requires an argument.` };
        opts.set(name, args[++i]!);
      } else flags.set(name, (flags.get(name) ?? 0) + 1);
    } else if (a.startsWith('-') && a.length > 1) {
      const name = a[1]!;
      if (valued.has(name)) {
        const v = a.length > 2 ? a.slice(2) : args[++i];
        if (v === undefined) return { opts, flags, pos, bad: `Option -${name} requires an argument.` };
        opts.set(name, v);
      } else for (const c of a.slice(1)) flags.set(c, (flags.get(c) ?? 0) + 1);
    } else pos.push(a);
  }
  return { opts, flags, pos };
}

/** A simulated program: runs `args` on `host` (`prog` is the name it was called by). */
export type Program = (host: string, args: string[], prog: string) => Result;
