/**
 * The last `maxPoints` sets of metric values, one every `stepSize` seconds,
 * for /trend/json: a chart polls with `after` = the last time it has and
 * gets only the newer points.
 */

/** A metric value: a number, or for the top-N families a map of key to value. */
export type PointValue = number | Readonly<Record<string, number>>;
export type Points = Readonly<Record<string, PointValue>>;

export interface TrendDocument {
  maxPoints: number;
  stepSize: number;
  /** Times (ms since the epoch) of the points, oldest first. */
  times: number[];
  /** Per metric, its values at `times`. */
  trends: Record<string, PointValue[]>;
}

export class Trend {
  private readonly times: number[] = [];
  private readonly rows: Points[] = [];

  constructor(
    readonly maxPoints = 300,
    readonly stepSize = 1,
  ) {}

  get size(): number {
    return this.times.length;
  }

  add(timeMs: number, points: Points): void {
    this.times.push(timeMs);
    this.rows.push(points);
    if (this.times.length > this.maxPoints) {
      this.times.shift();
      this.rows.shift();
    }
  }

  /** Points strictly after `afterMs` (all when undefined). */
  after(afterMs?: number): TrendDocument {
    let start = 0;
    if (afterMs !== undefined) while (start < this.times.length && this.times[start] <= afterMs) start++;
    const times = this.times.slice(start);
    const rows = this.rows.slice(start);
    const names = new Set<string>();
    for (const r of rows) for (const k of Object.keys(r)) names.add(k);
    const trends: Record<string, PointValue[]> = {};
    for (const name of names) trends[name] = rows.map((r) => r[name] ?? 0);
    return { maxPoints: this.maxPoints, stepSize: this.stepSize, times, trends };
  }
}
