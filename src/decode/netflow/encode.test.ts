/** The message builder: wire layout, sequence keeping, and round trips through the decoder. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowExportDecoder } from './decoder.js';
import { ExportBuilder, encodeIpfix, encodeNetflow9, encodeRecord, type TemplateDef } from './encode.js';

const EX = { address: '192.0.2.99', port: 1 };
const T: TemplateDef = {
  id: 256,
  fields: [
    { id: 8, length: 4 },
    { id: 1, length: 8 },
    { id: 232, length: 2, pen: 2011 },
  ],
};

test('IPFIX layout: header, template set with an enterprise specifier, data set with padding', () => {
  const msg = encodeIpfix({
    exportTime: 0x01020304,
    sequence: 5,
    observationDomain: 6,
    sets: [
      { type: 'template', templates: [T] },
      { type: 'data', template: T, records: [['10.0.0.1', 9, 'abcd']], padding: 2 },
    ],
  });
  assert.equal(msg.readUInt16BE(0), 10);
  assert.equal(msg.readUInt16BE(2), msg.length);
  assert.deepEqual([msg.readUInt32BE(4), msg.readUInt32BE(8), msg.readUInt32BE(12)], [0x01020304, 5, 6]);
  // Template set: id 2, length 4 + 4 + 4 + 4 + 8.
  assert.deepEqual([msg.readUInt16BE(16), msg.readUInt16BE(18)], [2, 24]);
  assert.equal(msg.readUInt16BE(32), 232 | 0x8000);
  assert.equal(msg.readUInt32BE(36), 2011);
  // Data set: 4 + 14 + 2 padding.
  assert.deepEqual([msg.readUInt16BE(40), msg.readUInt16BE(42)], [256, 20]);
  assert.deepEqual([...msg.subarray(44, 48)], [10, 0, 0, 1]);
  assert.deepEqual(
    [...encodeRecord(T, ['1.2.3.4', 1, 'ffff'])],
    [1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 1, 255, 255],
  );
});

test('NetFlow v9 count defaults to template + data records; v9 options templates use byte lengths', () => {
  const opts: TemplateDef = {
    id: 257,
    scopeCount: 1,
    fields: [
      { id: 1, length: 4 },
      { id: 34, length: 4 },
    ],
  };
  const msg = encodeNetflow9({
    sets: [
      { type: 'template', templates: [T] },
      { type: 'options-template', templates: [opts] },
      { type: 'data', template: opts, records: [[0, 100]] },
    ],
  });
  assert.equal(msg.readUInt16BE(2), 3);
  const m = new FlowExportDecoder().decode(msg, EX, 0);
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.records[0]!.fields, { scopeSystem: 0, samplingInterval: 100 });
  assert.deepEqual(
    m.templates.map((t) => [t.id, t.options, t.scopeCount, t.fields.length]),
    [
      [256, false, 0, 3],
      [257, true, 1, 2],
    ],
  );
});

test('ExportBuilder keeps sequence numbers as exporters do: IPFIX data records, v9 packets', () => {
  const d = new FlowExportDecoder();
  for (const protocol of ['ipfix', 'netflow9'] as const) {
    const b = new ExportBuilder({ protocol, domain: 3, sequence: 100 });
    b.define(T);
    const now = 1_700_000_000_000;
    const m1 = d.decode(b.message(now, [], true), EX, now);
    const m2 = d.decode(
      b.message(now + 1000, [{ type: 'data', template: T, records: [['1.1.1.1', 1, '00']] }]),
      EX,
      now,
    );
    const m3 = d.decode(
      b.message(now + 2000, [{ type: 'data', template: T, records: [['1.1.1.1', 1, '00']] }]),
      EX,
      now,
    );
    assert.deepEqual(
      [m1.sequence, m2.sequence, m3.sequence],
      protocol === 'ipfix' ? [100, 100, 101] : [100, 101, 102],
    );
    assert.equal(m3.records.length, 1);
    if (protocol === 'netflow9') assert.equal(m3.sysUptime, 2000);
  }
  assert.deepEqual(
    d.sequences.list().map((s) => [s.protocol, s.missing, s.late, s.resets]),
    [
      ['ipfix', 0, 0, 0],
      ['netflow9', 0, 0, 0],
    ],
  );
});

test('the builder refuses what does not fit the wire format', () => {
  const big: TemplateDef = { id: 300, fields: [{ id: 315, length: 65535 }] };
  assert.throws(
    () =>
      encodeIpfix({
        sets: [
          { type: 'data', template: big, records: Array.from({ length: 3 }, () => [new Uint8Array(30_000)]) },
        ],
      }),
    RangeError,
  );
});
