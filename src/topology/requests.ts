import { LIMITS, MSG, idError, tagError, throwIfInvalid, tooMany, type FieldErrors } from '../core/validation.js';
import { accepts, validateDevicePath, validateHostname } from '../gluster/validate.js';

/** Request bodies of the topology routes, decoded with Go rules and validated with Heketi's messages. */

export const NODE_ADD = {
  zone: 'int',
  hostnames: { manage: 'strings', storage: 'strings' },
  cluster: 'string',
  tags: 'stringMap',
} as const;

export const DEVICE_ADD = { name: 'string', node: 'string', destroydata: 'bool', tags: 'stringMap' } as const;
export const STATE_CHANGE = { state: 'string', healcheck: 'string' } as const;
export const TAG_CHANGE = { change_type: 'string', tags: 'stringMap' } as const;
export const DEVICE_DELETE = { forceforget: 'bool' } as const;

/** Go prints a []string as `[a b]`. */
const goSlice = (xs: string[]) => `[${xs.join(' ')}]`;

export function validateNodeAdd(b: { zone: number; hostnames: { manage: string[]; storage: string[] }; cluster: string; tags: Record<string, string> }): void {
  const errors: FieldErrors = {};
  if (b.zone === 0) errors.zone = MSG.blank;
  else if (b.zone < 1) errors.zone = MSG.min(1);
  const hostErrors: FieldErrors = {};
  for (const kind of ['manage', 'storage'] as const) {
    const list = b.hostnames[kind];
    if (list.length === 0) hostErrors[kind] = MSG.blank;
    else if (list.length > LIMITS.hostnames) hostErrors[kind] = tooMany('hostnames', list.length, LIMITS.hostnames);
    // Every entry is stored and shown, though only the first is used: the node layer's rule for each.
    else if (!list.every((h) => accepts(validateHostname, h))) hostErrors[kind] = `${goSlice(list)} is not a valid ${kind} hostname`;
  }
  if (Object.keys(hostErrors).length > 0) errors.hostnames = hostErrors;
  const clusterErr = idError(b.cluster);
  if (clusterErr) errors.cluster = clusterErr;
  const tagErr = tagError(b.tags);
  if (tagErr) errors.tags = tagErr;
  throwIfInvalid(errors);
}

export function validateDeviceAdd(b: { name: string; node: string; tags: Record<string, string> }): void {
  const errors: FieldErrors = {};
  if (b.name === '') errors.name = MSG.blank;
  else if (!accepts(validateDevicePath, b.name)) errors.name = MSG.format;
  const nodeErr = idError(b.node);
  if (nodeErr) errors.node = nodeErr;
  const tagErr = tagError(b.tags);
  if (tagErr) errors.tags = tagErr;
  throwIfInvalid(errors);
}

export type TargetState = 'online' | 'offline' | 'failed';

export function validateStateChange(b: { state: string; healcheck: string }): TargetState {
  const errors: FieldErrors = {};
  if (!['', 'enable', 'disable'].includes(b.healcheck)) errors.healcheck = `${b.healcheck} is not valid heal info check`;
  if (b.state === '') errors.state = MSG.blank;
  else if (!['online', 'offline', 'failed'].includes(b.state)) errors.state = `${b.state} is not valid state`;
  throwIfInvalid(errors);
  return b.state as TargetState;
}

export function validateTagChange(b: { change_type: string; tags: Record<string, string> }): 'set' | 'update' | 'delete' {
  const errors: FieldErrors = {};
  if (b.change_type === '') errors.change_type = MSG.blank;
  else if (!['set', 'update', 'delete'].includes(b.change_type)) errors.change_type = MSG.value;
  const tagErr = tagError(b.tags);
  if (tagErr) errors.tags = tagErr;
  throwIfInvalid(errors);
  return b.change_type as 'set' | 'update' | 'delete';
}

export function applyTagChange(current: Record<string, string>, kind: 'set' | 'update' | 'delete', tags: Record<string, string>): Record<string, string> {
  if (kind === 'set') return { ...tags };
  if (kind === 'update') return { ...current, ...tags };
  const out = { ...current };
  for (const k of Object.keys(tags)) delete out[k];
  return out;
}
