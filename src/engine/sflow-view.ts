/**
 * The engine's view of an sFlow flow or discard sample: the sample-level keys
 * (agent, interfaces, direction, drop reason, transit and queue, switch and
 * routing extensions) and, dissected only when a key needs it, the packet
 * keys of its sampled header.
 */
import { dissect, Packet } from '../decode/packet/dissect.js';
import { type KeyValue, keyGetter } from '../decode/packet/keys.js';
import { sampleKeys } from '../decode/sflow/keys.js';
import {
  type DiscardedPacketSample,
  type FlowSample,
  SampledHeader,
  type SflowDatagram,
  type SflowRecord,
} from '../decode/sflow/types.js';
import { CODE_ABSENT, CODE_TEXT } from './expr.js';
import { absent, GetterTable, IPV4_CODED_KEYS, keyId, SampleView, sampleFieldGetter } from './sample.js';
import type { SourceRegistry } from './sources.js';

/** Keys that come from the sample and its extension records (decode/sflow/keys.ts). */
const SAMPLE_KEYS = new Set([
  'inputifindex',
  'outputifindex',
  'direction',
  'reason',
  'queueindex',
  'queuedepth',
  'transitdelay',
  'vlansource',
  'vlandestination',
  'prioritysource',
  'prioritydestination',
  'ipnexthoprouter',
  'ipsourcemaskbits',
  'ipdestinationmaskbits',
  'bgpnexthop',
  'bgpas',
  'bgpsourceas',
  'bgpsourcepeeras',
  'bgpdestinationas',
  'bgpdestinationpeeras',
  'bgpdestinationaspath',
  'bgpcommunities',
  'bgplocalpref',
  'aclnumber',
  'aclname',
  'dropfunction',
  'hwtrapgroup',
  'hwtrap',
  'linuxdropreason',
]);

function resolve(name: string): (v: SflowSampleView) => KeyValue | undefined {
  const field = sampleFieldGetter(name);
  if (field !== undefined) return field;
  switch (name) {
    case 'samplingrate':
      return (v) => v.samplingRate;
    case 'stripped':
      return (v) => v.header?.stripped;
  }
  if (SAMPLE_KEYS.has(name)) return (v) => v.sampleKeys()[name];
  const g = keyGetter(name);
  if (g !== undefined) {
    return (v) => {
      const p = v.packet();
      return p === undefined ? undefined : g(p);
    };
  }
  return absent;
}

const GETTERS = new GetterTable(resolve);

/** IPv4 address at `at` bytes into the IPv4 header, as a code: -(address + 1). */
function ipv4Code(v: SflowSampleView, at: number): number {
  const p = v.packet();
  if (p === undefined || p.ipOff < 0) return CODE_ABSENT;
  const b = p.buf;
  const o = p.ipOff + at;
  return -(b[o] * 16777216 + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3] + 1);
}

function resolveCode(name: string): (v: SflowSampleView) => number {
  const at = IPV4_CODED_KEYS[name];
  if (at !== undefined && Object.hasOwn(IPV4_CODED_KEYS, name)) return (v) => ipv4Code(v, at);
  const g = GETTERS.get(keyId(name));
  return (v) => {
    const x = g(v);
    return x === undefined || x === '' ? CODE_ABSENT : CODE_TEXT;
  };
}

const CODES = new GetterTable(resolveCode);

export class SflowSampleView extends SampleView {
  datagram: SflowDatagram | undefined;
  sample: FlowSample | DiscardedPacketSample | undefined;
  header: SampledHeader | undefined;
  private dissected = false;
  private readonly pkt = new Packet();
  private keysCache: Record<string, KeyValue> | undefined;

  constructor(private readonly sources: SourceRegistry) {
    super();
  }

  /** Points the view at a sample; returns false for samples with nothing to analyse. */
  reset(d: SflowDatagram, s: FlowSample | DiscardedPacketSample, timeMs: number): boolean {
    this.datagram = d;
    this.sample = s;
    this.agent = d.agent;
    this.timeMs = timeMs;
    this.sourceId = this.sources.byIndex(d.agent, s.sourceIdType, s.sourceIdIndex, timeMs);
    this.dataSource = this.sources.dataSourceOf(this.sourceId);
    this.dropped = s.type === 'discarded_packet';
    // Discard notifications are not sampled: each stands for itself.
    this.samplingRate = s.type === 'discarded_packet' ? 1 : s.samplingRate;
    this.header = undefined;
    this.bytes = 0;
    this.dissected = false;
    this.keysCache = undefined;
    for (const r of s.records) {
      if (r instanceof SampledHeader) {
        this.header = r;
        this.bytes = r.frameLength;
        break;
      }
      // Agents that do not send headers may describe the packet with sampled_ipv4/ipv6 (0:3, 0:4).
      if ((r.format === '0:3' || r.format === '0:4') && 'name' in r && !('error' in r)) {
        this.bytes = Number((r as SflowRecord).length);
      }
    }
    return true;
  }

  packet(): Packet | undefined {
    const h = this.header;
    if (h === undefined) return undefined;
    if (!this.dissected) {
      dissect(h.buffer, h.headerOffset, h.headerLength, h.headerProtocol, this.pkt);
      this.dissected = true;
    }
    return this.pkt;
  }

  sampleKeys(): Record<string, KeyValue> {
    if (this.keysCache === undefined) {
      this.keysCache = this.datagram && this.sample ? sampleKeys(this.datagram, this.sample) : {};
    }
    return this.keysCache;
  }

  key(id: number): KeyValue | undefined {
    return GETTERS.get(id)(this);
  }

  override code(id: number): number {
    return CODES.get(id)(this);
  }
}
