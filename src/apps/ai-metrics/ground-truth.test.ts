/**
 * The ai-metrics app against the fabric simulator's ground truth, through the
 * whole path: FabricSimulator datagrams fed to a real collector
 * (collector.receive: decoder, engine flows, counters, topology from
 * PUT /topology/json), the app's points read from
 * /app/ai-metrics/scripts/metrics.js/metric/json every second.
 *
 * Time is simulated: the collector and the app take their time from
 * Date.now() and their timers from setInterval, both mocked (node:test mock
 * timers) and advanced 10 ms at a time, so the app's 10 ms threshold checks and
 * 1 s ticks run as they would live, and a minute of traffic takes seconds.
 *
 * Rates are compared as averages over a window of whole fabric periods: the
 * mean of the app's per-second points against the simulator's truth for the
 * same seconds (FabricSimulator.groundTruth). What each point counts, in
 * sFlow-RT's definitions: rdma_ops and rdma_bytes the RETH packets entering
 * at EDGE ports; ecn_pps and cnp_pps CE-marked and CNP packets received by any
 * topology port (ingress samples; a CNP crossing three switches counts three
 * times); drops{reason} the dropped-packet notifications, each standing for
 * one packet (rate-limited per port by the switches); discards_in and
 * discards_out the interface counters, i.e. every dropped packet. The table
 * printed is the one in docs/ai-metrics.md.
 */

import assert from 'node:assert/strict';
import http from 'node:http';
import { mock, type TestContext, test } from 'node:test';
import {
  type FabricGroundTruth,
  type FabricOptions,
  FabricSimulator,
  type JobSpec,
} from '../../simulate/fabric.js';
import { APP, near, type Points, startTestCollector } from './collector.test-helper.js';

/** 2026-01-01T00:00:00Z: the mocked clock starts on a second. */
const EPOCH = 1_767_225_600_000;
const STEP_MS = 10;

interface Measured {
  truth: FabricGroundTruth;
  /** The app's points at each second of the window. */
  points: Points[];
  /** The last metric/json. */
  last: Points;
}

/**
 * GETs JSON on a new connection each time. The mocked Date skews the HTTP
 * client's keep-alive bookkeeping against the server's real-time idle timeout
 * (simulated seconds take longer than real ones on a loaded machine), and a
 * reused connection the server has just closed fails with ECONNRESET.
 */
function getFresh<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          if (res.statusCode === 200) resolve(JSON.parse(body) as T);
          else reject(new Error(`${url}: HTTP ${res.statusCode} ${body}`));
        });
      })
      .on('error', reject);
  });
}

/**
 * Runs the fabric for `seconds` of simulated time into a collector and returns the app's
 * points for the last `windowSeconds` with the simulator's truth for the same seconds.
 */
