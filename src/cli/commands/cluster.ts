import { formatClusterCreated, formatClusterInfo, formatClusterList, goCluster, jsonOut } from '../format.js';
import { flagBool, flagStr, needId, type CommandGroup } from '../command.js';
import { goParseBool } from '../../volumes/model.js';
import { CliError } from '../flags.js';

export const clusterCommands: CommandGroup = {
  create: {
    flags: [
      { name: 'block', type: 'bool' },
      { name: 'file', type: 'bool' },
    ],
    async run(c) {
      const info = await c.client().clusterCreate({ block: flagBool(c, 'block', true), file: flagBool(c, 'file', true) });
      c.out(c.json ? jsonOut(goCluster(info)) : formatClusterCreated(info));
    },
  },
  setflags: {
    flags: [
      { name: 'block', type: 'string' },
      { name: 'file', type: 'string' },
    ],
    async run(c) {
      const id = needId(c, 'Cluster id missing');
      const fileS = flagStr(c, 'file');
      const blockS = flagStr(c, 'block');
      if (fileS === '' && blockS === '') throw new CliError('At least one of --file or --block must be specified.');
      const parse = (v: string, name: string) => {
        const b = goParseBool(v);
        if (b === undefined) throw new CliError(`Invalid value for --${name}: ${v}`);
        return b;
      };
      const heketi = c.client();
      const cur = await heketi.clusterInfo(id);
      await heketi.clusterSetFlags(id, {
        block: blockS === '' ? cur.block === true : parse(blockS, 'block'),
        file: fileS === '' ? cur.file === true : parse(fileS, 'file'),
      });
    },
  },
  delete: {
    async run(c) {
      const id = needId(c, 'Cluster id missing');
      await c.client().clusterDelete(id);
      c.out(`Cluster ${id} deleted\n`);
    },
  },
  info: {
    async run(c) {
      const id = needId(c, 'Cluster id missing');
      const info = await c.client().clusterInfo(id);
      c.out(c.json ? jsonOut(goCluster(info)) : formatClusterInfo(info));
    },
  },
  list: {
    async run(c) {
      const heketi = c.client();
      const list = await heketi.clusterList();
      if (c.json) return c.out(jsonOut({ clusters: list.clusters ?? null }));
      const infos = [];
      for (const id of list.clusters ?? []) infos.push(await heketi.clusterInfo(id));
      c.out(formatClusterList(infos));
    },
  },
};
