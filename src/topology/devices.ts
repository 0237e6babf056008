import type { AppContext } from '../core/context.js';
import { HttpError, IN_USE, badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { stmt, tx } from '../store/stmt.js';
import {
  completeDeviceAdd,
  deleteDevice,
  deviceBrickCount,
  getDevice,
  getNode,
  insertDevice,
  knownPvUuids,
  setDeviceState,
  setDeviceStorage,
  type DeviceRow,
} from '../store/topology.js';
import { CHANGE, endOperation, insertOperation, operationOn, recordStep } from '../operations/journal.js';
import type { Prepared, WorkResult } from '../operations/runner.js';
import { errorText } from '../errors.js';
import type { TargetState } from './requests.js';
import { visibleDevice, visibleNode } from './views.js';

export interface DeviceAddRequest {
  name: string;
  node: string;
  destroydata: boolean;
  tags: Record<string, string>;
}

/**
 * Device add: a hidden device row is recorded (with a journal entry) before the node is touched,
 * so an interrupted add is found and undone at the next start. Runs inside the runner's transaction.
 */
export function prepareDeviceAdd(ctx: AppContext, req: DeviceAddRequest): Prepared {
  const { db } = ctx;
  const deviceId = newId();
  const opId = newId();
  const node = tx(db, () => {
    const n = visibleNode(db, req.node);
    if (!n) throw notFound('Node id does not exist');
    insertDevice(db, { id: deviceId, node_id: n.id, name: req.name, tags: JSON.stringify(req.tags), pending_op: opId });
    insertOperation(db, {
      id: opId,
      type: 'add-device',
      actions: [{ change: CHANGE.AddDevice, id: deviceId }],
      intent: { deviceId, nodeId: n.id, name: req.name },
    });
    return n;
  });
  const work = async () => {
    try {
      recordStep(db, opId, 'setup');
      const known = knownPvUuids(db, deviceId);
      const info = await ctx.nodeOps.deviceSetup({
        manageHost: node.manage_hostname,
        deviceId,
        deviceName: req.name,
        destroyData: req.destroydata,
        knownPvUuids: known.byUuid,
        devicesWithoutPvUuid: known.withoutUuid,
      });
      tx(db, () => {
        completeDeviceAdd(db, deviceId, info);
        endOperation(db, opId, { location: null });
      });
      return null;
    } catch (e) {
      tx(db, () => {
        deleteDevice(db, deviceId);
        endOperation(db, opId, { error: errorText(e) });
      });
      throw e;
    }
  };
  return { opId, work };
}

/** 409 when a journalled operation is changing the object (e.g. a second delete of a device being deleted). */
export function throwIfBusy(ctx: AppContext, kind: string, id: string): void {
  const op = operationOn(ctx.db, id);
  if (op) throw conflict(`${kind} ${id} is in use by operation ${op.id} (${op.type}); retry when it has finished`);
}

/**
 * Device delete: only a failed device without bricks, and not while another operation changes it;
 * removes the VG/PV on the node first. Runs inside the runner's transaction.
 */
export function prepareDeviceDelete(ctx: AppContext, deviceId: string, forceForget: boolean): Prepared {
  const { db } = ctx;
  const device = visibleDevice(db, deviceId);
  if (!device) throw notFound();
  if (device.state !== 'failed') throw badRequest(`device: ${device.id} is not in failed state`);
  if (deviceBrickCount(db, device.id) > 0) throw conflict(`Unable to delete device [${device.id}] because it contains bricks`);
  throwIfBusy(ctx, 'Device', device.id);
  const opId = newId();
  insertOperation(db, { id: opId, type: 'delete-device', actions: [{ change: CHANGE.DeleteDevice, id: device.id }], intent: { deviceId: device.id } });
  const node = getNode(db, device.node_id)!;
  const work = async () => {
    try {
      await ctx.nodeOps.deviceTeardown({
        manageHost: node.manage_hostname,
        deviceId: device.id,
        deviceName: device.name,
        pvUuid: device.pv_uuid,
        paths: JSON.parse(device.paths) as string[],
        force: forceForget,
      });
    } catch (e) {
      tx(db, () => endOperation(db, opId, { error: errorText(e) }));
      throw e;
    }
    tx(db, () => {
      if (deviceBrickCount(db, device.id) > 0) throw conflict(`Unable to delete device [${device.id}] because it contains bricks`);
      deleteDevice(db, device.id);
      endOperation(db, opId, { location: null });
    });
    return null;
  };
  return { opId, work };
}

function devicePendingUse(ctx: AppContext, deviceId: string): boolean {
  const row = stmt(ctx.db, 'SELECT 1 FROM bricks WHERE device_id = ? AND pending_op IS NOT NULL LIMIT 1').get(deviceId);
  return row !== undefined;
}

/**
 * Device remove (state → failed from offline): every brick is moved elsewhere, then the device is
 * marked failed. A failure stops the process; bricks already moved stay moved.
 */
export async function removeDevice(ctx: AppContext, deviceId: string, healcheck: string, opts: { skipStateCheck?: boolean } = {}): Promise<void> {
  const { db } = ctx;
  const device = getDevice(db, deviceId);
  if (!device) throw notFound();
  if (!opts.skipStateCheck && device.state !== 'offline') {
    throw new HttpError(500, `Device must be offline before remove operation is performed, device:${device.id}`);
  }
  const bricks = stmt(db, `SELECT id FROM bricks WHERE device_id = ? AND path != '' ORDER BY id`).all(deviceId) as { id: string }[];
  if (bricks.length > 0) {
    if (devicePendingUse(ctx, deviceId)) throw new HttpError(500, IN_USE);
    if (!ctx.evictBrick) throw new HttpError(500, 'No Replacement was found for resource requested to be removed');
    const opId = newId();
    insertOperation(db, { id: opId, type: 'remove-device', actions: [{ change: CHANGE.RemoveDevice, id: deviceId }], intent: { deviceId } });
    const evict = ctx.evictBrick;
    await ctx.ops.track(opId, async () => {
      try {
        for (const b of bricks) {
          await evict(b.id, healcheck);
          recordStep(db, opId, `evicted:${b.id}`);
        }
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const err = /No Replacement was found/.test(msg) ? new HttpError(500, `Unable to delete device [${device.id}] as no device was found to replace it: ${msg}`) : e;
        tx(db, () => endOperation(db, opId, { error: errorText(err) }));
        throw err;
      }
      tx(db, () => endOperation(db, opId, { location: null }));
    });
  }
  setDeviceState(db, deviceId, 'failed');
}

export async function changeDeviceState(ctx: AppContext, deviceId: string, target: TargetState, healcheck: string): Promise<WorkResult> {
  const device = visibleDevice(ctx.db, deviceId);
  if (!device) throw notFound();
  if (device.state === target) return null;
  if (target === 'failed') {
    await removeDevice(ctx, deviceId, healcheck);
    return null;
  }
  if (device.state === 'failed' && target === 'online') throw new HttpError(500, 'Cannot move a failed/removed device to online state');
  setDeviceState(ctx.db, deviceId, target);
  return null;
}

/** Resync: the node's VG numbers replace Brickyard's accounting, unless an operation is using the device. */
export async function resyncDevice(ctx: AppContext, device: DeviceRow): Promise<WorkResult> {
  const node = getNode(ctx.db, device.node_id);
  if (!node) throw notFound();
  if (devicePendingUse(ctx, device.id)) throw new HttpError(500, IN_USE);
  const info = await ctx.nodeOps.deviceResyncInfo({ manageHost: node.manage_hostname, deviceId: device.id, deviceName: device.name });
  tx(ctx.db, () => {
    if (devicePendingUse(ctx, device.id)) throw new HttpError(500, IN_USE);
    setDeviceStorage(ctx.db, device.id, info);
  });
  return null;
}
