/**
 * Hostile string generators (fast-check) for values that reach node commands: leading dashes and
 * gluster's own `--options`, whitespace of every Unicode kind, C0/C1 controls, long strings and
 * arbitrary unicode, mixed with plausible pieces so that many generated values are nearly valid.
 * Shared by the validator property test and the API fuzz.
 */
import fc from 'fast-check';

/** Every Unicode White_Space character, plus the zero-width ones JS trims or people paste. */
export const WHITESPACE = [
  '\t', '\n', '\u000b', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680',
  '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
  '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u180e', '\u200b',
];

/** Words programs read as options: gluster's (any `--word`), LVM's, ssh's. */
export const DASHED = ['-', '--', '---', '-x', '-f', '-ff', '-rf', '-1', '--version', '--xml', '--help', '--remote-host=203.0.113.9', '--log-file=/etc/passwd', '--glusterd-sock=/tmp/x', '--mode=interactive', '-oProxyCommand=touch /tmp/x', '-p2222', '--json'];

const piece = fc.constantFrom('a', 'vol', 'node1', 'x.y', '10.0.0.1', 'fe80::1', 'perf.x', 'user.k', '/dev/sdb', 'on', '_', '-', '.', ':', '0', 'all', 'force');
const control = fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f).map((c) => String.fromCharCode(c));

/** One hostile fragment. */
const fragment: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: piece },
  { weight: 3, arbitrary: fc.constantFrom(...DASHED) },
  { weight: 3, arbitrary: fc.constantFrom(...WHITESPACE) },
  { weight: 2, arbitrary: control },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(';', '$(id)', '`id`', '|', '&', '>', "'", '"', '\\', '*', '..', '%', '@', '=', ',', '!') },
);

/** A hostile string: fragments joined, sometimes led by a dash or whitespace, sometimes very long. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.array(fragment, { minLength: 1, maxLength: 6 }).map((xs) => xs.join('')) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...DASHED, ...WHITESPACE), fc.array(fragment, { maxLength: 3 })).map(([a, xs]) => a + xs.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', 'x.', '/dev/', 'user.k v'), fc.integer({ min: 60, max: 5000 })).map(([p, n]) => p + 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'first.example.', 'fe80::2%eth0', '10.0.0.300', '1.2.3', '::1', 'a'.repeat(63) + '.b', '/dev/' + 'a'.repeat(4100)) },
);

/** A hostile volume option entry: a (mostly plausible) key, a separator of any kind, a hostile value. */
export const hostileOption: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.oneof(fc.constantFrom('performance.readdir-ahead', 'user.note', 'group', 'user.heketi.arbiter', 'cluster.x'), hostileValue), fc.constantFrom(' ', '  ', ...WHITESPACE), hostileValue)
      .map(([k, sep, v]) => k + sep + v),
  },
  { weight: 1, arbitrary: hostileValue },
);
