import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SourceRegistry } from './sources.js';

test('sources are numbered once, named as sFlow-RT names data sources, and found by either route', () => {
  const r = new SourceRegistry();
  const a = r.byIndex('10.0.0.1', 0, 5, 1000);
  const b = r.byIndex('10.0.0.2', 0, 5, 1000);
  const c = r.byIndex('10.0.0.1', 3, 7, 1000);
  assert.equal(r.byIndex('10.0.0.1', 0, 5, 1001), a, 'same agent again (the cached agent)');
  assert.equal(r.byIndex('10.0.0.2', 0, 5, 1001), b, 'alternating agents');
  assert.notEqual(a, b);
  assert.deepEqual([r.agentOf(c), r.dataSourceOf(a), r.dataSourceOf(c)], ['10.0.0.1', '5', '3.7']);
  assert.equal(r.id('10.0.0.1', '5'), a, 'a named lookup finds the numbered source');
  assert.equal(r.find('10.0.0.1', '3.7'), c);
  assert.equal(r.size, 3);
});

test('idle sources are pruned and their numbers reused', () => {
  const r = new SourceRegistry();
  const old = r.byIndex('10.0.0.1', 0, 1, 1000);
  const live = r.byIndex('10.0.0.1', 0, 2, 50_000);
  assert.deepEqual(r.prune(10_000), [old]);
  assert.equal(r.find('10.0.0.1', '1'), undefined);
  assert.equal(r.byIndex('10.0.0.1', 0, 2, 60_000), live);
  const again = r.byIndex('10.0.0.9', 0, 1, 60_000);
  assert.equal(again, old, 'the freed number is reused');
  assert.deepEqual([r.agentOf(again), r.dataSourceOf(again), r.size], ['10.0.0.9', '1', 2]);
  assert.notEqual(r.byIndex('10.0.0.1', 0, 1, 60_000), again, 'the pruned source comes back as a new one');
});
