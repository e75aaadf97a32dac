/**
 * sFlow v5 datagram decoder (sflow_version_5.txt, sflow_drops.txt, sflow_transit.txt).
 *
 * Structure: datagram header, then sample TLVs, each holding record TLVs.
 * Every TLV is bounded by its own length, so an unknown or damaged record is
 * skipped without losing the samples and records around it. Nothing here
 * throws on input: problems become error values with a reason and an offset.
 */
import { padTo4, XdrReader } from '../../common/xdr.js';
import { DecodeStats } from '../stats.js';
import { COUNTER_RECORD_LAYOUTS } from './counter-records.js';
import { dropReasonName } from './drop-reasons.js';
import { FLOW_RECORD_LAYOUTS } from './flow-records.js';
import { decodeRtFlow, decodeRtMetric } from './rt.js';
import {
  compileRecordDecoder,
  dataFormat,
  decodeAddress,
  formatText,
  type RecordDecoder,
  type RecordLayout,
} from './struct.js';
import {
  type CounterRecord,
  type CountersSample,
  type DecodeError,
  type DiscardedPacketSample,
  type FlowRecord,
  type FlowSample,
  IFINDEX_LOCAL,
  SampledHeader,
  type SflowDatagram,
  type SflowDatagramError,
  type SflowInterface,
  type SflowRecord,
  type SflowSample,
} from './types.js';

export const SAMPLE_FLOW = 1;
export const SAMPLE_COUNTERS = 2;
export const SAMPLE_FLOW_EXPANDED = 3;
export const SAMPLE_COUNTERS_EXPANDED = 4;
export const SAMPLE_DISCARDED = 5;
export const SAMPLE_RTMETRIC = dataFormat(4300, 1002);
export const SAMPLE_RTFLOW = dataFormat(4300, 1003);

const SAMPLE_FORMATS = ['0:0', '0:1', '0:2', '0:3', '0:4', '0:5'];
const FORMAT_TEXT_CACHE = new Map<number, string>();
/** "ent:fmt" strings are interned so hot-path records share them. */
function fmtText(df: number): string {
  let s = FORMAT_TEXT_CACHE.get(df);
  if (s === undefined) {
    s = formatText(df);
    if (FORMAT_TEXT_CACHE.size < 4096) FORMAT_TEXT_CACHE.set(df, s);
  }
  return s;
}

interface CompiledLayout extends RecordLayout {
  text: string;
  decode: RecordDecoder;
}

function index(layouts: readonly RecordLayout[]): Map<number, CompiledLayout> {
  const m = new Map<number, CompiledLayout>();
  for (const l of layouts) {
    const df = dataFormat(l.enterprise, l.format);
    m.set(df, { ...l, text: fmtText(df), decode: compileRecordDecoder(l) });
  }
  return m;
}

const FLOW_LAYOUTS = index(FLOW_RECORD_LAYOUTS);
const COUNTER_LAYOUTS = index(COUNTER_RECORD_LAYOUTS);

export function flowLayout(df: number): RecordLayout | undefined {
  return FLOW_LAYOUTS.get(df);
}
export function counterLayout(df: number): RecordLayout | undefined {
  return COUNTER_LAYOUTS.get(df);
}

/** Shared by decoders that do not need counters: one allocation for the process. */
const NO_STATS = new DecodeStats();

// Decoding is synchronous and never re-entered, so one reader per nesting
// level serves every datagram: no reader allocation per sample or record.
const datagramReader = new XdrReader(Buffer.alloc(0));
const sampleReader = new XdrReader(Buffer.alloc(0));
const recordReader = new XdrReader(Buffer.alloc(0));

/** True when the payload starts like an sFlow v5 datagram (version 5, IPv4 or IPv6 agent). */
export function looksLikeSflow5(buf: Uint8Array): boolean {
  return (
    buf.length >= 28 &&
    buf[0] === 0 &&
    buf[1] === 0 &&
    buf[2] === 0 &&
    buf[3] === 5 &&
    buf[4] === 0 &&
    buf[5] === 0 &&
    buf[6] === 0 &&
    (buf[7] === 1 || buf[7] === 2)
  );
}

