/**
 * Summary statistics across data sources, for metric queries:
 * `max` (default), `min`, `sum`, `avg`, `var`, `sdev`, `med`, `q1`, `q2`,
 * `q3`, `iqr`, `any`.
 *
 * Quantiles interpolate linearly between the closest ranks (position
 * q × (n − 1) in the sorted values; numpy's default, Excel's QUARTILE.INC),
 * so med = q2 and a single value is every quantile. Variance is the
 * population variance (divided by n): the selected data sources are the whole
 * population, not a sample of it.
 */

export const AGGREGATIONS = [
  'max',
  'min',
  'sum',
  'avg',
  'var',
  'sdev',
  'med',
  'q1',
  'q2',
  'q3',
  'iqr',
  'any',
] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export function isAggregation(s: string): s is Aggregation {
  return (AGGREGATIONS as readonly string[]).includes(s);
}

export interface Quartiles {
  min: number;
  q1: number;
  med: number;
  q3: number;
  max: number;
}

/** Quantile q (0..1) of ascending `sorted`, interpolating between closest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

export function quartiles(sorted: readonly number[]): Quartiles {
  return {
    min: sorted[0],
    q1: quantile(sorted, 0.25),
    med: quantile(sorted, 0.5),
    q3: quantile(sorted, 0.75),
    max: sorted[sorted.length - 1],
  };
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

function variance(values: readonly number[]): number {
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) * (v - m);
  return s / values.length;
}

/**
 * The statistic of `values` (numbers, any order); undefined when there are
 * none. `any` is the first value: callers put the one they prefer first.
 */
export function aggregate(agg: Aggregation, values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  switch (agg) {
    case 'max': {
      let m = values[0];
      for (const v of values) if (v > m) m = v;
      return m;
    }
    case 'min': {
      let m = values[0];
      for (const v of values) if (v < m) m = v;
      return m;
    }
    case 'sum': {
      let s = 0;
      for (const v of values) s += v;
      return s;
    }
    case 'avg':
      return mean(values);
    case 'var':
      return variance(values);
    case 'sdev':
      return Math.sqrt(variance(values));
    case 'any':
      return values[0];
    default: {
      const sorted = [...values].sort((a, b) => a - b);
      switch (agg) {
        case 'q1':
          return quantile(sorted, 0.25);
        case 'med':
        case 'q2':
          return quantile(sorted, 0.5);
        case 'q3':
          return quantile(sorted, 0.75);
        case 'iqr':
          return quantile(sorted, 0.75) - quantile(sorted, 0.25);
      }
    }
  }
}
