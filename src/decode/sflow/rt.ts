/**
 * InMon custom-metric samples (sample_data context, enterprise 4300):
 *   4300:1002 rtmetric  string datasource; n; { string name; u32 type; value }[n]
 *   4300:1003 rtflow    string datasource; u32 sampling_rate; u32 sample_pool; n; { string name; u32 type; value }[n]
 * The value encoding depends on the type code. sflowtool aborts the sample on
 * an unknown code because the length of the value cannot be known; so do we:
 * the list stops there and the reader is marked overrun for the caller.
 */
import type { U64, XdrReader, XdrWriter } from '../../common/xdr.js';
import { dataFormat, formatText } from './struct.js';
import type { DecodeError } from './types.js';

export const RTMETRIC_FORMAT = dataFormat(4300, 1002);
export const RTFLOW_FORMAT = dataFormat(4300, 1003);

/** rtmetric value type names, indexed by their wire code. */
export const RT_METRIC_TYPES = [
  'string',
  'counter32',
  'counter64',
  'gauge32',
  'gauge64',
  'gaugeFloat',
  'gaugeDouble',
] as const;

/** rtflow value type names, indexed by their wire code. */
export const RT_FLOW_TYPES = ['string', 'mac', 'ipv4', 'ipv6', 'int32', 'int64', 'float', 'double'] as const;

/** rtmetric codes: 0 string, 1 counter32, 2 counter64, 3 gauge32, 4 gauge64, 5 gaugeFloat, 6 gaugeDouble. */
export type RtMetric =
  | { name: string; type: 0; value: string }
  | { name: string; type: 1 | 3; value: number }
  | { name: string; type: 2 | 4; value: U64 }
  | { name: string; type: 5 | 6; value: number };

/**
 * rtflow codes: 0 string, 1 MAC (text), 2 IPv4 (text), 3 IPv6 (text), 4 int32, 5 int64, 6 float, 7 double.
 * int32 and int64 are kept unsigned, as sflowtool prints them.
 */
export type RtFlowField =
  | { name: string; type: 0 | 1 | 2 | 3; value: string }
  | { name: string; type: 4 | 6 | 7; value: number }
  | { name: string; type: 5; value: U64 };

export interface RtMetricSample {
  type: 'rtmetric';
  /** "4300:1002"; the datagram decoder may overwrite it with the format it read. */
  format: string;
  datasource: string;
  metrics: RtMetric[];
  error?: DecodeError;
}

export interface RtFlowSample {
  type: 'rtflow';
  /** "4300:1003" */
  format: string;
  datasource: string;
  samplingRate: number;
  samplePool: number;
  fields: RtFlowField[];
  error?: DecodeError;
}

/** What the encoders accept: any decoded entry, or a loosely typed one built by hand. */
export interface RtEntryInput {
  name: string;
  type: number;
  value: string | number | bigint;
}

export interface RtMetricInput {
  datasource: string;
  metrics: readonly RtEntryInput[];
}

export interface RtFlowInput {
  datasource: string;
  samplingRate: number;
  samplePool: number;
  fields: readonly RtEntryInput[];
}

/** Smallest encoding of one list entry: empty name (4) plus type (4). */
const MIN_ENTRY = 8;

/** Stops decoding: the caller sees `overrun` and records an error. */
function abort(r: XdrReader): void {
  r.skip(r.remaining() + 1);
}

/** Reads the entry count; marks an overrun and returns 0 when that many entries cannot fit. */
function readCount(r: XdrReader): number {
  const n = r.u32();
  if (n * MIN_ENTRY > r.remaining()) {
    if (n > 0) abort(r);
    return 0;
  }
  return n;
}

export function decodeRtMetric(r: XdrReader): RtMetricSample {
  const datasource = r.string();
  const metrics: RtMetric[] = [];
  const n = readCount(r);
  for (let i = 0; i < n && !r.overrun; i++) {
    const name = r.string();
    const type = r.u32();
    switch (type) {
      case 0:
        metrics.push({ name, type, value: r.string() });
        break;
      case 1:
      case 3:
        metrics.push({ name, type, value: r.u32() });
        break;
      case 2:
      case 4:
        metrics.push({ name, type, value: r.u64() });
        break;
      case 5:
        metrics.push({ name, type, value: r.f32() });
        break;
      case 6:
        metrics.push({ name, type, value: r.f64() });
        break;
      default:
        abort(r);
    }
  }
  return { type: 'rtmetric', format: formatText(RTMETRIC_FORMAT), datasource, metrics };
}

export function decodeRtFlow(r: XdrReader): RtFlowSample {
  const datasource = r.string();
  const samplingRate = r.u32();
  const samplePool = r.u32();
  const fields: RtFlowField[] = [];
  const n = readCount(r);
  for (let i = 0; i < n && !r.overrun; i++) {
    const name = r.string();
    const type = r.u32();
    switch (type) {
      case 0:
        fields.push({ name, type, value: r.string() });
        break;
      case 1:
        fields.push({ name, type, value: r.mac() }); // 6 bytes padded to 8
        break;
      case 2:
        fields.push({ name, type, value: r.ip4() });
        break;
      case 3:
        fields.push({ name, type, value: r.ip6() });
        break;
      case 4:
        fields.push({ name, type, value: r.u32() });
        break;
      case 5:
        fields.push({ name, type, value: r.u64() });
        break;
      case 6:
        fields.push({ name, type, value: r.f32() });
        break;
      case 7:
        fields.push({ name, type, value: r.f64() });
        break;
      default:
        abort(r);
    }
  }
  return { type: 'rtflow', format: formatText(RTFLOW_FORMAT), datasource, samplingRate, samplePool, fields };
}

function badType(kind: string, e: RtEntryInput): RangeError {
  return new RangeError(`${kind} "${e.name}": unknown value type ${e.type}`);
}

export function encodeRtMetric(w: XdrWriter, s: RtMetricInput): void {
  w.string(s.datasource);
  w.u32(s.metrics.length);
  for (const m of s.metrics) {
    w.string(m.name);
    w.u32(m.type);
    switch (m.type) {
      case 0:
        w.string(String(m.value));
        break;
      case 1:
      case 3:
        w.u32(Number(m.value));
        break;
      case 2:
      case 4:
        w.u64(typeof m.value === 'bigint' ? m.value : Number(m.value));
        break;
      case 5:
        w.f32(Number(m.value));
        break;
      case 6:
        w.f64(Number(m.value));
        break;
      default:
        throw badType('rtmetric', m);
    }
  }
}

export function encodeRtFlow(w: XdrWriter, s: RtFlowInput): void {
  w.string(s.datasource);
  w.u32(s.samplingRate);
  w.u32(s.samplePool);
  w.u32(s.fields.length);
  for (const f of s.fields) {
    w.string(f.name);
    w.u32(f.type);
    switch (f.type) {
      case 0:
        w.string(String(f.value));
        break;
      case 1:
        w.mac(String(f.value));
        break;
      case 2:
        w.ip4(String(f.value));
        break;
      case 3:
        w.ip6(String(f.value));
        break;
      case 4:
        w.u32(Number(f.value));
        break;
      case 5:
        w.u64(typeof f.value === 'bigint' ? f.value : Number(f.value));
        break;
      case 6:
        w.f32(Number(f.value));
        break;
      case 7:
        w.f64(Number(f.value));
        break;
      default:
        throw badType('rtflow', f);
    }
  }
}
