/**
 * StorageClass parameters of the in-tree `kubernetes.io/glusterfs` provisioner, read unchanged
 * (names case-insensitive, as in-tree) for CreateVolume, GetCapacity and
 * ValidateVolumeCapabilities. Pure: INVALID_ARGUMENT with in-tree-like messages on bad values.
 */
import { isId } from '../ids.js';
import { validateOptions } from '../volumes/requests.js';
import { HttpError } from '../errors.js';
import { MAX_GID } from './context.js';
import { invalidArgument } from './errors.js';
import type { StringMap } from './types.js';

export type Durability =
  | { type: 'replicate'; replicate: { replica: number } }
  | { type: 'disperse'; disperse: { data: number; redundancy: number } }
  | { type: 'none' };

export interface ProvisionParams {
  /** `resturl`: the management server (else the driver's --server). */
  restUrl?: string;
  /** `restuser` (else the driver's --user). */
  restUser?: string;
  /** `restuserkey`: a key in the StorageClass itself (deprecated in-tree; the secret wins). */
  restUserKey?: string;
  /** `restauthenabled: "false"`: send no user and no key (deprecated in-tree). */
  authDisabled: boolean;
  secretName?: string;
  secretNamespace?: string;
  clusters: string[];
  durability: Durability;
  volumeOptions: string[];
  volumeNamePrefix?: string;
  snapFactor: number;
  gidRange?: { min: number; max: number };
  pvcName?: string;
  pvcNamespace?: string;
  /** Parameters accepted but without effect, for the log. */
  warnings: string[];
}

/** In-tree defaults: replica 3; GIDs from 2000 (the in-tree absolute minimum). */
export const DEFAULT_REPLICA = 3;
export const GID_MIN = 2000;

/** Keys the CSI sidecars add (external-provisioner --extra-create-metadata) or reserve. */
const CSI_PREFIX = 'csi.storage.k8s.io/';
const PVC_NAME = 'csi.storage.k8s.io/pvc/name';
const PVC_NAMESPACE = 'csi.storage.k8s.io/pvc/namespace';

function count(what: string, v: string): number {
  if (!/^\d+$/.test(v.trim())) throw invalidArgument(`error parsing volumetype ${JSON.stringify(what)}: ${JSON.stringify(v)} is not a non-negative integer`);
  return Number(v.trim());
}

export function parseVolumeType(v: string): Durability {
  const parts = v.trim().split(':');
  switch (parts[0]) {
    case 'replicate':
      return { type: 'replicate', replicate: { replica: parts.length >= 2 ? count('replicate', parts[1]!) : DEFAULT_REPLICA } };
    case 'disperse':
      if (parts.length < 3) throw invalidArgument(`volumetype ${JSON.stringify(v)}: disperse needs data:redundancy counts (e.g. disperse:4:2)`);
      return { type: 'disperse', disperse: { data: count('disperse', parts[1]!), redundancy: count('disperse', parts[2]!) } };
    case 'none':
      return { type: 'none' };
    default:
      throw invalidArgument(`volumetype ${JSON.stringify(v)}: expected replicate:N, disperse:D:R or none`);
  }
}

function gid(name: string, v: string): number {
  if (!/^\d{1,10}$/.test(v.trim())) throw invalidArgument(`invalid ${name} value ${JSON.stringify(v)}`);
  const n = Number(v.trim());
  if (n < GID_MIN) throw invalidArgument(`${name} must be >= ${GID_MIN}`);
  if (n > MAX_GID) throw invalidArgument(`${name} must be <= ${MAX_GID} (Heketi refuses larger group ids)`);
  return n;
}

