/**
 * The csum-fix tc program (ebpf/csum_fix.bpf.c): attach, detach and status.
 *
 * The program is loaded by `tc filter replace ... bpf direct-action
 * object-file OBJ section tc` at ingress priority CSUM_FIX_PREF, for every
 * protocol. Its maps are found through the attached program (tc → program id
 * → map ids), which is always right, and pinned under /sys/fs/bpf/flowlens/
 * for other tools. Attach is idempotent: on a device that already runs the
 * same object it only updates the port map, so ports change without a reload
 * and the counters keep counting.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import {
  keyPort,
  type MapInfo,
  type MapRef,
  mapDelete,
  mapDump,
  mapInfo,
  mapPin,
  mapUpdate,
  portKey,
  progInfo,
  progMaps,
  sumCounters,
} from './bpftool.js';
import { buildObject, type ProgramName } from './objects.js';
import { ensureBpffs, listPins, netnsTag, PIN_ROOT, pinDir, removePins } from './pins.js';
import {
  attachBpfFilter,
  deleteFilter,
  ensureClsact,
  type IngressFilter,
  ingressFilters,
  linkInfo,
  removeClsactIfUnused,
} from './tc.js';
import { EbpfError, isRecord, parseJson, requireRoot, requireTools, run } from './tools.js';

/** tc ingress priorities: the observe-only watch runs just before the fix, so it sees checksums as received. */
export const CSUM_FIX_PREF = 4739;
export const CSUM_WATCH_PREF = 4738;
export const SECTION = 'tc';
export const DEFAULT_PORTS: readonly number[] = [4739];
/** The port map holds at most this many ports (max_entries in the C source). */
export const MAX_PORTS = 64;

/** Field order of struct fix_stats in ebpf/csum_fix.bpf.c. */
export const FIX_COUNTERS = [
  'seen',
  'repaired',
  'already_correct',
  'zero_checksum',
  'pseudo_only',
  'skipped_too_long',
  'skipped_malformed',
  'skipped_fragment',
  'skipped_gso',
  'skipped_other',
  'errors',
  'vlan_tag_metadata',
  'vlan_tag_in_data',
  'ext_headers',
] as const;
export type FixCounters = Record<(typeof FIX_COUNTERS)[number], number>;

export const LITTLE_ENDIAN = os.endianness() === 'LE';

/** "4739,6343 2055" → [4739, 6343, 2055]; throws EbpfError (exit 2) on anything else. */
export function parsePorts(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new EbpfError('--ports: no port given', 2);
  const ports: number[] = [];
  for (const p of parts) {
    const n = /^\d+$/.test(p) ? Number(p) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new EbpfError(`--ports: '${p}' is not a port (1-65535)`, 2);
    if (!ports.includes(n)) ports.push(n);
  }
  if (ports.length > MAX_PORTS) throw new EbpfError(`--ports: at most ${MAX_PORTS} ports`, 2);
  return ports;
}

/** Whether a tc filter is one of ours (by object file name, or by the kernel's 15-character program name). */
export function isOurFilter(f: IngressFilter, program: ProgramName): boolean {
  if (f.kind !== 'bpf') return false;
  if (f.bpfName !== undefined && (f.bpfName.startsWith(`${program}-`) || f.bpfName.startsWith(`${program}.`)))
    return true;
  const kernelName = `flowlens_${program}`.slice(0, 15);
  return f.progName === kernelName;
}

/** The filter at our priority: ours, someone else's, or none. */
export function filterAt(
  filters: readonly IngressFilter[],
  pref: number,
  program: ProgramName,
): { ours?: IngressFilter; foreign?: IngressFilter } {
  const at = filters.filter((f) => f.pref === pref);
  const ours = at.find((f) => isOurFilter(f, program));
  if (ours !== undefined) return { ours };
  return at.length > 0 ? { foreign: at[0] } : {};
}

interface Tools {
  tc: string;
  bpftool: string;
  ip: string;
}

function tools(): Tools {
  return requireTools(['tc', 'bpftool', 'ip']);
}

function requireMap(maps: Map<string, MapInfo>, name: string, progId: number): MapInfo {
  const m = maps.get(name);
  if (m === undefined)
    throw new EbpfError(`program ${progId} has no map ${name}: not a flowlens csum-fix program?`, 1);
  return m;
}

export function readPorts(bpftool: string, ref: MapRef): number[] {
  return mapDump(bpftool, ref)
    .map((e) => keyPort(e.key))
    .sort((a, b) => a - b);
}

