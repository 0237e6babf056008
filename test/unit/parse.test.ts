import { describe, expect, it } from 'vitest';
import {
  parseGlusterOpResult,
  parseHealInfoXml,
  parseLvsReport,
  parseMountOutput,
  parsePvsReport,
  parsePvUuid,
  parseSizeKiB,
  parseSnapshotEntity,
  parseThinCount,
  parseUdevPaths,
  parseVgDisplay,
  parseVgsReport,
  parseVolumeInfoXml,
  parseXml,
} from '../../src/gluster/parse.js';

// ------------------------------------------------------------------ samples (gluster 10.3 / lvm2 2.03.16)

const B1 = '10.99.0.11:/var/lib/heketi/mounts/vg_a1/brick_b1/brick';
const B2 = '10.99.0.12:/var/lib/heketi/mounts/vg_a2/brick_b2/brick';
const B3 = '10.99.0.13:/var/lib/heketi/mounts/vg_a3/brick_b3/brick';

const brickXml = (name: string, uuid: string, arbiter = 0) =>
  `          <brick uuid="${uuid}">${name}<name>${name}</name><hostUuid>${uuid}</hostUuid><isArbiter>${arbiter}</isArbiter></brick>`;

const VOLUME_INFO_REPLICA = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <volInfo>
    <volumes>
      <volume>
        <name>vol_5b1f0d7b2a6c4b1e8f3a9d0c7e6b5a41</name>
        <id>8a53ad2b-5678-4216-b92f-44928f91726a</id>
        <status>1</status>
        <statusStr>Started</statusStr>
        <snapshotCount>0</snapshotCount>
        <brickCount>3</brickCount>
        <distCount>1</distCount>
        <replicaCount>3</replicaCount>
        <arbiterCount>0</arbiterCount>
        <disperseCount>0</disperseCount>
        <redundancyCount>0</redundancyCount>
        <type>2</type>
        <typeStr>Replicate</typeStr>
        <transport>0</transport>
        <bricks>
${brickXml(B1, '6dd3b5af-c03e-4524-8f7f-b59871ce5cee')}
${brickXml(B2, 'a1b2c3d4-0000-4524-8f7f-b59871ce5cee')}
${brickXml(B3, '3c6800bb-c037-43e3-ad1b-17ec3c0b6a23')}
        </bricks>
        <optCount>5</optCount>
        <options>
          <option>
            <name>user.heketi.id</name>
            <value>5b1f0d7b2a6c4b1e8f3a9d0c7e6b5a41</value>
          </option>
          <option>
            <name>cluster.granular-entry-heal</name>
            <value>on</value>
          </option>
          <option>
            <name>storage.fips-mode-rchecksum</name>
            <value>on</value>
          </option>
          <option>
            <name>transport.address-family</name>
            <value>inet</value>
          </option>
          <option>
            <name>auth.allow</name>
            <value>10.0.0.1, 10.0.0.2 &amp; &lt;x&gt;</value>
          </option>
        </options>
      </volume>
      <count>1</count>
    </volumes>
  </volInfo>
</cliOutput>
`;

const VOLUME_INFO_TWO = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <volInfo>
    <volumes>
      <volume>
        <name>vd</name>
        <id>11111111-2222-3333-4444-555555555555</id>
        <status>0</status>
        <statusStr>Created</statusStr>
        <snapshotCount>0</snapshotCount>
        <brickCount>6</brickCount>
        <distCount>1</distCount>
        <replicaCount>1</replicaCount>
        <arbiterCount>0</arbiterCount>
        <disperseCount>6</disperseCount>
        <redundancyCount>2</redundancyCount>
        <type>4</type>
        <typeStr>Disperse</typeStr>
        <transport>0</transport>
        <bricks>
${[1, 2, 3, 4, 5, 6].map((i) => brickXml(`10.99.0.1${i % 3}:/b/d${i}/brick`, 'u')).join('\n')}
        </bricks>
        <optCount>0</optCount>
        <options/>
      </volume>
      <volume>
        <name>va</name>
        <id>22222222-2222-3333-4444-555555555555</id>
        <status>2</status>
        <statusStr>Stopped</statusStr>
        <snapshotCount>1</snapshotCount>
        <brickCount>6</brickCount>
        <distCount>2</distCount>
        <replicaCount>3</replicaCount>
        <arbiterCount>1</arbiterCount>
        <disperseCount>0</disperseCount>
        <redundancyCount>0</redundancyCount>
        <type>7</type>
        <typeStr>Distributed-Replicate</typeStr>
        <transport>0</transport>
        <bricks>
${[1, 2, 3, 4, 5, 6].map((i) => brickXml(`10.99.0.1${i % 3}:/b/a${i}/brick`, 'u', i % 3 === 0 ? 1 : 0)).join('\n')}
        </bricks>
        <optCount>0</optCount>
        <options/>
      </volume>
      <count>2</count>
    </volumes>
  </volInfo>
</cliOutput>
`;

