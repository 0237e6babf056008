import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NodeInfo, Topology } from '../../client/index.js';
import { formatTopology, goTopology, jsonOut } from '../format.js';
import { cliMessage, flagStr, goMap, type Command, type CommandGroup } from '../command.js';
import { CliError } from '../flags.js';

interface FileDevice {
  name: string;
  tags?: Record<string, string>;
  destroydata?: boolean;
}
interface FileNode {
  node: { zone?: number; hostnames?: { manage?: string[]; storage?: string[] }; tags?: Record<string, string> };
  devices: FileDevice[];
}
interface FileCluster {
  nodes: FileNode[];
  file?: boolean;
  block?: boolean;
}

function readTopologyFile(path: string, cwd: string): FileCluster[] {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch {
    throw new CliError('Unable to open config file');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CliError('Unable to parse config file');
  }
  const bad = () => new CliError('Unable to parse config file');
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(raw)) throw bad();
  const clusters = raw.clusters ?? [];
  if (!Array.isArray(clusters)) throw bad();
  return clusters.map((fc): FileCluster => {
    if (!isObj(fc)) throw bad();
    const nodes = fc.nodes ?? [];
    if (!Array.isArray(nodes)) throw bad();
    if (fc.file !== undefined && fc.file !== null && typeof fc.file !== 'boolean') throw bad();
    if (fc.block !== undefined && fc.block !== null && typeof fc.block !== 'boolean') throw bad();
    return {
      file: typeof fc.file === 'boolean' ? fc.file : undefined,
      block: typeof fc.block === 'boolean' ? fc.block : undefined,
      nodes: nodes.map((fn): FileNode => {
        if (!isObj(fn)) throw bad();
        const node = fn.node ?? {};
        if (!isObj(node)) throw bad();
        const devices = fn.devices ?? [];
        if (!Array.isArray(devices)) throw bad();
        return {
          node: node as FileNode['node'],
          devices: devices.map((d): FileDevice => {
            if (typeof d === 'string') return { name: d };
            if (!isObj(d)) throw bad();
            return {
              name: typeof d.name === 'string' ? d.name : '',
              ...(isObj(d.tags) ? { tags: d.tags as Record<string, string> } : {}),
              ...(d.destroydata === true ? { destroydata: true } : {}),
            };
          }),
        };
      }),
    };
  });
}

const topologyLoad: Command = {
  flags: [{ name: 'json', short: 'j', type: 'string' }],
  async run(c) {
    const file = flagStr(c, 'json');
    if (file === '') throw new CliError('Missing configuration file');
    const fileClusters = readTopologyFile(file, c.io.cwd ?? process.cwd());
    const heketi = c.client();
    let topo: Topology;
    try {
      topo = await heketi.topology();
    } catch (e) {
      throw new CliError(`Unable to get topology information: ${cliMessage(e)}`);
    }
    const knownNodes = topo.clusters.flatMap((cl) => cl.nodes);
    const findNode = (manage: string) => knownNodes.find((n) => n.hostnames?.manage?.[0] === manage);
    const cleanups: string[] = [];
    try {
      for (const fc of fileClusters) {
        let clusterId: string | undefined;
        for (const fn of fc.nodes) {
          const manage = fn.node.hostnames?.manage?.[0] ?? '';
          let nodeInfo: NodeInfo;
          const existing = findNode(manage);
          if (existing) {
            c.out(`\tFound node ${manage} on cluster ${existing.cluster}\n`);
            try {
              clusterId = (await heketi.clusterInfo(existing.cluster)).id;
            } catch {
              c.out('Unable to get cluster information\n');
              throw new CliError('Unable to get cluster information');
            }
            nodeInfo = existing;
          } else {
            if (clusterId === undefined) {
              c.out('Creating cluster ... ');
              const req = { block: fc.block ?? true, file: fc.file ?? true };
              const ci = await heketi.clusterCreate(req);
              clusterId = ci.id;
              c.out(`ID: ${ci.id}\n`);
              if (req.file) c.out('\tAllowing file volumes on cluster.\n');
              if (req.block) c.out('\tAllowing block volumes on cluster.\n');
              cleanups.push(ci.id);
            }
            c.out(`\tCreating node ${manage} ... `);
            const tags = fn.node.tags && Object.keys(fn.node.tags).length > 0 ? { tags: goMap(fn.node.tags) } : {};
            try {
              nodeInfo = await heketi.nodeAdd({
                zone: typeof fn.node.zone === 'number' ? fn.node.zone : 0,
                hostnames: { manage: fn.node.hostnames?.manage ?? null, storage: fn.node.hostnames?.storage ?? null },
                cluster: clusterId,
                ...tags,
              });
            } catch (e) {
              c.out(`Unable to create node: ${cliMessage(e)}\n`);
              continue;
            }
            c.out(`ID: ${nodeInfo.id}\n`);
          }
          const nodeManage = nodeInfo.hostnames?.manage?.[0];
          for (const d of fn.devices) {
            const found = knownNodes.some((n) => n.hostnames?.manage?.[0] === nodeManage && (n.devices ?? []).some((kd) => kd.name === d.name));
            if (found) {
              c.out(`\t\tFound device ${d.name}\n`);
              continue;
            }
            c.out(`\t\tAdding device ${d.name} ... `);
            try {
              await heketi.deviceAdd({
                name: d.name,
                ...(d.tags && Object.keys(d.tags).length > 0 ? { tags: goMap(d.tags) } : {}),
                node: nodeInfo.id,
                ...(d.destroydata ? { destroydata: true } : {}),
              });
              c.out('OK\n');
            } catch (e) {
              c.out(`Unable to add device: ${cliMessage(e)}\n`);
            }
          }
        }
      }
    } finally {
      // Go defers: delete clusters this run created that ended up empty (last created first).
      for (const id of cleanups.reverse()) {
        try {
          const ci = await heketi.clusterInfo(id);
          if ((ci.nodes ?? []).length === 0 && (ci.volumes ?? []).length === 0) await heketi.clusterDelete(id);
        } catch {
          /* as heketi-cli: best effort */
        }
      }
    }
  },
};

const topologyInfo: Command = {
  async run(c) {
    const topo = await c.client().topology();
    c.out(c.json ? jsonOut(goTopology(topo)) : formatTopology(topo));
  },
};

export const topologyCommands: CommandGroup = { load: topologyLoad, info: topologyInfo };
