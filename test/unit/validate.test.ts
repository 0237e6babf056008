import { describe, expect, it } from 'vitest';
import {
  accepts,
  parseVolumeOption,
  problem,
  validateBlockName,
  validateBrickPath,
  validateDevicePath,
  validateFstabPath,
  validateGid,
  validateHostname,
  validateHostPath,
  validateId,
  validateLvmSize,
  validateMountOptions,
  validateOptionKey,
  validateOptionValue,
  validateSize,
  validateVolumeName,
  ValidationError,
} from '../../src/gluster/validate.js';

const ID = '0123456789abcdef0123456789abcdef';

describe('validateHostname', () => {
  it.each(['10.0.0.1', '192.168.122.254', 'node1', 'node-1.example.com', 'a.b.c', 'glab-n1', '::1', 'fe80::1', '2001:db8::42', 'x'.repeat(63) + '.com'])(
    'accepts %s',
    (h) => expect(validateHostname(h)).toBe(h),
  );
  it.each(['', 'a b', 'host;rm', '$(id)', '-host', 'host-', 'a..b', '.a', 'a.', 'x'.repeat(64), `${'a.'.repeat(127)}ab`, '10.0.0.300', '1.2.3', 'fe80::1%eth0', 'fe80:::1', 'h_1', 'host\n', 'host:22'])(
    'rejects %j',
    (h) => expect(() => validateHostname(h)).toThrow(ValidationError),
  );
  it('names the value in the message', () => {
    expect(() => validateHostname('bad host')).toThrow(/invalid hostname "bad host"/);
  });
  it('rejects non-strings', () => {
    expect(() => validateHostname(5)).toThrow(/expected a string/);
  });
});

describe('validateDevicePath', () => {
  it.each(['/dev/sdb', '/dev/loop0', '/dev/disk/by-id/wwn-0x5000:1', '/dev/mapper/mpath_a.b-c'])('accepts %s', (p) => expect(validateDevicePath(p)).toBe(p));
  it.each(['sdb', '/dev/sd b', '/dev/../etc/passwd', '/dev/sdb/..', "/dev/sd'b", '/dev/sdb;id', '/dev/$x', '', '/'])('rejects %j', (p) => expect(() => validateDevicePath(p)).toThrow(ValidationError));
});

describe('paths', () => {
  it('brick paths: no colon, no ..', () => {
    expect(validateBrickPath('/var/lib/heketi/mounts/vg_a/brick_b/brick')).toBeTruthy();
    expect(() => validateBrickPath('/a:b')).toThrow();
    expect(() => validateBrickPath('/a/../b')).toThrow();
  });
  it('fstab path: absolute, safe', () => {
    expect(validateFstabPath('/etc/fstab')).toBe('/etc/fstab');
    expect(validateFstabPath('/var/lib/heketi/fstab')).toBe('/var/lib/heketi/fstab');
    for (const bad of ['etc/fstab', '/etc/fs"tab', '/etc/fstab\n', '/etc/fs tab', '/etc/../x']) expect(() => validateFstabPath(bad)).toThrow();
  });
  it('host:path bricks', () => {
    expect(validateHostPath('10.0.0.1:/b/brick')).toEqual({ host: '10.0.0.1', path: '/b/brick' });
    expect(validateHostPath('fe80::1:/b')).toEqual({ host: 'fe80::1', path: '/b' });
    expect(() => validateHostPath('/b')).toThrow();
    expect(() => validateHostPath('h:b')).toThrow();
  });
});

describe('ids and names', () => {
  it('ids are 32 lowercase hex', () => {
    expect(validateId(ID)).toBe(ID);
    for (const bad of [ID.toUpperCase(), ID.slice(1), `${ID}0`, ID.replace('a', 'g'), '']) expect(() => validateId(bad)).toThrow(/32 lowercase hex/);
  });
  it('volume names', () => {
    expect(validateVolumeName('vol_abc-1')).toBe('vol_abc-1');
    expect(validateVolumeName('a'.repeat(128))).toHaveLength(128);
    for (const bad of ['', 'a b', 'a.b', 'a/b', 'a'.repeat(129), 'vol;x']) expect(() => validateVolumeName(bad)).toThrow();
  });
});