/** Every parameter, checked; unknown names are refused as the in-tree plugin refused them. */
export function parseParameters(params: StringMap | undefined): ProvisionParams {
  const out: ProvisionParams = { authDisabled: false, clusters: [], durability: { type: 'replicate', replicate: { replica: DEFAULT_REPLICA } }, volumeOptions: [], snapFactor: 1, warnings: [] };
  let gidMin: number | undefined;
  let gidMax: number | undefined;
  for (const [rawKey, v] of Object.entries(params ?? {})) {
    if (rawKey === PVC_NAME) out.pvcName = v;
    else if (rawKey === PVC_NAMESPACE) out.pvcNamespace = v;
    else if (rawKey.startsWith(CSI_PREFIX)) continue;
    else {
      switch (rawKey.toLowerCase()) {
        case 'resturl':
          if (!/^https?:\/\/[^\s/]+/.test(v)) throw invalidArgument(`resturl ${JSON.stringify(v)}: expected an http:// or https:// URL`);
          out.restUrl = v.replace(/\/+$/, '');
          break;
        case 'restuser':
          if (v !== '') out.restUser = v;
          break;
        case 'restuserkey':
          if (v !== '') out.restUserKey = v;
          break;
        case 'restauthenabled':
          out.authDisabled = v.toLowerCase() !== 'true';
          out.warnings.push('restauthenabled is deprecated (as in-tree)');
          break;
        case 'secretname':
          if (v !== '') out.secretName = v;
          break;
        case 'secretnamespace':
          if (v !== '') out.secretNamespace = v;
          break;
        case 'clusterid':
          out.clusters = v.split(',').map((c) => c.trim()).filter((c) => c !== '');
          for (const c of out.clusters) if (!isId(c)) throw invalidArgument(`clusterid ${JSON.stringify(c)}: expected a cluster id (32 hex characters)`);
          break;
        case 'volumetype':
          if (v.trim() !== '') out.durability = parseVolumeType(v);
          break;
        case 'volumeoptions':
          out.volumeOptions = v.split(',').map((o) => o.trim()).filter((o) => o !== '');
          try {
            validateOptions(out.volumeOptions);
          } catch (e) {
            throw invalidArgument(`volumeoptions: ${e instanceof HttpError ? e.message : String(e)}`);
          }
          break;
        case 'volumenameprefix':
          if (v === '') break;
          if (v.includes('_')) throw invalidArgument("storageclass parameter 'volumenameprefix' should not contain '_' in its value");
          // No leading "-": the name it starts reaches gluster, which would read it as an option.
          if (!/^[A-Za-z0-9-]{1,64}$/.test(v) || v.startsWith('-')) throw invalidArgument(`volumenameprefix ${JSON.stringify(v)}: only letters, digits and "-" (not first), at most 64`);
          out.volumeNamePrefix = v;
          break;
        case 'snapfactor': {
          const f = Number(v);
          if (v.trim() === '' || !Number.isFinite(f)) throw invalidArgument(`failed to convert snapfactor ${JSON.stringify(v)} to float`);
          if (f < 1 || f > 100) throw invalidArgument(`invalid snapshot factor ${v}, the value must be between 1 to 100`);
          out.snapFactor = f;
          break;
        }
        case 'gidmin':
          gidMin = gid('gidMin', v);
          break;
        case 'gidmax':
          gidMax = gid('gidMax', v);
          break;
        case 'customepnameprefix':
          out.warnings.push('customepnameprefix is ignored: CSI volumes need no Endpoints or Service objects');
          break;
        default:
          throw invalidArgument(`invalid option ${JSON.stringify(rawKey)} for the GlusterFS CSI driver`);
      }
    }
  }
  if ((out.secretName === undefined) !== (out.secretNamespace === undefined)) {
    throw invalidArgument('secretNamespace and secretName must be either both set or both empty');
  }
  if (gidMin !== undefined || gidMax !== undefined) {
    const range = { min: gidMin ?? GID_MIN, max: gidMax ?? MAX_GID };
    if (range.min > range.max) throw invalidArgument('gidMax must be >= gidMin');
    out.gidRange = range;
  }
  if (out.durability.type === 'replicate' && (out.durability.replicate.replica < 1 || out.durability.replicate.replica > 3)) {
    throw invalidArgument(`volumetype replicate:${out.durability.replicate.replica}: the replica count must be 1, 2 or 3`);
  }
  return out;
}

/** The smallest volume the durability allows (Heketi: 1 GiB bricks; disperse: one per data brick). */
export function minimumSizeGiB(d: Durability): number {
  return d.type === 'disperse' ? Math.max(1, d.disperse.data) : 1;
}