export function decodeSflow(buf: Buffer, stats: DecodeStats = NO_STATS): SflowDatagram | SflowDatagramError {
  stats.datagrams++;
  const r = datagramReader.reset(buf, 0, buf.length);
  const version = r.u32();
  if (version !== 5) return datagramError(stats, 'unsupported-version', 0);
  const agentType = r.u32();
  if (agentType !== 1 && agentType !== 2) return datagramError(stats, 'bad-agent-address-type', 4);
  const agent = agentType === 1 ? r.ip4() : r.ip6();
  const subAgentId = r.u32();
  const sequence = r.u32();
  const uptime = r.u32();
  const count = r.u32();
  if (r.overrun) return datagramError(stats, 'truncated-header', r.overrunAt);

  const samples: SflowSample[] = [];
  const d: SflowDatagram = { protocol: 'sflow5', version: 5, agent, subAgentId, sequence, uptime, samples };
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    if (r.end - at < 8) {
      d.error = { reason: 'truncated-sample-list', offset: at };
      stats.error(d.error.reason);
      errors++;
      break;
    }
    const df = r.u32();
    const length = r.u32();
    const body = r.pos;
    if (length > r.end - body) {
      const error = { reason: 'sample-length-exceeds-datagram', offset: at };
      samples.push({ type: 'error', format: fmtText(df), length, error });
      stats.error(error.reason);
      errors++;
      break;
    }
    const s = decodeSample(buf, df, body, body + length, stats);
    if ((s as { error?: DecodeError }).error !== undefined) errors++;
    samples.push(s);
    // Samples are XDR opaque<> and so padded to 4; agents always send multiples of 4.
    r.pos = Math.min(body + padTo4(length), r.end);
  }
  if (errors > 0) stats.datagramsWithErrors++;
  return d;
}

function datagramError(stats: DecodeStats, reason: string, offset: number): SflowDatagramError {
  stats.error(reason);
  stats.datagramsWithErrors++;
  return { protocol: 'sflow5', error: { reason, offset } };
}

function decodeSample(buf: Buffer, df: number, start: number, end: number, stats: DecodeStats): SflowSample {
  const r = sampleReader.reset(buf, start, end);
  const format = df <= SAMPLE_DISCARDED ? SAMPLE_FORMATS[df] : fmtText(df);
  switch (df) {
    case SAMPLE_FLOW:
    case SAMPLE_FLOW_EXPANDED: {
      const expanded = df === SAMPLE_FLOW_EXPANDED;
      const sequence = r.u32();
      let sourceIdType: number;
      let sourceIdIndex: number;
      if (expanded) {
        sourceIdType = r.u32();
        sourceIdIndex = r.u32();
      } else {
        const id = r.u32();
        sourceIdType = id >>> 24;
        sourceIdIndex = id & 0xffffff;
      }
      const samplingRate = r.u32();
      const samplePool = r.u32();
      const drops = r.u32();
      let input: SflowInterface;
      let output: SflowInterface;
      if (expanded) {
        input = iface(r.u32(), r.u32(), true);
        output = iface(r.u32(), r.u32(), true);
      } else {
        const i = r.u32();
        const o = r.u32();
        input = iface(i >>> 30, i & IFINDEX_LOCAL, false);
        output = iface(o >>> 30, o & IFINDEX_LOCAL, false);
      }
      const s: FlowSample = {
        type: expanded ? 'flow_sample_expanded' : 'flow_sample',
        format,
        sequence,
        sourceIdType,
        sourceIdIndex,
        samplingRate,
        samplePool,
        drops,
        input,
        output,
        records: [],
      };
      stats.sample(s.type);
      decodeRecords(r, buf, s, 'flow', stats);
      return s;
    }
    case SAMPLE_COUNTERS:
    case SAMPLE_COUNTERS_EXPANDED: {
      const expanded = df === SAMPLE_COUNTERS_EXPANDED;
      const sequence = r.u32();
      let sourceIdType: number;
      let sourceIdIndex: number;
      if (expanded) {
        sourceIdType = r.u32();
        sourceIdIndex = r.u32();
      } else {
        const id = r.u32();
        sourceIdType = id >>> 24;
        sourceIdIndex = id & 0xffffff;
      }
      const s: CountersSample = {
        type: expanded ? 'counters_sample_expanded' : 'counters_sample',
        format,
        sequence,
        sourceIdType,
        sourceIdIndex,
        records: [],
      };
      stats.sample(s.type);
      decodeRecords(r, buf, s, 'counter', stats);
      return s;
    }
    case SAMPLE_DISCARDED: {
      const sequence = r.u32();
      const sourceIdType = r.u32();
      const sourceIdIndex = r.u32();
      const drops = r.u32();
      const input = r.u32();
      const output = r.u32();
      const reason = r.u32();
      const s: DiscardedPacketSample = {
        type: 'discarded_packet',
        format,
        sequence,
        sourceIdType,
        sourceIdIndex,
        drops,
        input,
        output,
        reason,
        reasonName: dropReasonName(reason) ?? `unknown_${reason}`,
        records: [],
      };
      stats.sample(s.type);
      decodeRecords(r, buf, s, 'flow', stats);
      return s;
    }
    case SAMPLE_RTMETRIC:
    case SAMPLE_RTFLOW: {
      const s = df === SAMPLE_RTMETRIC ? decodeRtMetric(r) : decodeRtFlow(r);
      s.format = format;
      stats.sample(s.type);
      if (r.overrun) {
        s.error = { reason: 'truncated-sample', offset: r.overrunAt };
        stats.error(s.error.reason);
      }
      return s;
    }
    default:
      stats.sample('unknown');
      return { type: 'unknown', format, length: end - start };
  }
}

