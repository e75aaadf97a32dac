import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AGGREGATIONS, aggregate } from './aggregate.js';
import {
  globToRegExp,
  MetricQuery,
  MetricQueryError,
  parseFilter,
  parseSpec,
  type Topology,
} from './query.js';
import { MetricStore } from './store.js';

/**
 * Two leaf switches in a topology, with ports 1 on fabric links (core) and
 * the other ports access ports (edge); a Linux and a Windows host; one switch
 * outside the topology.
 */
const TOPO_AGENTS = new Set(['10.0.0.1', '10.0.0.2']);
const fakeTopology: Topology = {
  agents: () => new Set(TOPO_AGENTS),
  inTopology: (a, ds) => TOPO_AGENTS.has(a) && !ds.includes('.'),
  isCore: (a, ds) => TOPO_AGENTS.has(a) && ds === '1',
  isEdge: (a, ds) => TOPO_AGENTS.has(a) && !ds.includes('.') && ds !== '1',
};

const NOW = 100000;

function fixture(): MetricQuery {
  const s = new MetricStore({ ttlMs: 60000 });
  const port = (agent: string, ds: string, inOctets: number, discards: number, t = NOW - 1000) =>
    s.update(
      agent,
      ds,
      [
        ['ifinoctets', inOctets],
        ['ifindiscards', discards],
        ['ifadminstatus', 'up'],
      ],
      t,
    );
  port('10.0.0.1', '1', 500, 1);
  port('10.0.0.1', '2', 100, 0, NOW - 5000);
  port('10.0.0.1', '10', 300, 2);
  port('10.0.0.2', '1', 700, 0, NOW - 2000);
  port('10.0.0.2', '2', 200, 4);
  port('10.0.0.9', '1', 999, 9);
  s.update('10.0.0.9', '2', [['ifinoctets', 1e9]], NOW - 70000); // expired
  s.update(
    '10.0.0.1',
    '2.1',
    [
      ['host_name', 'leaf1'],
      ['os_name', 'linux'],
      ['cpu_num', 2],
      ['load_one', 0.5],
    ],
    NOW - 1000,
  );
  s.update(
    '10.0.0.3',
    '2.1',
    [
      ['host_name', 'shop-web.example.com'],
      ['os_name', 'windows'],
      ['cpu_num', 4],
      ['load_one', 1.5],
    ],
    NOW - 3000,
  );
  return new MetricQuery(s, fakeTopology);
}

test('specs: [aggregation:]name, max by default', () => {
  assert.deepEqual(parseSpec('ifinoctets'), { aggregation: 'max', name: 'ifinoctets' });
  assert.deepEqual(parseSpec('med:ai_bytes'), { aggregation: 'med', name: 'ai_bytes' });
  assert.throws(() => parseSpec('p99:x'), MetricQueryError);
  assert.throws(() => parseSpec('sum:'), MetricQueryError);
});

test('max and min report where the value was seen; ages in milliseconds', () => {
  const q = fixture();
  const [max, min] = q.metric('ALL', 'ifinoctets,min:ifinoctets', undefined, NOW);
  assert.deepEqual(max, {
    agent: '10.0.0.9',
    dataSource: '1',
    metricName: 'ifinoctets',
    metricValue: 999,
    metricN: 6,
    lastUpdate: 1000,
    lastUpdateMin: 1000,
    lastUpdateMax: 5000,
  });
  assert.equal(min.agent, '10.0.0.1');
  assert.equal(min.dataSource, '2');
  assert.equal(min.metricValue, 100);
  assert.equal(min.lastUpdate, 5000);
});

