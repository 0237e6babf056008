import type { AppContext } from '../core/context.js';
import { registerRecovery } from '../recovery/interrupted.js';
import { planPvRemove } from '../gluster/planner.js';
import { tx } from '../store/stmt.js';
import { INTERRUPTED } from '../store/queue.js';
import { clusterNodes, deleteDevice, deleteNode, deviceBrickCount, getDevice, getNode, nodeDeviceCount } from '../store/topology.js';

/** Recovery of interrupted topology operations (see recovery/interrupted.ts). */

async function quietly(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch {
    /* best effort: the node may be gone or never got the change */
  }
}

/**
 * A crash between pvcreate and vgcreate (device add), or between vgremove and pvremove (device
 * delete), leaves a PV without a VG, which the forced teardown (vgremove, then pvremove, in one
 * batch) never reaches. pvremove without -ff refuses a PV that belongs to a VG, so this cannot
 * touch a disk another device uses. Best effort.
 */
async function removeOrphanPv(ctx: AppContext, manageHost: string, pvPath: string): Promise<void> {
  await quietly(
    (async () => {
      await ctx.runner.run(manageHost, planPvRemove(ctx.config.glusterfs.commands, pvPath));
    })(),
  );
}

registerRecovery('add-node', async (ctx: AppContext, op) => {
  const { nodeId, storage } = op.intent as { nodeId: string; storage: string };
  const node = getNode(ctx.db, nodeId);
  if (op.stepsDone.includes('probe') && node) {
    const peer = clusterNodes(ctx.db, node.cluster_id).find((n) => n.id !== nodeId);
    if (peer) await quietly(ctx.nodeOps.peerDetach(peer.manage_hostname, storage));
  }
  tx(ctx.db, () => {
    if (node?.pending_op === op.id) deleteNode(ctx.db, nodeId);
  });
  return { error: INTERRUPTED };
});

registerRecovery('add-device', async (ctx, op) => {
  const { deviceId, nodeId, name } = op.intent as { deviceId: string; nodeId: string; name: string };
  const device = getDevice(ctx.db, deviceId);
  const node = getNode(ctx.db, nodeId);
  if (device?.pending_op === op.id && node && op.stepsDone.includes('setup')) {
    await ctx.nodeOps.deviceTeardown({ manageHost: node.manage_hostname, deviceId, deviceName: name, pvUuid: '', paths: [], force: true });
    await removeOrphanPv(ctx, node.manage_hostname, name);
  }
  tx(ctx.db, () => {
    if (getDevice(ctx.db, deviceId)?.pending_op === op.id) deleteDevice(ctx.db, deviceId);
  });
  return { error: INTERRUPTED };
});

// Deletes are rolled forward: the request was accepted, so finish it.
registerRecovery('delete-node', async (ctx, op) => {
  const { nodeId } = op.intent as { nodeId: string };
  const node = getNode(ctx.db, nodeId);
  if (!node) return { location: null };
  if (nodeDeviceCount(ctx.db, nodeId) > 0) return { error: `Unable to delete node [${nodeId}] because it contains devices` };
  const peer = clusterNodes(ctx.db, node.cluster_id).find((n) => n.id !== nodeId);
  if (peer) await quietly(ctx.nodeOps.peerDetach(peer.manage_hostname, node.storage_hostname));
  deleteNode(ctx.db, nodeId);
  return { location: null };
});

registerRecovery('delete-device', async (ctx, op) => {
  const { deviceId } = op.intent as { deviceId: string };
  const device = getDevice(ctx.db, deviceId);
  if (!device) return { location: null };
  if (deviceBrickCount(ctx.db, deviceId) > 0) return { error: `Unable to delete device [${deviceId}] because it contains bricks` };
  const node = getNode(ctx.db, device.node_id);
  if (node) {
    await ctx.nodeOps.deviceTeardown({
      manageHost: node.manage_hostname,
      deviceId,
      deviceName: device.name,
      pvUuid: device.pv_uuid,
      paths: JSON.parse(device.paths) as string[],
      force: true,
    });
    await removeOrphanPv(ctx, node.manage_hostname, device.pv_uuid !== '' ? `/dev/disk/by-id/lvm-pv-uuid-${device.pv_uuid}` : device.name);
  }
  deleteDevice(ctx.db, deviceId);
  return { location: null };
});

// Evictions already done stay done; the device simply keeps its state: the remove did not happen.
registerRecovery('remove-device', async () => ({ error: INTERRUPTED }));
