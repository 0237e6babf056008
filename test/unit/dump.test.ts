import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DB } from '../../src/store/db.js';
import { exportDump, importDump, type HeketiDump } from '../../src/store/dump/index.js';
import { checkDatabase } from '../../src/store/check.js';
import { runDbCommand } from '../../src/cli/db.js';

/** A real `heketi db export` (Heketi v10.4.1, mock executor), see test/fixtures/migration/README.md. */
const EXPORT_FILE = fileURLToPath(new URL('../fixtures/migration/heketi-db-export.json', import.meta.url));
const exportText = readFileSync(EXPORT_FILE, 'utf8');
const original = (): HeketiDump => JSON.parse(exportText) as HeketiDump;

// db_attributes is left out: a new database has its own (migration 004), a refused import keeps them.
const ENTITY_TABLES = ['clusters', 'nodes', 'devices', 'volumes', 'bricks', 'block_volumes', 'operations'];

function rowCount(db: DB): number {
  return ENTITY_TABLES.reduce((n, t) => n + (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n, 0);
}

const firstKey = (o: Record<string, unknown>) => Object.keys(o).sort()[0]!;

let dir: string;
let db: DB;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brickyard-dump-'));
  db = openDatabase(join(dir, 'heketi.db'));
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Heketi DB dump import/export', () => {
  it('imports a real Heketi export and exports exactly the same JSON', () => {
    const summary = importDump(db, original());
    expect(summary).toEqual({
      clusters: 2,
      nodes: 6,
      devices: 11,
      bricks: 11,
      volumes: 4,
      blockvolumes: 0,
      dbattributes: 5,
      pendingoperations: 0,
      ignored: [],
    });
    const out = exportDump(db);
    expect(out).toStrictEqual(original());
    // Same bytes as `heketi db export` wrote (4-space indent, keys in Go order, trailing newline).
    expect(`${JSON.stringify(out, null, 4)}\n`).toBe(exportText);
    expect(checkDatabase(db).totalinconsistencies).toBe(0);
  });

  it('keeps what the schema stores: gid, snapshot, options, arbiter sub type, state, tags, brick order', () => {
    importDump(db, original());
    const v = db.prepare(`SELECT * FROM volumes WHERE id = 'e6385a8c70a91a55309a23290430ed41'`).get() as Record<string, unknown>;
    expect(v).toMatchObject({ gid: 2005, snapshot_enable: 1, snapshot_factor: 1.5, options: '["",""]' });
    const arbiter = db.prepare(`SELECT sub_type, position, thin_pool FROM bricks WHERE id = '3c63fe7095bae285eb727bff247b9ee4'`).get();
    expect(arbiter).toEqual({ sub_type: 2, position: 0, thin_pool: 'tp_3c63fe7095bae285eb727bff247b9ee4' });
    expect(db.prepare(`SELECT state FROM nodes WHERE id = '8daad72e6b819f73ce0d043acfdb55f0'`).get()).toEqual({ state: 'offline' });
    expect(db.prepare(`SELECT tags FROM devices WHERE id = '3bc638b75ad2c6a9f42ae29f8fc6cbef'`).get()).toEqual({ tags: '{"ssd":"yes"}' });
    expect(db.prepare(`SELECT value FROM db_attributes WHERE key = 'DB_GENERATION_ID'`).get()).toEqual({ value: '19bdc4d3231437540c6cbfcab4834eef' });
  });

  it('refuses a dangling node→cluster reference and leaves the database empty', () => {
    const broken = original();
    const nodeId = firstKey(broken.nodeentries);
    broken.nodeentries[nodeId]!.Info.cluster = '0123456789abcdef0123456789abcdef';
    expect(() => importDump(db, broken)).toThrow(`Node[${nodeId}]: references unknown cluster 0123456789abcdef0123456789abcdef`);
    expect(rowCount(db)).toBe(0);
  });

  it('refuses other inconsistencies, naming the entry', () => {
    const cases: [string, (d: HeketiDump) => void, RegExp][] = [
      [
        'device space',
        (d) => {
          d.deviceentries['28e5153c5db566d7d24cd17b2a0b4376']!.Info.storage.free -= 1;
        },
        /^Device\[28e5153c5db566d7d24cd17b2a0b4376\]: storage used \(0\) \+ free \(524287999\) != total \(524288000\)$/,
      ],
      [
        'duplicate hostname',
        (d) => {
          d.nodeentries['6aa9aaf1323d2731e62e662685216580']!.Info.hostnames.manage = ['s3.rack-b.test'];
        },
        /^Node\[6aa9aaf1323d2731e62e662685216580\]: manage hostname s3.rack-b.test is already used by node 0f07a10f76321e1c236e04c7c83abf3c$/,
      ],
      [
        'brick → unknown volume',
        (d) => {
          d.brickentries['03c142b266b674e138d15dc81d2b0c19']!.Info.volume = 'ffffffffffffffffffffffffffffffff';
        },
        /^Brick\[03c142b266b674e138d15dc81d2b0c19\]: references unknown volume f{32}$/,
      ],
      [
        'volume lists an unknown brick',
        (d) => {
          d.volumeentries['e6385a8c70a91a55309a23290430ed41']!.Bricks.push('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee');
        },
        /^Volume\[e6385a8c70a91a55309a23290430ed41\]: references unknown brick e{32}$/,
      ],
      [
        'device lists an unknown brick',
        (d) => {
          d.deviceentries['28e5153c5db566d7d24cd17b2a0b4376']!.Bricks.push('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee');
        },
        /^Device\[28e5153c5db566d7d24cd17b2a0b4376\]: references unknown brick e{32}$/,
      ],
      [
        'cluster lists an unknown node',
        (d) => {
          d.clusterentries['4dda1440956d9fc0aafb5cf6396b5bcd']!.Info.nodes.push('dddddddddddddddddddddddddddddddd');
        },
        /^Cluster\[4dda1440956d9fc0aafb5cf6396b5bcd\]: references unknown node d{32}$/,
      ],
      [
        'device → unknown node',
        (d) => {
          d.deviceentries['28e5153c5db566d7d24cd17b2a0b4376']!.NodeId = 'cccccccccccccccccccccccccccccccc';
        },
        /^Device\[28e5153c5db566d7d24cd17b2a0b4376\]: references unknown node c{32}$/,
      ],
      [
        'brick pending on an unknown operation',
        (d) => {
          d.brickentries['03c142b266b674e138d15dc81d2b0c19']!.Pending.Id = 'abababababababababababababababab';
        },
        /^Brick\[03c142b266b674e138d15dc81d2b0c19\]: is marked pending by unknown operation (ab){16}$/,
      ],
      [
        'node not listed by its cluster',
        (d) => {
          d.clusterentries['4dda1440956d9fc0aafb5cf6396b5bcd']!.Info.nodes = [];
        },
        /^Node\[8daad72e6b819f73ce0d043acfdb55f0\]: belongs to cluster 4dda1440956d9fc0aafb5cf6396b5bcd which does not list it$/,
      ],
    ];
    for (const [label, breakIt, message] of cases) {
      const d = original();
      breakIt(d);
      expect(() => importDump(db, d), label).toThrow(message);
      expect(rowCount(db), label).toBe(0);
    }
  });

  it('refuses a non-empty target database', () => {
    importDump(db, original());
    expect(() => importDump(db, original())).toThrow('target database: is not empty');
  });

  it('imports pending operations into the journal and marks their objects pending', () => {
    const d = original();
    const opId = '0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a';
    const brick = '03c142b266b674e138d15dc81d2b0c19';
    const volume = 'e6385a8c70a91a55309a23290430ed41';
    d.brickentries[brick]!.Pending.Id = opId;
    d.pendingoperations[opId] = {
      Id: opId,
      Timestamp: 1700000000,
      Type: 3,
      Actions: [
        { Change: 1, Id: brick, Delta: null },
        { Change: 5, Id: volume, Delta: 2 },
      ],
      Status: 'stale',
    };
    expect(importDump(db, d).pendingoperations).toBe(1);
    const op = db.prepare('SELECT * FROM operations WHERE id = ?').get(opId) as Record<string, unknown>;
    expect(op).toMatchObject({ type: 'expand-volume', status: 'stale', timestamp: 1700000000 });
    expect(JSON.parse(op.actions as string)).toEqual([
      { change: 1, id: brick, delta: null },
      { change: 5, id: volume, delta: 2 },
    ]);
    expect(JSON.parse(op.intent as string)).toMatchObject({ volumeId: volume, expandGiB: 2 });
    expect(db.prepare('SELECT pending_op FROM bricks WHERE id = ?').get(brick)).toEqual({ pending_op: opId });
    expect(exportDump(db)).toStrictEqual(d);
    const check = checkDatabase(db);
    expect(check.bricks.pending).toBe(1);
    expect(check.pendingoperations).toEqual({ total: 1, pending: 0, ok: 1, notok: 0, inconsistencies: null });
  });

  it('round-trips block volumes and a block-hosting volume with its cluster list', () => {
    const d = original();
    const vol = d.volumeentries['e1c3bd651cd7b6fd712e9eabcdc10a6e']!;
    const bv = '1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b';
    vol.Info.clusters = ['f25c10b51e342e63cabe5da18c8b1a39'];
    vol.Info.block = true;
    vol.Info.blockinfo = { freesize: 7, reservedsize: 1, blockvolume: [bv], restriction: 'locked' };
    d.clusterentries['f25c10b51e342e63cabe5da18c8b1a39']!.Info.blockvolumes = [bv];
    d.blockvolumeentries[bv] = {
      Info: {
        size: 2,
        name: 'blk',
        hacount: 3,
        auth: true,
        id: bv,
        blockvolume: { hosts: ['192.0.2.11', '192.0.2.12', '192.0.2.13'], iqn: 'iqn.x', lun: 0, username: 'u', password: 'p' },
        cluster: 'f25c10b51e342e63cabe5da18c8b1a39',
        blockhostingvolume: 'e1c3bd651cd7b6fd712e9eabcdc10a6e',
        usablesize: 2,
      },
      Pending: { Id: '' },
    };
    expect(importDump(db, d).blockvolumes).toBe(1);
    expect(exportDump(db)).toStrictEqual(d);
  });
});

