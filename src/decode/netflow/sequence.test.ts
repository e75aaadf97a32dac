/** Sequence numbers: IPFIX counts data records per (session, domain), v9 packets per (exporter, source ID), v5 flows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowExportDecoder } from './decoder.js';
import { type ExportSet, encodeIpfix, encodeNetflow5, encodeNetflow9, type TemplateDef } from './encode.js';
import { SequenceTracker } from './sequence.js';

const EX = { address: '192.0.2.9', port: 50109 };
const NOW = 1_700_000_000_000;
const T: TemplateDef = { id: 256, fields: [{ id: 2, length: 4 }] };
const recs = (n: number) => Array.from({ length: n }, (_, i) => [i]);
const dataSet = (n: number): ExportSet => ({ type: 'data', template: T, records: recs(n) });

test('IPFIX: the sequence counts data records, not templates, per observation domain', () => {
  const d = new FlowExportDecoder();
  const send = (domain: number, sequence: number, sets: ExportSet[]) =>
    d.decode(encodeIpfix({ observationDomain: domain, sequence, sets }), EX, NOW);
  // The pattern of ipfix_cisco_two_observation_domains: template message, then data with the same sequence.
  send(851968, 4210974, [{ type: 'template', templates: [T] }]);
  send(851968, 4210974, [dataSet(4)]);
  send(851968, 4210978, [dataSet(2)]);
  send(917504, 1058772, [{ type: 'template', templates: [T] }]);
  send(917504, 1058772, [dataSet(2)]);
  send(917504, 1058774, [dataSet(1)]);
  let s = d.sequences.list();
  assert.deepEqual(
    s.map((x) => [x.domain, x.expected, x.missing, x.late, x.resets]),
    [
      [851968, 4210980, 0, 0, 0],
      [917504, 1058775, 0, 0, 0],
    ],
  );
  send(851968, 4210990, [dataSet(1)]); // 10 records lost
  send(851968, 4210985, [dataSet(1)]); // late (reordered)
  send(851968, 4210991, [dataSet(1)]);
  send(851968, 5, [dataSet(1)]); // exporter restart
  s = d.sequences.list();
  assert.deepEqual([s[0]!.missing, s[0]!.late, s[0]!.resets, s[0]!.expected], [10, 1, 1, 6]);
  assert.deepEqual(
    { ...d.sequences.totals, streams: 2 },
    { streams: 2, messages: 10, missing: 10, late: 1, resets: 1 },
  );
});

test('IPFIX: a data set with an unknown template makes the count unknown; the next message re-synchronises', () => {
  const d = new FlowExportDecoder();
  d.decode(
    encodeIpfix({
      sequence: 100,
      sets: [{ type: 'data', template: { id: 999, fields: [{ id: 2, length: 4 }] }, records: recs(3) }],
    }),
    EX,
    NOW,
  );
  d.decode(encodeIpfix({ sequence: 103, sets: [{ type: 'template', templates: [T] }, dataSet(2)] }), EX, NOW);
  d.decode(encodeIpfix({ sequence: 105, sets: [dataSet(1)] }), EX, NOW);
  const [s] = d.sequences.list();
  assert.deepEqual([s!.missing, s!.late, s!.resets, s!.expected], [0, 0, 0, 106]);
});

test('NetFlow v9: the sequence counts packets per source ID; v5 counts flows per engine', () => {
  const d = new FlowExportDecoder();
  for (const [sourceId, seq] of [
    [2081, 10],
    [2193, 500],
    [2081, 11],
    [2081, 14],
    [2193, 501],
  ] as const) {
    d.decode(encodeNetflow9({ sourceId, sequence: seq, sets: [] }), EX, NOW);
  }
  const v9 = d.sequences.list();
  assert.deepEqual(
    v9.map((s) => [s.protocol, s.domain, s.missing, s.expected]),
    [
      ['netflow9', 2081, 2, 15],
      ['netflow9', 2193, 0, 502],
    ],
  );
  const v5 = (sequence: number, n: number) =>
    encodeNetflow5({
      sequence,
      engineId: 1,
      records: Array.from({ length: n }, () => ({ srcAddr: '1.1.1.1' })),
    });
  d.decode(v5(1000, 30), EX, NOW);
  d.decode(v5(1030, 5), EX, NOW);
  d.decode(v5(1040, 1), EX, NOW);
  const s5 = d.sequences.list().find((s) => s.protocol === 'netflow5')!;
  assert.deepEqual([s5.domain, s5.missing, s5.expected], [1, 5, 1041]);
});

test('an early restart: a run of messages behind is a reset; so is a v9 uptime that went back', () => {
  const t = new SequenceTracker({ lateRun: 3 });
  t.observe('k', 'ipfix', 'a', 1, 0, 5000, 1);
  for (const seq of [1, 2, 3, 4]) t.observe('k', 'ipfix', 'a', 1, 0, seq, 1);
  const [s] = t.list();
  assert.deepEqual([s!.late, s!.resets, s!.expected, s!.missing], [2, 1, 5, 0]);

  const d = new FlowExportDecoder();
  const v9 = (sequence: number, sysUptime: number) => encodeNetflow9({ sequence, sysUptime, sets: [] });
  d.decode(v9(900, 3_600_000), EX, NOW);
  d.decode(v9(895, 3_590_000), EX, NOW); // reordered: late
  d.decode(v9(5, 20_000), EX, NOW); // rebooted
  d.decode(v9(6, 21_000), EX, NOW);
  const [r] = d.sequences.list();
  assert.deepEqual([r!.late, r!.resets, r!.missing, r!.expected], [1, 1, 0, 7]);
});

test('sequence arithmetic wraps at 2^32', () => {
  const t = new SequenceTracker();
  t.observe('k', 'ipfix', 'a', 1, 0, 4294967290, 10);
  t.observe('k', 'ipfix', 'a', 1, 0, 4, 1);
  t.observe('k', 'ipfix', 'a', 1, 0, 7, 1); // 2 lost across nothing special
  const [s] = t.list();
  assert.deepEqual([s!.missing, s!.late, s!.resets, s!.expected], [2, 0, 0, 8]);
});
