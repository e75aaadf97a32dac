import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../simulate/random.js';
import type { KeyEnv, KeyValue } from './expr.js';
import { compileFlow, DefinitionError, normalizeFlow } from './flow-def.js';
import { type FlowSample, FlowTable } from './flow-table.js';

interface Sample extends FlowSample {
  k: Record<string, KeyValue>;
}

const env: KeyEnv<Sample> = {
  reader: (name) => (s) => s.k[name],
  group: () => undefined,
  map: () => undefined,
  link: () => undefined,
};

function table(def: Record<string, unknown>, capacity?: number) {
  return new FlowTable(
    compileFlow('f', normalizeFlow(def), env),
    capacity === undefined ? {} : { capacityPerSource: capacity },
  );
}

function sample(
  k: Record<string, KeyValue>,
  bytes = 1000,
  agent = '10.0.0.1',
  dataSource = '1',
  samplingRate = 100,
): Sample {
  return { k, bytes, frames: 1, agent, dataSource, samplingRate };
}

/**
 * Feeds a flow of `bytesPerSecond` as a switch sampling 1:N would: a sample
 * every N frames on average (random gaps), each scaled by N.
 */
function feed(
  t: FlowTable<Sample>,
  rnd: Random,
  k: Record<string, KeyValue>,
  bytesPerSecond: number,
  frameBytes: number,
  n: number,
  fromMs: number,
  toMs: number,
  agent = '10.0.0.1',
  ds = '1',
) {
  const samplesPerSecond = bytesPerSecond / frameBytes / n;
  let now = fromMs;
  while (true) {
    now += (-Math.log(1 - rnd.next()) / samplesPerSecond) * 1000;
    if (now >= toMs) break;
    t.add(sample(k, frameBytes, agent, ds, n), now);
  }
}

test('a flow of known rate sampled 1:N reads within 5% after settling', () => {
  const rnd = new Random(1);
  const t = table({ keys: 'ipsource', value: 'bytes', t: 2 });
  // 1 Gbit/s of 1500-byte frames sampled 1:100: about 830 samples per second, so the
  // statistical error of a 2 s smoothed rate is about 1/sqrt(2 * 830 * 2) = 1.7%.
  const rate = 125_000_000;
  feed(t, rnd, { ipsource: '10.1.1.1' }, rate, 1500, 100, 0, 20_000);
  let worst = 0;
  for (let at = 12_000; at <= 20_000; at += 2000) {
    const t2 = table({ keys: 'ipsource', value: 'bytes', t: 2 });
    feed(t2, new Random(at), { ipsource: '10.1.1.1' }, rate, 1500, 100, 0, at);
    const [f] = t2.activeFlows({}, at);
    worst = Math.max(worst, Math.abs(f.value - rate) / rate);
  }
  assert.ok(worst < 0.05, `worst relative error ${worst}`);
  const frames = table({ keys: 'ipsource', value: 'frames', t: 2 });
  feed(frames, rnd, { ipsource: 'x' }, rate, 1500, 100, 0, 20_000);
  const fv = frames.activeFlows({}, 20_000)[0].value;
  assert.ok(Math.abs(fv - rate / 1500) / (rate / 1500) < 0.05, `frames/s ${fv}`);
});

test('rates decay when traffic stops and idle flows are swept', () => {
  const t = table({ keys: 'ipsource', t: 1 });
  for (let ms = 0; ms < 5000; ms += 10) t.add(sample({ ipsource: 'a' }), ms);
  const before = t.activeFlows({}, 5000)[0].value;
  const after = t.activeFlows({}, 8000)[0].value;
  assert.ok(after < before * 0.06, `${after} vs ${before}`);
  t.sweep(30_000);
  assert.equal(t.getStats().entries, 0);
  assert.equal(t.sourceCount, 0);
});

test('keys, filter and fs; samples missing a key are not counted', () => {
  const t = table({ keys: 'ipsource,ipdestination', fs: '_SEP_', filter: 'ipprotocol=6' });
  t.add(sample({ ipsource: 'a', ipdestination: 'b', ipprotocol: 6 }), 0);
  t.add(sample({ ipsource: 'a', ipdestination: 'b', ipprotocol: 17 }), 0);
  t.add(sample({ ipsource: 'a', ipprotocol: 6 }), 0);
  const flows = t.activeFlows({}, 0);
  assert.deepEqual(
    flows.map((f) => f.key),
    ['a_SEP_b'],
  );
  assert.equal(t.getStats().filtered, 1);
  assert.equal(flows[0].value, (1000 * 100) / 2);
});