describe('gluster options', () => {
  it('keys', () => {
    expect(validateOptionKey('performance.readdir-ahead')).toBeTruthy();
    expect(validateOptionKey('user.heketi.id')).toBeTruthy();
    for (const bad of ['', 'a b', 'a;b', 'a=b', 'k\n']) expect(() => validateOptionKey(bad)).toThrow();
  });
  it('values: printable, spaces allowed, no control characters, <= 4096', () => {
    expect(validateOptionValue('on')).toBe('on');
    expect(validateOptionValue('10.0.0.1, 10.0.0.2')).toBe('10.0.0.1, 10.0.0.2');
    expect(validateOptionValue("$(id) `x` 'q'")).toBeTruthy(); // one argv element: harmless
    expect(validateOptionValue('x'.repeat(4096))).toHaveLength(4096);
    for (const bad of ['', 'a\nb', 'a\0b', 'a\tb', '\u001b[31m', 'a\u007f', 'a\u2028b', 'x'.repeat(4097)]) expect(() => validateOptionValue(bad)).toThrow();
  });
  it('parses stored options: the key ends at the first ASCII space, blanks are skipped', () => {
    expect(parseVolumeOption('performance.rda-cache-limit 10MB')).toEqual(['performance.rda-cache-limit', '10MB']);
    expect(parseVolumeOption('group gluster-block')).toEqual(['group', 'gluster-block']);
    expect(parseVolumeOption(' auth.allow 10.0.0.1, 10.0.0.2 ')).toEqual(['auth.allow', '10.0.0.1, 10.0.0.2']);
    expect(parseVolumeOption('user.x  two  spaces')).toEqual(['user.x', 'two  spaces']);
    expect(parseVolumeOption('user.x a\u00a0b')).toEqual(['user.x', 'a\u00a0b']);
    for (const blank of ['', ' ', '  ']) expect(parseVolumeOption(blank)).toBeUndefined();
    for (const bad of ['novalue', 'bad;key value', 'k v\nx', 'perf.x\u00a0on', 'perf.x\ton', 'perf.x\u2028on', 'user.x a\u0085b', 'user.x --remote-host=h', '-k v', 'user.x -1']) {
      expect(() => parseVolumeOption(bad), bad).toThrow(ValidationError);
    }
  });
});

describe('no value becomes an option', () => {
  it('rejects a leading "-" in every name, key, value and host', () => {
    for (const v of ['-', '-x', '--version', '--xml']) {
      for (const f of [validateVolumeName, validateBlockName, validateOptionKey, validateOptionValue, validateHostname]) {
        expect(problem(f, v)?.reason, `${f.name}(${v})`).toBe('must not start with "-"');
      }
    }
    // Inside a value a dash is plain text: the value is one argv element.
    expect(validateOptionValue('a --remote-host=x')).toBe('a --remote-host=x');
    expect(validateVolumeName('a-')).toBe('a-');
  });
  it("refuses the keywords gluster's CLI will not take as a volume name", () => {
    for (const n of ['all', 'volume', 'force', 'option', 'end-volume']) expect(() => validateVolumeName(n)).toThrow(/gluster keyword/);
    expect(validateBlockName('all')).toBe('all');
  });
  it('accepts / problem give the validator\'s own decision', () => {
    expect(accepts(validateHostname, 'node1')).toBe(true);
    expect(accepts(validateHostname, 'first.example.')).toBe(false);
    expect(problem(validateHostname, 'fe80::2%eth0')?.reason).toMatch(/zone ids/);
    expect(() => accepts(() => {
      throw new Error('not a validation error');
    }, 'x')).toThrow(/not a validation/);
  });
});

describe('numbers', () => {
  it('sizes are positive safe integers', () => {
    expect(validateSize(1)).toBe(1);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '5', Infinity]) expect(() => validateSize(bad)).toThrow();
  });
  it('gid: 0 <= gid < 2147483647', () => {
    expect(validateGid(0)).toBe(0);
    expect(validateGid(2147483646)).toBe(2147483646);
    for (const bad of [-1, 2147483647, 1.5, '0']) expect(() => validateGid(bad)).toThrow();
  });
  it('LVM size strings', () => {
    for (const ok of ['256K', '4M', '4m', '1.5M', '512', '1G']) expect(validateLvmSize(ok)).toBe(ok);
    for (const bad of ['', 'K', '4MB', '-4M', '0', '0K', '4 M', '4M;x']) expect(() => validateLvmSize(bad)).toThrow();
  });
  it('mount options', () => {
    expect(validateMountOptions('rw,inode64,noatime,nouuid')).toBeTruthy();
    expect(validateMountOptions('rw,logbsize=256k')).toBeTruthy();
    for (const bad of ['', 'rw inode64', 'rw;id', 'context="x"', 'rw\n']) expect(() => validateMountOptions(bad)).toThrow();
  });
});
