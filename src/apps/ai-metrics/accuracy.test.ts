/**
 * Period accuracy through the whole path, in simulated time: RoCEv2 packet
 * samples of compute / exchange cycles (4 hosts on 2 leaves, 1:1000, 4096-byte
 * RDMA writes, 1 M packets/s fabric-wide while exchanging, 40% of each cycle,
 * 2% background, 5% cycle jitter) encoded as sFlow, decoded, measured by the
 * engine's flows (ai_frames, ai_frames_fast over EDGE of a leaf-spine
 * topology), the detector's threshold and baselines. The table printed here
 * is the one in docs/ai-metrics.md.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPeriod } from './simulation.test-helper.js';
import { cycles, randomBursts } from './traffic.test-helper.js';

const PEAK = 1_000_000;
const PURE = { 'ai.period.swing': 0, 'ai.period.qcd': 1, 'ai.period.min': 2 };

test('detected period within 5% from 0.2 s to 10 s through engine flows and thresholds', (t) => {
  const rows: string[] = [
    '| period (s) | reported (s) | error | worst error while reported | found after (s) |',
  ];
  rows.push('|---:|---:|---:|---:|---:|');
  for (const period of [0.2, 0.5, 1, 2, 5, 10]) {
    const seconds = Math.ceil(30 + 26 * period);
    const r = runPeriod(cycles({ period, peak: PEAK, jitter: 0.05, seed: 3 }), seconds, { seed: 3 });
    const reported = r.periods.filter((x) => x.period > 0).map((x) => x.period);
    assert.ok(reported.length > 0, `${period} s: no period; ${JSON.stringify(r.app.detector.counts)}`);
    const worst = Math.max(...reported.map((p) => Math.abs(p - period) / period));
    assert.ok(worst < 0.05, `${period} s: reported up to ${(worst * 100).toFixed(2)}% off`);
    assert.ok(Math.abs(r.final - period) / period < 0.05, `${period} s: final ${r.final}`);
    const error = (((r.final - period) / period) * 100).toFixed(2);
    rows.push(
      `| ${period} | ${r.final.toFixed(4)} | ${error}% | ${(worst * 100).toFixed(2)}% | ${r.firstReport} |`,
    );
  }
  for (const row of rows) t.diagnostic(row);
});

test('no period on steady traffic or random bursts through engine flows and thresholds', (t) => {
  const rows: string[] = ["| traffic | period reported | with sFlow-RT's tests only |", '|---|---:|---:|'];
  for (const [name, rate] of [
    ['steady', () => () => PEAK / 2],
    ['random bursts, 0.3 s on / 1 s off (exponential)', () => randomBursts(0.3, 1, PEAK, 21)],
    ['random bursts, 1 s on / 1 s off (exponential)', () => randomBursts(1, 1, PEAK, 22)],
    ['random bursts, 0.2 s on / 0.3 s off (exponential)', () => randomBursts(0.2, 0.3, PEAK, 23)],
  ] as const) {
    const r = runPeriod(rate(), 300, { seed: 5 });
    const nonZero = r.periods.filter((x) => x.period > 0).length;
    assert.equal(nonZero, 0, `${name}: a period was reported ${nonZero} times`);
    // The same traffic with sFlow-RT's tests only (no swing, dispersion or interval-count requirement).
    const pure = runPeriod(rate(), 300, { seed: 5, settings: PURE });
    const pureNonZero = pure.periods.filter((x) => x.period > 0).length;
    rows.push(
      `| ${name} | ${nonZero} of ${r.periods.length} s | ${pureNonZero} of ${pure.periods.length} s |`,
    );
  }
  for (const row of rows) t.diagnostic(row);
});
