/**
 * The app in a running collector fed RoCEv2 sFlow over UDP loopback: a
 * leaf-spine topology, RDMA writes of known sizes and rates on access ports,
 * acknowledgements with known credits, CNPs, ECN-marked and trimmed packets
 * on fabric ports, dropped-packet notifications with reasons, interface
 * counters. The app's REST paths must report every point within 10% and in
 * sFlow-RT's formats.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FrameSpec } from '../../simulate/packets.js';
import { APP, near, type Points, startTestCollector, type TestCollector } from './collector.test-helper.js';
import { AI_FLOW_NAMES } from './flows.js';
import { TOPOLOGY } from './simulation.test-helper.js';
import {
  type CounterTraffic,
  type DropTraffic,
  type PortTraffic,
  RoceFabricTraffic,
  roceFrame,
} from './traffic.test-helper.js';

let tc: TestCollector;
let base = '';

before(async () => {
  // t = 1 s instead of 2 s: values settle within 1% in 5 s of traffic.
  tc = await startTestCollector({ 'ai.flow.t': 1 });
  base = tc.base;
});
after(() => tc.stop());

const getJson = <T>(p: string): Promise<T> => tc.getJson<T>(p);

// --- the traffic --------------------------------------------------------------------
const LEAF1 = '10.0.0.1';
const LEAF2 = '10.0.0.2';
const SPINE = '10.0.0.3';
const MTU = 4096;

/** One 64 KiB RDMA write: FIRST (with the RETH), 14 MIDDLE, LAST. */
const write64k: FrameSpec[] = [
  roceFrame('10.1.0.1', '10.2.0.1', { opcode: 0x06, destQp: 17, psn: 1, dmaLength: 65536 }, MTU),
  ...Array.from({ length: 14 }, (_, i) =>
    roceFrame('10.1.0.1', '10.2.0.1', { opcode: 0x07, destQp: 17, psn: 2 + i }, MTU),
  ),
  roceFrame('10.1.0.1', '10.2.0.1', { opcode: 0x08, destQp: 17, psn: 16, ackReq: true }, MTU),
];
const write4k = [
  roceFrame('10.1.0.2', '10.2.0.2', { opcode: 0x0a, destQp: 18, psn: 1, dmaLength: 4096 }, MTU),
];
/** AETH syndrome: type ACK (0) in the top 3 bits, the credit count in the low 5. */
const ack = (credits: number, src: string) =>
  roceFrame(src, '10.1.0.1', { opcode: 0x11, destQp: 19, psn: 1, syndrome: credits }, 64);
const cnp = roceFrame('10.2.0.1', '10.1.0.1', { opcode: 0x81, destQp: 17, psn: 0 }, 80);
const marked = roceFrame('10.1.0.1', '10.2.0.1', { opcode: 0x07, destQp: 17, psn: 5 }, MTU, { ecn: 3 });
const middle = roceFrame('10.1.0.1', '10.2.0.1', { opcode: 0x07, destQp: 17, psn: 6 }, MTU);
const trimmed = roceFrame('10.2.0.1', '10.1.0.1', { opcode: 0x07, destQp: 20, psn: 1 }, 256, { dscp: 11 });

const ports: PortTraffic[] = [
  // Access ports (EDGE), packets arriving from the hosts.
  { agent: LEAF1, ifIndex: 1, samplingRate: 1000, rate: () => 160_000, frames: write64k },
  { agent: LEAF1, ifIndex: 2, samplingRate: 100, rate: () => 20_000, frames: write4k },
  // 4000 ACKs and 1000 CNPs a second.
  {
    agent: LEAF2,
    ifIndex: 1,
    samplingRate: 100,
    rate: () => 5_000,
    frames: [ack(8, '10.2.0.1'), ack(8, '10.2.0.1'), cnp, ack(8, '10.2.0.1'), ack(8, '10.2.0.1')],
  },
  { agent: LEAF2, ifIndex: 2, samplingRate: 100, rate: () => 4_000, frames: [ack(16, '10.2.0.2')] },
  // Fabric ports (CORE): the spine's ports towards leaf1 (a quarter marked CE) and leaf2 (a fifth trimmed).
  {
    agent: SPINE,
    ifIndex: 1,
    samplingRate: 1000,
    rate: () => 100_000,
    frames: [marked, middle, middle, middle],
  },
  {
    agent: SPINE,
    ifIndex: 2,
    samplingRate: 100,
    rate: () => 10_000,
    frames: [ack(8, '10.2.0.1'), ack(8, '10.2.0.1'), trimmed, ack(16, '10.2.0.2'), ack(16, '10.2.0.2')],
  },
];
const drops: DropTraffic[] = [
  { agent: SPINE, ifIndex: 1, reason: 257, rate: 30, frame: middle },
  { agent: LEAF1, ifIndex: 49, reason: 258, rate: 10, frame: middle },
];
const counters: CounterTraffic[] = [
  { agent: LEAF1, ifIndex: 49, inDiscards: 7, inErrors: 3, outDiscards: 5, outErrors: 1 },
];

