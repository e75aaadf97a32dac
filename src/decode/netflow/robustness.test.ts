/** Malformed and vendor-quirky messages: counted errors with reasons, never exceptions, never reads outside the message. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowExportDecoder } from './decoder.js';
import { type ExportSet, encodeIpfix, encodeNetflow5, encodeNetflow9, type TemplateDef } from './encode.js';

const EX = { address: '192.0.2.50', port: 2055 };
const NOW = 1_700_000_000_000;
const T: TemplateDef = {
  id: 256,
  fields: [
    { id: 8, length: 4 },
    { id: 2, length: 4 },
  ],
};
const tplSet: ExportSet = { type: 'template', templates: [T] };
const dataSet = (n: number): ExportSet => ({
  type: 'data',
  template: T,
  records: Array.from({ length: n }, (_, i) => ['10.0.0.1', i]),
});
const reasons = (m: { errors: { reason: string }[] }) => m.errors.map((e) => e.reason);

test('PAN-OS zero fill: a set length of 0 ends the message without an error (and without looping)', () => {
  const v9 = encodeNetflow9({ sets: [tplSet, dataSet(2)] });
  const padded = Buffer.concat([v9, Buffer.alloc(1000)]);
  const d = new FlowExportDecoder();
  const m = d.decode(padded, EX, NOW);
  assert.deepEqual(m.errors, []);
  assert.equal(m.records.length, 2);
  assert.equal(d.stats.zeroFilled, 1);
  // Non-zero garbage with a short set length is an error.
  const garbage = Buffer.concat([v9, Buffer.from([1, 2, 0, 3, 9, 9, 9])]);
  assert.deepEqual(reasons(d.decode(garbage, EX, NOW)), ['bad-set-length']);
});

test('IPFIX: parsing is bounded by both the message length and the payload', () => {
  const msg = encodeIpfix({ sets: [tplSet, dataSet(3)] });
  const d = new FlowExportDecoder();
  // Payload cut short (length says more): sets inside the payload decode, the cut one is reported.
  const cut = msg.subarray(0, msg.length - 6);
  const m1 = d.decode(cut, EX, NOW);
  assert.deepEqual(reasons(m1), ['message-length-exceeds-payload', 'set-length-exceeds-message']);
  assert.equal(m1.templates.length, 1);
  // Payload longer than the message: the bytes after `length` are not parsed.
  const longer = Buffer.concat([msg, encodeIpfix({ sets: [dataSet(5)] }).subarray(16)]);
  const m2 = d.decode(longer, EX, NOW);
  assert.deepEqual(reasons(m2), ['payload-longer-than-message']);
  assert.equal(m2.records.length, 3);
  // A length below the header size.
  const bad = Buffer.from(msg);
  bad.writeUInt16BE(8, 2);
  assert.deepEqual(reasons(d.decode(bad, EX, NOW)), ['bad-message-length']);
});

test('truncated headers, unknown versions, short v5 packets', () => {
  const d = new FlowExportDecoder();
  assert.deepEqual(reasons(d.decode(Buffer.from([0, 10, 0, 16]), EX, NOW)), ['truncated-header']);
  assert.deepEqual(reasons(d.decode(Buffer.from([0, 9, 0]), EX, NOW)), ['truncated-header']);
  assert.deepEqual(reasons(d.decode(Buffer.from([0, 5]), EX, NOW)), ['truncated-header']);
  assert.deepEqual(reasons(d.decode(Buffer.from([0, 7, 0, 0]), EX, NOW)), ['unsupported-version']);
  assert.deepEqual(reasons(d.decode(Buffer.alloc(0), EX, NOW)), ['truncated-header']);
  const v5 = encodeNetflow5({ records: [{ srcAddr: '1.1.1.1' }, { srcAddr: '2.2.2.2' }], count: 5 });
  const m = d.decode(v5, EX, NOW);
  assert.deepEqual(reasons(m), ['truncated-records']);
  assert.equal(m.records.length, 2);
  assert.equal(d.stats.messages.unknown, 2);
});

test('damaged template sets: truncated, bad IDs, bad scope counts, too many fields; later sets still decode', () => {
  const d = new FlowExportDecoder({ templates: { maxFieldsPerTemplate: 8 } });
  const truncated = encodeIpfix({
    sets: [{ type: 'raw', setId: 2, body: Uint8Array.of(1, 0, 0, 3, 0, 8, 0, 4) }],
  });
  assert.deepEqual(reasons(d.decode(truncated, EX, NOW)), ['truncated-template']);
  const badId = encodeIpfix({
    sets: [{ type: 'raw', setId: 2, body: Uint8Array.of(0, 7, 0, 1, 0, 8, 0, 4) }],
  });
  assert.deepEqual(reasons(d.decode(badId, EX, NOW)), ['bad-template-id']);
  const badScope = encodeIpfix({
    sets: [{ type: 'raw', setId: 3, body: Uint8Array.of(1, 0, 0, 1, 0, 0, 0, 8, 0, 4) }, tplSet, dataSet(1)],
  });
  const m = d.decode(badScope, EX, NOW);
  assert.deepEqual(reasons(m), ['bad-scope-count']);
  assert.equal(m.records.length, 1);
  const wide: TemplateDef = {
    id: 300,
    fields: Array.from({ length: 9 }, (_, i) => ({ id: i + 1, length: 1 })),
  };
  assert.deepEqual(
    reasons(d.decode(encodeIpfix({ sets: [{ type: 'template', templates: [wide] }] }), EX, NOW)),
    ['too-many-fields'],
  );
  const v9opts = encodeNetflow9({
    sets: [{ type: 'raw', setId: 1, body: Uint8Array.of(1, 0, 0, 3, 0, 4, 0, 1, 0, 4) }],
  });
  assert.deepEqual(reasons(d.decode(v9opts, EX, NOW)), ['bad-options-template']);
  const reserved = encodeIpfix({
    sets: [{ type: 'raw', setId: 7, body: Uint8Array.of(1, 2, 3, 4) }, tplSet, dataSet(1)],
  });
  const r = d.decode(reserved, EX, NOW);
  assert.deepEqual(reasons(r), ['reserved-set-id']);
  assert.equal(r.records.length, 1);
});

test('a variable-length field running past its set is a truncated record; records before it are kept', () => {
  const t: TemplateDef = {
    id: 260,
    fields: [
      { id: 8, length: 4 },
      { id: 82, length: 65535 },
    ],
  };
  const msg = encodeIpfix({
    sets: [
      { type: 'template', templates: [t] },
      {
        type: 'data',
        template: t,
        records: [
          ['1.1.1.1', 'a'],
          ['2.2.2.2', 'bbbb'],
        ],
      },
    ],
  });
  // The second record's length byte claims 200 bytes.
  const at = msg.length - 5;
  const bad = Buffer.from(msg);
  bad[at] = 200;
  const m = new FlowExportDecoder().decode(bad, EX, NOW);
  assert.deepEqual(reasons(m), ['truncated-record']);
  assert.equal(m.records.length, 1);
  assert.ok(m.errors[0]!.offset < bad.length);
});

test('set padding: zero bytes shorter than a record are padding, counted by length', () => {
  const d = new FlowExportDecoder();
  const msg = encodeNetflow9({
    sets: [tplSet, { ...dataSet(2), padding: 3 } as ExportSet, { ...dataSet(1), padding: 1 } as ExportSet],
  });
  const m = d.decode(msg, EX, NOW);
  assert.deepEqual(m.errors, []);
  assert.equal(m.records.length, 3);
  assert.deepEqual([...d.stats.paddingBytes].sort(), [
    [1, 1],
    [3, 1],
  ]);
});

test('decoding a message inside a larger buffer never reads outside it', () => {
  const msg = encodeIpfix({ sets: [tplSet, dataSet(2)] });
  const big = Buffer.alloc(msg.length + 200, 0xee);
  msg.copy(big, 100);
  const view = big.subarray(100, 100 + msg.length);
  const a = new FlowExportDecoder().decode(view, EX, NOW);
  const b = new FlowExportDecoder().decode(Buffer.from(msg), EX, NOW);
  assert.deepEqual(a, b);
  // Cut at every length: never throws, errors stay inside the message.
  const d = new FlowExportDecoder();
  d.decode(msg, EX, NOW);
  for (let n = 0; n <= msg.length; n++) {
    const m = d.decode(big.subarray(100, 100 + n), EX, NOW);
    for (const e of m.errors) assert.ok(e.offset >= 0 && e.offset <= n, `${e.reason} at ${e.offset} of ${n}`);
  }
});
