import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COUNTER_RECORD_LAYOUTS } from '../../decode/sflow/counter-records.js';
import { repoRoot } from '../../decode/sflow/doc-gen.js';
import { RECORD_MAPPINGS } from './catalog.js';
import { catalogNames, METRICS_DOC, renderMetricsMarkdown } from './doc-gen.js';

test(`${METRICS_DOC} is the output of renderMetricsMarkdown() (regenerate: node dist/src/engine/metrics/doc-gen.js)`, () => {
  const onDisk = readFileSync(join(repoRoot(), METRICS_DOC), 'utf8');
  assert.equal(onDisk, renderMetricsMarkdown());
});

test('every decoded counter record has a mapping, and every mapped field exists in its layout', () => {
  assert.equal(RECORD_MAPPINGS.length, COUNTER_RECORD_LAYOUTS.length);
  for (const m of RECORD_MAPPINGS) {
    const layout = COUNTER_RECORD_LAYOUTS.find((l) => `${l.enterprise}:${l.format}` === m.format);
    assert.ok(layout !== undefined, m.format);
    assert.equal(layout.name, m.record);
    const fields = new Set(layout.fields.map((f) => f.name));
    for (const f of m.fields) assert.ok(fields.has(f.field), `${m.record}.${f.field}`);
    // every field of the layout is used, so nothing decoded is lost
    for (const name of fields)
      assert.ok(
        m.fields.some((f) => f.field === name),
        `${m.record}.${name} unused`,
      );
  }
});

test('names are lowercase identifiers, unique within a record, and documented', () => {
  const md = renderMetricsMarkdown();
  for (const m of RECORD_MAPPINGS) {
    const names = [
      ...m.fields.filter((f) => f.hidden !== true).map((f) => f.metric),
      ...(m.derived ?? []).map((d) => d.metric),
    ];
    assert.equal(new Set(names).size, names.length, `${m.record}: duplicate names`);
    for (const f of m.fields) {
      assert.match(f.metric, f.hidden === true ? /^\.[a-z0-9_]+$/ : /^[a-z][a-z0-9_]*$/, f.metric);
    }
  }
  for (const n of catalogNames()) assert.ok(md.includes(`\`${n.name}\``), n.name);
  for (const name of [
    'ifinoctets',
    'ifinutilization',
    'ifoututilization',
    'ifadminstatus',
    'ifpromiscuousmode',
    'eth_fcserrors',
    'host_name',
    'os_name',
    'machine_type',
    'load_one',
    'cpu_utilization',
    'cpu_user',
    'mem_utilization',
    'disk_utilization',
    'disk_bytes_read',
    'bytes_in',
    'vir_host_name',
    'vir_cpu_utilization',
    'vir_nvml_gputime',
    'pfc_requests',
    'pfc_indications',
    'pfc_pause_duration',
    'nvml_gputime',
    'ovs_dp_missrate',
    'app_usertime',
    'bcm_host_utilization',
    'ib_counters_portxmitpkts',
  ]) {
    assert.ok(
      catalogNames().some((n) => n.name === name),
      name,
    );
  }
});