const VOLUME_INFO_NONE = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <volInfo>
    <volumes>
      <count>0</count>
    </volumes>
  </volInfo>
</cliOutput>
`;

const VOLUME_INFO_MISSING = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>-1</opRet>
  <opErrno>0</opErrno>
  <opErrstr>Volume vol_x does not exist</opErrstr>
</cliOutput>
`;

const HEAL_INFO = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <healInfo>
    <bricks>
      <brick hostUuid="6dd3b5af-c03e-4524-8f7f-b59871ce5cee">
        <name>${B1}</name>
        <status>Connected</status>
        <file gfid="8f4a3e42-4c1d-4a1d-9d5e-0c1a6c1f2a11">/hello.txt</file>
        <file gfid="b1b2b3b4-4c1d-4a1d-9d5e-0c1a6c1f2a11">/dir/rand.bin</file>
        <numberOfEntries>2</numberOfEntries>
      </brick>
      <brick hostUuid="a1b2c3d4-0000-4524-8f7f-b59871ce5cee">
        <name>${B2}</name>
        <status>Connected</status>
        <numberOfEntries>0</numberOfEntries>
      </brick>
      <brick hostUuid="-">
        <name>${B3}</name>
        <status>Transport endpoint is not connected</status>
        <numberOfEntries>-</numberOfEntries>
      </brick>
      <brick hostUuid="-">
        <name>information not available</name>
        <status>-</status>
        <numberOfEntries>-</numberOfEntries>
      </brick>
    </bricks>
  </healInfo>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
</cliOutput>
`;

const SNAP_CREATE = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <snapCreate>
    <snapshot>
      <name>tmpsnap_0123456789abcdef0123456789abcdef</name>
      <uuid>f1e2d3c4-b5a6-4789-8abc-def012345678</uuid>
    </snapshot>
  </snapCreate>
</cliOutput>
`;

const CLONE_CREATE = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <CloneCreate>
    <volume>
      <name>vol_clone</name>
      <uuid>0fa1c2b3-d4e5-4f60-8a7b-9c0d1e2f3a4b</uuid>
    </volume>
  </CloneCreate>
</cliOutput>
`;

const SNAP_FAILED = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>-1</opRet>
  <opErrno>30806</opErrno>
  <opErrstr>Snapshot is supported only for thin provisioned LV. Ensure that all bricks of vr are thinly provisioned LV.</opErrstr>
</cliOutput>
`;

const PVS_JSON = `  {
      "report": [
          {
              "pv": [
                  {"pv_name":"/dev/loop0", "pv_uuid":"Yr6p5b-12k3-owPO-Xi6B-g3S9-rNPJ-61rIPI", "vg_name":"vg_n1_d1"}
              ]
          }
      ]
  }
`;

const VGS_PV_JSON = `  {
      "report": [
          {
              "vg": [
                  {"pv_name":"/dev/loop1", "pv_uuid":"PoQZcX-JJPe-f304-McSs-33dx-xsu6-RWJKja", "vg_name":"vg_n1_d2"}
              ]
          }
      ]
  }
`;

