/**
 * sFlow v5 encoder for every structure the decoder knows. It takes the decoded
 * model, so `decodeSflow(encodeSflow(d))` reproduces `d`; the simulator, the
 * benchmarks, the tests and the host agent all build datagrams with it.
 */
import { XdrWriter } from '../../common/xdr.js';
import { COUNTER_RECORD_LAYOUTS } from './counter-records.js';
import { FLOW_RECORD_LAYOUTS } from './flow-records.js';
import { encodeRtFlow, encodeRtMetric } from './rt.js';
import { encodeAddress, encodeFields, type FieldRecord, type RecordLayout } from './struct.js';
import type { SflowInterface } from './types.js';

/** A sampled_header to encode: the decoded `SampledHeader` class satisfies it. */
export interface SampledHeaderInput {
  format: '0:1';
  headerProtocol: number;
  frameLength: number;
  stripped: number;
  header: Uint8Array;
}

/** Any record with its body given as bytes (e.g. a structure flowlens has no layout for). */
export interface RawRecordInput {
  format: string;
  body: Uint8Array;
}

export type RecordInput = SampledHeaderInput | RawRecordInput | (FieldRecord & { format: string });

interface SampleIds {
  sequence: number;
  sourceIdType: number;
  sourceIdIndex: number;
}

export type SampleInput =
  | (SampleIds & {
      type: 'flow_sample' | 'flow_sample_expanded';
      samplingRate: number;
      samplePool: number;
      drops: number;
      input: SflowInterface;
      output: SflowInterface;
      records: RecordInput[];
    })
  | (SampleIds & { type: 'counters_sample' | 'counters_sample_expanded'; records: RecordInput[] })
  | (SampleIds & {
      type: 'discarded_packet';
      drops: number;
      input: number;
      output: number;
      reason: number;
      records: RecordInput[];
    })
  | {
      type: 'rtmetric';
      datasource: string;
      metrics: { name: string; type: number; value: string | number | bigint }[];
    }
  | {
      type: 'rtflow';
      datasource: string;
      samplingRate: number;
      samplePool: number;
      fields: { name: string; type: number; value: string | number | bigint }[];
    }
  | { type: 'raw'; format: string; body: Uint8Array };

export interface DatagramInput {
  agent: string;
  subAgentId: number;
  sequence: number;
  uptime: number;
  samples: SampleInput[];
}

function byFormat(layouts: readonly RecordLayout[]): Map<string, RecordLayout> {
  return new Map(layouts.map((l) => [`${l.enterprise}:${l.format}`, l]));
}
const FLOW = byFormat(FLOW_RECORD_LAYOUTS);
const COUNTER = byFormat(COUNTER_RECORD_LAYOUTS);

export function parseFormat(text: string): number {
  const [ent, fmt] = text.split(':');
  return ((Number(ent) << 12) | Number(fmt)) >>> 0;
}

export function encodeSflow(d: DatagramInput): Buffer {
  const w = new XdrWriter(1500);
  w.u32(5);
  encodeAddress(w, d.agent);
  w.u32(d.subAgentId).u32(d.sequence).u32(d.uptime).u32(d.samples.length);
  for (const s of d.samples) encodeSample(w, s);
  return w.finish();
}

/** Writes a TLV: data_format, a length patched after the body, the body. */
function tlv(w: XdrWriter, format: number, body: () => void): void {
  w.u32(format);
  const lengthAt = w.placeholder();
  const start = w.length;
  body();
  w.patchU32(lengthAt, w.length - start);
}

function encodeSample(w: XdrWriter, s: SampleInput): void {
  switch (s.type) {
    case 'flow_sample':
    case 'flow_sample_expanded': {
      const expanded = s.type === 'flow_sample_expanded';
      tlv(w, expanded ? 3 : 1, () => {
        w.u32(s.sequence);
        if (expanded) w.u32(s.sourceIdType).u32(s.sourceIdIndex);
        else w.u32(((s.sourceIdType << 24) | (s.sourceIdIndex & 0xffffff)) >>> 0);
        w.u32(s.samplingRate).u32(s.samplePool).u32(s.drops);
        if (expanded) {
          w.u32(s.input.format).u32(s.input.value).u32(s.output.format).u32(s.output.value);
        } else {
          w.u32(compactInterface(s.input)).u32(compactInterface(s.output));
        }
        encodeRecords(w, s.records, FLOW);
      });
      return;
    }
    case 'counters_sample':
    case 'counters_sample_expanded': {
      const expanded = s.type === 'counters_sample_expanded';
      tlv(w, expanded ? 4 : 2, () => {
        w.u32(s.sequence);
        if (expanded) w.u32(s.sourceIdType).u32(s.sourceIdIndex);
        else w.u32(((s.sourceIdType << 24) | (s.sourceIdIndex & 0xffffff)) >>> 0);
        encodeRecords(w, s.records, COUNTER);
      });
      return;
    }
    case 'discarded_packet':
      tlv(w, 5, () => {
        w.u32(s.sequence).u32(s.sourceIdType).u32(s.sourceIdIndex).u32(s.drops);
        w.u32(s.input).u32(s.output).u32(s.reason);
        encodeRecords(w, s.records, FLOW);
      });
      return;
    case 'rtmetric':
      tlv(w, parseFormat('4300:1002'), () => encodeRtMetric(w, s));
      return;
    case 'rtflow':
      tlv(w, parseFormat('4300:1003'), () => encodeRtFlow(w, s));
      return;
    case 'raw':
      tlv(w, parseFormat(s.format), () => w.fixedOpaque(s.body));
      return;
  }
}

function compactInterface(i: SflowInterface): number {
  return (((i.format & 3) << 30) | (i.value & 0x3fffffff)) >>> 0;
}

function encodeRecords(w: XdrWriter, records: RecordInput[], layouts: Map<string, RecordLayout>): void {
  w.u32(records.length);
  for (const rec of records) {
    tlv(w, parseFormat(rec.format), () => {
      if ('body' in rec && rec.body instanceof Uint8Array) {
        w.fixedOpaque(rec.body);
      } else if (rec.format === '0:1' && layouts === FLOW) {
        const h = rec as SampledHeaderInput;
        w.u32(h.headerProtocol).u32(h.frameLength).u32(h.stripped).opaque(h.header);
      } else {
        const layout = layouts.get(rec.format);
        if (layout === undefined) throw new Error(`no layout to encode record ${rec.format}`);
        encodeFields(w, layout.fields, rec as FieldRecord);
      }
    });
  }
}