test('sum, avg, var, sdev, quantiles, iqr and any over the selection', () => {
  const q = fixture();
  const specs = AGGREGATIONS.map((a) => `${a}:ifinoctets`);
  const res = q.metric('10.0.0.1;10.0.0.2', specs, undefined, NOW);
  const values = [500, 100, 300, 700, 200];
  for (const [i, a] of AGGREGATIONS.entries()) {
    if (a === 'any') continue;
    assert.equal(res[i].metricValue, aggregate(a, values), a);
    assert.equal(res[i].metricN, 5);
  }
  const sum = res[AGGREGATIONS.indexOf('sum')];
  assert.equal(sum.agent, undefined, 'no single location for a sum');
  assert.equal(sum.lastUpdate, 1000, 'newest age');
  const med = res[AGGREGATIONS.indexOf('med')];
  assert.deepEqual(med.quartiles, { min: 100, q1: 200, med: 300, q3: 500, max: 700 });
  // any: the most recently updated value (ties: natural order, so 10.0.0.1 port 1)
  const any = res[AGGREGATIONS.indexOf('any')];
  assert.deepEqual([any.agent, any.dataSource, any.metricValue], ['10.0.0.1', '1', 500]);
});

test('no value: only the name and metricN 0', () => {
  const q = fixture();
  assert.deepEqual(q.metric('ALL', ['sum:nosuchmetric'], undefined, NOW), [
    { metricName: 'nosuchmetric', metricN: 0 },
  ]);
  assert.deepEqual(q.metric('10.9.9.9', 'ifinoctets', undefined, NOW), [
    { metricName: 'ifinoctets', metricN: 0 },
  ]);
});

test('text metrics: max/min/any compare text, numeric aggregations ignore them', () => {
  const q = fixture();
  const [max, min, sum] = q.metric('ALL', 'max:host_name,min:os_name,sum:os_name', undefined, NOW);
  assert.equal(max.metricValue, 'shop-web.example.com');
  assert.equal(max.agent, '10.0.0.3');
  assert.equal(min.metricValue, 'linux');
  assert.deepEqual(sum, { metricName: 'os_name', metricN: 0 });
});

test('TOPOLOGY, EDGE and CORE select topology ports; without a topology they select nothing', () => {
  const q = fixture();
  const [topo, edge, core, coreMed] = q.metric(
    'TOPOLOGY',
    ['sum:ifinoctets', 'sum:ifinoctets', 'sum:ifinoctets', 'med:ifinoctets'],
    undefined,
    NOW,
  );
  assert.equal(topo.metricValue, 1800);
  assert.equal(topo.metricN, 5);
  assert.equal(q.metric('EDGE', 'sum:ifinoctets', undefined, NOW)[0].metricValue, 600);
  assert.equal(q.metric('CORE', 'sum:ifinoctets', undefined, NOW)[0].metricValue, 1200);
  assert.deepEqual(q.metric('CORE', 'med:ifinoctets', undefined, NOW)[0].quartiles, {
    min: 500,
    q1: 550,
    med: 600,
    q3: 650,
    max: 700,
  });
  // ai-metrics: metric('TOPOLOGY','sum:ifindiscards,sum:ifinerrors,...')
  const [discards, errors] = q.metric('TOPOLOGY', 'sum:ifindiscards,sum:ifinerrors', undefined, NOW);
  assert.equal(discards.metricValue, 7);
  assert.equal(errors.metricN, 0);
  assert.ok(edge && core && coreMed);
  const bare = new MetricQuery(q.store);
  assert.equal(bare.metric('TOPOLOGY', 'sum:ifinoctets', undefined, NOW)[0].metricN, 0);
  assert.equal(bare.metric('ALL', 'sum:ifinoctets', undefined, NOW)[0].metricN, 6);
});

test('explicit agent lists: ; or , separated strings and arrays', () => {
  const q = fixture();
  for (const sel of ['10.0.0.1;10.0.0.9', '10.0.0.1,10.0.0.9', ['10.0.0.1', '10.0.0.9']]) {
    assert.equal(q.metric(sel, 'sum:ifinoctets', undefined, NOW)[0].metricValue, 500 + 100 + 300 + 999);
  }
  assert.throws(() => q.metric('', 'ifinoctets', undefined, NOW), MetricQueryError);
});

