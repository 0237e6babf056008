import { formatDeviceInfo, goDevice, jsonOut } from '../format.js';
import { flagBool, flagStr, needId, type Command, type CommandGroup } from '../command.js';
import { CliError } from '../flags.js';
import { tagCommands } from './tags.js';

function deviceState(state: 'online' | 'offline'): Command {
  return {
    async run(c) {
      const id = needId(c, 'device id missing');
      await c.client().deviceSetState(id, state);
      c.out(`Device ${id} is now ${state}\n`);
    },
  };
}

export const deviceCommands: CommandGroup = {
  add: {
    flags: [
      { name: 'name', type: 'string' },
      { name: 'node', type: 'string' },
      { name: 'destroy-existing-data', type: 'bool' },
    ],
    async run(c) {
      const name = flagStr(c, 'name');
      const node = flagStr(c, 'node');
      if (name === '') throw new CliError('Missing device name');
      if (node === '') throw new CliError('Missing node id');
      await c.client().deviceAdd({ name, node, ...(flagBool(c, 'destroy-existing-data') ? { destroydata: true } : {}) });
      c.out('Device added successfully\n');
    },
  },
  delete: {
    flags: [{ name: 'force-forget', type: 'bool' }],
    async run(c) {
      const id = needId(c, 'Device id missing');
      await c.client().deviceDelete(id, { forceforget: flagBool(c, 'force-forget') });
      c.out(`Device ${id} deleted\n`);
    },
  },
  remove: {
    flags: [{ name: 'expert-option-disable-heal-check', type: 'bool' }],
    async run(c) {
      const id = needId(c, 'Device id missing');
      const noHeal = flagBool(c, 'expert-option-disable-heal-check');
      if (noHeal) {
        c.err('WARNING: the heal check is disabled: removing a device whose volumes are not healed can lose data.\nProceeding in 10 seconds...\n');
        await c.sleep(10_000);
      }
      await c.client().deviceSetState(id, { state: 'failed', healcheck: noHeal ? 'disable' : '' });
      c.out(`Device ${id} is now removed\n`);
    },
  },
  enable: deviceState('online'),
  disable: deviceState('offline'),
  info: {
    async run(c) {
      const id = needId(c, 'Device id missing');
      const info = await c.client().deviceInfo(id);
      c.out(c.json ? jsonOut(goDevice(info)) : formatDeviceInfo(info));
    },
  },
  resync: {
    flags: [{ name: 'cluster', type: 'bool' }],
    async run(c) {
      const id = needId(c, 'Device id missing');
      const heketi = c.client();
      if (flagBool(c, 'cluster')) {
        c.out('Cluster-wide resync operation requested. Using object_id as cluster_id.\n');
        const topo = await heketi.topology();
        for (const cl of topo.clusters.filter((x) => x.id === id)) {
          for (const n of cl.nodes) {
            for (const d of n.devices ?? []) {
              c.out(`Now resyncing device ${d.id}..\n`);
              try {
                await heketi.deviceResync(d.id);
                c.out(`Device ${d.id} (node ${n.id}) in cluster ${cl.id} updated\n`);
              } catch {
                /* errors are ignored for the cluster-wide resync */
              }
            }
          }
        }
        return;
      }
      // heketi-cli drops the error of a single-device resync (exit 0, nothing printed).
      try {
        await heketi.deviceResync(id);
        c.out(`Device ${id} updated\n`);
      } catch {
        /* as heketi-cli */
      }
    },
  },
  ...tagCommands('devices'),
};
