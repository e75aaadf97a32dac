import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aiMetricsRoutes, prometheusText } from './routes.js';
import { AI_DEFAULTS, AiSettingsError, resolveSettings } from './settings.js';
import { harness } from './simulation.test-helper.js';
import { RoceFabricTraffic, roceFrame } from './traffic.test-helper.js';

test('settings: sFlow-RT property names, strings accepted, bad values named', () => {
  const s = resolveSettings({ 'ai.flow.t': '5', 'ai.trim.dscp': -1, 'prometheus.type': 'no' });
  assert.equal(s['ai.flow.t'], 5);
  assert.equal(s['ai.trim.dscp'], -1);
  assert.equal(s['prometheus.type'], false);
  assert.equal(s['ai.period.cv'], AI_DEFAULTS['ai.period.cv']);
  assert.throws(() => resolveSettings({ 'ai.flow.tt': 1 }), /unknown setting 'ai.flow.tt'/);
  assert.throws(() => resolveSettings({ 'ai.load.window': 2.5 }), AiSettingsError);
  assert.throws(() => resolveSettings({ 'ai.trim.dscp': 64 }), /'ai.trim.dscp' must be a whole number/);
  assert.throws(() => resolveSettings({ 'prometheus.metric.prefix': 'a b' }), AiSettingsError);
});

test('without a topology every port is an edge port; ai.trim.dscp -1 leaves ai_trim out', async () => {
  const frames = [
    roceFrame('10.1.0.1', '10.2.0.1', { opcode: 0x0a, destQp: 1, psn: 1, dmaLength: 8192 }, 1000),
  ];
  const traffic = new RoceFabricTraffic(
    [{ agent: '192.0.2.9', ifIndex: 3, samplingRate: 10, rate: () => 10_000, frames }],
    [],
    [],
    1,
    true,
  );
  const h = harness(traffic, { 'ai.trim.dscp': -1, 'ai.flow.t': 1 }, null);
  assert.equal(h.engine.flow('ai_trim'), undefined);
  h.run(6000);
  const p = h.app.points();
  assert.ok(Math.abs(p.bps - 10_000 * 1004 * 8) / (10_000 * 1004 * 8) < 0.05, `bps ${p.bps}`);
  assert.ok(Math.abs(p.rdma_ops - 10_000) / 10_000 < 0.05, `rdma_ops ${p.rdma_ops}`);
  assert.equal(p.rdma_bytes, 8192);
  assert.ok(p.edge_max_bps > 0);
  assert.equal(p.core_max_bps, 0);
  assert.deepEqual(Object.keys(p.operations), ['RC:RDMA_WRITE_ONLY']);

  // The routes answer from the same points.
  const routes = aiMetricsRoutes(h.app);
  const one = await routes.request('/metric/rdma_bytes/json');
  assert.equal(await one.json(), 8192);
  const period = (await (await routes.request('/period/json')).json()) as { threshold: number | null };
  assert.ok(period.threshold === null || period.threshold > 0);
  h.app.stop();
  assert.equal(h.engine.flow('ai_bytes'), undefined, 'stop removes the flows');
});

test('Prometheus text: prefix, TYPE lines on request, escaped labels, families only when present', () => {
  const h = harness(new RoceFabricTraffic([]));
  const points = { ...h.app.points(), operations: {}, drops: { 'a"b\\c': 2 } };
  const typed = prometheusText(points, 'x_', true);
  assert.match(typed, /^# TYPE x_ai_bps gauge\nx_ai_bps 0\n/);
  assert.match(typed, /^x_ai_drops\{reason="a\\"b\\\\c"\} 2$/m);
  assert.doesNotMatch(typed, /operations/);
  const plain = prometheusText(points, 'sflow_', false);
  assert.doesNotMatch(plain, /# TYPE/);
  assert.equal(plain.trimEnd().split('\n').length, 25);
});
