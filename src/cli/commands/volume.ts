import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DurabilityRequest, VolumeCreateRequest } from '../../client/index.js';
import { float32Shortest } from '../../util/float32.js';
import { formatEndpointPatch, formatVolume, formatVolumeListLine, goVolume, jsonOut, persistentVolume } from '../format.js';
import { flagBool, flagNum, flagStr, needId, type CommandGroup, type Ctx } from '../command.js';
import { CliError } from '../flags.js';

function volumeOut(c: Ctx, v: unknown): void {
  c.out(c.json ? jsonOut(goVolume(v)) : formatVolume(v));
}

export const volumeCommands: CommandGroup = {
  create: {
    flags: [
      { name: 'size', type: 'int' },
      { name: 'gid', type: 'int' },
      { name: 'name', type: 'string' },
      { name: 'durability', type: 'string' },
      { name: 'replica', type: 'int' },
      { name: 'disperse-data', type: 'int' },
      { name: 'redundancy', type: 'int' },
      { name: 'snapshot-factor', type: 'float' },
      { name: 'clusters', type: 'string' },
      { name: 'gluster-volume-options', type: 'string' },
      { name: 'persistent-volume', type: 'bool' },
      { name: 'persistent-volume-file', type: 'string' },
      { name: 'persistent-volume-endpoint', type: 'string' },
      { name: 'block', type: 'bool' },
    ],
    async run(c) {
      const size = flagNum(c, 'size', 0);
      if (size === 0) throw new CliError('Missing volume size');
      const kubePv = flagBool(c, 'persistent-volume');
      const kubePvFile = flagStr(c, 'persistent-volume-file');
      const endpoint = flagStr(c, 'persistent-volume-endpoint');
      if (kubePv && endpoint === '') {
        c.err('--persistent-volume-endpoint must be provided when using --persistent-volume\n');
        throw new CliError('Missing endpoint');
      }
      // Sent verbatim: the server answers an unknown type with 400 `Unknown durability type`.
      const durability = flagStr(c, 'durability', 'replicate') as DurabilityRequest['type'];
      const replica = flagNum(c, 'replica', 3);
      const data = flagNum(c, 'disperse-data', 4);
      const redundancy = flagNum(c, 'redundancy', 2);
      const gid = flagNum(c, 'gid', 0);
      const clusters = flagStr(c, 'clusters');
      const options = flagStr(c, 'gluster-volume-options');
      const factor = flagNum(c, 'snapshot-factor', 1);
      const req: VolumeCreateRequest = {
        size,
        ...(clusters !== '' ? { clusters: clusters.split(',') } : {}),
        name: flagStr(c, 'name'),
        durability: {
          type: durability,
          replicate: replica ? { replica } : {},
          disperse: { ...(data ? { data } : {}), ...(redundancy ? { redundancy } : {}) },
        },
        ...(gid !== 0 ? { gid } : {}),
        ...(options !== '' ? { glustervolumeoptions: options.split(',') } : {}),
        ...(flagBool(c, 'block') ? { block: true } : {}),
        snapshot: factor > 1 ? { enable: true, factor: float32Shortest(factor) } : { enable: false, factor: 0 },
      };
      const volume = await c.client().volumeCreate(req);
      if (kubePv || kubePvFile !== '') {
        const pv = persistentVolume(volume, endpoint);
        if (kubePv) c.out(`${pv}\n`);
        else {
          try {
            writeFileSync(resolve(c.io.cwd ?? process.cwd(), kubePvFile), pv);
          } catch (e) {
            c.err(`Unable to write to file ${kubePvFile}\n`);
            throw new CliError((e as Error).message);
          }
        }
        return;
      }
      volumeOut(c, volume);
    },
  },
  delete: {
    async run(c) {
      const id = needId(c, 'Volume id missing');
      await c.client().volumeDelete(id);
      c.out(`Volume ${id} deleted\n`);
    },
  },
  expand: {
    flags: [
      { name: 'expand-size', type: 'int' },
      { name: 'volume', type: 'string' },
    ],
    async run(c) {
      const size = flagNum(c, 'expand-size', 0);
      if (size === 0) throw new CliError('Missing volume amount to expand');
      const id = flagStr(c, 'volume') || c.args[0] || '';
      if (id === '') throw new CliError('Missing volume id');
      volumeOut(c, await c.client().volumeExpand(id, { expand_size: size }));
    },
  },
  info: {
    async run(c) {
      const id = needId(c, 'Volume id missing');
      volumeOut(c, await c.client().volumeInfo(id));
    },
  },
  list: {
    async run(c) {
      const heketi = c.client();
      const list = await heketi.volumeList();
      if (c.json) return c.out(jsonOut({ volumes: list.volumes ?? null }));
      let s = '';
      for (const id of list.volumes ?? []) s += formatVolumeListLine(id, await heketi.volumeInfo(id));
      c.out(s);
    },
  },
  clone: {
    flags: [{ name: 'name', type: 'string' }],
    async run(c) {
      const id = needId(c, 'Volume id missing');
      const name = flagStr(c, 'name');
      volumeOut(c, await c.client().volumeClone(id, name ? { name } : {}));
    },
  },
  'set-block-hosting-restriction': {
    async run(c) {
      const [what, id] = c.args;
      if (what === undefined || id === undefined) throw new CliError('Restriction type and volume id required');
      let restriction: '' | 'locked';
      if (what === 'locked') restriction = 'locked';
      else if (what === 'unlocked') restriction = '';
      else throw new CliError(`Unknown restriction: ${what}`);
      volumeOut(c, await c.client().volumeSetBlockRestriction(id, { restriction }));
    },
  },
  endpoint: {
    async run(c) {
      const [sub, id] = c.args;
      if (sub !== 'patch') throw new CliError(sub === undefined ? 'Missing subcommand: patch' : `unknown command "${sub}" for "brickyard volume endpoint"`);
      if (id === undefined) throw new CliError('Volume id missing');
      c.out(formatEndpointPatch(await c.client().volumeInfo(id)));
    },
  },
};