test('de-duplication across data sources: max, sum, edge, core, agent', () => {
  const t = table({ keys: 'ipsource' });
  // The same flow seen at two hops of one agent, and at a second agent.
  t.add(sample({ ipsource: 'a' }, 1000, '10.0.0.1', '1'), 0);
  t.add(sample({ ipsource: 'a' }, 3000, '10.0.0.1', '49'), 0);
  t.add(sample({ ipsource: 'a' }, 2000, '10.0.0.2', '1'), 0);
  const isCore = (_agent: string, ds: string) => ds === '49';
  const v = (mode: 'max' | 'sum' | 'edge' | 'core') => t.activeFlows({ aggMode: mode, isCore }, 0)[0];
  assert.equal(v('max').value, 150_000);
  assert.deepEqual([v('max').agent, v('max').dataSource], ['10.0.0.1', '49']);
  assert.equal(v('sum').value, 300_000);
  assert.equal(v('edge').value, 150_000);
  assert.equal(v('core').value, 150_000);
  const perAgent = t.activeFlows({ aggMode: 'agent' }, 0);
  assert.deepEqual(
    perAgent.map((f) => [f.agent, f.value]),
    [
      ['10.0.0.1', 200_000],
      ['10.0.0.2', 100_000],
    ],
  );
  assert.equal(t.activeFlows({ agents: new Set(['10.0.0.2']) }, 0)[0].value, 100_000);
  assert.equal(t.activeFlows({ minValue: 200_000 }, 0).length, 0);
});

test('values: count of distinct sources, avg, min, max', () => {
  const t = table({
    keys: 'ipdestination',
    value: 'frames',
    values: ['count:ipsource', 'avg:ipbytes', 'min:ipbytes', 'max:ipbytes'],
  });
  for (let i = 0; i < 50; i++)
    t.add(sample({ ipdestination: 'victim', ipsource: `s${i % 10}`, ipbytes: 100 + i }), i * 10);
  const [f] = t.activeFlows({}, 500);
  assert.deepEqual(f.values?.[0], 10);
  assert.ok(Math.abs((f.values?.[1] as number) - 124.5) < 1.5, String(f.values?.[1]));
  assert.equal(f.values?.[2], 100);
  assert.equal(f.values?.[3], 149);
});

test('a flood of random keys keeps memory bounded and the heavy hitters on top', () => {
  const rnd = new Random(9);
  const t = table({ keys: 'ipsource', n: 5 }, 200);
  for (let i = 0; i < 200_000; i++) {
    const heavy = i % 10 === 0;
    const src = heavy ? `heavy${i % 30 === 0 ? 1 : 2}` : `r${rnd.int(0, 1e9)}`;
    t.add(sample({ ipsource: src }), i / 100);
  }
  const stats = t.getStats();
  assert.ok(stats.entries <= 250, `entries ${stats.entries}`);
  assert.ok(stats.evictions > 150_000);
  const top = t.activeFlows({ maxFlows: 2 }, 2000).map((f) => f.key);
  assert.deepEqual(top.sort(), ['heavy1', 'heavy2']);
});

test('definitions are validated with the attribute named', () => {
  assert.throws(() => normalizeFlow({ keys: 'ipsource', t: 'x' }), /'t' must be a number/);
  assert.throws(() => normalizeFlow({ keys: 'ipsource', bogus: 1 }), /unknown attribute 'bogus'/);
  assert.throws(() => normalizeFlow({ keys: 'ipsource', aggMode: 'median' }), /'aggMode' must be one of/);
  assert.throws(() => normalizeFlow([]), DefinitionError);
  assert.throws(
    () => compileFlow('f', normalizeFlow({ keys: 'or:ipsource', filter: 'ipprotocol' }), env),
    /expected a comparison/,
  );
  assert.throws(
    () => compileFlow('f', normalizeFlow({ keys: 'ipsource', value: 'avg:nosuch:x' }), env),
    /'value'/,
  );
  const d = normalizeFlow({ keys: ['ipsource', 'ipdestination'] });
  assert.deepEqual([d.keys, d.value, d.t, d.n, d.fs], ['ipsource,ipdestination', 'bytes', 2, 5, ',']);
});

test('logged flows: reported when idle, every activeTimeout while active, or at start with flowStart', () => {
  const logged: { flowKeys: string; value: number; start: number; end: number }[] = [];
  const mk = (def: Record<string, unknown>) =>
    new FlowTable(compileFlow('lf', normalizeFlow({ keys: 'ipsource', log: true, t: 1, ...def }), env), {
      onLog: (f) => logged.push(f),
    });
  const t = mk({ activeTimeout: 5 });
  for (let ms = 0; ms <= 3000; ms += 100) t.add(sample({ ipsource: 'a' }, 100, 'x', '1', 10), ms);
  t.sweep(4000);
  assert.equal(logged.length, 0, 'not idle for 2 s yet');
  t.sweep(5100);
  assert.deepEqual(logged, [
    { name: 'lf', agent: 'x', dataSource: '1', flowKeys: 'a', value: 31 * 1000, start: 0, end: 3000 },
  ]);
  logged.length = 0;
  for (let ms = 10_000; ms <= 22_000; ms += 100) {
    t.add(sample({ ipsource: 'b' }, 100, 'x', '1', 10), ms);
    if (ms % 1000 === 0) t.sweep(ms);
  }
  assert.deepEqual(
    logged.map((f) => [f.flowKeys, f.start, f.end]),
    [
      ['b', 10_000, 15_000],
      ['b', 15_000, 20_000],
    ],
    'a long flow is reported every activeTimeout',
  );
  logged.length = 0;
  const s = mk({ flowStart: true });
  s.add(sample({ ipsource: 'c' }), 0);
  s.add(sample({ ipsource: 'c' }), 10);
  assert.deepEqual(
    logged.map((f) => [f.flowKeys, f.start]),
    [['c', 0]],
  );
});
