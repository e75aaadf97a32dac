/**
 * Conformance over the shared real and synthetic sFlow captures: the facts an
 * independent decoder established (../shared/captures/expected) must come out
 * of flowlens exactly. Skips cleanly when the captures are not there.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { capturesDir, expectedFacts } from '../../testing/captures.js';
import { decodeCaptureFile } from '../../testing/sflow-capture.js';
import { dissect } from '../packet/dissect.js';
import { packetKeys } from '../packet/keys.js';
import { DecodeStats } from '../stats.js';
import { type FlowRecord, SampledHeader, type SflowDatagram, type SflowRecord } from './types.js';

type Counts = Record<string, number>;

function bump(facts: Record<string, unknown>, group: string, key: string | number): void {
  if (facts[group] === undefined) facts[group] = {};
  const m = facts[group] as Counts;
  m[String(key)] = (m[String(key)] ?? 0) + 1;
}

function pushValue(facts: Record<string, unknown>, group: string, key: string, value: unknown): void {
  if (facts[group] === undefined) facts[group] = {};
  const m = facts[group] as Record<string, unknown[]>;
  if (m[key] === undefined) m[key] = [];
  m[key].push(value);
}

/** The same aggregate facts the expected files hold, computed from flowlens's own decoding. */
export function sflowFacts(datagrams: SflowDatagram[]): Record<string, unknown> {
  const facts: Record<string, unknown> = { sflow_datagrams: datagrams.length };
  for (const d of datagrams) {
    bump(facts, 'agents', `${d.agent}/sub${d.subAgentId}`);
    for (const s of d.samples) {
      bump(facts, 'sample_types', s.format);
      if (s.type === 'flow_sample' || s.type === 'flow_sample_expanded') {
        bump(facts, 'sampling_rates', s.samplingRate);
        bump(facts, 'out_if_format', s.output.format);
        if (s.output.format === 1) bump(facts, 'flow_sample_discard_codes(format1)', s.output.value);
        for (const r of s.records) flowRecordFacts(facts, 'flow', r);
      } else if (s.type === 'discarded_packet') {
        bump(facts, 'discard_reasons', s.reason);
        for (const r of s.records) flowRecordFacts(facts, 'discard', r);
      } else if (s.type === 'counters_sample' || s.type === 'counters_sample_expanded') {
        for (const r of s.records) bump(facts, 'counter_records', r.format);
      }
    }
  }
  return facts;
}

function flowRecordFacts(facts: Record<string, unknown>, context: string, r: FlowRecord): void {
  bump(facts, 'flow_records', `${context} ${r.format}`);
  if (r instanceof SampledHeader) {
    bump(facts, 'header_protocols', r.headerProtocol);
    const keys = packetKeys(dissect(r.buffer, r.headerOffset, r.headerLength, r.headerProtocol));
    const ecn = keys.ipecn ?? keys.ip6ecn;
    if (ecn !== undefined) bump(facts, 'inner_ecn', Number.parseInt(String(ecn), 2));
    if (keys.ibbtopcode !== undefined) bump(facts, 'inner_roce_opcodes', Number(keys.ibbtopcode));
    return;
  }
  const rec = r as SflowRecord;
  if ('error' in r) return;
  if (r.format === '0:1036') pushValue(facts, 'transit_values', r.format, rec.queue);
  if (r.format === '0:1039') pushValue(facts, 'transit_values', r.format, rec.delay);
  if (r.format === '0:1040') pushValue(facts, 'transit_values', r.format, rec.depth);
  if (r.format === '0:1038') bump(facts, 'strings 0:1038', String(rec.symbol));
  if (r.format === '0:1041') bump(facts, 'strings 0:1041', `${rec.group}/${rec.trap}`);
  if (r.format === '0:1042') bump(facts, 'strings 0:1042', String(rec.reason));
}

/** Expected-file opcode names look like "RC_ACK(0x11)": compare by the number. */
function opcodesByNumber(m: Counts): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(m)) {
    const hex = /\(0x([0-9a-f]+)\)/i.exec(k);
    out[String(hex ? Number.parseInt(hex[1], 16) : k)] = v;
  }
  return out;
}

const SFLOW_FACTS = [
  'sflow_datagrams',
  'agents',
  'sample_types',
  'flow_records',
  'counter_records',
  'sampling_rates',
  'out_if_format',
  'flow_sample_discard_codes(format1)',
  'discard_reasons',
  'header_protocols',
  'inner_ecn',
  'inner_roce_opcodes',
  'transit_values',
  'strings 0:1038',
  'strings 0:1041',
  'strings 0:1042',
];

const dir = capturesDir();
const files =
  dir === undefined
    ? []
    : readdirSync(dir).filter((f) => f.startsWith('sflow_') || f.startsWith('synthetic_sflow'));

test('sFlow captures agree with the independently established facts', {
  skip: dir === undefined && 'no ../shared/captures',
}, async (t) => {
  assert.ok(files.length >= 10, 'expected the shared sFlow captures');
  for (const name of files) {
    await t.test(name, () => {
      const expected = expectedFacts(dir as string, name);
      if (expected === undefined) assert.fail(`no expected facts for ${name}`);
      const stats = new DecodeStats();
      const facts = sflowFacts(decodeCaptureFile(path.join(dir as string, name), stats));
      assert.equal(stats.errorCount(), 0, `decode errors: ${JSON.stringify([...stats.errorsByReason])}`);
      for (const key of SFLOW_FACTS) {
        if (!(key in expected)) {
          if (key === 'sflow_datagrams') continue;
          // Keys are present only when non-zero: we must not find what they did not.
          if (key !== 'inner_ecn' && key !== 'inner_roce_opcodes' && key !== 'header_protocols') {
            assert.equal(facts[key], undefined, `${key} unexpectedly present`);
          }
          continue;
        }
        const want: unknown =
          key === 'inner_roce_opcodes' ? opcodesByNumber(expected[key] as Counts) : expected[key];
        assert.deepEqual(facts[key], want, key);
      }
    });
  }
});
