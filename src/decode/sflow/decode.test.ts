import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { toJson } from '../../common/json.js';
import { XdrWriter } from '../../common/xdr.js';
import { BasicStream } from '../../simulate/basic.js';
import { datagramArbitrary } from '../../testing/sflow-arbitrary.js';
import { DecodeStats } from '../stats.js';
import { decodeSflow } from './decode.js';
import { type DatagramInput, encodeSflow } from './encode.js';
import { SampledHeader, type SflowDatagram } from './types.js';

/** The decoded model minus what the decoder derives (names, flags), in JSON form for comparison. */
function normalize(d: SflowDatagram | DatagramInput): unknown {
  return JSON.parse(toJson(d, undefined), function (this: Record<string, unknown>, key, value: unknown) {
    if (['name', 'reasonName', 'local', 'format', 'protocol', 'version', 'error'].includes(key)) {
      // Keep record formats (they identify the record) but drop derived sample-level fields.
      if (key === 'format' && typeof value === 'string' && 'records' in this === false) return value;
      return undefined;
    }
    return value;
  });
}

function toInput(d: SflowDatagram): unknown {
  return normalize({
    ...d,
    samples: d.samples.map((s) =>
      'records' in s
        ? {
            ...s,
            records: s.records.map((r) =>
              r instanceof SampledHeader
                ? {
                    format: r.format,
                    headerProtocol: r.headerProtocol,
                    frameLength: r.frameLength,
                    stripped: r.stripped,
                    header: r.header,
                  }
                : r,
            ),
          }
        : s,
    ),
  } as SflowDatagram);
}

function decodeOk(buf: Buffer, stats?: DecodeStats): SflowDatagram {
  const d = decodeSflow(buf, stats);
  if (!('samples' in d)) assert.fail(JSON.stringify(d));
  return d;
}

test('encode then decode is the identity for every structure (property)', () => {
  fc.assert(
    fc.property(datagramArbitrary, (input) => {
      const stats = new DecodeStats();
      const d = decodeOk(encodeSflow(input), stats);
      assert.equal(stats.errorCount(), 0, JSON.stringify([...stats.errorsByReason]));
      assert.deepEqual(toInput(d), normalize(input));
    }),
    { numRuns: 3000 },
  );
});

test('decodes the generated realistic stream with its ground truth', () => {
  const stream = new BasicStream({ seed: 7 });
  const stats = new DecodeStats();
  let flowSamples = 0;
  let headers = 0;
  for (let i = 0; i < 500; i++) {
    const d = decodeOk(stream.next(), stats);
    for (const s of d.samples) {
      if (s.type === 'flow_sample') {
        flowSamples++;
        assert.equal(s.samplingRate, 4096);
        for (const r of s.records) if (r instanceof SampledHeader) headers++;
      }
    }
  }
  assert.equal(stats.errorCount(), 0);
  assert.equal(flowSamples, stream.truth.flowSamples);
  assert.equal(headers, stream.truth.flowSamples);
  assert.equal(stats.samples, stream.truth.flowSamples + stream.truth.counterSamples);
});

test('datagram header: IPv6 agent, sub-agent, sequence, uptime', () => {
  const d = decodeOk(
    encodeSflow({ agent: '2001:db8::1', subAgentId: 7, sequence: 99, uptime: 12345, samples: [] }),
  );
  assert.deepEqual(
    [d.agent, d.subAgentId, d.sequence, d.uptime, d.samples.length],
    ['2001:db8::1', 7, 99, 12345, 0],
  );
});

test('rejects what is not sFlow v5 with a reason, never throws', () => {
  const stats = new DecodeStats();
  assert.deepEqual(decodeSflow(Buffer.from([0, 0, 0, 4, 0, 0, 0, 1]), stats), {
    protocol: 'sflow5',
    error: { reason: 'unsupported-version', offset: 0 },
  });
  assert.equal(
    (decodeSflow(Buffer.from([0, 0, 0, 5, 0, 0, 0, 3]), stats) as { error: { reason: string } }).error.reason,
    'bad-agent-address-type',
  );
  assert.equal(
    (decodeSflow(Buffer.from([0, 0, 0, 5, 0, 0, 0, 1, 1, 2]), stats) as { error: { reason: string } }).error
      .reason,
    'truncated-header',
  );
  assert.equal(decodeSflow(Buffer.alloc(0), stats).protocol, 'sflow5');
  assert.equal(stats.errorCount(), 4);
});

