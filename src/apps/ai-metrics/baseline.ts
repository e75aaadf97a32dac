/**
 * A moving baseline, the counterpart of sFlow-RT's `baselineCreate(name,
 * window, sensitivity, repeat)` / `baselineCheck` / `baselineStatistics`.
 *
 * It keeps the last `window` values and classifies each new one:
 *
 * - `learning` until `window` values have been seen (each is kept);
 * - `normal` when the value lies within mean ± sensitivity × s, where s is the
 *   window's (population) standard deviation, but at least `floor` × |mean|;
 * - `high` / `low` when `repeat` values in a row fell above / below that band:
 *   the level has changed. The caller usually calls `reset()` and learns again.
 *
 * A value outside the band that does not (yet) complete such a run is also
 * reported `normal`, and it enters the window clipped to the band's edge
 * (winsorised), with `outlier` set. Clipping, rather than keeping or
 * dropping it, means one glitch moves the mean by at most
 * band / window, while the spread of genuinely irregular data is still
 * measured (dropping every outlier would shrink the band a little with each
 * pass until regular-looking values remained). A value completing a run is
 * not added: it belongs to the new level.
 *
 * The values learnt are taken as they come; when the window is full they are
 * clipped once against the window's median and median absolute deviation
 * (see settle()), so a wild value met while learning does not set the band.
 *
 * The floor keeps a nearly constant signal (sdev close to 0) from turning
 * every small fluctuation into a level change; `floor` 0 gives the pure
 * mean ± k·sdev band.
 */

export type BaselineState = 'learning' | 'normal' | 'high' | 'low';

export interface BaselineStatistics {
  mean: number;
  /** Population standard deviation of the window. */
  sdev: number;
  min: number;
  max: number;
  /** Values in the window. */
  n: number;
  /** Whether the window is still filling. */
  learning: boolean;
  /** Quartiles of the window (linear interpolation between closest ranks). */
  q1: number;
  med: number;
  q3: number;
}

export class Baseline {
  private values: number[] = [];
  /** Next slot to overwrite once the window is full. */
  private next = 0;
  private highRun = 0;
  private lowRun = 0;
  /** Whether the last checked value was outside the band. */
  outlier = false;

  constructor(
    readonly window: number,
    readonly sensitivity: number,
    readonly repeat: number,
    readonly floor = 0,
  ) {
    if (!Number.isInteger(window) || window < 2)
      throw new RangeError('baseline window must be an integer >= 2');
    if (!(sensitivity >= 0)) throw new RangeError('baseline sensitivity must be >= 0');
    if (!Number.isInteger(repeat) || repeat < 1)
      throw new RangeError('baseline repeat must be an integer >= 1');
    if (!(floor >= 0)) throw new RangeError('baseline floor must be >= 0');
  }

  get size(): number {
    return this.values.length;
  }

  get learning(): boolean {
    return this.values.length < this.window;
  }

  /** Classifies `value` and (unless it completes a level change) adds it to the window. */
  check(value: number): BaselineState {
    this.outlier = false;
    if (!Number.isFinite(value)) return this.learning ? 'learning' : 'normal';
    if (this.learning) {
      this.values.push(value);
      if (!this.learning) this.settle();
      return 'learning';
    }
    const { mean, sdev } = this.moments();
    const half = this.sensitivity * Math.max(sdev, this.floor * Math.abs(mean));
    let kept = value;
    if (value > mean + half) {
      this.outlier = true;
      this.lowRun = 0;
      if (++this.highRun >= this.repeat) {
        this.highRun = 0;
        return 'high';
      }
      kept = mean + half;
    } else if (value < mean - half) {
      this.outlier = true;
      this.highRun = 0;
      if (++this.lowRun >= this.repeat) {
        this.lowRun = 0;
        return 'low';
      }
      kept = mean - half;
    } else {
      this.highRun = 0;
      this.lowRun = 0;
    }
    this.values[this.next] = kept;
    this.next = (this.next + 1) % this.window;
    return 'normal';
  }

  /** Statistics of the values held; undefined while empty. */
  statistics(): BaselineStatistics | undefined {
    if (this.values.length === 0) return undefined;
    const { mean, sdev } = this.moments();
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number) => {
      const pos = q * (sorted.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, sorted.length - 1);
      return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    };
    return {
      mean,
      sdev,
      min: sorted[0],
      max: sorted[sorted.length - 1],
      n: sorted.length,
      learning: this.learning,
      q1: at(0.25),
      med: at(0.5),
      q3: at(0.75),
    };
  }

  reset(): void {
    this.values = [];
    this.next = 0;
    this.highRun = 0;
    this.lowRun = 0;
    this.outlier = false;
  }

  /**
   * When learning ends: the values learnt were taken as they came, so one
   * wild value among them would set the band. They are clipped once to
   * median ± sensitivity × max(1.4826 × MAD, floor × |median|), a band the
   * wild values themselves cannot widen (MAD: median absolute deviation;
   * 1.4826 × MAD estimates the sdev of normally distributed values).
   */
  private settle(): void {
    const sorted = [...this.values].sort((a, b) => a - b);
    const median = middle(sorted);
    const mad = middle(sorted.map((v) => Math.abs(v - median)).sort((a, b) => a - b));
    const half = this.sensitivity * Math.max(1.4826 * mad, this.floor * Math.abs(median));
    this.values = this.values.map((v) => Math.min(median + half, Math.max(median - half, v)));
  }

  private moments(): { mean: number; sdev: number } {
    const n = this.values.length;
    let sum = 0;
    for (const v of this.values) sum += v;
    const mean = sum / n;
    let sq = 0;
    for (const v of this.values) sq += (v - mean) * (v - mean);
    return { mean, sdev: Math.sqrt(sq / n) };
  }
}

/** Median of sorted values. */
function middle(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
