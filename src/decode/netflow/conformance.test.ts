/**
 * Conformance over every IPFIX and NetFlow capture in ../shared/captures: the
 * facts an independent decoder established (expected/) must come out of
 * flowlens exactly, and the only errors allowed are the data sets whose
 * template never came (as many as the expected `data_sets_without_template`).
 * The raw `.dat` groups are fed template files first, sharing one decoder.
 * Skips cleanly when the captures are not there.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { capturesDir, expectedFacts } from '../../testing/captures.js';
import { FlowExportDecoder } from './decoder.js';
import { exportFileFacts, type Facts, parseGroupFile, TRANSPORT_FACTS } from './facts.test-helper.js';

const dir = capturesDir();
const DAT_DIR = 'logstash_codec_netflow_dat';

/** Keys of the expected files that this decoder computes. */
const EXPORT_FACTS = [
  ...TRANSPORT_FACTS,
  'ipfix_messages',
  'nfv9_packets',
  'nfv5_packets',
  'nfv5_records',
  'data_records',
  'options_data_records',
  'templates',
  'options_templates',
  'obs_domains',
  'set_ids_seen',
  'data_sets_without_template',
  'zero_or_bad_set_len',
  'set_padding_bytes',
  'ie_usage',
  'enterprise_ies',
  'varlen_fields',
  'nfv9_header_count_field',
];

function sorted(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

function assertFacts(name: string, expected: Facts, got: Facts, errors: Record<string, number>): void {
  for (const key of EXPORT_FACTS) {
    assert.deepEqual(sorted(got[key]), sorted(expected[key]), `${name}: ${key}`);
  }
  // Every key of the expected file is either checked above or about the transport / sFlow.
  for (const key of Object.keys(expected)) {
    if (EXPORT_FACTS.includes(key)) continue;
    assert.ok(
      /^(sflow_|agents|sample_types|counter_records|flow_records|sampling_rates|out_if|header_protocols)/.test(
        key,
      ),
      `${name}: unchecked fact ${key}`,
    );
  }
  // No unexplained errors: only data sets without a template, one error each.
  const unknown = errors['unknown-template'] ?? 0;
  assert.equal(
    unknown,
    (expected.data_sets_without_template as number | undefined) ?? 0,
    `${name}: unknown-template`,
  );
  const others = Object.entries(errors).filter(([r]) => r !== 'unknown-template');
  assert.deepEqual(others, [], `${name}: decode errors`);
}

function exportCaptures(d: string): string[] {
  const top = readdirSync(d).filter(
    (f) =>
      f.startsWith('ipfix_') ||
      f.startsWith('nfv9_') ||
      f.startsWith('nfv5_') ||
      // The tcpdump sFlow capture also carries 5 NetFlow v5 datagrams.
      f === 'sflow_v5_real_expanded_counters_hostsflow_plus_nfv5_tcpdump.pcap',
  );
  const dats = existsSync(path.join(d, DAT_DIR))
    ? readdirSync(path.join(d, DAT_DIR))
        .filter((f) => f.endsWith('.dat'))
        .map((f) => `${DAT_DIR}/${f}`)
    : [];
  return [...top, ...dats];
}

function groups(d: string): [string, [string, Facts][]][] {
  return readdirSync(path.join(d, 'expected'))
    .filter((f) => f.endsWith('_group.txt'))
    .map((f) => [f, parseGroupFile(readFileSync(path.join(d, 'expected', f), 'utf8'))]);
}

test('IPFIX / NetFlow captures agree with the independently established facts', {
  skip: dir === undefined && 'no ../shared/captures',
}, async (t) => {
  const d = dir as string;
  const all = exportCaptures(d);
  const grouped = new Set(groups(d).flatMap(([, files]) => files.map(([f]) => f)));
  const singles = all.filter((f) => !grouped.has(f));
  assert.ok(singles.length >= 12, `expected the shared IPFIX / NetFlow captures, found ${singles.length}`);
  for (const name of singles) {
    await t.test(name, () => {
      const expected = expectedFacts(d, path.basename(name));
      if (expected === undefined) assert.fail(`no expected facts for ${name} (and not in a group)`);
      const { facts, errors } = exportFileFacts(new FlowExportDecoder(), path.join(d, name));
      assertFacts(name, expected, facts, errors);
    });
  }
});

test('raw .dat groups decode template files first, sharing one template store', {
  skip: dir === undefined && 'no ../shared/captures',
}, async (t) => {
  const d = dir as string;
  const gs = groups(d);
  assert.ok(gs.length >= 3, 'expected the .dat group files');
  for (const [group, files] of gs) {
    await t.test(group, () => {
      const decoder = new FlowExportDecoder();
      for (const [file, expected] of files) {
        const { facts, errors } = exportFileFacts(decoder, path.join(d, file));
        assertFacts(`${group} ${file}`, expected, facts, errors);
      }
    });
  }
});