test('compact interface encodings: ifIndex, local 0x3FFFFFFF, discard reason, multiple', () => {
  const mk = (output: number) =>
    encodeSflow({
      agent: '10.0.0.1',
      subAgentId: 0,
      sequence: 1,
      uptime: 1,
      samples: [
        {
          type: 'flow_sample',
          sequence: 1,
          sourceIdType: 0,
          sourceIdIndex: 3,
          samplingRate: 1024,
          samplePool: 1024,
          drops: 0,
          input: { format: 0, value: 3 },
          output: { format: output >>> 30, value: output & 0x3fffffff },
          records: [],
        },
      ],
    });
  const out = (v: number) => {
    const s = decodeOk(mk(v)).samples[0];
    if (s.type !== 'flow_sample') assert.fail(s.type);
    return s.output;
  };
  assert.deepEqual(out(5), { format: 0, value: 5 });
  assert.deepEqual(out(0x3fffffff), { format: 0, value: 0x3fffffff, local: true });
  assert.deepEqual(out(0x40000102), { format: 1, value: 258, reasonName: 'acl' });
  assert.deepEqual(out(0x80000007), { format: 2, value: 7 });
});

/** A datagram with one counters sample holding one record of the given format and body. */
function withCounterRecord(format: number, body: Buffer): Buffer {
  const w = new XdrWriter();
  w.u32(5).u32(1).ip4('10.1.1.1').u32(0).u32(1).u32(1).u32(1);
  const sample = new XdrWriter();
  sample.u32(1).u32(4).u32(1).u32(format).u32(body.length).fixedOpaque(body);
  const s = sample.finish();
  w.u32(2).u32(s.length).fixedOpaque(s);
  return w.finish();
}

test('unknown records are kept as {format, length} and skipped by length', () => {
  const d = decodeOk(withCounterRecord((9999 << 12) | 77, Buffer.alloc(12, 0xab)));
  const s = d.samples[0];
  if (s.type !== 'counters_sample') assert.fail(s.type);
  assert.deepEqual(s.records, [{ format: '9999:77', length: 12 }]);
});

test('records longer than known decode the known part (host_cpu 68 and 80 bytes, longer switch)', () => {
  const cpu68 = Buffer.alloc(68);
  cpu68.writeFloatBE(1.5, 0);
  cpu68.writeUInt32BE(8, 20); // cpu_num
  const d68 = decodeOk(withCounterRecord(2003, cpu68)).samples[0];
  if (d68.type !== 'counters_sample') assert.fail(d68.type);
  const r68 = d68.records[0] as Record<string, unknown>;
  assert.equal(r68.name, 'host_cpu');
  assert.equal(r68.loadOne, 1.5);
  assert.equal(Object.keys(r68).length, 2 + 17, 'a 68-byte host_cpu has 17 fields');
  const cpu80 = Buffer.concat([cpu68, Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3])]);
  const r80 = (decodeOk(withCounterRecord(2003, cpu80)).samples[0] as { records: Record<string, unknown>[] })
    .records[0];
  assert.equal(Object.keys(r80).length, 2 + 20, 'an 80-byte host_cpu has 20 fields');
  const longer = Buffer.concat([Buffer.alloc(88, 1), Buffer.alloc(16, 9)]);
  const r = (decodeOk(withCounterRecord(1, longer)).samples[0] as { records: Record<string, unknown>[] })
    .records[0];
  assert.equal(r.name, 'generic_interface_counters');
  assert.equal(r.ifIndex, 0x01010101);
});

test('a truncated record yields an error with reason and offset; the next sample still decodes', () => {
  const bad = withCounterRecord(1, Buffer.alloc(40)); // if_counters needs 88 bytes
  const d = decodeOk(bad);
  const s = d.samples[0];
  if (s.type !== 'counters_sample') assert.fail(s.type);
  assert.equal(s.error?.reason, 'truncated-record');
  assert.equal((s.records[0] as { error: { reason: string } }).error.reason, 'truncated-record');
  assert.ok((s.error?.offset ?? 0) > 28);
});

test('truncation at every offset never throws and keeps every complete sample', () => {
  const stream = new BasicStream({ seed: 3 });
  const buf = stream.next();
  const full = decodeOk(buf);
  for (let cut = 0; cut < buf.length; cut++) {
    const d = decodeSflow(buf.subarray(0, cut));
    if (!('samples' in d)) {
      assert.ok(cut < 28, `header errors only before byte 28, got one at ${cut}`);
      continue;
    }
    const complete = d.samples.filter((s) => !('error' in s));
    for (let i = 0; i < complete.length; i++) assert.equal(complete[i].format, full.samples[i].format);
    if (cut < buf.length) assert.ok(d.error !== undefined || d.samples.some((s) => 'error' in s));
  }
});
