/**
 * POSIX shell quoting for the one place where an argv has to become a shell line: the ssh and
 * kubectl executors run `/bin/bash -c '<line>'` on the node. Everything else passes argv arrays.
 */

/** Characters that never need quoting in a bash word (in argument position). */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Bash keywords are only keywords in command position; quoting them there keeps them plain words.
 * (`!`, `{`, `}`, `[[`, `]]` contain unsafe characters and are quoted anyway.)
 */
const RESERVED = new Set([
  'if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'select', 'while', 'until', 'do', 'done',
  'in', 'function', 'time', 'coproc',
]);

function quoteAlways(arg: string): string {
  // Inside single quotes nothing is special except the quote itself: close, escape, reopen.
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Quotes one argument so bash reads it back as exactly one word with exactly this content.
 * Strings made only of safe characters stay bare, so rendered lines match Heketi's spec text.
 * NUL cannot be passed through argv at all, so it is rejected.
 */
export function shellQuote(arg: string): string {
  if (typeof arg !== 'string') throw new TypeError(`shellQuote: expected a string, got ${typeof arg}`);
  if (arg.includes('\0')) throw new Error('shellQuote: argument contains a NUL character');
  if (arg === '') return "''";
  return SAFE_WORD.test(arg) ? arg : quoteAlways(arg);
}

/**
 * Renders an argv as one bash command line. The program word gets extra care: an unquoted
 * `NAME=value` there would be an assignment, `%1` a job spec, and `if`/`time`/… keywords.
 */
export function renderCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('renderCommand: empty argv');
  return argv
    .map((arg, i) => {
      const q = shellQuote(arg);
      if (i === 0 && q === arg && (arg.includes('=') || arg.startsWith('%') || RESERVED.has(arg))) return quoteAlways(arg);
      return q;
    })
    .join(' ');
}