/** Makes the port map hold exactly `wanted`. */
export function setPorts(
  bpftool: string,
  ref: MapRef,
  wanted: readonly number[],
): { added: number[]; removed: number[] } {
  const have = readPorts(bpftool, ref);
  const added = wanted.filter((p) => !have.includes(p));
  const removed = have.filter((p) => !wanted.includes(p));
  // Add first, then remove, so a port kept across the change is never missing.
  for (const p of added) mapUpdate(bpftool, ref, portKey(p), Uint8Array.of(1));
  for (const p of removed) mapDelete(bpftool, ref, portKey(p));
  return { added, removed };
}

export function readFixCounters(bpftool: string, ref: MapRef): FixCounters {
  const entries = mapDump(bpftool, ref);
  const values = entries[0]?.values ?? (entries[0]?.value !== undefined ? [entries[0].value] : []);
  return sumCounters(FIX_COUNTERS, values, LITTLE_ENDIAN);
}

function pinMaps(
  bpftool: string,
  dir: string,
  maps: readonly MapInfo[],
): { pinned: string[]; warning?: string } {
  try {
    ensureBpffs();
    removePins(dir);
    mkdirSync(dir, { recursive: true });
    const pinned: string[] = [];
    for (const m of maps) {
      const file = `${dir}/${m.name}`;
      mapPin(bpftool, m.id, file);
      pinned.push(file);
    }
    return { pinned };
  } catch (err) {
    return { pinned: [], warning: `maps not pinned: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export interface AttachResult {
  dev: string;
  ifindex: number;
  progId: number;
  object: string;
  /** 'attached': newly attached; 'replaced': an older object was replaced (counters restart); 'unchanged': same object, ports updated. */
  action: 'attached' | 'replaced' | 'unchanged';
  compiledMs?: number;
  clsactCreated: boolean;
  ports: number[];
  portsAdded: number[];
  portsRemoved: number[];
  pins: string[];
  warnings: string[];
}

export function attachCsumFix(dev: string, ports: readonly number[]): AttachResult {
  requireRoot('flowlens ebpf csum-fix attach');
  const t = tools();
  const link = linkInfo(t.ip, dev);
  const obj = buildObject('csum_fix');
  const warnings: string[] = [];

  const current = filterAt(ingressFilters(t.tc, dev), CSUM_FIX_PREF, 'csum_fix');
  if (current.foreign !== undefined) {
    throw new EbpfError(
      `${dev}: tc ingress priority ${CSUM_FIX_PREF} is taken by another filter (${current.foreign.kind} ${current.foreign.bpfName ?? ''}); not touching it`,
      1,
    );
  }
  let action: AttachResult['action'] = 'attached';
  let clsactCreated = false;
  if (current.ours?.bpfName?.startsWith(`${obj.file}:`) === true) {
    action = 'unchanged';
  } else {
    if (current.ours !== undefined) action = 'replaced';
    clsactCreated = ensureClsact(t.tc, dev);
    try {
      attachBpfFilter(t.tc, dev, CSUM_FIX_PREF, obj.path, SECTION);
    } catch (err) {
      // e.g. the verifier rejected the program: leave the device as it was.
      if (clsactCreated) removeClsactIfUnused(t.tc, dev);
      throw err;
    }
  }
  const ours = filterAt(ingressFilters(t.tc, dev), CSUM_FIX_PREF, 'csum_fix').ours;
  if (ours?.progId === undefined)
    throw new EbpfError(`${dev}: the filter did not show up after tc attached it`, 1);
  const prog = progInfo(t.bpftool, ours.progId);
  const maps = progMaps(t.bpftool, prog);
  const portsMap = requireMap(maps, 'fix_ports', prog.id);
  const statsMap = requireMap(maps, 'fix_stats', prog.id);
  const { added, removed } = setPorts(t.bpftool, { id: portsMap.id }, ports);

  const dir = pinDir(dev);
  let pins = listPins(dir);
  const pinnedIds = pins.map((p) => pinnedId(t.bpftool, p));
  if (
    action !== 'unchanged' ||
    pins.length !== 2 ||
    !pinnedIds.includes(portsMap.id) ||
    !pinnedIds.includes(statsMap.id)
  ) {
    const r = pinMaps(t.bpftool, dir, [statsMap, portsMap]);
    pins = r.pinned;
    if (r.warning !== undefined) warnings.push(r.warning);
  }
  return {
    dev,
    ifindex: link.ifindex,
    progId: prog.id,
    object: obj.path,
    action,
    compiledMs: obj.compiled ? obj.compileMs : undefined,
    clsactCreated,
    ports: readPorts(t.bpftool, { id: portsMap.id }),
    portsAdded: added,
    portsRemoved: removed,
    pins,
    warnings,
  };
}

function pinnedId(bpftool: string, file: string): number | undefined {
  try {
    return mapInfo(bpftool, { pinned: file }).id;
  } catch {
    return undefined;
  }
}

export interface DetachResult {
  dev: string;
  /** False when nothing of ours was attached (detach is idempotent). */
  detached: boolean;
  deviceExists: boolean;
  clsactRemoved: boolean;
  pinsRemoved: string[];
}

export function detachCsumFix(dev: string): DetachResult {
  requireRoot('flowlens ebpf csum-fix detach');
  const t = requireTools(['tc', 'ip']);
  const dir = pinDir(dev);
  let deviceExists = true;
  try {
    linkInfo(t.ip, dev);
  } catch (err) {
    deviceExists = false;
    // The device is gone (and with it the filter); stale pins are still ours to clean.
    const pinsRemoved = removePins(dir);
    if (pinsRemoved.length === 0) throw err;
    return { dev, detached: false, deviceExists, clsactRemoved: false, pinsRemoved };
  }
  const { ours } = filterAt(ingressFilters(t.tc, dev), CSUM_FIX_PREF, 'csum_fix');
  if (ours !== undefined) deleteFilter(t.tc, dev, CSUM_FIX_PREF);
  const clsactRemoved = ours !== undefined ? removeClsactIfUnused(t.tc, dev) : false;
  const pinsRemoved = removePins(dir);
  return { dev, detached: ours !== undefined, deviceExists, clsactRemoved, pinsRemoved };
}

export interface FixStatus {
  dev: string;
  attached: boolean;
  ifindex?: number;
  progId?: number;
  progName?: string;
  object?: string;
  jited?: boolean;
  ports?: number[];
  counters?: FixCounters;
  /** Average run time per packet (all packets seen by the program), when kernel.bpf_stats_enabled has been on. */
  runTimeNs?: number;
  runCnt?: number;
  pinDir: string;
  pins: string[];
  /** Where the counters were read from: the pinned map or the map id of the attached program. */
  source?: 'pinned' | 'program';
}

function statusOf(t: Tools, dev: string): FixStatus {
  const dir = pinDir(dev);
  const pins = listPins(dir);
  const link = linkInfo(t.ip, dev);
  const { ours } = filterAt(ingressFilters(t.tc, dev), CSUM_FIX_PREF, 'csum_fix');
  if (ours?.progId === undefined) return { dev, attached: false, ifindex: link.ifindex, pinDir: dir, pins };
  const prog = progInfo(t.bpftool, ours.progId);
  const maps = progMaps(t.bpftool, prog);
  const portsMap = requireMap(maps, 'fix_ports', prog.id);
  const statsMap = requireMap(maps, 'fix_stats', prog.id);
  const statsPin = pins.find((p) => p.endsWith('/fix_stats'));
  const pinOk = statsPin !== undefined && pinnedId(t.bpftool, statsPin) === statsMap.id;
  const statsRef: MapRef = pinOk && statsPin !== undefined ? { pinned: statsPin } : { id: statsMap.id };
  return {
    dev,
    attached: true,
    ifindex: link.ifindex,
    progId: prog.id,
    progName: prog.name,
    object: ours.bpfName,
    jited: prog.jited,
    ports: readPorts(t.bpftool, { id: portsMap.id }),
    counters: readFixCounters(t.bpftool, statsRef),
    runTimeNs: prog.runTimeNs,
    runCnt: prog.runCnt,
    pinDir: dir,
    pins,
    source: pinOk ? 'pinned' : 'program',
  };
}

/** Status of one device, or of every device in this network namespace that runs csum-fix or has pins left. */
export function csumFixStatus(dev?: string): FixStatus[] {
  requireRoot('flowlens ebpf csum-fix status');
  const t = tools();
  if (dev !== undefined) return [statusOf(t, dev)];
  const devs = new Set<string>();
  const net = parseJson(run(t.bpftool, ['-j', 'net', 'show']).stdout || '[]', 'bpftool net show');
  for (const block of Array.isArray(net) ? (net as unknown[]) : []) {
    if (!isRecord(block) || !Array.isArray(block.tc)) continue;
    for (const a of block.tc as unknown[]) {
      if (isRecord(a) && String(a.kind).endsWith('/ingress') && String(a.name).startsWith('csum_fix')) {
        devs.add(String(a.devname));
      }
    }
  }
  const out = [...devs].sort().map((d) => statusOf(t, d));
  // Pins for devices that no longer run the program (detached elsewhere, or the device is gone).
  const base = pinDir('', netnsTag());
  for (const d of listDirs(base)) {
    if (devs.has(d) || (base === PIN_ROOT && d.startsWith('netns-'))) continue;
    const dir = pinDir(d);
    out.push({ dev: d, attached: false, pinDir: dir, pins: listPins(dir) });
  }
  return out;
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
