import type { State } from '../../client/index.js';
import { formatNodeAdded, formatNodeInfo, formatNodeList, goNode, jsonOut } from '../format.js';
import { flagNum, flagStr, needId, type Command, type CommandGroup } from '../command.js';
import { CliError } from '../flags.js';
import { tagCommands } from './tags.js';

function nodeState(state: State): Command {
  return {
    async run(c) {
      const id = needId(c, 'Node id missing');
      await c.client().nodeSetState(id, state);
      c.out(`Node ${id} is now ${state === 'failed' ? 'removed' : state}\n`);
    },
  };
}

export const nodeCommands: CommandGroup = {
  add: {
    flags: [
      { name: 'zone', type: 'int' },
      { name: 'cluster', type: 'string' },
      { name: 'management-host-name', type: 'string' },
      { name: 'storage-host-name', type: 'string' },
    ],
    async run(c) {
      const zone = flagNum(c, 'zone', 0);
      const manage = flagStr(c, 'management-host-name');
      const storage = flagStr(c, 'storage-host-name');
      const cluster = flagStr(c, 'cluster');
      if (zone === 0) throw new CliError('Missing zone');
      if (manage === '') throw new CliError('Missing management hostname');
      if (storage === '') throw new CliError('Missing storage hostname');
      if (cluster === '') throw new CliError('Missing cluster id');
      const node = await c.client().nodeAdd({ zone, hostnames: { manage: [manage], storage: [storage] }, cluster });
      c.out(c.json ? jsonOut(goNode(node)) : formatNodeAdded(node));
    },
  },
  delete: {
    async run(c) {
      const id = needId(c, 'Node id missing');
      await c.client().nodeDelete(id);
      c.out(`Node ${id} deleted\n`);
    },
  },
  enable: nodeState('online'),
  disable: nodeState('offline'),
  remove: nodeState('failed'),
  list: {
    async run(c) {
      const heketi = c.client();
      const list = await heketi.clusterList();
      const infos = [];
      for (const id of list.clusters ?? []) infos.push(await heketi.clusterInfo(id));
      c.out(formatNodeList(infos));
    },
  },
  info: {
    async run(c) {
      const id = needId(c, 'Node id missing');
      const info = await c.client().nodeInfo(id);
      c.out(c.json ? jsonOut(goNode(info)) : formatNodeInfo(info));
    },
  },
  ...tagCommands('nodes'),
};
