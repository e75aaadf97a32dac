/**
 * bpftool for the eBPF commands: program and map metadata, map contents,
 * updates and pins, always through `bpftool -j` JSON output. Keys and values
 * are handled as raw bytes (the hex arrays bpftool prints), which works with
 * or without BTF.
 */
import { isRecord, parseJson, runOk } from './tools.js';

export type MapRef = { id: number } | { pinned: string };

function refArgs(ref: MapRef): string[] {
  return 'id' in ref ? ['id', String(ref.id)] : ['pinned', ref.pinned];
}

function hexArgs(bytes: Uint8Array): string[] {
  return ['hex', ...Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))];
}

function hexBytes(v: unknown): Uint8Array {
  if (!Array.isArray(v)) return new Uint8Array(0);
  return Uint8Array.from(v as unknown[], (x) => Number.parseInt(String(x), 16));
}

export interface ProgInfo {
  id: number;
  name: string;
  tag: string;
  mapIds: number[];
  jited: boolean;
  bytesXlated?: number;
  bytesJited?: number;
  /** Present only while kernel.bpf_stats_enabled=1 has been on. */
  runTimeNs?: number;
  runCnt?: number;
}

export function progInfo(bpftool: string, id: number): ProgInfo {
  const j = parseJson(runOk(bpftool, ['-j', 'prog', 'show', 'id', String(id)]), 'bpftool prog show');
  const p = isRecord(j) ? j : {};
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  return {
    id: Number(p.id),
    name: String(p.name ?? ''),
    tag: String(p.tag ?? ''),
    mapIds: Array.isArray(p.map_ids) ? (p.map_ids as unknown[]).map(Number) : [],
    jited: p.jited === true,
    bytesXlated: num(p.bytes_xlated),
    bytesJited: num(p.bytes_jited),
    runTimeNs: num(p.run_time_ns),
    runCnt: num(p.run_cnt),
  };
}

export interface MapInfo {
  id: number;
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export function mapInfo(bpftool: string, ref: MapRef): MapInfo {
  const j = parseJson(runOk(bpftool, ['-j', 'map', 'show', ...refArgs(ref)]), 'bpftool map show');
  const m = isRecord(j) ? j : {};
  return {
    id: Number(m.id),
    name: String(m.name ?? ''),
    type: String(m.type ?? ''),
    keySize: Number(m.bytes_key),
    valueSize: Number(m.bytes_value),
    maxEntries: Number(m.max_entries),
  };
}

/** The maps a program uses, by name. */
export function progMaps(bpftool: string, prog: ProgInfo): Map<string, MapInfo> {
  const out = new Map<string, MapInfo>();
  for (const id of prog.mapIds) {
    const m = mapInfo(bpftool, { id });
    out.set(m.name, m);
  }
  return out;
}

export interface MapEntry {
  key: Uint8Array;
  /** Plain maps. */
  value?: Uint8Array;
  /** Per-CPU maps: one value per possible CPU. */
  values?: Uint8Array[];
}

export function mapDump(bpftool: string, ref: MapRef): MapEntry[] {
  const j = parseJson(runOk(bpftool, ['-j', 'map', 'dump', ...refArgs(ref)]), 'bpftool map dump');
  if (!Array.isArray(j)) return [];
  const out: MapEntry[] = [];
  for (const e of j as unknown[]) {
    if (!isRecord(e)) continue;
    const entry: MapEntry = { key: hexBytes(e.key) };
    if (Array.isArray(e.values)) {
      entry.values = (e.values as unknown[]).map((v) =>
        isRecord(v) ? hexBytes(v.value) : new Uint8Array(0),
      );
    } else if (e.value !== undefined) {
      entry.value = hexBytes(e.value);
    }
    out.push(entry);
  }
  return out;
}

export function mapUpdate(bpftool: string, ref: MapRef, key: Uint8Array, value: Uint8Array): void {
  runOk(bpftool, ['map', 'update', ...refArgs(ref), 'key', ...hexArgs(key), 'value', ...hexArgs(value)]);
}

export function mapDelete(bpftool: string, ref: MapRef, key: Uint8Array): void {
  runOk(bpftool, ['map', 'delete', ...refArgs(ref), 'key', ...hexArgs(key)]);
}

export function mapPin(bpftool: string, id: number, file: string): void {
  runOk(bpftool, ['map', 'pin', 'id', String(id), file]);
}

/**
 * Sums a per-CPU value made of consecutive host-endian u64 counters into one
 * number per counter name.
 */
export function sumCounters<K extends string>(
  names: readonly K[],
  values: readonly Uint8Array[],
  littleEndian = true,
): Record<K, number> {
  const out = {} as Record<K, number>;
  names.forEach((n, i) => {
    let total = 0n;
    for (const v of values) {
      if (v.length < (i + 1) * 8) continue;
      total += new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(i * 8, littleEndian);
    }
    out[n] = Number(total);
  });
  return out;
}

/** A port as a BPF map key: the u16 in network byte order, as the programs compare it with the UDP header. */
export function portKey(port: number): Uint8Array {
  return Uint8Array.of((port >> 8) & 0xff, port & 0xff);
}

export function keyPort(key: Uint8Array): number {
  return ((key[0] ?? 0) << 8) | (key[1] ?? 0);
}
