/**
 * The gluster volume name of a CreateVolume name. Deterministic, so that a retried CreateVolume
 * (the provisioner retries with the same name after timeouts and restarts) finds the volume the
 * first call made — by name, on the server — instead of making a second one. Pure.
 */
import { createHash } from 'node:crypto';

/** Heketi's volume name rule. */
const VALID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX = 128;
const UUID_AT_END = /([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The UUID of a CSI name: the one it ends with (the external-provisioner names volumes
 * `pvc-<PVC uid>`), else one derived from the name (same name, same UUID).
 */
export function nameUuid(csiName: string): string {
  const m = UUID_AT_END.exec(csiName);
  if (m) return m[1]!.toLowerCase();
  const h = sha256(csiName);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Characters Heketi refuses become `-` (Kubernetes names may hold dots). */
function clean(s: string): string {
  return s.replace(/[^A-Za-z0-9-]/g, '-');
}

/**
 * - with `volumenameprefix`: `<prefix>_<pvc namespace>_<pvc name>_<uuid>`, the in-tree plugin's
 *   format (namespace and name shortened if the whole would pass 128 characters);
 * - without: the CSI name itself when Heketi accepts it as is (`pvc-<uid>`: `gluster volume list`
 *   shows the PV names), else its allowed characters plus a hash of the whole name.
 */
export function glusterVolumeName(csiName: string, prefix?: string, pvc?: { namespace: string; name: string }): string {
  if (prefix !== undefined) {
    const uuid = nameUuid(csiName);
    let ns = clean(pvc?.namespace ?? '');
    let name = clean(pvc?.name ?? '');
    const room = MAX - prefix.length - uuid.length - 3;
    if (ns.length + name.length > room) {
      ns = ns.slice(0, Math.max(1, Math.floor(room / 2)));
      name = name.slice(0, room - ns.length);
    }
    return `${prefix}_${ns}_${name}_${uuid}`;
  }
  if (VALID.test(csiName)) return csiName;
  const hash = sha256(csiName).slice(0, 16);
  const base = csiName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, MAX - hash.length - 1);
  return `${base}-${hash}`;
}