describe('XML reader', () => {
  it('elements, attributes, text, entities, self-closing, declarations', () => {
    const r = parseXml(`<?xml version="1.0"?>\n<!-- c --><a x="1" y='&lt;2&gt;'><b>t&amp;u &#65;&#x42;</b><c/><![CDATA[<raw>]]></a>`);
    expect(r.name).toBe('a');
    expect(r.attrs).toEqual({ x: '1', y: '<2>' });
    expect(r.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(r.children[0]!.text).toBe('t&u AB');
    expect(r.text).toBe('<raw>');
  });
  it.each(['', 'plain text', '<a><b></a>', '<a>', '<a></b>', '<a x=1></a>', '<a></a><b></b>'])('rejects %j', (s) => {
    expect(() => parseXml(s)).toThrow(/invalid XML/);
  });
});

describe('gluster volume info --xml', () => {
  it('replica 3 volume', () => {
    const [v, ...rest] = parseVolumeInfoXml(VOLUME_INFO_REPLICA);
    expect(rest).toHaveLength(0);
    expect(v).toMatchObject({
      name: 'vol_5b1f0d7b2a6c4b1e8f3a9d0c7e6b5a41',
      id: '8a53ad2b-5678-4216-b92f-44928f91726a',
      type: 'Replicate',
      status: 'Started',
      brickCount: 3,
      distCount: 1,
      replicaCount: 3,
      arbiterCount: 0,
      disperseCount: 0,
      redundancyCount: 0,
      snapshotCount: 0,
      bricks: [B1, B2, B3],
    });
    expect(v!.brickDetails[0]).toEqual({ name: B1, hostUuid: '6dd3b5af-c03e-4524-8f7f-b59871ce5cee', isArbiter: false });
    expect(v!.options['user.heketi.id']).toBe('5b1f0d7b2a6c4b1e8f3a9d0c7e6b5a41');
    expect(v!.options['auth.allow']).toBe('10.0.0.1, 10.0.0.2 & <x>');
    expect(Object.keys(v!.options)).toHaveLength(5);
  });
  it('several volumes: disperse and distributed arbiter', () => {
    const [d, a] = parseVolumeInfoXml(VOLUME_INFO_TWO);
    expect(d).toMatchObject({ name: 'vd', type: 'Disperse', status: 'Created', disperseCount: 6, redundancyCount: 2, brickCount: 6 });
    expect(d!.options).toEqual({});
    expect(a).toMatchObject({ name: 'va', type: 'Distributed-Replicate', status: 'Stopped', distCount: 2, replicaCount: 3, arbiterCount: 1, snapshotCount: 1 });
    expect(a!.brickDetails.map((b) => b.isArbiter)).toEqual([false, false, true, false, false, true]);
    expect(a!.bricks[0]).toBe('10.99.0.11:/b/a1/brick');
  });
  it('no volumes', () => expect(parseVolumeInfoXml(VOLUME_INFO_NONE)).toEqual([]));
  it('gluster failure → opErrstr', () => expect(() => parseVolumeInfoXml(VOLUME_INFO_MISSING)).toThrow('Volume vol_x does not exist'));
  it('not gluster XML', () => expect(() => parseVolumeInfoXml('<html></html>')).toThrow(/cliOutput/));
});

describe('gluster volume heal info --xml', () => {
  it('bricks with counts, disconnected bricks and unknown names', () => {
    expect(parseHealInfoXml(HEAL_INFO)).toEqual([
      { name: B1, hostUuid: '6dd3b5af-c03e-4524-8f7f-b59871ce5cee', status: 'Connected', numberOfEntries: '2' },
      { name: B2, hostUuid: 'a1b2c3d4-0000-4524-8f7f-b59871ce5cee', status: 'Connected', numberOfEntries: '0' },
      { name: B3, hostUuid: '-', status: 'Transport endpoint is not connected', numberOfEntries: '-' },
      { name: 'information not available', hostUuid: '-', status: '-', numberOfEntries: '-' },
    ]);
  });
});

describe('gluster --xml snapshot results', () => {
  it('snapshot create', () => {
    const r = parseGlusterOpResult(SNAP_CREATE);
    expect(r.opRet).toBe(0);
    expect(parseSnapshotEntity(r, 'snapCreate', 'snapshot')).toEqual({ name: 'tmpsnap_0123456789abcdef0123456789abcdef', uuid: 'f1e2d3c4-b5a6-4789-8abc-def012345678' });
  });
  it('clone', () => {
    expect(parseSnapshotEntity(parseGlusterOpResult(CLONE_CREATE), 'CloneCreate', 'volume')).toEqual({ name: 'vol_clone', uuid: '0fa1c2b3-d4e5-4f60-8a7b-9c0d1e2f3a4b' });
  });
  it('failure', () => {
    const r = parseGlusterOpResult(SNAP_FAILED);
    expect(r).toMatchObject({ opRet: -1, opErrno: 30806 });
    expect(r.opErrstr).toMatch(/^Snapshot is supported only for thin provisioned LV/);
  });
});

describe('vgdisplay -c', () => {
  it('fields 12-15 (lab sample, leading blanks and newline)', () => {
    expect(parseVgDisplay('  vg_n1_d1:r/w:772:-1:0:0:0:-1:0:1:1:10350592:4096:2527:0:2527:Yr6p5b-12k3-owPO-Xi6B-g3S9-rNPJ-61rIPI\n')).toEqual({
      extentSize: 4096,
      total: 2527 * 4096,
      used: 0,
      free: 2527 * 4096,
    });
    expect(parseVgDisplay('  vg:r/w:772:-1:0:2:2:-1:0:1:1:524288000:4096:128000:2580:125420:abc\n')).toEqual({
      extentSize: 4096,
      total: 524288000,
      used: 2580 * 4096,
      free: 125420 * 4096,
    });
  });
  it('fewer than 17 fields', () => {
    expect(() => parseVgDisplay('a:b:c')).toThrow('vgdisplay returned an invalid string');
    expect(() => parseVgDisplay('')).toThrow('vgdisplay returned an invalid string');
  });
  it('non-numeric fields', () => {
    expect(() => parseVgDisplay('vg:r/w:772:-1:0:0:0:-1:0:1:1:1:4096:x:0:1:u')).toThrow(/ParseUint/);
  });
});

describe('pvs/vgs handle and udevadm', () => {
  it('pv_uuid from pvs or vgs', () => {
    expect(parsePvUuid(PVS_JSON)).toBe('Yr6p5b-12k3-owPO-Xi6B-g3S9-rNPJ-61rIPI');
    expect(parsePvUuid(VGS_PV_JSON)).toBe('PoQZcX-JJPe-f304-McSs-33dx-xsu6-RWJKja');
    expect(parsePvUuid('{"report":[{"pv":[{"pv_name":"/dev/sdb","pv_uuid":"","vg_name":""}]}]}')).toBe('');
  });
  it("Heketi's errors", () => {
    expect(() => parsePvUuid('not json')).toThrow(/^Failed to parse output/);
    expect(() => parsePvUuid('{"report":[]}')).toThrow('Expected exactly 1 report in output');
    expect(() => parsePvUuid('{"report":[{"pv":[]}]}')).toThrow('Expected exactly 1 PV or 1 VG in output');
  });
  it('udev paths: /dev/ prefix, LVM uuid link dropped, device appended', () => {
    const out = 'disk/by-id/ata-QEMU_HARDDISK_QM00002 disk/by-path/pci-0000:00:05.0 disk/by-id/lvm-pv-uuid-jKvCfW-8r1N-dZyM-Hn0V-1u9G-LJbm-cQvT7x\n';
    expect(parseUdevPaths(out, '/dev/sdb')).toEqual(['/dev/disk/by-id/ata-QEMU_HARDDISK_QM00002', '/dev/disk/by-path/pci-0000:00:05.0', '/dev/sdb']);
    expect(parseUdevPaths('sdb disk/by-path/x\n', '/dev/sdb')).toEqual(['/dev/sdb', '/dev/disk/by-path/x']);
    expect(parseUdevPaths('', '/dev/sdb')).toEqual(['/dev/sdb']);
  });
});

describe('lvs thin_count', () => {
  it('parses padded numbers', () => {
    expect(parseThinCount('  0\n')).toBe(0);
    expect(parseThinCount('    2  \n')).toBe(2);
  });
  it('rejects blanks (a thin LV has an empty thin_count)', () => {
    expect(() => parseThinCount('  \n')).toThrow(/Atoi/);
  });
});

describe('LVM JSON reports, --units k', () => {
  it('pvs', () => {
    const out = `  {
      "report": [
          {
              "pv": [
                  {"pv_name":"/dev/loop0", "vg_name":"vg_n1_d1", "pv_fmt":"lvm2", "pv_attr":"a--", "pv_size":"10350592.00k", "pv_free":"6144000.00k"},
                  {"pv_name":"/dev/loop1", "vg_name":"", "pv_fmt":"lvm2", "pv_attr":"---", "pv_size":"<10485760.00k", "pv_free":"<10485760.00k"}
              ]
          }
      ]
  }
`;
    expect(parsePvsReport(out)).toEqual([
      { pvName: '/dev/loop0', vgName: 'vg_n1_d1', pvFmt: 'lvm2', pvAttr: 'a--', pvSize: 10350592, pvFree: 6144000 },
      { pvName: '/dev/loop1', vgName: '', pvFmt: 'lvm2', pvAttr: '---', pvSize: 10485760, pvFree: 10485760 },
    ]);
  });
  it('vgs', () => {
    const out = '{"report":[{"vg":[{"vg_name":"vg_n1_d1","pv_count":"1","lv_count":"2","snap_count":"0","vg_attr":"wz--n-","vg_size":"10350592.00k","vg_free":"8228864.00k"}]}]}';
    expect(parseVgsReport(out)).toEqual([{ vgName: 'vg_n1_d1', pvCount: 1, lvCount: 2, snapCount: 0, vgAttr: 'wz--n-', vgSize: 10350592, vgFree: 8228864 }]);
  });
  it('lvs', () => {
    const out = `  {
      "report": [
          {
              "lv": [
                  {"lv_name":"brick_r1", "vg_name":"vg_n1_d1", "lv_attr":"Vwi-aotz--", "lv_size":"2097152.00k", "pool_lv":"tp_brick_r1", "origin":"", "data_percent":"3.14", "metadata_percent":"", "move_pv":"", "mirror_log":"", "copy_percent":"", "convert_lv":""},
                  {"lv_name":"tp_brick_r1", "vg_name":"vg_n1_d1", "lv_attr":"twi-aotz--", "lv_size":"2097152.00k", "pool_lv":"", "origin":"", "data_percent":"3.14", "metadata_percent":"0.02", "move_pv":"", "mirror_log":"", "copy_percent":"", "convert_lv":""}
              ]
          }
      ]
  }
`;
    const rows = parseLvsReport(out);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({ lvName: 'brick_r1', vgName: 'vg_n1_d1', lvAttr: 'Vwi-aotz--', lvSize: 2097152, poolLv: 'tp_brick_r1', origin: '', dataPercent: '3.14', metadataPercent: '' });
    expect(rows[1]!.metadataPercent).toBe('0.02');
  });
  it('sizes', () => {
    expect(parseSizeKiB('4096.00k')).toBe(4096);
    expect(parseSizeKiB('<2.00g')).toBe(2097152);
    expect(parseSizeKiB('1024')).toBe(1024);
    expect(() => parseSizeKiB('lots')).toThrow();
  });
});

describe('mount output', () => {
  it('parses lines, skips junk', () => {
    const out = `sysfs on /sys type sysfs (rw,nosuid,nodev,noexec,relatime)
/dev/vda1 on / type ext4 (rw,relatime)
/dev/mapper/vg_a1-brick_b1 on /var/lib/heketi/mounts/vg_a1/brick_b1 type xfs (rw,noatime,nouuid,attr2,inode64,logbufs=8,logbsize=32k,noquota)
garbage line
`;
    const m = parseMountOutput(out);
    expect(m).toHaveLength(3);
    expect(m[2]).toEqual({
      device: '/dev/mapper/vg_a1-brick_b1',
      mountPoint: '/var/lib/heketi/mounts/vg_a1/brick_b1',
      type: 'xfs',
      options: 'rw,noatime,nouuid,attr2,inode64,logbufs=8,logbsize=32k,noquota',
    });
  });
});

describe('parseVolumeStatusXml', () => {
  it('lists brick processes with their online state, leaving daemons out', async () => {
    const { parseVolumeStatusXml } = await import('../../src/gluster/parse.js');
    const xml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <volStatus>
    <volumes>
      <volume>
        <volName>vr</volName>
        <nodeCount>3</nodeCount>
        <node>
          <hostname>10.99.0.11</hostname>
          <path>/var/lib/heketi/mounts/vg_a/brick_b/brick</path>
          <peerid>6dd3b5af-c03e-4524-8f7f-b59871ce5cee</peerid>
          <status>1</status>
          <port>49152</port>
          <ports><tcp>49152</tcp><rdma>N/A</rdma></ports>
          <pid>2210</pid>
        </node>
        <node>
          <hostname>10.99.0.12</hostname>
          <path>/var/lib/heketi/mounts/vg_c/brick_d/brick</path>
          <peerid>3c6800bb-c037-43e3-ad1b-17ec3c0b6a23</peerid>
          <status>0</status>
          <port>N/A</port>
          <ports><tcp>N/A</tcp><rdma>N/A</rdma></ports>
          <pid>-1</pid>
        </node>
        <node>
          <hostname>Self-heal Daemon</hostname>
          <path>localhost</path>
          <peerid>6dd3b5af-c03e-4524-8f7f-b59871ce5cee</peerid>
          <status>1</status>
          <port>N/A</port>
          <pid>2230</pid>
        </node>
        <tasks/>
      </volume>
    </volumes>
  </volStatus>
</cliOutput>`;
    expect(parseVolumeStatusXml(xml)).toEqual([
      { name: '10.99.0.11:/var/lib/heketi/mounts/vg_a/brick_b/brick', online: true },
      { name: '10.99.0.12:/var/lib/heketi/mounts/vg_c/brick_d/brick', online: false },
    ]);
  });
});
