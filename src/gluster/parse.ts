/**
 * Parsers for what storage nodes print: LVM (vgdisplay -c, JSON reports), udevadm, mount, and
 * gluster's `--xml` output (a small purpose-built XML reader: no dependency needed for the
 * element/text/attribute subset glusterd's libxml2 writer produces).
 */
import { PV_BY_ID_PREFIX } from './planner.js';

// ---------------------------------------------------------------------------------- XML

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated direct text content (entities decoded), whitespace kept. */
  text: string;
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ent: string) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ent] ?? whole;
  });
}

const NAME_RE = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTR_RE = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

/** Parses one XML document and returns its root element. Throws `invalid XML: ...`. */
export function parseXml(src: string): XmlElement {
  const bad = (why: string, at: number): never => {
    throw new Error(`invalid XML: ${why} at offset ${at}`);
  };
  let i = src.indexOf('<');
  if (i < 0) bad('no element', 0);
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < src.length) {
    if (src[i] !== '<') {
      const next = src.indexOf('<', i);
      const end = next < 0 ? src.length : next;
      const top = stack[stack.length - 1];
      const text = src.slice(i, end);
      if (top) top.text += decodeEntities(text);
      else if (text.trim() !== '') bad('text outside the root element', i);
      i = end;
      continue;
    }
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i);
      if (end < 0) bad('unterminated processing instruction', i);
      i = end + 2;
    } else if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) bad('unterminated comment', i);
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i);
      if (end < 0) bad('unterminated CDATA', i);
      const top = stack[stack.length - 1];
      if (!top) bad('CDATA outside the root element', i);
      top!.text += src.slice(i + 9, end);
      i = end + 3;
    } else if (src.startsWith('<!', i)) {
      const end = src.indexOf('>', i);
      if (end < 0) bad('unterminated declaration', i);
      i = end + 1;
    } else if (src.startsWith('</', i)) {
      NAME_RE.lastIndex = i + 2;
      const m = NAME_RE.exec(src);
      if (!m) bad('bad closing tag', i);
      const name = m![0];
      const top = stack.pop();
      if (!top || top.name !== name) bad(`unexpected </${name}>`, i);
      let j = i + 2 + name.length;
      while (j < src.length && /\s/.test(src[j]!)) j++;
      if (src[j] !== '>') bad('bad closing tag', i);
      i = j + 1;
      if (stack.length === 0) root = top;
    } else {
      NAME_RE.lastIndex = i + 1;
      const m = NAME_RE.exec(src);
      if (!m) bad('bad tag', i);
      const el: XmlElement = { name: m![0], attrs: {}, children: [], text: '' };
      let j = i + 1 + el.name.length;
      for (;;) {
        ATTR_RE.lastIndex = j;
        const a = ATTR_RE.exec(src);
        if (!a) break;
        el.attrs[a[1]!] = decodeEntities(a[3] ?? a[4] ?? '');
        j = ATTR_RE.lastIndex;
      }
      while (j < src.length && /\s/.test(src[j]!)) j++;
      const parent = stack[stack.length - 1];
      if (!parent && root) bad('second root element', i);
      if (parent) parent.children.push(el);
      if (src.startsWith('/>', j)) {
        i = j + 2;
        if (!parent) root = el;
      } else if (src[j] === '>') {
        stack.push(el);
        i = j + 1;
      } else {
        bad(`bad tag <${el.name}>`, i);
      }
    }
  }
  if (stack.length > 0) bad(`unclosed <${stack[stack.length - 1]!.name}>`, src.length);
  if (!root) bad('no root element', src.length);
  return root!;
}