test('filters: same name OR, different names AND, * globs, missing metric excluded', () => {
  const q = fixture();
  const hosts = (filter: Parameters<MetricQuery['select']>[1]) =>
    q
      .select('ALL', filter, NOW)
      .map((s) => s.agent)
      .sort();
  assert.deepEqual(hosts('os_name=linux&os_name=windows'), ['10.0.0.1', '10.0.0.3']);
  assert.deepEqual(hosts('os_name=linux&os_name=windows&cpu_num=2'), ['10.0.0.1']);
  assert.deepEqual(hosts('host_name=*web.*'), ['10.0.0.3']);
  assert.deepEqual(hosts('host_name=shop-web?example.com'), []);
  assert.deepEqual(hosts({ host_name: ['leaf*', 'shop*'] }), ['10.0.0.1', '10.0.0.3']);
  assert.deepEqual(hosts(new Map([['load_one', ['1.5']]])), ['10.0.0.3']);
  assert.deepEqual(hosts(new URLSearchParams('os_name=*')), ['10.0.0.1', '10.0.0.3']);
  // the filter applies to the data source's own metrics: ports have no os_name
  assert.equal(q.metric('ALL', 'ifinoctets', 'os_name=linux', NOW)[0].metricN, 0);
  const [load] = q.metric('ALL', 'max:load_one', '?os_name=linux', NOW);
  assert.equal(load.metricValue, 0.5);
});

test('globs are literal apart from *', () => {
  assert.equal(globToRegExp('*web.*').test('myweb.example'), true);
  assert.equal(globToRegExp('*web.*').test('mywebXexample'), false);
  assert.equal(globToRegExp('a+b(c)').test('a+b(c)'), true);
  assert.equal(globToRegExp('x').test('xx'), false);
  assert.deepEqual(
    [...parseFilter('a=1&a=2&b=3')],
    [
      ['a', ['1', '2']],
      ['b', ['3']],
    ],
  );
});

test('table: rows per data source with every column, null: columns, sort:metric:-N', () => {
  const q = fixture();
  const rows = q.table('ALL', 'host_name,load_one,null:ifinoctets', undefined, NOW);
  assert.deepEqual(
    rows.map((r) => r.map((c) => c?.metricValue ?? null)),
    [
      ['leaf1', 0.5, null],
      ['shop-web.example.com', 1.5, null],
    ],
  );
  assert.deepEqual(rows[0][0], {
    agent: '10.0.0.1',
    dataSource: '2.1',
    metricName: 'host_name',
    metricValue: 'leaf1',
    lastUpdate: 1000,
  });
  const top = q.table('ALL', ['sort:ifinoctets:-3', 'ifadminstatus'], undefined, NOW);
  assert.deepEqual(
    top.map((r) => [r[0]?.agent, r[0]?.dataSource, r[0]?.metricValue]),
    [
      ['10.0.0.9', '1', 999],
      ['10.0.0.2', '1', 700],
      ['10.0.0.1', '1', 500],
    ],
  );
  const bottom = q.table('10.0.0.1', ['ifadminstatus', 'sort:ifinoctets:2'], undefined, NOW);
  assert.deepEqual(
    bottom.map((r) => r[1]?.metricValue),
    [100, 300],
  );
  // without sort: natural order of data sources ("2" before "10")
  assert.deepEqual(
    q.table('10.0.0.1', 'ifinoctets', undefined, NOW).map((r) => r[0]?.dataSource),
    ['1', '2', '10'],
  );
  assert.throws(() => q.table('ALL', 'sort:x:abc', undefined, NOW), MetricQueryError);
  assert.throws(() => q.table('ALL', 'max:x', undefined, NOW), MetricQueryError);
});

test('dump: named metrics or ALL, expired values left out', () => {
  const q = fixture();
  const d = q.dump('10.0.0.9', 'ALL', undefined, NOW);
  assert.deepEqual(
    d.map((m) => [m.dataSource, m.metricName, m.metricValue]),
    [
      ['1', 'ifadminstatus', 'up'],
      ['1', 'ifindiscards', 9],
      ['1', 'ifinoctets', 999],
    ],
  );
  const named = q.dump('ALL', 'load_one;host_name', undefined, NOW);
  assert.deepEqual(
    named.map((m) => `${m.agent}/${m.metricName}=${m.metricValue}`),
    [
      '10.0.0.1/load_one=0.5',
      '10.0.0.1/host_name=leaf1',
      '10.0.0.3/load_one=1.5',
      '10.0.0.3/host_name=shop-web.example.com',
    ],
  );
});

