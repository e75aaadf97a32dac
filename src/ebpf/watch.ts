/**
 * The observe-only csum-watch program (ebpf/csum_watch.bpf.c), attached for
 * the duration of `flowlens doctor --watch-dev`: which exporters send UDP to
 * the collector ports, and whether their checksums are right. It never
 * modifies packets; its maps are not pinned (they live as long as the filter).
 */
import { formatIPv4, formatIPv6 } from '../common/addr.js';
import { keyPort, mapDump, progInfo, progMaps, sumCounters } from './bpftool.js';
import { CSUM_FIX_PREF, CSUM_WATCH_PREF, filterAt, LITTLE_ENDIAN, SECTION, setPorts } from './csum-fix.js';
import { buildObject } from './objects.js';
import {
  attachBpfFilter,
  deleteFilter,
  ensureClsact,
  ingressFilters,
  linkInfo,
  removeClsactIfUnused,
} from './tc.js';
import { EbpfError, requireRoot, requireTools } from './tools.js';

/**
 * 'pseudo': invalid, and the checksum field holds the pseudo-header sum alone,
 * as while checksum offload is pending: locally generated traffic on a virtual
 * device (which the kernel accepts), or an exporter whose NIC never completed
 * the offload.
 */
export type Verdict = 'invalid' | 'valid' | 'unchecked' | 'pseudo';
const VERDICTS: readonly Verdict[] = ['invalid', 'valid', 'unchecked', 'pseudo'];

/** Field order of struct watch_stats. */
export const WATCH_COUNTERS = ['seen', 'valid', 'invalid', 'unchecked', 'untracked', 'pseudo'] as const;
export type WatchCounters = Record<(typeof WATCH_COUNTERS)[number], number>;

export interface WatchEntry {
  address: string;
  family: 4 | 6;
  port: number;
  verdict: Verdict;
  packets: number;
  /** Sum of UDP lengths. */
  bytes: number;
}

export interface WatchReading {
  entries: WatchEntry[];
  totals: WatchCounters;
}

/** Decodes one watch_exporters entry: key {addr[16], dport be16, family u8, verdict u8}, value {packets u64, bytes u64}. */
export function decodeWatchEntry(
  key: Uint8Array,
  value: Uint8Array,
  littleEndian = LITTLE_ENDIAN,
): WatchEntry {
  if (key.length < 20 || value.length < 16)
    throw new EbpfError('watch_exporters: unexpected key/value size', 1);
  const family = key[18] === 4 ? 4 : 6;
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return {
    address: family === 4 ? formatIPv4(key, 0) : formatIPv6(key, 0),
    family,
    port: keyPort(key.subarray(16, 18)),
    verdict: VERDICTS[key[19]] ?? 'unchecked',
    packets: Number(dv.getBigUint64(0, littleEndian)),
    bytes: Number(dv.getBigUint64(8, littleEndian)),
  };
}

export class CsumWatch {
  private attached = true;

  private constructor(
    readonly dev: string,
    readonly ports: readonly number[],
    readonly progId: number,
    private readonly tc: string,
    private readonly bpftool: string,
    private readonly exportersMap: number,
    private readonly statsMap: number,
    /** Whether csum-fix was attached on the device when the watch started. */
    readonly csumFixAttached: boolean,
  ) {}

  /** Attaches the watch program on `dev` ingress for `ports`. Root only. */
  static attach(dev: string, ports: readonly number[]): CsumWatch {
    requireRoot('flowlens doctor --watch-dev');
    const t = requireTools(['tc', 'bpftool', 'ip']);
    linkInfo(t.ip, dev);
    const obj = buildObject('csum_watch');
    const before = ingressFilters(t.tc, dev);
    const at = filterAt(before, CSUM_WATCH_PREF, 'csum_watch');
    if (at.foreign !== undefined) {
      throw new EbpfError(`${dev}: tc ingress priority ${CSUM_WATCH_PREF} is taken by another filter`, 1);
    }
    const csumFixAttached = filterAt(before, CSUM_FIX_PREF, 'csum_fix').ours !== undefined;
    ensureClsact(t.tc, dev);
    // replace: a watch left behind by a killed doctor run is taken over.
    attachBpfFilter(t.tc, dev, CSUM_WATCH_PREF, obj.path, SECTION);
    try {
      const ours = filterAt(ingressFilters(t.tc, dev), CSUM_WATCH_PREF, 'csum_watch').ours;
      if (ours?.progId === undefined) throw new EbpfError(`${dev}: the watch filter did not show up`, 1);
      const maps = progMaps(t.bpftool, progInfo(t.bpftool, ours.progId));
      const exp = maps.get('watch_exporters');
      const stats = maps.get('watch_stats');
      const portsMap = maps.get('watch_ports');
      if (exp === undefined || stats === undefined || portsMap === undefined) {
        throw new EbpfError(`program ${ours.progId} lacks the csum-watch maps`, 1);
      }
      setPorts(t.bpftool, { id: portsMap.id }, ports);
      return new CsumWatch(dev, ports, ours.progId, t.tc, t.bpftool, exp.id, stats.id, csumFixAttached);
    } catch (err) {
      detachWatch(t.tc, dev);
      throw err;
    }
  }

  read(): WatchReading {
    const entries = mapDump(this.bpftool, { id: this.exportersMap })
      .filter((e) => e.value !== undefined)
      .map((e) => decodeWatchEntry(e.key, e.value ?? new Uint8Array(0)))
      .sort((a, b) => b.packets - a.packets || a.address.localeCompare(b.address) || a.port - b.port);
    const s = mapDump(this.bpftool, { id: this.statsMap })[0];
    const totals = sumCounters(WATCH_COUNTERS, s?.values ?? [], LITTLE_ENDIAN);
    return { entries, totals };
  }

  /** Removes the watch filter (and clsact if nothing else uses it). Idempotent; safe in signal handlers. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    detachWatch(this.tc, this.dev);
  }
}

function detachWatch(tc: string, dev: string): void {
  try {
    if (filterAt(ingressFilters(tc, dev), CSUM_WATCH_PREF, 'csum_watch').ours !== undefined) {
      deleteFilter(tc, dev, CSUM_WATCH_PREF);
    }
    removeClsactIfUnused(tc, dev);
  } catch {
    // The device may be gone; nothing is left to clean then.
  }
}
