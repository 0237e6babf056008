import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { renderCommand, shellQuote } from '../../src/gluster/quote.js';

/** What bash makes of `printf "%s\0" <line>`: the argv it parsed, exactly. */
function bashArgs(line: string): string[] {
  const out = execFileSync('/bin/bash', ['--norc', '--noprofile', '-c', `printf '%s\\0' ${line}`], { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
  const parts = out.toString('utf8').split('\0');
  parts.pop(); // trailing terminator
  return parts;
}

describe('shellQuote', () => {
  it('leaves safe words bare so lines match the spec text', () => {
    for (const w of ['gluster', '--mode=script', '/dev/sdb', 'vg_abc/tp_def', '53248K', 'rw,inode64,noatime,nouuid', 'user@host', '10%', 'a+b', 'host:/path']) {
      expect(shellQuote(w)).toBe(w);
    }
  });

  it('quotes the empty string', () => {
    expect(shellQuote('')).toBe("''");
  });

  it('single-quotes everything else and escapes single quotes', () => {
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$(id)')).toBe("'$(id)'");
  });

  it('rejects NUL', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => renderCommand(['echo', '\0'])).toThrow(/NUL/);
  });

  it('rejects an empty argv', () => {
    expect(() => renderCommand([])).toThrow();
  });

  const hostile = [';', 'a;rm -rf /', '$(touch /tmp/pwned)', '`id`', 'a\nb', "'", '"', '\\', "'\"'\"'", '*', '?', '[a]', '~', '~root', '!', '#x', '&', '|', '>', '<x', '$HOME', '${HOME}', '{a,b}', ' ', '\t', '\r\n', 'é', '💥', '-n', '--', '%1', 'a=b'];

  it('round-trips hostile strings through bash', () => {
    expect(bashArgs(renderCommand(hostile))).toEqual(hostile);
    for (const h of hostile) expect(bashArgs(renderCommand([h]))).toEqual([h]);
  });

  it('keeps the program word a plain command name', () => {
    expect(renderCommand(['A=b', 'x'])).toBe("'A=b' x");
    expect(renderCommand(['%1'])).toBe("'%1'");
    expect(renderCommand(['time', 'ls'])).toBe("'time' ls");
    expect(renderCommand(['if'])).toBe("'if'");
    // Not special after the program word.
    expect(renderCommand(['env', 'A=b', 'time'])).toBe('env A=b time');
    const out = execFileSync('/bin/bash', ['-c', `${renderCommand(['A=b'])} 2>&1; echo "rc=$?"`], { env: { PATH: '/usr/bin:/bin' } }).toString();
    expect(out).toMatch(/A=b: command not found/);
  });

  it('property: bash reads back exactly the argv (arbitrary strings without NUL)', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.string({ unit: 'binary-ascii', maxLength: 12 }),
      fc.constantFrom(...hostile),
    );
    const arg = fc.array(piece, { maxLength: 3 }).map((p) => p.join('').replace(/\0/g, ''));
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 6 }), (argv) => {
        expect(bashArgs(renderCommand(argv))).toEqual(argv);
      }),
      { numRuns: 300 },
    );
  });
});
