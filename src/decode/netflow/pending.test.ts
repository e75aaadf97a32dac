/** Data before its template: held (bounded), decoded when the template arrives, or expired. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowExportDecoder } from './decoder.js';
import { type ExportSet, encodeIpfix, encodeNetflow9, type TemplateDef } from './encode.js';

const EX = { address: '192.0.2.7', port: 4739 };
const NOW = 1_700_000_000_000;
const T: TemplateDef = {
  id: 256,
  fields: [
    { id: 8, length: 4 },
    { id: 2, length: 4 },
  ],
};
const data = (records: (string | number)[][]): ExportSet => ({ type: 'data', template: T, records });
const ipfix = (sets: ExportSet[], sequence = 0) => encodeIpfix({ observationDomain: 1, sequence, sets });

test('data before its template is held and decoded, marked deferred, with the message that brings the template', () => {
  const d = new FlowExportDecoder();
  const early = d.decode(
    ipfix([
      data([
        ['10.0.0.1', 1],
        ['10.0.0.2', 2],
      ]),
    ]),
    EX,
    NOW,
  );
  assert.equal(early.records.length, 0);
  assert.deepEqual(early.errors, [
    { reason: 'unknown-template', offset: 16, setId: 256, templateId: 256, held: true },
  ]);
  assert.equal(d.pending.size, 1);

  const m = d.decode(
    ipfix([{ type: 'template', templates: [T] }, data([['10.0.0.3', 3]])], 2),
    EX,
    NOW + 1000,
  );
  assert.deepEqual(m.errors, []);
  assert.deepEqual(
    m.records.map((r) => [r.fields.sourceIPv4Address, r.deferred]),
    [
      ['10.0.0.1', true],
      ['10.0.0.2', true],
      ['10.0.0.3', undefined],
    ],
  );
  assert.equal(m.records[0]!.keys?.ipsource, '10.0.0.1');
  assert.equal(d.stats.deferredRecords, 2);
  assert.deepEqual({ ...d.pending.counters }, { held: 1, decoded: 1, expired: 0, dropped: 0 });
  assert.equal(d.pending.size, 0);
});

test('held data keeps the timing of its own message (NetFlow v9 uptime)', () => {
  const t: TemplateDef = { id: 300, fields: [{ id: 22, length: 4 }] };
  const d = new FlowExportDecoder();
  d.decode(
    encodeNetflow9({
      sysUptime: 5000,
      unixSecs: 1000,
      sets: [{ type: 'data', template: t, records: [[4000]] }],
    }),
    EX,
    NOW,
  );
  const m = d.decode(
    encodeNetflow9({ sysUptime: 9000, unixSecs: 2000, sets: [{ type: 'template', templates: [t] }] }),
    EX,
    NOW,
  );
  assert.equal(m.records[0]!.start, 1_000_000 - 1000);
  assert.equal(m.records[0]!.deferred, true);
});

test('held data expires after the timeout and is counted', () => {
  const d = new FlowExportDecoder({ pending: { maxAgeMs: 30_000 } });
  d.decode(ipfix([data([['10.0.0.1', 1]])]), EX, NOW);
  d.decode(ipfix([]), EX, NOW + 31_000); // housekeeping
  assert.equal(d.pending.counters.expired, 1);
  const m = d.decode(ipfix([{ type: 'template', templates: [T] }]), EX, NOW + 32_000);
  assert.equal(m.records.length, 0);
  // End of input: whatever is still held is counted as expired.
  d.decode(
    ipfix([{ type: 'data', template: { ...T, id: 999 }, records: [['1.1.1.1', 1]] }]),
    EX,
    NOW + 33_000,
  );
  assert.equal(d.flushPending(), 1);
  assert.equal(d.pending.counters.expired, 2);
});

test('held data is bounded per exporter (sets and bytes) and in total; holding can be disabled', () => {
  const d = new FlowExportDecoder({
    pending: { maxSetsPerExporter: 3, maxBytesPerExporter: 1000, maxBytes: 1500 },
  });
  for (let i = 0; i < 5; i++) d.decode(ipfix([data([['10.0.0.1', i]])]), EX, NOW);
  assert.equal(d.pending.size, 3);
  assert.equal(d.pending.counters.dropped, 2);
  const big = Array.from({ length: 100 }, (_, i) => ['10.0.0.1', i]);
  const m = d.decode(ipfix([data(big)]), EX, NOW); // 800 bytes: pushes out older sets of this exporter
  assert.equal(m.errors[0]!.held, true);
  assert.ok(d.pending.heldBytes <= 1000);
  const huge = Array.from({ length: 200 }, (_, i) => ['10.0.0.1', i]);
  assert.equal(
    d.decode(ipfix([data(huge)]), EX, NOW).errors[0]!.held,
    false,
    'larger than the per-exporter budget',
  );
  for (let e = 0; e < 4; e++) d.decode(ipfix([data(big)]), { address: `10.9.9.${e}`, port: 1 }, NOW);
  assert.ok(d.pending.heldBytes <= 1500);

  const off = new FlowExportDecoder({ pending: false });
  assert.equal(off.decode(ipfix([data([['10.0.0.1', 1]])]), EX, NOW).errors[0]!.held, false);
  assert.equal(off.pending.size, 0);
});