async function measure(options: FabricOptions, seconds: number, windowSeconds: number): Promise<Measured> {
  mock.timers.enable({ apis: ['setInterval', 'Date'], now: EPOCH });
  const tc = await startTestCollector();
  try {
    const sim = new FabricSimulator(options);
    await tc.putTopology(sim.topology());
    const points: Points[] = [];
    const from = (seconds - windowSeconds) * 1000;
    for (let t = STEP_MS; t <= seconds * 1000; t += STEP_MS) {
      // The clock first (the app's timers fire up to t), then what the agents sent by t.
      mock.timers.tick(STEP_MS);
      for (const d of sim.stepTimed(t)) tc.collector.receive(d.payload, d.agent, 6343);
      if (t % 1000 === 0 && t > from) points.push(await getFresh<Points>(`${tc.base}${APP}/metric/json`));
    }
    return { truth: sim.groundTruth(from, seconds * 1000), points, last: points[points.length - 1] };
  } finally {
    await tc.stop();
    mock.timers.reset();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

interface Row {
  metric: string;
  truth: number;
  app: number;
  tolerance: number;
}

/**
 * The app's window averages against the truth. drops{reason} is asserted when one port sent
 * at least 90% of that reason's notifications, `minDrops` or more: with several ports the
 * maximum of their smoothed (noisy) rates runs above the busiest port's mean, and a few
 * notifications are mostly noise.
 */
function compare(m: Measured, minDrops = 100): Row[] {
  const { truth, points } = m;
  const avg = (name: string) => mean(points.map((p) => p[name]));
  const ops = points.reduce((a, p) => a + p.rdma_ops, 0);
  const rows: Row[] = [
    { metric: 'rdma_ops (operations/s)', truth: truth.rdmaOps, app: avg('rdma_ops'), tolerance: 0.1 },
    {
      metric: 'rdma_bytes (bytes/operation)',
      truth: truth.rdmaBytesPerOp,
      app: points.reduce((a, p) => a + p.rdma_ops * p.rdma_bytes, 0) / ops,
      tolerance: 0.1,
    },
    {
      metric: 'ecn_pps (CE frames/s, every switch port)',
      truth: truth.ecnCePps,
      app: avg('ecn_pps'),
      tolerance: 0.1,
    },
    {
      metric: 'cnp_pps (CNP frames/s, every switch port)',
      truth: truth.cnpPpsAllPorts,
      app: avg('cnp_pps'),
      tolerance: 0.1,
    },
    { metric: 'discards_in (packets/s)', truth: truth.discardsIn, app: avg('discards_in'), tolerance: 0.1 },
    {
      metric: 'discards_out (packets/s)',
      truth: truth.discardsOut,
      app: avg('discards_out'),
      tolerance: 0.1,
    },
  ];
  for (const [reason, rate] of Object.entries(truth.discardNotificationsPortMax)) {
    const one = rate >= 0.9 * (truth.discardNotifications[reason] ?? 0);
    rows.push({
      metric: `drops{reason="${reason}"} (notifications/s, busiest port${one ? '' : ' of several'})`,
      truth: rate,
      app: mean(points.map((p) => p.drops[reason] ?? 0)),
      tolerance: one && rate * truth.seconds >= minDrops ? 0.1 : Number.POSITIVE_INFINITY,
    });
  }
  return rows;
}

function check(t: TestContext, title: string, rows: Row[]): void {
  t.diagnostic(title);
  t.diagnostic('| metric | simulator truth | app | error |');
  t.diagnostic('|---|---:|---:|---:|');
  const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4));
  for (const r of rows) {
    const error = r.truth === 0 ? '' : `${(((r.app - r.truth) / r.truth) * 100).toFixed(2)}%`;
    const note = Number.isFinite(r.tolerance) ? '' : ' (not asserted)';
    t.diagnostic(`| ${r.metric} | ${fmt(r.truth)} | ${fmt(r.app)} | ${error}${note} |`);
  }
  for (const r of rows) if (Number.isFinite(r.tolerance)) near(r.metric, r.app, r.truth, r.tolerance);
}

/**
 * One training job's collectives in lockstep, so the fabric's RoCEv2 load has one period:
 * ring AllReduce and AllGather packed in racks, a ReduceScatter spread over the racks whose
 * flows ECMP puts on shared fabric links (seed 1: CE marked in fabric queues, RED drops).
 */
const LOCKSTEP = (periodMs: number): JobSpec[] =>
  (
    [
      ['allreduce', 'allreduce', 16, 1 << 20, 0.7, 2, 'packed'],
      ['reducescatter', 'reducescatter', 8, 512 << 10, 0.5, 1, 'spread'],
      ['allgather', 'allgather', 4, 256 << 10, 0.6, 2, 'packed'],
    ] as const
  ).map(([name, collective, hosts, messageBytes, load, channels, placement]) => ({
    name,
    collective,
    hosts,
    periodMs,
    duty: 0.4,
    messageBytes,
    load,
    channels,
    placement,
    phaseMs: 0,
  }));

test('small fabric (2 spines, 4 leaves, 32 hosts): rates within 10% of the truth, period within 5%', async (t) => {
  // Not a divisor of 1 s: the app's 1 s points then meet every phase of the cycle. With 0.5 s
  // they would always read the smoothed rate at the same phase, 6% under its mean here.
  const periodMs = 700;
  const m = await measure(
    { seed: 1, spines: 2, leaves: 4, hostsPerLeaf: 8, jobs: LOCKSTEP(periodMs) },
    50,
    35,
  );
  assert.equal(m.truth.periodMs, periodMs);
  assert.ok(m.truth.ecnCePps > 0 && m.truth.cnpPps > 0, 'the fabric is congested');
  const rows = compare(m);
  rows.push({ metric: 'period (s)', truth: m.truth.periodMs / 1000, app: m.last.period, tolerance: 0.05 });
  check(t, 'small fabric, 1:10000, 35 s window', rows);
});

test('default fabric (4 spines, 8 leaves, 128 hosts, default jobs): rates within 10% of the truth', async (t) => {
  // The default jobs' periods (2, 0.5, 1.2, 0.2 s) make a 6 s fabric period: the window is two.
  const m = await measure({ seed: 4 }, 18, 12);
  assert.equal(m.truth.periodMs, 6000);
  assert.ok(m.truth.ecnCePps > 0 && m.truth.cnpPps > 0, 'the fabric is congested');
  check(t, 'default fabric, 1:10000, 12 s window', compare(m));
});