describe('consistency check', () => {
  it('reports device accounting and dangling references in Heketi style', () => {
    importDump(db, original());
    db.prepare(`UPDATE devices SET used = used + 4096, free = free - 4096 WHERE id = '3bc638b75ad2c6a9f42ae29f8fc6cbef'`).run();
    db.prepare(`UPDATE devices SET free = free + 1 WHERE id = '28e5153c5db566d7d24cd17b2a0b4376'`).run();
    db.pragma('foreign_keys = OFF');
    db.prepare(`UPDATE nodes SET cluster_id = '0123456789abcdef0123456789abcdef' WHERE id = '8daad72e6b819f73ce0d043acfdb55f0'`).run();
    db.pragma('foreign_keys = ON');
    const r = checkDatabase(db);
    expect(r.devices.notok).toBe(2);
    expect(r.devices.inconsistencies).toEqual([
      'Device[28e5153c5db566d7d24cd17b2a0b4376] storage free (524288001) + used (0) != total (524288000)',
      'Device[3bc638b75ad2c6a9f42ae29f8fc6cbef] used size 15286272 does not match the 15282176 its bricks take (thin pool + metadata)',
    ]);
    expect(r.nodes.inconsistencies).toEqual(['Node[8daad72e6b819f73ce0d043acfdb55f0] references unknown cluster 0123456789abcdef0123456789abcdef']);
    expect(r.dbattributes).toEqual({ total: 0, pending: 0, ok: 0, notok: 0, inconsistencies: null });
    expect(r.totalinconsistencies).toBe(3);
  });
});

