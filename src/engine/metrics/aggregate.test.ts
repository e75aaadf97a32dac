import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AGGREGATIONS, aggregate, quantile, quartiles } from './aggregate.js';

/**
 * Reference quantile: the sorted values are points (i / (n − 1), x_i); find the
 * segment that holds q by scanning and interpolate on it.
 */
function refQuantile(values: number[], q: number): number {
  const x = [...values].sort((a, b) => a - b);
  const n = x.length;
  if (n === 1) return x[0];
  for (let i = 0; i < n - 1; i++) {
    const lo = i / (n - 1);
    const hi = (i + 1) / (n - 1);
    if (q >= lo && q <= hi) {
      const t = (q - lo) / (hi - lo);
      return t === 0 ? x[i] : t === 1 ? x[i + 1] : x[i] + t * (x[i + 1] - x[i]);
    }
  }
  return x[n - 1];
}

function refAggregate(agg: string, v: number[]): number {
  const sum = v.reduce((a, b) => a + b, 0);
  const mean = sum / v.length;
  const sq = v.reduce((a, b) => a + b * b, 0) / v.length - mean * mean;
  switch (agg) {
    case 'max':
      return Math.max(...v);
    case 'min':
      return Math.min(...v);
    case 'sum':
      return sum;
    case 'avg':
      return mean;
    case 'var':
      return Math.max(0, sq);
    case 'sdev':
      return Math.sqrt(Math.max(0, sq));
    case 'any':
      return v[0];
    case 'q1':
      return refQuantile(v, 0.25);
    case 'med':
    case 'q2':
      return refQuantile(v, 0.5);
    case 'q3':
      return refQuantile(v, 0.75);
    case 'iqr':
      return refQuantile(v, 0.75) - refQuantile(v, 0.25);
  }
  throw new Error(agg);
}

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, scale);
}

test('quartiles interpolate between closest ranks (numpy default)', () => {
  assert.deepEqual(quartiles([1, 2, 3, 4]), { min: 1, q1: 1.75, med: 2.5, q3: 3.25, max: 4 });
  assert.deepEqual(quartiles([7, 15, 36, 39, 40, 41]), { min: 7, q1: 20.25, med: 37.5, q3: 39.75, max: 41 });
  assert.deepEqual(quartiles([5]), { min: 5, q1: 5, med: 5, q3: 5, max: 5 });
  assert.equal(quantile([1, 3, 5], 0.5), 3);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('each aggregation on small known inputs', () => {
  const v = [4, 1, 3, 2];
  assert.equal(aggregate('max', v), 4);
  assert.equal(aggregate('min', v), 1);
  assert.equal(aggregate('sum', v), 10);
  assert.equal(aggregate('avg', v), 2.5);
  assert.equal(aggregate('var', v), 1.25);
  assert.equal(aggregate('sdev', v), Math.sqrt(1.25));
  assert.equal(aggregate('med', v), 2.5);
  assert.equal(aggregate('q2', v), 2.5);
  assert.equal(aggregate('q1', v), 1.75);
  assert.equal(aggregate('q3', v), 3.25);
  assert.equal(aggregate('iqr', v), 1.5);
  assert.equal(aggregate('any', v), 4);
  for (const a of AGGREGATIONS) assert.equal(aggregate(a, []), undefined, a);
});

test('every aggregation matches the reference on random data', () => {
  const values = fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 60 });
  fc.assert(
    fc.property(values, fc.constantFrom(...AGGREGATIONS), (v, agg) => {
      const got = aggregate(agg, v);
      const want = refAggregate(agg, v);
      const scale = agg === 'var' ? 1e18 : v.reduce((m, x) => Math.max(m, Math.abs(x)), 0) * v.length;
      assert.ok(got !== undefined && close(got, want, scale), `${agg}(${v}) = ${got}, want ${want}`);
    }),
    { numRuns: 2000 },
  );
});

test('quartiles are ordered and bounded by min and max', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 40 }), (v) => {
      const sorted = [...v].sort((a, b) => a - b);
      const q = quartiles(sorted);
      assert.ok(q.min <= q.q1 && q.q1 <= q.med && q.med <= q.q3 && q.q3 <= q.max);
      assert.equal(q.min, Math.min(...v));
      assert.equal(q.max, Math.max(...v));
      assert.ok(close(q.med, refQuantile(v, 0.5), 1000));
    }),
  );
});
