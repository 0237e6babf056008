/**
 * `/proc/self/mountinfo` (proc(5)): what is mounted where, read without running `mount` and
 * without stat()ing the mount points (a dead FUSE mount answers ENOTCONN to stat, but its
 * mountinfo line is intact). Pure parser; the caller reads the file.
 *
 * Line format: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS`
 * with space, tab, newline and backslash in paths escaped as octal `\040`, `\011`, `\012`, `\134`.
 */

export interface MountEntry {
  id: number;
  parentId: number;
  /** `major:minor` of the mounted file system: equal for a mount and its bind mounts. */
  device: string;
  /** The directory of the file system that this mount shows (`/` unless a subtree bind). */
  root: string;
  mountPoint: string;
  /** Per-mount options (`rw`/`ro`, `nosuid`, ...). */
  options: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

/** Undoes the kernel's octal escapes (`\040` → space). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses one mountinfo line; undefined for a malformed line (the caller skips it). */
export function parseMountInfoLine(line: string): MountEntry | undefined {
  const fields = line.trim().split(' ');
  const sep = fields.indexOf('-', 6);
  if (fields.length < 10 || sep < 0 || fields.length < sep + 3) return undefined;
  const id = Number(fields[0]);
  const parentId = Number(fields[1]);
  if (!Number.isInteger(id) || !Number.isInteger(parentId) || !/^\d+:\d+$/.test(fields[2]!)) return undefined;
  return {
    id,
    parentId,
    device: fields[2]!,
    root: unescapeMountField(fields[3]!),
    mountPoint: unescapeMountField(fields[4]!),
    options: fields[5]!.split(','),
    fsType: fields[sep + 1]!,
    source: unescapeMountField(fields[sep + 2]!),
    superOptions: (fields[sep + 3] ?? '').split(',').filter((o) => o !== ''),
  };
}

export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const e = parseMountInfoLine(line);
    if (e) out.push(e);
  }
  return out;
}

/** The mount that is visible at `path` (the last one mounted there wins, as the kernel shows). */
export function mountAt(entries: MountEntry[], path: string): MountEntry | undefined {
  let found: MountEntry | undefined;
  for (const e of entries) if (e.mountPoint === path) found = e;
  return found;
}

export function isReadOnly(e: MountEntry): boolean {
  return e.options.includes('ro');
}

/** A glusterfs FUSE client mount (`mount -t glusterfs` shows as `fuse.glusterfs`). */
export function isGlusterMount(e: MountEntry): boolean {
  return e.fsType === 'fuse.glusterfs';
}
