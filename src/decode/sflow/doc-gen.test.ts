import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COUNTER_RECORD_LAYOUTS } from './counter-records.js';
import { renderStructuresMarkdown, repoRoot, STRUCTURES_DOC } from './doc-gen.js';
import { FLOW_RECORD_LAYOUTS } from './flow-records.js';

test(`${STRUCTURES_DOC} is the output of renderStructuresMarkdown() (regenerate: node dist/src/decode/sflow/doc-gen.js)`, () => {
  const onDisk = readFileSync(join(repoRoot(), STRUCTURES_DOC), 'utf8');
  assert.equal(onDisk, renderStructuresMarkdown());
});

test('the rendered document lists every layout', () => {
  const md = renderStructuresMarkdown();
  for (const l of [...FLOW_RECORD_LAYOUTS, ...COUNTER_RECORD_LAYOUTS]) {
    assert.ok(md.includes(`| ${l.enterprise}:${l.format} | ${l.name} |`), l.name);
  }
  assert.ok(md.includes('`cpuSteal? u32`'));
  assert.ok(md.includes('`dstAsPath struct[]{type u32, asns u32[]}`'));
});
