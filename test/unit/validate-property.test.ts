/**
 * API accepts ⇒ planner accepts (issue 10 item 5), over generated hostile values: the API's request
 * validators and the planner's command builders are run on the same value; whenever the API would
 * answer anything but 400, the planner builds its commands, and no argv element made from the
 * value starts with `-` (so no program reads it as an option).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { decodeBody } from '../../src/core/decode.js';
import { HttpError } from '../../src/errors.js';
import type { NodeCommand } from '../../src/gluster/executor.js';
import * as P from '../../src/gluster/planner.js';
import { validateHostname } from '../../src/gluster/validate.js';
import { NODE_ADD, DEVICE_ADD, validateDeviceAdd, validateNodeAdd } from '../../src/topology/requests.js';
import { BLOCK_VOLUME_CREATE, validateBlockVolumeCreate } from '../../src/volumes/block.js';
import { VOLUME_CREATE, validateName, validateVolumeCreate } from '../../src/volumes/requests.js';
import { hostileOption, hostileValue } from '../helpers/hostile.js';

const cfg = defaultConfig().glusterfs.commands;
const ID = '0123456789abcdef0123456789abcdef';
const RUNS = 3000;

/** True unless `check` answers Heketi's 400 (any other error is a bug in the test or the code). */
function apiAccepts(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch (e) {
    if (e instanceof HttpError && e.status === 400) return false;
    throw e;
  }
}

/** argv elements that begin with `value` and start with `-`: a request value a program would read as an option. */
function dashed(cmds: NodeCommand[], value: string): string[] {
  return cmds.flatMap((c) => c.argv).filter((a) => value !== '' && a.startsWith(value) && a.startsWith('-'));
}

const bricks = (host: string) => [{ host, path: `/var/lib/heketi/mounts/vg_${ID}/brick_${ID}/brick` }];
const volumeBody = (over: Record<string, unknown>) => decodeBody(JSON.stringify({ size: 1, ...over }), VOLUME_CREATE);
const name = fc.oneof(hostileValue, fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/));

describe('API accepts ⇒ planner accepts', () => {
  it('volume and clone names', () => {
    fc.assert(
      fc.property(name, (n) => {
        const viaCreate = apiAccepts(() => validateVolumeCreate(volumeBody({ name: n })));
        expect(apiAccepts(() => validateName(n))).toBe(viaCreate);
        if (!viaCreate || n === '') return;
        const cmds = [
          ...P.planVolumeCreate(cfg, { id: ID, name: n, durability: { type: 'none' }, bricks: bricks('10.0.0.1'), options: [] }),
          ...P.planSnapshotClone(cfg, n, `tmpsnap_${ID}`),
          ...P.planVolumeDestroy(cfg, n),
        ];
        expect(dashed(cmds, n)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('volume options', () => {
    fc.assert(
      fc.property(fc.array(hostileOption, { minLength: 1, maxLength: 3 }), (options) => {
        if (!apiAccepts(() => validateVolumeCreate(volumeBody({ glustervolumeoptions: options })))) return;
        const cmds = P.planVolumeOptions(cfg, 'v', options);
        // Every key and value the command carries is a word of its own, none an option.
        for (const c of cmds) expect(c.argv.slice(6).filter((a) => a.startsWith('-')), JSON.stringify(c.argv)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('manage and storage hostnames', () => {
    fc.assert(
      fc.property(fc.oneof(hostileValue, fc.constantFrom('node1', 'a.example.com', '10.0.0.1', '::1')), fc.oneof(hostileValue, fc.constantFrom('10.0.0.2', 'n2')), (manage, storage) => {
        const body = decodeBody(JSON.stringify({ zone: 1, cluster: ID, hostnames: { manage: [manage], storage: [storage] } }), NODE_ADD);
        if (!apiAccepts(() => validateNodeAdd(body))) return;
        // The executors and NodeOps take the manage host through this rule; the storage host goes into gluster commands.
        expect(validateHostname(manage)).toBe(manage);
        const cmds = [
          ...P.planPeerProbe(cfg, storage),
          ...P.planPeerDetach(cfg, storage),
          ...P.planVolumeCreate(cfg, { id: ID, name: 'v', durability: { type: 'none' }, bricks: bricks(storage), options: [] }),
          ...P.planBlockCreate(cfg, { hostingVolume: 'hv', name: 'b', hacount: 1, auth: false, hosts: [storage], sizeGiB: 1 }),
        ];
        expect(dashed(cmds, storage)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('device names', () => {
    fc.assert(
      fc.property(fc.oneof(hostileValue, hostileValue.map((v) => `/dev/${v}`)), (dev) => {
        if (!apiAccepts(() => validateDeviceAdd(decodeBody(JSON.stringify({ name: dev, node: ID }), DEVICE_ADD)))) return;
        const cmds = [...P.planDeviceSetup(cfg, { deviceId: ID, device: dev, wipe: true }), ...P.planDeviceHandle(cfg, dev), ...P.planPvRemove(cfg, dev)];
        expect(dashed(cmds, dev)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('block volume names', () => {
    fc.assert(
      fc.property(name, (n) => {
        if (!apiAccepts(() => validateBlockVolumeCreate(decodeBody(JSON.stringify({ size: 1, name: n }), BLOCK_VOLUME_CREATE))) || n === '') return;
        const cmds = [
          ...P.planBlockCreate(cfg, { hostingVolume: 'hv', name: n, hacount: 1, auth: false, hosts: ['10.0.0.1'], sizeGiB: 1 }),
          ...P.planBlockDelete('hv', n),
          ...P.planBlockInfo('hv', n),
        ];
        expect(dashed(cmds, n)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});
