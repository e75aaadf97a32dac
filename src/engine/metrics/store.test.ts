import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MetricStore } from './store.js';

test('latest value per (agent, data source, metric), numbers and strings', () => {
  const s = new MetricStore();
  s.update('10.0.0.1', '3', [['ifinoctets', 10]], 1000);
  s.update('10.0.0.1', '3', [['ifinoctets', 20]], 2000);
  s.update('10.0.0.1', '2.1', [['os_name', 'linux']], 2000);
  assert.equal(s.value('10.0.0.1', '3', 'ifinoctets', 2500)?.value, 20);
  assert.equal(s.value('10.0.0.1', '3', 'ifinoctets', 2500)?.lastUpdate, 2000);
  assert.equal(s.value('10.0.0.1', '2.1', 'os_name', 2500)?.value, 'linux');
  assert.equal(s.value('10.0.0.1', '4', 'ifinoctets', 2500), undefined);
  assert.deepEqual(s.stats, { dataSources: 2, values: 2, evictions: 0, expired: 0, rejected: 0 });
});

test('values expire after ttlMs; sweep removes them and empty data sources', () => {
  const s = new MetricStore({ ttlMs: 60000 });
  s.update('a', '1', [['x', 1]], 0);
  s.update('a', '2', [['x', 2]], 30000);
  assert.equal(s.value('a', '1', 'x', 60000)?.value, 1);
  assert.equal(s.value('a', '1', 'x', 60001), undefined);
  assert.equal(s.value('a', '2', 'x', 60001)?.value, 2);
  assert.equal(s.sweep(60001), 1);
  assert.equal(s.source('a', '1'), undefined);
  assert.deepEqual(s.stats, { dataSources: 1, values: 1, evictions: 0, expired: 1, rejected: 0 });
  s.sweep(200000);
  assert.equal(s.sourcesOf('a'), undefined);
  assert.equal(s.stats.values, 0);
});

test('with intervalFactor, counter values live a multiple of the polling interval', () => {
  const s = new MetricStore({ ttlMs: 60000, intervalFactor: 3, minTtlMs: 1000 });
  for (let t = 0; t <= 40000; t += 10000) s.update('a', '1', [['x', t]], t);
  const src = s.source('a', '1');
  assert.ok(src !== undefined);
  assert.equal(src.intervalMs, 10000);
  assert.equal(s.value('a', '1', 'x', 40000 + 30000)?.value, 40000);
  assert.equal(s.value('a', '1', 'x', 40000 + 30001), undefined);
  // flow metrics keep the fixed lifetime
  s.setFlowMetric('a', '1', 'f', 5, undefined, 40000);
  assert.equal(s.value('a', '1', 'f', 40000 + 60000)?.value, 5);
});

test('the data source cap evicts the least recently updated and counts it', () => {
  const s = new MetricStore({ maxDataSources: 3 });
  for (const ds of ['1', '2', '3']) s.update('a', ds, [['x', 1]], 0);
  s.update('a', '1', [['x', 2]], 10); // '1' is now the most recent
  s.update('b', '1', [['x', 3]], 20);
  assert.equal(s.source('a', '2'), undefined);
  assert.ok(s.source('a', '1') !== undefined);
  assert.ok(s.source('a', '3') !== undefined);
  assert.deepEqual(s.stats, { dataSources: 3, values: 3, evictions: 1, expired: 0, rejected: 0 });
});

test('the per data source name cap rejects new names and counts them', () => {
  const s = new MetricStore({ maxMetricsPerDataSource: 2 });
  s.update(
    'a',
    '1',
    [
      ['x', 1],
      ['y', 2],
      ['z', 3],
    ],
    0,
  );
  s.update('a', '1', [['x', 4]], 1);
  assert.equal(s.value('a', '1', 'z', 1), undefined);
  assert.equal(s.value('a', '1', 'x', 1)?.value, 4);
  assert.equal(s.stats.rejected, 1);
  assert.equal(s.stats.values, 2);
});

test('flow metrics: set with top keys, replace, remove', () => {
  const s = new MetricStore();
  const top = [
    { key: '10.0.0.1,10.0.0.2', value: 900 },
    { key: '10.0.0.3,10.0.0.4', value: 100 },
  ];
  s.setFlowMetric('sw1', '5', 'ai_bytes', 1000, top, 0);
  const e = s.value('sw1', '5', 'ai_bytes', 0);
  assert.equal(e?.value, 1000);
  assert.deepEqual(e?.topKeys, top);
  assert.equal(e?.flow, true);
  top[0].value = 1; // the store keeps its own copy
  assert.equal(s.value('sw1', '5', 'ai_bytes', 0)?.topKeys?.[0].value, 900);

  s.update('sw1', '6', [['ifinoctets', 7]], 0);
  s.setFlowMetric('sw1', '6', 'ai_bytes', 50, undefined, 0);
  s.replaceFlowMetric('ai_bytes', [{ agent: 'sw1', dataSource: '5', value: 2000, topKeys: [] }], 1000);
  assert.equal(s.value('sw1', '5', 'ai_bytes', 1000)?.value, 2000);
  assert.equal(s.value('sw1', '6', 'ai_bytes', 1000), undefined);
  assert.equal(s.value('sw1', '6', 'ifinoctets', 1000)?.value, 7, 'counter metrics are untouched');

  s.removeMetric('ai_bytes');
  assert.equal(s.source('sw1', '5'), undefined, 'a data source left empty is dropped');
  assert.equal(s.stats.values, 1);
  s.removeAgent('sw1');
  assert.equal(s.stats.dataSources, 0);
  assert.equal(s.stats.values, 0);
});

test('the value count stays exact under random operations', () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('update' as const),
      agent: fc.constantFrom('a', 'b', 'c'),
      ds: fc.constantFrom('1', '2', '3'),
      names: fc.subarray(['x', 'y', 'z', 'w']),
      dt: fc.nat(30000),
    }),
    fc.record({ kind: fc.constant('sweep' as const), dt: fc.nat(90000) }),
    fc.record({ kind: fc.constant('remove' as const), name: fc.constantFrom('x', 'y', 'z', 'w') }),
    fc.record({
      kind: fc.constant('flow' as const),
      agent: fc.constantFrom('a', 'b'),
      ds: fc.constantFrom('1', '4'),
      dt: fc.nat(1000),
    }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const s = new MetricStore({ maxDataSources: 5, maxMetricsPerDataSource: 3, ttlMs: 60000 });
      let now = 0;
      for (const o of ops) {
        if (o.kind === 'update') {
          now += o.dt;
          s.update(
            o.agent,
            o.ds,
            o.names.map((n) => [n, 1] as const),
            now,
          );
        } else if (o.kind === 'sweep') {
          now += o.dt;
          s.sweep(now);
        } else if (o.kind === 'remove') s.removeMetric(o.name);
        else {
          now += o.dt;
          s.setFlowMetric(o.agent, o.ds, 'flow', 1, undefined, now);
        }
        let values = 0;
        let sources = 0;
        for (const src of s.allSources()) {
          values += src.metrics.size;
          sources++;
          assert.ok(src.metrics.size <= 3);
          assert.equal(s.source(src.agent, src.dataSource), src);
        }
        assert.equal(s.stats.values, values);
        assert.equal(s.stats.dataSources, sources);
        assert.ok(sources <= 5);
      }
    }),
  );
});
