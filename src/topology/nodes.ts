import type { AppContext } from '../core/context.js';
import { HttpError, badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { tx } from '../store/stmt.js';
import {
  clearNodePending,
  clusterNodes,
  deleteNode,
  getCluster,
  insertNode,
  nodeByHostname,
  nodeDeviceCount,
  nodeDevices,
  setNodeState,
  type NodeRow,
} from '../store/topology.js';
import { CommandError } from '../gluster/executor.js';
import { CHANGE, endOperation, insertOperation, recordStep } from '../operations/journal.js';
import type { Prepared, WorkResult } from '../operations/runner.js';
import { errorText } from '../errors.js';
import type { TargetState } from './requests.js';
import { removeDevice, throwIfBusy } from './devices.js';
import { visibleNode } from './views.js';

export interface NodeAddRequest {
  zone: number;
  hostnames: { manage: string[]; storage: string[] };
  cluster: string;
  tags: Record<string, string>;
}

function hostnameConflict(db: AppContext['db'], manage: string, storage: string): HttpError | undefined {
  const taken = nodeByHostname(db, 'manage', manage) ?? nodeByHostname(db, 'storage', storage);
  if (!taken) return undefined;
  const h = taken.manage_hostname === manage ? manage : storage;
  // Heketi's message already ends in a newline, so the body ends in two.
  return conflict(`Hostname ${h} already used by node with id ${taken.id}\n`);
}

/** The cluster and hostname checks of a node add (read-only). */
function checkNodeAdd(db: AppContext['db'], req: NodeAddRequest): NodeRow[] {
  if (!getCluster(db, req.cluster)) throw notFound('Cluster id does not exist');
  const clash = hostnameConflict(db, req.hostnames.manage[0]!, req.hostnames.storage[0]!);
  if (clash) throw clash;
  return clusterNodes(db, req.cluster);
}

/**
 * Node add, synchronous half: checks the cluster and the hostnames, then glusterd as Heketi does.
 * Returns the preparation for the runner, which registers the hostnames (a pending node row,
 * invisible until the probe succeeds) with the journal entry and the queue entry at once.
 */
export async function startNodeAdd(ctx: AppContext, req: NodeAddRequest): Promise<() => Prepared> {
  const { db } = ctx;
  const manage = req.hostnames.manage[0]!;
  const storage = req.hostnames.storage[0]!;
  const existing = checkNodeAdd(db, req);
  // The probe peer: the first online node (cluster order) that answers; one that cannot be
  // reached or checked is skipped, never a failure for the whole cluster.
  const online = existing.filter((n) => n.state === 'online');
  const firstAnswering = async (from: number): Promise<number> => {
    for (let i = from; i < online.length; i++) if (await ctx.nodeOps.glusterdRunning(online[i]!.manage_hostname)) return i;
    return -1;
  };
  let peerAt = -1;
  if (existing.length > 0) {
    peerAt = await firstAnswering(0);
    if (peerAt < 0) throw badRequest('None of the nodes in cluster has glusterd running');
  } else if (!(await ctx.nodeOps.glusterdRunning(manage))) {
    throw badRequest("New Node doesn't have glusterd running");
  }
  return () => {
    // Checked again: another request may have taken a hostname while glusterd was asked.
    checkNodeAdd(db, req);
    const nodeId = newId();
    const opId = newId();
    insertNode(db, {
      id: nodeId,
      cluster_id: req.cluster,
      zone: req.zone,
      manage_hostname: manage,
      storage_hostname: storage,
      tags: JSON.stringify(req.tags),
      pending_op: opId,
    });
    insertOperation(db, { id: opId, type: 'add-node', actions: [{ change: CHANGE.AddNode, id: nodeId }], intent: { nodeId, storage } });
    const work = async () => {
      try {
        if (peerAt >= 0) recordStep(db, opId, 'probe');
        while (peerAt >= 0) {
          try {
            await ctx.nodeOps.peerProbe(online[peerAt]!.manage_hostname, storage);
            break;
          } catch (e) {
            // The peer went away between the check and the probe: the next one that answers probes.
            if (!(e instanceof CommandError && e.unreachable)) throw e;
            peerAt = await firstAnswering(peerAt + 1);
            if (peerAt < 0) throw e;
          }
        }
      } catch (e) {
        tx(db, () => {
          deleteNode(db, nodeId);
          endOperation(db, opId, { error: errorText(e) });
        });
        throw e;
      }
      const location = `/nodes/${nodeId}`;
      tx(db, () => {
        clearNodePending(db, nodeId);
        endOperation(db, opId, { location });
      });
      return location;
    };
    return { opId, work };
  };
}

/** Node delete: requires no devices; peer detach errors are ignored as in Heketi. Runs inside the runner's transaction. */
export function prepareNodeDelete(ctx: AppContext, nodeId: string): Prepared {
  const { db } = ctx;
  const node = visibleNode(db, nodeId);
  if (!node) throw notFound();
  if (nodeDeviceCount(db, node.id) > 0) throw conflict(`Unable to delete node [${node.id}] because it contains devices`);
  throwIfBusy(ctx, 'Node', node.id);
  const opId = newId();
  insertOperation(db, { id: opId, type: 'delete-node', actions: [{ change: CHANGE.DeleteNode, id: node.id }], intent: { nodeId: node.id } });
  const work = async () => {
    const other = clusterNodes(db, node.cluster_id).find((n) => n.id !== node.id);
    if (other) {
      try {
        await ctx.nodeOps.peerDetach(other.manage_hostname, node.storage_hostname);
      } catch (e) {
        ctx.ops.log.info({ err: e, node: node.id }, 'peer detach failed; ignored as Heketi does');
      }
    }
    tx(db, () => {
      if (nodeDeviceCount(db, node.id) > 0) throw conflict(`Unable to delete node [${node.id}] because it contains devices`);
      deleteNode(db, node.id);
      endOperation(db, opId, { location: null });
    });
    return null;
  };
  return { opId, work };
}

/** State transitions of heketi-behaviour.md §7, evaluated in the background as Heketi does. */
export async function changeNodeState(ctx: AppContext, nodeId: string, target: TargetState, healcheck: string): Promise<WorkResult> {
  const { db } = ctx;
  const node = visibleNode(db, nodeId);
  if (!node) throw notFound();
  if (node.state === target) return null;
  if (node.state === 'failed') throw new HttpError(500, `Cannot move a failed/removed node to ${target} state`);
  if (target === 'failed') {
    if (node.state !== 'offline') throw new HttpError(500, `Node must be offline before remove operation is performed, node:${node.id}`);
    for (const device of nodeDevices(db, node.id)) {
      try {
        await removeDevice(ctx, device.id, healcheck, { skipStateCheck: true });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (/No Replacement was found/.test(msg)) {
          throw new HttpError(500, `Unable to remove node [${node.id}] as no device was found to replace device [${device.id}]`);
        }
        throw e;
      }
    }
  }
  setNodeState(db, node.id, target);
  return null;
}
