import { goParseBool } from '../volumes/model.js';

/**
 * heketi-cli's command line: pflag semantics (`--f v`, `--f=v`, `-f v`, `-fv`; bool flags take no
 * separate value) and cobra's error texts.
 */

/** A usage or input error; printed as `Error: <message>`. */
export class CliError extends Error {
  override name = 'CliError';
}

export type FlagType = 'bool' | 'string' | 'int' | 'float' | 'stringArray';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
}

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'server', short: 's', type: 'string' },
  { name: 'user', type: 'string' },
  { name: 'secret', type: 'string' },
  { name: 'json', type: 'bool' },
  { name: 'insecure-tls', short: 'I', type: 'bool' },
  { name: 'tls-cert', short: 'C', type: 'stringArray' },
  { name: 'help', short: 'h', type: 'bool' },
];

export type FlagValue = string | boolean | number | string[];

export interface Parsed {
  flags: Map<string, FlagValue>;
  args: string[];
}

function convert(spec: FlagSpec, raw: string, shown: string): FlagValue {
  switch (spec.type) {
    case 'bool': {
      const b = goParseBool(raw);
      if (b === undefined) throw new CliError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
      return b;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw)) throw new CliError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      return Number(raw);
    }
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new CliError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseFloat: parsing "${raw}": invalid syntax`);
      return n;
    }
    default:
      return raw;
  }
}

/** Parses argv against the command's flags (local ones shadow global ones of the same name). */
export function parseFlags(argv: string[], specs: FlagSpec[]): Parsed {
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of [...GLOBAL_FLAGS, ...specs]) {
    byName.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const flags = new Map<string, FlagValue>();
  const args: string[] = [];
  const set = (spec: FlagSpec, value: FlagValue) => {
    if (spec.type === 'stringArray') {
      const prev = (flags.get(spec.name) as string[] | undefined) ?? [];
      flags.set(spec.name, [...prev, ...String(value).split(',')]);
    } else flags.set(spec.name, value);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byName.get(name);
      if (!spec) throw new CliError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, convert(spec, a.slice(eq + 1), `--${name}`));
      else if (spec.type === 'bool') set(spec, true);
      else {
        if (i + 1 >= argv.length) throw new CliError(`flag needs an argument: --${name}`);
        set(spec, convert(spec, argv[++i]!, `--${name}`));
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const c = a[1]!;
      const spec = byShort.get(c);
      if (!spec) throw new CliError(`unknown shorthand flag: '${c}' in ${a}`);
      let rest = a.slice(2);
      if (rest.startsWith('=')) rest = rest.slice(1);
      else if (spec.type === 'bool' && rest !== '') throw new CliError(`unknown shorthand flag: '${rest[0]}' in ${a}`);
      if (spec.type === 'bool') set(spec, rest === '' ? true : convert(spec, rest, `-${c}`));
      else if (rest !== '') set(spec, convert(spec, rest, `-${c}`));
      else {
        if (i + 1 >= argv.length) throw new CliError(`flag needs an argument: '${c}' in -${c}`);
        set(spec, convert(spec, argv[++i]!, `-${c}`));
      }
      continue;
    }
    args.push(a);
  }
  return { flags, args };
}

/** Positional words of argv (the command path is taken from them), skipping global flag values. */
export function words(argv: string[]): { word: string; index: number }[] {
  const out: { word: string; index: number }[] = [];
  const valueFlags = new Set(['--server', '-s', '--user', '--secret', '--tls-cert', '-C']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (valueFlags.has(a)) i++;
      continue;
    }
    out.push({ word: a, index: i });
  }
  return out;
}