test('metricNames: live names with the age of their newest value', () => {
  const q = fixture();
  const names = q.metricNames(NOW);
  assert.deepEqual(Object.keys(names), [
    'cpu_num',
    'host_name',
    'ifadminstatus',
    'ifindiscards',
    'ifinoctets',
    'load_one',
    'os_name',
  ]);
  assert.equal(names.ifinoctets, 1000);
  assert.equal(names.os_name, 1000);
  assert.deepEqual(q.metricNames(NOW + 120000), {});
});

test('agentMetrics: "<data source>.<metric>" → value; undefined for unknown agents', () => {
  const q = fixture();
  const m = q.agentMetrics('10.0.0.3', NOW);
  assert.deepEqual(m, {
    '2.1.cpu_num': 4,
    '2.1.host_name': 'shop-web.example.com',
    '2.1.load_one': 1.5,
    '2.1.os_name': 'windows',
  });
  assert.equal(q.agentMetrics('10.9.9.9', NOW), undefined);
  assert.equal(q.agentMetrics('10.0.0.3', NOW + 120000), undefined);
});

test('flow metrics: values and top keys through metric() and table()', () => {
  const s = new MetricStore();
  s.setFlowMetric(
    'sw1',
    '1',
    'ai_bytes',
    300,
    [
      { key: 'a', value: 200 },
      { key: 'b', value: 100 },
    ],
    NOW,
  );
  s.setFlowMetric(
    'sw1',
    '2',
    'ai_bytes',
    500,
    [
      { key: 'b', value: 400 },
      { key: 'c', value: 100 },
    ],
    NOW,
  );
  const q = new MetricQuery(s);
  const [max, sum] = q.metric('ALL', 'ai_bytes,sum:ai_bytes', undefined, NOW);
  assert.equal(max.metricValue, 500);
  assert.deepEqual(max.topKeys, [
    { key: 'b', value: 400 },
    { key: 'c', value: 100 },
  ]);
  assert.equal(sum.metricValue, 800);
  assert.deepEqual(sum.topKeys, [
    { key: 'b', value: 500 },
    { key: 'a', value: 200 },
  ]);
  assert.deepEqual(q.table('ALL', 'sort:ai_bytes:-1', undefined, NOW)[0][0]?.topKeys?.[0], {
    key: 'b',
    value: 400,
  });
});

test('metric() agrees with the aggregation reference on random stores', () => {
  const entry = fc.record({
    agent: fc.constantFrom('a', 'b', 'c', 'd'),
    ds: fc.constantFrom('1', '2', '3', '2.1'),
    value: fc.integer({ min: -1000, max: 1000 }),
    age: fc.nat(90000),
  });
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 30 }), fc.constantFrom(...AGGREGATIONS), (entries, agg) => {
      const s = new MetricStore({ ttlMs: 60000 });
      const latest = new Map<string, { value: number; age: number; agent: string; ds: string }>();
      for (const e of entries) {
        s.update(e.agent, e.ds, [['m', e.value]], NOW - e.age);
        latest.set(`${e.agent}>${e.ds}`, { value: e.value, age: e.age, agent: e.agent, ds: e.ds });
      }
      const live = [...latest.values()].filter((e) => e.age <= 60000);
      const [r] = new MetricQuery(s).metric('ALL', `${agg}:m`, undefined, NOW);
      assert.equal(r.metricN, live.length);
      if (live.length === 0) {
        assert.equal(r.metricValue, undefined);
        return;
      }
      if (agg === 'any') {
        const newest = Math.min(...live.map((e) => e.age));
        assert.ok(live.some((e) => e.age === newest && e.value === r.metricValue && e.agent === r.agent));
        return;
      }
      const want = aggregate(
        agg,
        live.map((e) => e.value),
      ) as number;
      assert.ok(Math.abs((r.metricValue as number) - want) < 1e-9, `${agg}: ${r.metricValue} vs ${want}`);
      if (agg === 'max' || agg === 'min') {
        assert.equal(latest.get(`${r.agent}>${r.dataSource}`)?.value, r.metricValue);
      }
      assert.equal(r.lastUpdateMin, Math.min(...live.map((e) => e.age)));
      assert.equal(r.lastUpdateMax, Math.max(...live.map((e) => e.age)));
    }),
    { numRuns: 500 },
  );
});
