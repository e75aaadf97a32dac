import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Baseline } from './baseline.js';

test('learning until the window is full, then statistics of the window', () => {
  const b = new Baseline(4, 2, 2);
  assert.equal(b.statistics(), undefined);
  for (const v of [10, 12, 8, 10]) assert.equal(b.check(v), 'learning');
  assert.equal(b.learning, false);
  const s = b.statistics();
  assert.ok(s !== undefined);
  assert.equal(s.mean, 10);
  assert.ok(Math.abs(s.sdev - Math.sqrt(2)) < 1e-12);
  assert.deepEqual([s.min, s.max, s.n, s.learning], [8, 12, 4, false]);
  assert.deepEqual([s.q1, s.med, s.q3], [9.5, 10, 10.5]);
  assert.equal(b.check(11), 'normal');
  // The window slides: 10 (the oldest) is replaced.
  assert.equal(b.statistics()?.mean, (12 + 8 + 10 + 11) / 4);
});

test('an isolated outlier is normal and enters clipped; repeat outliers in a row are a level change', () => {
  const b = new Baseline(10, 2, 2);
  for (let i = 0; i < 10; i++) b.check(100 + (i % 2 === 0 ? 1 : -1));
  const before = b.statistics();
  assert.ok(before !== undefined);
  assert.equal(b.check(200), 'normal');
  assert.equal(b.outlier, true);
  const after = b.statistics();
  assert.ok(after !== undefined);
  // Clipped to mean + 2 sdev = 102: the mean moves by at most that band over the window.
  assert.ok(after.max <= before.mean + 2 * before.sdev + 1e-9, `max ${after.max}`);
  assert.ok(after.mean - before.mean <= (2 * before.sdev + 1) / 10 + 1e-9);
  assert.equal(b.check(100), 'normal');
  assert.equal(b.outlier, false);
  assert.equal(b.check(300), 'normal');
  assert.equal(b.check(300), 'high');
  assert.equal(b.check(0), 'normal');
  assert.equal(b.check(0), 'low');
  // A run must be unbroken and on one side.
  assert.equal(b.check(300), 'normal');
  assert.equal(b.check(0), 'normal');
  assert.equal(b.check(300), 'normal');
  assert.equal(b.check(100), 'normal');
  b.reset();
  assert.equal(b.statistics(), undefined);
  assert.equal(b.check(5), 'learning');
});

test('the floor keeps small fluctuations of a steady level normal', () => {
  const pure = new Baseline(20, 2, 2);
  const floored = new Baseline(20, 2, 2, 0.1);
  for (let i = 0; i < 20; i++) {
    pure.check(1000);
    floored.check(1000);
  }
  // sdev is 0: without a floor any change is outside the band.
  assert.equal(pure.check(1010), 'normal');
  assert.equal(pure.check(1010), 'high');
  assert.equal(floored.check(1010), 'normal');
  assert.equal(floored.check(1010), 'normal');
  assert.equal(floored.outlier, false);
  // 2 × 10% of the mean: a 25% step is a level change.
  assert.equal(floored.check(1250), 'normal');
  assert.equal(floored.check(1250), 'high');
});

test('a wild value met while learning is clipped when learning ends', () => {
  const b = new Baseline(20, 2, 2, 0.05);
  const values = Array.from({ length: 20 }, (_, i) => 200 + ((i * 7) % 5) * 5 - 10);
  values[5] = 400; // a missed crossing: two cycles in one interval
  for (const v of values) b.check(v);
  const s = b.statistics();
  assert.ok(s !== undefined);
  assert.ok(s.max < 240, `max ${s.max}`);
  assert.ok(Math.abs(s.mean - 200) < 3, `mean ${s.mean}`);
});

test('non-finite values are ignored; bad parameters throw', () => {
  const b = new Baseline(2, 1, 1);
  assert.equal(b.check(Number.NaN), 'learning');
  assert.equal(b.size, 0);
  assert.throws(() => new Baseline(1, 2, 2), RangeError);
  assert.throws(() => new Baseline(5, -1, 2), RangeError);
  assert.throws(() => new Baseline(5, 2, 0), RangeError);
  assert.throws(() => new Baseline(5, 2, 2, -1), RangeError);
});
