import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { XdrReader, XdrWriter } from '../../common/xdr.js';
import {
  decodeRtFlow,
  decodeRtMetric,
  encodeRtFlow,
  encodeRtMetric,
  RT_FLOW_TYPES,
  RT_METRIC_TYPES,
  RTFLOW_FORMAT,
  RTMETRIC_FORMAT,
  type RtFlowSample,
  type RtMetricSample,
} from './rt.js';

function encodeRtBody(s: RtMetricSample | RtFlowSample): Buffer {
  const w = new XdrWriter(64);
  if (s.type === 'rtmetric') encodeRtMetric(w, s);
  else encodeRtFlow(w, s);
  return w.finish();
}

const fromHex = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

const METRIC: RtMetricSample = {
  type: 'rtmetric',
  format: '4300:1002',
  datasource: 'web-01',
  metrics: [
    { name: 'app', type: 0, value: 'checkout' },
    { name: 'requests', type: 1, value: 4000000000 },
    { name: 'bytes', type: 2, value: 0x0123456789abcdefn },
    { name: 'sessions', type: 3, value: 17 },
    { name: 'heap', type: 4, value: 6442450944 },
    { name: 'load', type: 5, value: 0.75 },
    { name: 'ratio', type: 6, value: 0.1234567890123 },
  ],
};

const FLOW: RtFlowSample = {
  type: 'rtflow',
  format: '4300:1003',
  datasource: 'eth0',
  samplingRate: 1000,
  samplePool: 123456,
  fields: [
    { name: 'proto', type: 0, value: 'tcp' },
    { name: 'smac', type: 1, value: '00:16:3e:01:02:03' },
    { name: 'src', type: 2, value: '198.51.100.7' },
    { name: 'dst6', type: 3, value: '2001:db8::42' },
    { name: 'port', type: 4, value: 443 },
    { name: 'bytes', type: 5, value: 9007199254740993n },
    { name: 'rtt', type: 6, value: 1.5 },
    { name: 'jitter', type: 7, value: 2.25e-3 },
  ],
};

function roundTrip<T>(body: Buffer, decode: (r: XdrReader) => T): T {
  const r = new XdrReader(body);
  const out = decode(r);
  assert.equal(r.overrun, false);
  assert.equal(r.pos, body.length);
  return out;
}

describe('rtmetric (4300:1002)', () => {
  test('data formats and type code tables', () => {
    assert.equal(RTMETRIC_FORMAT, (4300 << 12) | 1002);
    assert.equal(RTFLOW_FORMAT, (4300 << 12) | 1003);
    assert.equal(RT_METRIC_TYPES[2], 'counter64');
    assert.equal(RT_FLOW_TYPES[1], 'mac');
  });

  test('the encoder accepts loosely typed entries and rejects unknown type codes', () => {
    const w = new XdrWriter(16);
    encodeRtMetric(w, { datasource: 'x', metrics: [{ name: 'n', type: 2, value: 5 }] });
    const s = decodeRtMetric(new XdrReader(w.finish()));
    assert.deepEqual(s.metrics, [{ name: 'n', type: 2, value: 5 }]);
    assert.throws(
      () =>
        encodeRtMetric(new XdrWriter(16), { datasource: 'x', metrics: [{ name: 'n', type: 9, value: 5 }] }),
      RangeError,
    );
    assert.throws(
      () =>
        encodeRtFlow(new XdrWriter(16), {
          datasource: 'x',
          samplingRate: 1,
          samplePool: 1,
          fields: [{ name: 'n', type: 8, value: 5 }],
        }),
      RangeError,
    );
  });

  test('round trip of every value type', () => {
    const body = encodeRtBody(METRIC);
    assert.deepEqual(roundTrip(body, decodeRtMetric), METRIC);
    const w = new XdrWriter(16);
    encodeRtMetric(w, roundTrip(body, decodeRtMetric));
    assert.deepEqual(w.finish(), body);
  });

  test('hand-assembled bytes', () => {
    const hex = [
      '00000002 6831 0000', // datasource "h1"
      '00000002', // two metrics
      '00000003 637075 00 00000005 3f400000', // "cpu" gaugeFloat 0.75
      '00000001 6e 000000 00000002 00000001 00000000', // "n" counter64 2^32
    ].join(' ');
    const s = roundTrip(fromHex(hex), decodeRtMetric);
    assert.deepEqual(s, {
      type: 'rtmetric',
      format: '4300:1002',
      datasource: 'h1',
      metrics: [
        { name: 'cpu', type: 5, value: 0.75 },
        { name: 'n', type: 2, value: 4294967296 },
      ],
    });
    assert.equal(encodeRtBody(s).toString('hex'), fromHex(hex).toString('hex'));
  });

  test('an unknown type code stops decoding and marks an overrun', () => {
    const hex = [
      '00000000',
      '00000002',
      '00000001 61000000 00000001 00000007',
      '00000001 62000000 00000009 00000000',
    ];
    const r = new XdrReader(fromHex(hex.join('')));
    const s = decodeRtMetric(r);
    assert.equal(r.overrun, true);
    assert.deepEqual(s.metrics, [{ name: 'a', type: 1, value: 7 }]);
  });

  test('a hostile count does not allocate or overrun silently', () => {
    const r = new XdrReader(fromHex('00000000 7fffffff 00000000'));
    const s = decodeRtMetric(r);
    assert.equal(r.overrun, true);
    assert.deepEqual(s.metrics, []);
  });
});

describe('rtflow (4300:1003)', () => {
  test('round trip of every value type', () => {
    const body = encodeRtBody(FLOW);
    assert.deepEqual(roundTrip(body, decodeRtFlow), FLOW);
    const w = new XdrWriter(16);
    encodeRtFlow(w, roundTrip(body, decodeRtFlow));
    assert.deepEqual(w.finish(), body);
  });

  test('hand-assembled bytes: MAC padded to 8, IPv4, IPv6', () => {
    const hex = [
      '00000000', // empty datasource
      '00000064 00002710', // sampling rate 100, pool 10000
      '00000003', // three fields
      '00000001 6d000000 00000001 0016 3e010203 0000', // "m" mac
      '00000001 73000000 00000002 c6336407', // "s" ipv4 198.51.100.7
      '00000001 64000000 00000003 20010db8 00000000 00000000 00000042', // "d" ipv6 2001:db8::42
    ].join(' ');
    const s = roundTrip(fromHex(hex), decodeRtFlow);
    assert.deepEqual(s, {
      type: 'rtflow',
      format: '4300:1003',
      datasource: '',
      samplingRate: 100,
      samplePool: 10000,
      fields: [
        { name: 'm', type: 1, value: '00:16:3e:01:02:03' },
        { name: 's', type: 2, value: '198.51.100.7' },
        { name: 'd', type: 3, value: '2001:db8::42' },
      ],
    });
    assert.equal(encodeRtBody(s).toString('hex'), fromHex(hex).toString('hex'));
  });

  test('an unknown type code stops decoding and marks an overrun', () => {
    const hex = '00000000 00000001 00000002 00000002 00000001 61000000 00000008 00000000 00000000';
    const r = new XdrReader(fromHex(hex));
    const s = decodeRtFlow(r);
    assert.equal(r.overrun, true);
    assert.deepEqual(s.fields, []);
  });
});

test('random bytes never throw and never move the cursor past the end', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, flow) => {
      const r = new XdrReader(Buffer.from(bytes));
      if (flow) decodeRtFlow(r);
      else decodeRtMetric(r);
      assert.ok(r.pos <= r.end);
    }),
    { numRuns: 2000 },
  );
});