describe('brickyard db import|export|check', () => {
  it('imports a JSON file into a new DB file, exports it back identically, checks it', () => {
    db.close();
    const dbFile = join(dir, 'imported.db');
    const jsonOut = join(dir, 'out.json');
    const imp = runDbCommand(['import', '--jsonfile', EXPORT_FILE, '--dbfile', dbFile]);
    expect(imp).toMatchObject({ code: 0, stderr: '' });
    expect(imp.stdout).toMatch(/^Imported 2 clusters, 6 nodes, 11 devices, 4 volumes, 11 bricks/);
    expect(runDbCommand(['export', `--dbfile=${dbFile}`, `--jsonfile=${jsonOut}`]).code).toBe(0);
    expect(readFileSync(jsonOut, 'utf8')).toBe(exportText);
    // The export never overwrites a file.
    expect(runDbCommand(['export', '--dbfile', dbFile, '--jsonfile', jsonOut])).toMatchObject({ code: 1, stderr: expect.stringContaining('already exists') });
    const check = runDbCommand(['check', '--dbfile', dbFile]);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).totalinconsistencies).toBe(0);
    expect(check.stdout).toMatch(/^\{\n {4}"clusters": \{\n {8}"total": 2,/);
    db = openDatabase(join(dir, 'heketi.db'));
  });

  it('a refused import leaves no database file behind', () => {
    const broken = original();
    const nodeId = firstKey(broken.nodeentries);
    broken.nodeentries[nodeId]!.Info.cluster = '0123456789abcdef0123456789abcdef';
    const jsonIn = join(dir, 'broken.json');
    writeFileSync(jsonIn, JSON.stringify(broken));
    const dbFile = join(dir, 'never.db');
    const r = runDbCommand(['import', '--jsonfile', jsonIn, '--dbfile', dbFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: Node[${nodeId}]: references unknown cluster 0123456789abcdef0123456789abcdef\n`);
    expect(existsSync(dbFile)).toBe(false);
  });

  it('check exits 1 on inconsistencies', () => {
    importDump(db, original());
    db.prepare(`UPDATE devices SET free = free + 1 WHERE id = '28e5153c5db566d7d24cd17b2a0b4376'`).run();
    db.close();
    const r = runDbCommand(['check', '--dbfile', join(dir, 'heketi.db')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).totalinconsistencies).toBe(1);
    db = openDatabase(join(dir, 'heketi.db'));
  });
});
