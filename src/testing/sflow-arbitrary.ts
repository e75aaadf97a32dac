/**
 * fast-check generators of sFlow datagrams, derived from the record layouts,
 * so every structure the decoder knows is exercised by round-trip and fuzz
 * tests without a hand-written generator per record.
 */
import fc from 'fast-check';
import { formatIPv6 } from '../common/addr.js';
import { COUNTER_RECORD_LAYOUTS } from '../decode/sflow/counter-records.js';
import type { DatagramInput, RecordInput, SampleInput } from '../decode/sflow/encode.js';
import { FLOW_RECORD_LAYOUTS } from '../decode/sflow/flow-records.js';
import type { FieldRecord, FieldSpec, RecordLayout, ScalarType } from '../decode/sflow/struct.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const ip6 = fc.ipV6().map((a) => canonicalIPv6(a));
const mac = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':'));
/** u64 values as the decoder returns them: numbers when exact, bigints above 2^53. */
const u64 = fc.oneof(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
  fc.constant(2n ** 64n - 1n),
);
const text = fc.string({ maxLength: 40 });
const f32 = fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => Math.fround(x));

/** The text the decoder produces for an address (RFC 5952), so round trips compare equal. */
function canonicalIPv6(a: string): string {
  const bytes = Buffer.alloc(16);
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.some((g) => g.includes('.'))) return '::1';
  for (let i = 0; i < 8; i++) bytes.writeUInt16BE(Number.parseInt(groups[i] ?? '0', 16) || 0, i * 2);
  return formatIPv6(bytes, 0);
}

function scalar(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'u32':
      return u32;
    case 'i32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'u64':
      return u64;
    case 'f32':
      return f32;
    case 'f64':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'ip4':
      return ip4;
    case 'ip6':
      return ip6;
    case 'address':
      return fc.oneof(ip4, ip6, fc.constant(''));
    case 'mac':
      return mac;
    case 'string':
      return text;
    case 'opaque':
      return fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString('hex'));
    case 'uuid':
      return fc.uuid();
    case 'u32[]':
      return fc.array(u32, { maxLength: 6 });
    case 'i32[]':
      return fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { maxLength: 6 });
    case 'mac[]':
      return fc.array(mac, { maxLength: 4 });
  }
}

function fieldsArbitrary(fields: readonly FieldSpec[]): fc.Arbitrary<FieldRecord> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) {
    shape[f.name] =
      f.type === 'struct[]' ? fc.array(fieldsArbitrary(f.of), { maxLength: 3 }) : scalar(f.type);
  }
  return fc.record(shape) as fc.Arbitrary<FieldRecord>;
}

export function recordArbitrary(layout: RecordLayout): fc.Arbitrary<RecordInput> {
  return fieldsArbitrary(layout.fields).map((v) => ({
    ...v,
    format: `${layout.enterprise}:${layout.format}`,
  }));
}

const sampledHeader: fc.Arbitrary<RecordInput> = fc
  .record({
    headerProtocol: fc.constantFrom(1, 11, 12, 18, 7),
    frameLength: u32,
    stripped: fc.nat(64),
    header: fc.uint8Array({ maxLength: 160 }),
  })
  .map((h) => ({ format: '0:1' as const, ...h, header: Buffer.from(h.header) }));

const flowRecord = fc.oneof(sampledHeader, ...FLOW_RECORD_LAYOUTS.map(recordArbitrary));
const counterRecord = fc.oneof(...COUNTER_RECORD_LAYOUTS.map(recordArbitrary));
const iface: fc.Arbitrary<{ format: number; value: number }> = fc.record({
  format: fc.constantFrom(0, 1, 2),
  value: fc.integer({ min: 0, max: 0x3fffffff }),
});
const ids = {
  sequence: u32,
  sourceIdType: fc.nat(255),
  sourceIdIndex: fc.integer({ min: 0, max: 0xffffff }),
};

export const sampleArbitrary: fc.Arbitrary<SampleInput> = fc.oneof(
  fc.record({
    type: fc.constantFrom('flow_sample' as const, 'flow_sample_expanded' as const),
    ...ids,
    samplingRate: u32,
    samplePool: u32,
    drops: u32,
    input: iface,
    output: iface,
    records: fc.array(flowRecord, { maxLength: 5 }),
  }),
  fc.record({
    type: fc.constantFrom('counters_sample' as const, 'counters_sample_expanded' as const),
    ...ids,
    records: fc.array(counterRecord, { maxLength: 5 }),
  }),
  fc.record({
    type: fc.constant('discarded_packet' as const),
    ...ids,
    drops: u32,
    input: u32,
    output: u32,
    reason: fc.oneof(fc.constantFrom(0, 1, 33, 36, 256, 259, 260, 372), u32),
    records: fc.array(flowRecord, { maxLength: 4 }),
  }),
);

export const datagramArbitrary: fc.Arbitrary<DatagramInput> = fc.record({
  agent: fc.oneof(ip4, ip6),
  subAgentId: u32,
  sequence: u32,
  uptime: u32,
  samples: fc.array(sampleArbitrary, { maxLength: 8 }),
});
