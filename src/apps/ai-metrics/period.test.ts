/**
 * The period detector alone, in simulated time: packet samples of a known
 * rate profile (compute / exchange square wave with jitter; steady traffic;
 * random bursts) arrive as a Poisson process and are smoothed exactly as
 * the engine smooths flows (engine/rate.ts) with t = 0.1 s (the fast rate)
 * and t = 2 s (the load).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SmoothedRate } from '../../engine/rate.js';
import { Random } from '../../simulate/random.js';
import { PeriodDetector } from './period.js';
import { AI_DEFAULTS, type AiSettings } from './settings.js';
import { cycles, poisson, randomBursts } from './traffic.test-helper.js';

interface Result {
  /** Period reported each second. */
  periods: number[];
  detector: PeriodDetector;
}

/**
 * Drives a detector for `seconds` with samples of `rate` (packets/s),
 * sampled 1:`sampling`: evaluate every 10 ms, load every second.
 */
function drive(
  rate: (tMs: number) => number,
  seconds: number,
  options: { sampling?: number; seed?: number; settings?: Partial<AiSettings> } = {},
): Result {
  const s: AiSettings = { ...AI_DEFAULTS, ...options.settings };
  const rnd = new Random(options.seed ?? 1);
  const sampling = options.sampling ?? 1000;
  const fast = new SmoothedRate(0);
  const load = new SmoothedRate(0);
  const tf = s['ai.flow.fast'];
  const tl = s['ai.flow.t'];
  const detector = new PeriodDetector(s, (now) => fast.rate(now, tf));
  const periods: number[] = [];
  const step = 10;
  for (let t = step; t <= seconds * 1000; t += step) {
    // A Poisson number of samples at the rate of the step's middle, spread uniformly over it.
    const n = poisson(rnd, (rate(t - step / 2) / sampling) * (step / 1000));
    const times = Array.from({ length: n }, () => t - step * rnd.next()).sort((a, b) => a - b);
    for (const at of times) {
      fast.add(sampling, at, tf);
      load.add(sampling, at, tl);
    }
    detector.evaluate(t);
    if (t % 1000 === 0) {
      detector.updateLoad(t, load.rate(t, tl));
      periods.push(detector.period(t));
    }
  }
  return { periods, detector };
}

const PEAK = 1_000_000;

for (const period of [0.2, 0.5, 1, 2, 5, 10]) {
  test(`a ${period} s compute / exchange cycle with 5% jitter and sampling noise is found within 5%`, () => {
    const seconds = Math.ceil(30 + 26 * period);
    for (const seed of [1, 2]) {
      const { periods, detector } = drive(cycles({ period, peak: PEAK, jitter: 0.05, seed }), seconds, {
        seed,
      });
      const reported = periods.filter((p) => p > 0);
      assert.ok(reported.length > 0, `seed ${seed}: no period reported; ${JSON.stringify(detector.counts)}`);
      for (const p of reported) {
        assert.ok(Math.abs(p - period) / period < 0.05, `seed ${seed}: reported ${p} for ${period}`);
      }
      const first = periods.findIndex((p) => p > 0);
      // Once found, the period stays reported.
      assert.ok(
        periods.slice(first).every((p) => p > 0),
        `seed ${seed}: period dropped out: ${periods.slice(first).join(' ')}`,
      );
    }
  });
}

test('steady traffic and random bursts have no period', () => {
  const profiles: [string, (t: number) => number][] = [
    ['steady', () => PEAK / 2],
    ['bursts 0.3 s on / 1 s off', randomBursts(0.3, 1, PEAK, 3)],
    ['bursts 1 s on / 1 s off', randomBursts(1, 1, PEAK, 4)],
    ['bursts 0.2 s on / 0.3 s off', randomBursts(0.2, 0.3, PEAK, 5)],
    ['bursts 2 s on / 3 s off', randomBursts(2, 3, PEAK, 6)],
  ];
  for (const [name, rate] of profiles) {
    for (const seed of [1, 2]) {
      const { periods, detector } = drive(rate, 400, { seed });
      const wrong = periods.filter((p) => p > 0);
      assert.equal(
        wrong.length,
        0,
        `${name} seed ${seed}: reported ${wrong.slice(0, 3)}; ${JSON.stringify(detector.counts)}`,
      );
    }
  }
});

test('the period goes stale when the traffic stops, and is found again when it resumes', () => {
  const base = cycles({ period: 0.5, peak: PEAK, jitter: 0.02, seed: 3 });
  const rate = (t: number) => (t >= 60_000 && t < 80_000 ? 0 : base(t));
  const { periods } = drive(rate, 130);
  assert.ok(Math.abs(periods[58] - 0.5) < 0.025, `before the pause: ${periods[58]}`);
  // Stale after 10 periods (5 s) without a crossing.
  assert.equal(periods[68], 0);
  assert.equal(periods[78], 0);
  assert.ok(Math.abs(periods[129] - 0.5) < 0.025, `after the pause: ${periods[129]}`);
});

test('a load level change moves the threshold; the period survives it', () => {
  const low = cycles({ period: 1, peak: PEAK / 4, jitter: 0.02, seed: 4 });
  const high = cycles({ period: 1, peak: PEAK, jitter: 0.02, seed: 4 });
  const rate = (t: number) => (t < 60_000 ? low(t) : high(t));
  const { periods, detector } = drive(rate, 120);
  assert.ok(detector.counts.levelChanges >= 1, JSON.stringify(detector.counts));
  assert.ok(
    detector.threshold !== undefined && detector.threshold > PEAK / 8,
    `threshold ${detector.threshold}`,
  );
  assert.ok(Math.abs(periods[119] - 1) < 0.05, `period ${periods[119]}`);
});

test("with sFlow-RT's tests alone (no swing, dispersion or count requirement) random bursts show periods", () => {
  // Why the flowlens additions exist: the cv < 0.5 test on 20 random intervals passes by chance.
  const pure = { 'ai.period.swing': 0, 'ai.period.qcd': 1, 'ai.period.min': 2 };
  let wrong = 0;
  for (const seed of [1, 2, 3]) {
    wrong += drive(randomBursts(1, 1, PEAK, seed + 10), 300, { seed, settings: pure }).periods.filter(
      (p) => p > 0,
    ).length;
  }
  assert.ok(wrong > 0, 'expected chance periods without the additions');
});

test('the threshold timeout adapts down to short cycles and stays at ai.threshold.t for slow ones', () => {
  const fastCycle = drive(cycles({ period: 0.2, peak: PEAK, seed: 5 }), 40).detector;
  assert.ok(fastCycle.timeout < 0.1, `0.2 s cycles: timeout ${fastCycle.timeout}`);
  assert.ok(fastCycle.timeout >= 0.02);
  const slowCycle = drive(cycles({ period: 2, peak: PEAK, seed: 5 }), 60).detector;
  assert.equal(slowCycle.timeout, AI_DEFAULTS['ai.threshold.t']);
});