export function xmlChild(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function xmlChildren(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** Trimmed text of a child element ('' when absent). */
export function xmlText(el: XmlElement | undefined, name: string): string {
  return xmlChild(el, name)?.text.trim() ?? '';
}

function xmlInt(el: XmlElement | undefined, name: string): number {
  const t = xmlText(el, name);
  if (t === '') return 0;
  const n = Number(t);
  return Number.isInteger(n) ? n : 0;
}

// ---------------------------------------------------------------------------------- gluster --xml

export interface GlusterOpResult {
  opRet: number;
  opErrno: number;
  opErrstr: string;
  /** The `<cliOutput>` element. */
  root: XmlElement;
}

/** The `opRet`/`opErrno`/`opErrstr` envelope every `gluster --xml` answer carries. */
export function parseGlusterOpResult(xml: string): GlusterOpResult {
  const root = parseXml(xml);
  if (root.name !== 'cliOutput') throw new Error(`invalid gluster XML: root element is <${root.name}>, expected <cliOutput>`);
  return { opRet: xmlInt(root, 'opRet'), opErrno: xmlInt(root, 'opErrno'), opErrstr: xmlText(root, 'opErrstr'), root };
}

export interface GlusterBrick {
  /** `host:path` */
  name: string;
  hostUuid: string;
  isArbiter: boolean;
}

export interface GlusterVolume {
  name: string;
  id: string;
  /** `typeStr`: Distribute, Replicate, Distributed-Replicate, Disperse, Distributed-Disperse. */
  type: string;
  /** `statusStr`: Created, Started, Stopped. */
  status: string;
  brickCount: number;
  distCount: number;
  replicaCount: number;
  arbiterCount: number;
  disperseCount: number;
  redundancyCount: number;
  snapshotCount: number;
  /** `host:path` in gluster order. */
  bricks: string[];
  brickDetails: GlusterBrick[];
  options: Record<string, string>;
}

export interface BrickStatus {
  /** `host:path` */
  name: string;
  online: boolean;
}

/** Brick processes of `gluster volume status <vol> --xml` (daemons such as the self-heal one are left out). */
export function parseVolumeStatusXml(xml: string): BrickStatus[] {
  const r = parseGlusterOpResult(xml);
  if (r.opRet !== 0) throw new Error(r.opErrstr || `gluster returned opRet ${r.opRet}`);
  const volume = xmlChild(xmlChild(xmlChild(r.root, 'volStatus'), 'volumes'), 'volume');
  return xmlChildren(volume, 'node')
    .filter((n) => xmlText(n, 'path').startsWith('/'))
    .map((n) => ({ name: `${xmlText(n, 'hostname')}:${xmlText(n, 'path')}`, online: xmlText(n, 'status') === '1' }));
}

/** `gluster volume info [<vol>] --xml`. Throws `opErrstr` when gluster reports a failure. */
export function parseVolumeInfoXml(xml: string): GlusterVolume[] {
  const r = parseGlusterOpResult(xml);
  if (r.opRet !== 0) throw new Error(r.opErrstr || `gluster returned opRet ${r.opRet}`);
  const volumes = xmlChild(xmlChild(r.root, 'volInfo'), 'volumes');
  return xmlChildren(volumes, 'volume').map((v) => {
    const brickDetails = xmlChildren(xmlChild(v, 'bricks'), 'brick').map((b) => ({
      // gluster writes the name both as text of <brick> and as <name>; prefer <name>.
      name: xmlText(b, 'name') || b.text.trim(),
      hostUuid: xmlText(b, 'hostUuid') || (b.attrs['uuid'] ?? ''),
      isArbiter: xmlText(b, 'isArbiter') === '1',
    }));
    const options: Record<string, string> = {};
    for (const o of xmlChildren(xmlChild(v, 'options'), 'option')) options[xmlText(o, 'name')] = xmlChild(o, 'value')?.text ?? '';
    return {
      name: xmlText(v, 'name'),
      id: xmlText(v, 'id'),
      type: xmlText(v, 'typeStr'),
      status: xmlText(v, 'statusStr'),
      brickCount: xmlInt(v, 'brickCount'),
      distCount: xmlInt(v, 'distCount'),
      replicaCount: xmlInt(v, 'replicaCount'),
      arbiterCount: xmlInt(v, 'arbiterCount'),
      disperseCount: xmlInt(v, 'disperseCount'),
      redundancyCount: xmlInt(v, 'redundancyCount'),
      snapshotCount: xmlInt(v, 'snapshotCount'),
      bricks: brickDetails.map((b) => b.name),
      brickDetails,
      options,
    };
  });
}

export interface HealBrick {
  /** `host:path`, or `information not available` for bricks glusterd cannot name. */
  name: string;
  hostUuid: string;
  /** `Connected`, `Transport endpoint is not connected`, ... */
  status: string;
  /** A count, or `-` when the brick could not answer. */
  numberOfEntries: string;
}

/** `gluster volume heal <vol> info --xml`. */
export function parseHealInfoXml(xml: string): HealBrick[] {
  const r = parseGlusterOpResult(xml);
  if (r.opRet !== 0) throw new Error(r.opErrstr || `gluster returned opRet ${r.opRet}`);
  return xmlChildren(xmlChild(xmlChild(r.root, 'healInfo'), 'bricks'), 'brick').map((b) => ({
    name: xmlText(b, 'name'),
    hostUuid: b.attrs['hostUuid'] ?? '',
    status: xmlText(b, 'status'),
    numberOfEntries: xmlText(b, 'numberOfEntries'),
  }));
}

/** name + uuid of `<snapCreate><snapshot>` or `<CloneCreate><volume>` (and the like). */
export function parseSnapshotEntity(r: GlusterOpResult, container: string, entity: 'snapshot' | 'volume'): { name: string; uuid: string } {
  const e = xmlChild(xmlChild(r.root, container), entity);
  return { name: xmlText(e, 'name'), uuid: xmlText(e, 'uuid') };
}

// ---------------------------------------------------------------------------------- LVM

export interface VgDisplayInfo {
  /** KiB */
  extentSize: number;
  total: number;
  used: number;
  free: number;
}

function parseUint(s: string): number {
  if (!/^[0-9]+$/.test(s)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/**
 * `vgdisplay -c <vg>`: colon-separated; 12 = PE size KiB, 13 = total PE, 14 = allocated PE,
 * 15 = free PE. Fewer than 17 fields ⇒ Heketi's `vgdisplay returned an invalid string`.
 */
export function parseVgDisplay(out: string): VgDisplayInfo {
  const line = out.split('\n').find((l) => l.trim() !== '') ?? '';
  const f = line.trim().split(':');
  if (f.length < 17) throw new Error('vgdisplay returned an invalid string');
  const extent = parseUint(f[12]!);
  const total = parseUint(f[13]!);
  const alloc = parseUint(f[14]!);
  const free = parseUint(f[15]!);
  return { extentSize: extent, total: total * extent, used: alloc * extent, free: free * extent };
}

interface LvmReport {
  report?: Array<Record<string, Array<Record<string, unknown>>>>;
}

function parseLvmJson(out: string): LvmReport {
  let v: unknown;
  try {
    v = JSON.parse(out);
  } catch (e) {
    throw new Error(`Failed to parse output: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('Failed to parse output: expected a JSON object');
  return v as LvmReport;
}

/**
 * PV UUID from `pvs|vgs -o pv_name,pv_uuid,vg_name --reportformat=json` (Heketi's rules:
 * exactly one report holding exactly one PV or one VG row). The UUID may be '' (mock).
 */
export function parsePvUuid(out: string): string {
  const r = parseLvmJson(out);
  if (!Array.isArray(r.report) || r.report.length !== 1) throw new Error('Expected exactly 1 report in output');
  const rep = r.report[0]!;
  const rows = Array.isArray(rep['pv']) && rep['pv'].length === 1 ? rep['pv'] : Array.isArray(rep['vg']) && rep['vg'].length === 1 ? rep['vg'] : undefined;
  if (!rows) throw new Error('Expected exactly 1 PV or 1 VG in output');
  const uuid = rows[0]!['pv_uuid'];
  return typeof uuid === 'string' ? uuid : '';
}

/**
 * `udevadm info --query=symlink --name=<dev>`: each entry gets `/dev/`, LVM's by-id UUID link
 * is dropped (the UUID is kept separately) and the device itself is appended if missing.
 */
export function parseUdevPaths(out: string, device: string): string[] {
  const paths: string[] = [];
  let found = false;
  for (const word of out.split(/\s+/)) {
    if (word === '') continue;
    const p = `/dev/${word}`;
    if (p.startsWith(PV_BY_ID_PREFIX)) continue;
    found ||= p === device;
    paths.push(p);
  }
  if (!found) paths.push(device);
  return paths;
}

/** `lvs --noheadings --options=thin_count <vg>/<pool>` → the count. */
export function parseThinCount(out: string): number {
  const t = out.trim();
  if (!/^[0-9]+$/.test(t)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(t)}: invalid syntax`);
  return Number(t);
}

/** LVM `--units k` sizes (`10350592.00k`, `<4.00k`) → KiB (rounded). */
export function parseSizeKiB(s: string): number {
  const m = /^<?\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)$/.exec(s.trim());
  if (!m) throw new Error(`invalid LVM size ${JSON.stringify(s)}`);
  const mult = { '': 1, k: 1, m: 1024, g: 1024 ** 2, t: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}

function rows(out: string, kind: 'pv' | 'vg' | 'lv'): Array<Record<string, string>> {
  const r = parseLvmJson(out);
  const list: Array<Record<string, string>> = [];
  for (const rep of r.report ?? []) {
    for (const row of rep[kind] ?? []) {
      const clean: Record<string, string> = {};
      for (const [k, v] of Object.entries(row)) clean[k] = typeof v === 'string' ? v : String(v ?? '');
      list.push(clean);
    }
  }
  return list;
}

const sizeOr0 = (s: string | undefined): number => (s ? parseSizeKiB(s) : 0);

export interface PvRow {
  pvName: string;
  vgName: string;
  pvFmt: string;
  pvAttr: string;
  /** KiB */
  pvSize: number;
  pvFree: number;
}

export interface VgRow {
  vgName: string;
  pvCount: number;
  lvCount: number;
  snapCount: number;
  vgAttr: string;
  /** KiB */
  vgSize: number;
  vgFree: number;
}

export interface LvRow {
  lvName: string;
  vgName: string;
  lvAttr: string;
  /** KiB */
  lvSize: number;
  poolLv: string;
  origin: string;
  dataPercent: string;
  metadataPercent: string;
}

/** `pvs --reportformat json --units k` */
export function parsePvsReport(out: string): PvRow[] {
  return rows(out, 'pv').map((r) => ({
    pvName: r['pv_name'] ?? '',
    vgName: r['vg_name'] ?? '',
    pvFmt: r['pv_fmt'] ?? '',
    pvAttr: r['pv_attr'] ?? '',
    pvSize: sizeOr0(r['pv_size']),
    pvFree: sizeOr0(r['pv_free']),
  }));
}

/** `vgs --reportformat json --units k` */
export function parseVgsReport(out: string): VgRow[] {
  const int = (s: string | undefined) => (s && /^[0-9]+$/.test(s) ? Number(s) : 0);
  return rows(out, 'vg').map((r) => ({
    vgName: r['vg_name'] ?? '',
    pvCount: int(r['pv_count']),
    lvCount: int(r['lv_count']),
    snapCount: int(r['snap_count']),
    vgAttr: r['vg_attr'] ?? '',
    vgSize: sizeOr0(r['vg_size']),
    vgFree: sizeOr0(r['vg_free']),
  }));
}

/** `lvs --reportformat json --units k` */
export function parseLvsReport(out: string): LvRow[] {
  return rows(out, 'lv').map((r) => ({
    lvName: r['lv_name'] ?? '',
    vgName: r['vg_name'] ?? '',
    lvAttr: r['lv_attr'] ?? '',
    lvSize: sizeOr0(r['lv_size']),
    poolLv: r['pool_lv'] ?? '',
    origin: r['origin'] ?? '',
    dataPercent: r['data_percent'] ?? '',
    metadataPercent: r['metadata_percent'] ?? '',
  }));
}

// ---------------------------------------------------------------------------------- mount

export interface MountEntry {
  device: string;
  mountPoint: string;
  type: string;
  options: string;
}

/** `mount` output: `<dev> on <dir> type <fstype> (<options>)` per line. */
export function parseMountOutput(out: string): MountEntry[] {
  const list: MountEntry[] = [];
  for (const line of out.split('\n')) {
    const m = /^(.*) on (.*) type (\S+) \((.*)\)\s*$/.exec(line);
    if (m) list.push({ device: m[1]!, mountPoint: m[2]!, type: m[3]!, options: m[4]! });
  }
  return list;
}