/** Bytes/s arriving on a port: sFlow frame lengths include the 4-byte FCS. */
function bytesPerSecond(p: PortTraffic): number {
  const perFrame = p.frames.reduce((s, f) => s + f.frameLength + 4, 0) / p.frames.length;
  return p.rate(0) * perFrame;
}

function quartiles(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const q = (x: number) => {
    const pos = x * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
  };
  return { min: s[0], q1: q(0.25), med: q(0.5), q3: q(0.75), max: s[s.length - 1] };
}

async function sendTraffic(ms: number): Promise<void> {
  const traffic = new RoceFabricTraffic(ports, drops, counters, 1, true);
  const socket = dgram.createSocket('udp4');
  const port = tc.collector.ports.sflow as number;
  const startMs = Date.now();
  let last = 0;
  while (last < ms) {
    await new Promise((r) => setTimeout(r, 10));
    const now = Math.min(ms, Date.now() - startMs);
    for (const { buf } of traffic.step(last, now)) {
      await new Promise<void>((resolve) => socket.send(buf, port, '127.0.0.1', () => resolve()));
    }
    last = now;
  }
  socket.close();
}

test('RoCEv2 fabric metrics from live sFlow: every point within 10%, Prometheus and REST formats', async () => {
  await tc.putTopology(TOPOLOGY);
  const flows = await getJson<Record<string, { aggMode?: string; t: number }>>('/flow/json');
  for (const name of AI_FLOW_NAMES) assert.ok(name in flows, `flow ${name} defined`);
  assert.equal(flows.ai_frames_fast.t, 0.1);
  assert.equal(flows.ai_frames_fast.aggMode, 'edge');

  // Read while the traffic still flows: smoothed values decay once it stops.
  const sending = sendTraffic(7000);
  await new Promise((r) => setTimeout(r, 6000));

  const p = await getJson<Points>(`${APP}/metric/json`);
  const edge = ports.filter((x) => x.agent !== SPINE);
  const core = ports.filter((x) => x.agent === SPINE);
  near('bps', p.bps, edge.reduce((s, x) => s + bytesPerSecond(x), 0) * 8);
  near('rdma_ops', p.rdma_ops, 160_000 / 16 + 20_000);
  near('rdma_bytes', p.rdma_bytes, (10_000 * 65536 + 20_000 * 4096) / 30_000);
  near('aeth_credits_avg', p.aeth_credits_avg, 12);
  near('aeth_credits_min', p.aeth_credits_min, 8);
  near('aeth_credits_max', p.aeth_credits_max, 16);
  const eq = quartiles(edge.map((x) => bytesPerSecond(x) * 8));
  const cq = quartiles(core.map((x) => bytesPerSecond(x) * 8));
  for (const k of ['min', 'q1', 'med', 'q3', 'max'] as const) {
    near(`edge_${k}_bps`, p[`edge_${k}_bps`], eq[k]);
    near(`core_${k}_bps`, p[`core_${k}_bps`], cq[k]);
  }
  near('ecn_pps', p.ecn_pps, 25_000);
  near('cnp_pps', p.cnp_pps, 1_000);
  near('trim_pps', p.trim_pps, 2_000);
  near('discards_in', p.discards_in, 7);
  near('errors_in', p.errors_in, 3);
  near('discards_out', p.discards_out, 5);
  near('errors_out', p.errors_out, 1);
  assert.equal(p.period, 0, 'steady traffic has no period');
  assert.deepEqual(Object.keys(p.operations).sort(), [
    'RC:ACK',
    'RC:RDMA_WRITE_FIRST',
    'RC:RDMA_WRITE_LAST',
    'RC:RDMA_WRITE_MIDDLE',
    'RC:RDMA_WRITE_ONLY',
  ]);
  near('operations RC:RDMA_WRITE_MIDDLE', p.operations['RC:RDMA_WRITE_MIDDLE'], 140_000);
  near('operations RC:RDMA_WRITE_ONLY', p.operations['RC:RDMA_WRITE_ONLY'], 20_000);
  near('operations RC:ACK', p.operations['RC:ACK'], 8_000);
  assert.deepEqual(Object.keys(p.drops).sort(), ['acl', 'ttl_exceeded']);
  near('drops ttl_exceeded', p.drops.ttl_exceeded, 30);
  near('drops acl', p.drops.acl, 10);

  // One point.
  near('metric/bps', await getJson<number>(`${APP}/metric/bps/json`), p.bps, 0.2);
  assert.deepEqual(Object.keys(await getJson<Record<string, number>>(`${APP}/metric/drops/json`)).sort(), [
    'acl',
    'ttl_exceeded',
  ]);
  const missing = await fetch(`${base}${APP}/metric/bogus/json`);
  assert.equal(missing.status, 404);

  // Prometheus: 24 gauges and the two labelled families, each with its TYPE line.
  const r = await fetch(`${base}${APP}/prometheus/txt`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await r.text();
  const lines = text.trimEnd().split('\n');
  const types = lines.filter((l) => l.startsWith('# TYPE '));
  assert.equal(types.length, 26);
  for (const t of types) assert.match(t, /^# TYPE sflow_ai_[a-z0-9_]+ gauge$/);
  const samples = lines.filter((l) => !l.startsWith('#'));
  for (const l of samples) {
    assert.match(l, /^sflow_ai_[a-z0-9_]+(\{(name|reason)="[^"\\]*"\})? -?\d+(\.\d+)?(e[-+]\d+)?$/, l);
  }
  for (const name of ['bps', 'rdma_ops', 'core_q3_bps', 'edge_min_bps', 'errors_out', 'trim_pps', 'period']) {
    assert.ok(
      samples.some((l) => l.startsWith(`sflow_ai_${name} `)),
      `sflow_ai_${name} exported`,
    );
  }
  assert.equal(samples.filter((l) => !l.includes('{')).length, 24);
  const op = /^sflow_ai_operations\{name="RC:RDMA_WRITE_ONLY"\} (\S+)$/m.exec(text);
  assert.ok(op !== null, text);
  near('prometheus operations', Number(op[1]), 20_000);
  assert.match(text, /^sflow_ai_drops\{reason="ttl_exceeded"\} \S+$/m);

  // Trend: every second's points; incremental with after=.
  const trend = await getJson<{ trend: { times: number[]; trends: Record<string, unknown[]> } }>(
    `${APP}/trend/json`,
  );
  assert.ok(trend.trend.times.length >= 5, `trend of ${trend.trend.times.length} points`);
  assert.equal(trend.trend.trends.bps.length, trend.trend.times.length);
  assert.equal(trend.trend.trends.operations.length, trend.trend.times.length);
  const lastTime = trend.trend.times.at(-1) as number;
  const later = await getJson<{ trend: { times: number[] } }>(`${APP}/trend/json?after=${lastTime}`);
  assert.ok(later.trend.times.every((t) => t > lastTime));
  const earlier = await getJson<{ trend: { times: number[] } }>(
    `${APP}/trend/json?after=${trend.trend.times.at(-3)}`,
  );
  assert.ok(earlier.trend.times.length >= 2);
  assert.equal((await fetch(`${base}${APP}/trend/json?after=yesterday`)).status, 400);

  // Period: the detector's state.
  const period = await getJson<Record<string, unknown>>(`${APP}/period/json`);
  assert.deepEqual(Object.keys(period).sort(), [
    'baselineLoad',
    'baselinePeriod',
    'period',
    'threshold',
    'value',
  ]);
  assert.equal(typeof period.value, 'number');
  assert.ok((period.value as number) > 100_000, `fast RoCEv2 rate ${period.value}`);
  assert.equal(period.period, 0);
  const load = period.baselineLoad as { mean: number; n: number } | null;
  assert.ok(load !== null && load.n > 0);
  await sending;
});

test("the app's flows are not persisted with the user's", async () => {
  const res = await fetch(`${base}/flow/mine/json`, {
    method: 'PUT',
    body: JSON.stringify({ keys: 'ipsource', value: 'frames' }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.status, 204);
  await new Promise((r) => setTimeout(r, 400));
  const state = JSON.parse(readFileSync(path.join(tc.stateDir, 'state.json'), 'utf8')) as {
    flows: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(state.flows), ['mine']);
});