/**
 * The device itself is 0x3FFFFFFF in the compact encoding and, per the sFlow
 * v5 errata, 0xFFFFFFFF in the expanded one.
 */
function iface(format: number, value: number, expanded: boolean): SflowInterface {
  if (format === 0) {
    const local = expanded ? value === 0xffffffff : value === IFINDEX_LOCAL;
    return local ? { format, value, local: true } : { format, value };
  }
  if (format === 1) return { format, value, reasonName: dropReasonName(value) ?? `unknown_${value}` };
  return { format, value };
}

type RecordHolder = { records: (FlowRecord | CounterRecord)[]; error?: DecodeError };

function decodeRecords(
  r: XdrReader,
  buf: Buffer,
  s: RecordHolder,
  context: 'flow' | 'counter',
  stats: DecodeStats,
): void {
  const count = r.u32();
  if (r.overrun) {
    s.error = { reason: 'truncated-sample', offset: r.overrunAt };
    stats.error(s.error.reason);
    return;
  }
  const layouts = context === 'flow' ? FLOW_LAYOUTS : COUNTER_LAYOUTS;
  const records = s.records;
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    if (r.end - at < 8) {
      s.error = { reason: 'truncated-record-list', offset: at };
      stats.error(s.error.reason);
      return;
    }
    const df = r.u32();
    const length = r.u32();
    const body = r.pos;
    const layout = layouts.get(df);
    const format = layout === undefined ? fmtText(df) : layout.text;
    if (length > r.end - body) {
      const error = { reason: 'record-length-exceeds-sample', offset: at };
      records.push({ format, length, error });
      s.error = error;
      stats.error(error.reason);
      return;
    }
    const end = body + length;
    stats.record(context, format);
    if (df === 1 && context === 'flow') {
      records.push(decodeSampledHeader(buf, body, end, format, s, stats));
    } else {
      if (layout === undefined) {
        records.push({ format, length });
      } else {
        const rr = recordReader.reset(buf, body, end);
        const rec: SflowRecord = layout.decode(rr, layout.text, layout.name);
        if (rr.overrun) {
          const error = { reason: 'truncated-record', offset: rr.overrunAt };
          records.push({ format, name: layout.name, length, error });
          s.error = error;
          stats.error(error.reason);
        } else {
          records.push(rec);
        }
      }
    }
    r.pos = Math.min(body + padTo4(length), r.end);
  }
}

function decodeSampledHeader(
  buf: Buffer,
  start: number,
  end: number,
  format: string,
  s: RecordHolder,
  stats: DecodeStats,
): FlowRecord {
  const length = end - start;
  if (length >= 16) {
    const headerProtocol = u32At(buf, start);
    const frameLength = u32At(buf, start + 4);
    const stripped = u32At(buf, start + 8);
    const headerLength = u32At(buf, start + 12);
    if (headerLength <= length - 16) {
      return new SampledHeader(headerProtocol, frameLength, stripped, buf, start + 16, headerLength);
    }
  }
  const error = { reason: 'truncated-record', offset: start - 8 };
  s.error = error;
  stats.error(error.reason);
  return { format, name: 'sampled_header', length, error };
}

/** Big-endian u32 at an offset the caller has bounds-checked. */
function u32At(b: Buffer, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Reads the agent address without decoding the rest (for routing datagrams to workers). */
export function peekAgent(buf: Buffer): string {
  const r = new XdrReader(buf, 4);
  return decodeAddress(r);
}
