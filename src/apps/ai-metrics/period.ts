/**
 * Detects the period of compute / exchange cycles from the RoCEv2 packet rate
 * (sflow-rt-reference.md §3.3), with the engine's own thresholds and events:
 *
 * 1. Every second the smoothed fabric-wide RoCEv2 frame rate (flow
 *    `ai_frames`, t = ai.flow.t) goes into the `load` baseline.
 * 2. While the load is `normal`, a threshold on `ai_frames_fast` (the same
 *    rate smoothed with t = ai.flow.fast) is placed at the load's mean: when
 *    there is none yet, when the mean has moved so that the threshold lies
 *    outside the window's [min, max], or when no crossing was seen for
 *    ai.period.misses periods.
 * 3. A `high` or `low` load (a level change) removes the threshold and
 *    restarts the load baseline.
 * 4. Every threshold event is an upward crossing of the mean: the start of
 *    an exchange burst. The time between consecutive events goes into the
 *    `period` baseline.
 * 5. The period reported is the period baseline's mean when its coefficient
 *    of variation is below ai.period.cv and the last crossing is more recent
 *    than ai.period.stale means; otherwise 0 (no period).
 *
 * The threshold is an engine `Thresholds` firing into an engine `EventLog`
 * that this detector subscribes to. They are the detector's own instances,
 * evaluated by `evaluate()` on the app's timer (every ai.threshold.interval,
 * 10 ms by default) rather than by the collector's 100 ms threshold timer:
 * a 0.2 s cycle spends about 100 ms on either side of the mean, which a 100
 * ms evaluation would alias. Keeping them apart also keeps the several
 * events per second out of /events/json, where they would push out the
 * events of user thresholds, and out of the persisted thresholds.
 *
 * The observation is the EDGE-aggregated value of ai_frames_fast (the flow's
 * aggMode), one value for the whole fabric.
 *
 * flowlens additions (each can be turned off, see settings.ts):
 *
 * - Adaptive timeout. The threshold re-arms only after the rate stayed below
 *   it for `timeout` seconds (ai.threshold.t, 0.2 s). A 0.2 s cycle is below
 *   the mean for only ~0.1 s, so with a fixed 0.2 s timeout it would fire
 *   once and never again. The detector measures how long the rate stays
 *   below the threshold level and uses a third of the median of the last 8
 *   such stretches as the timeout (one stretch per cycle, so the median is
 *   a compute phase, not a noise dip; a third leaves room for cycles shorter
 *   than the median), capped at ai.threshold.t (so slow cycles keep
 *   sFlow-RT's value) and at least two evaluation intervals. The threshold
 *   is re-placed with a new timeout only when that grows by half or shrinks
 *   by a third, and only once the rate has been below the level for the new
 *   timeout: a threshold re-placed in a dip inside a burst would fire
 *   mid-burst. The interval spanning a re-placement is not counted.
 * - Swing. A crossing ends a cycle only when, since the cycle began, the
 *   fast rate rose to (1 + swing/2) × threshold or more and fell to
 *   (1 − swing/2) × threshold or less (ai.period.swing, 0.5: ±25%).
 *   Otherwise it is ignored and the cycle goes on. On steady traffic the
 *   smoothed rate still wanders across its own mean with sampling noise, and
 *   inside a long burst it may dip under the mean for longer than the
 *   timeout; neither is the end of a cycle.
 * - Regularity. The period is reported once ai.period.min intervals (20) are
 *   held, when their quartile coefficient of dispersion is below
 *   ai.period.qcd (0.1) and their mean is within qcd/4 of their median. 20
 *   random on / off intervals pass the cv < 0.5 test by chance several
 *   percent of the time; and a mean away from the median means crossings
 *   were missed (intervals spanning two cycles), so no period rather than a
 *   wrong one.
 */
import { EventLog, type ThresholdEvent } from '../../engine/events.js';
import { type ObservationSource, Thresholds } from '../../engine/thresholds.js';
import { Baseline, type BaselineState, type BaselineStatistics } from './baseline.js';
import type { AiSettings } from './settings.js';

export const FAST_FLOW = 'ai_frames_fast';

/** The document /period/json returns (sFlow-RT's Periodicity pop-up polls it). */
export interface PeriodStatus {
  /** Current fast rate (frames/s), the value the threshold is checked against. */
  value: number;
  /** Detected period in seconds; 0 when none. */
  period: number;
  /** Threshold in frames/s; null when none is placed. */
  threshold: number | null;
  /** Statistics of the load baseline (frames/s). */
  baselineLoad: BaselineStatistics | null;
  /** Statistics of the period baseline (intervals in ms). */
  baselinePeriod: BaselineStatistics | null;
}

interface Placement {
  value: number;
  /** Seconds. */
  timeout: number;
}

const STRETCHES = 8;

export class PeriodDetector {
  readonly events = new EventLog(256);
  readonly thresholds = new Thresholds(this.events, 1);
  readonly load: Baseline;
  readonly intervals: Baseline;
  /** The placed threshold (frames/s), undefined when none. */
  threshold: number | undefined;
  /** Timeout (s) of the placed threshold. */
  timeout: number;
  /** The fast rate at the last evaluation. */
  value = 0;
  /** Counters, for tests and /period/json readers. */
  readonly counts = { crossings: 0, intervals: 0, ignored: 0, placements: 0, levelChanges: 0 };

  private pending: Placement | undefined;
  /** Last crossing of any kind (ms). */
  private lastEvent: number | undefined;
  /** Start of the cycle being measured: the last counted crossing (ms). */
  private cycleStart: number | undefined;
  /** Last crossing that ended an interval (ms). */
  private lastCounted: number | undefined;
  private swingMin = Number.POSITIVE_INFINITY;
  private swingMax = Number.NEGATIVE_INFINITY;
  /** Start of the current stretch below the threshold level (ms), undefined while above. */
  private belowSince: number | undefined;
  private readonly stretches: number[] = [];

  private readonly source: ObservationSource = {
    observe: (metric) =>
      metric === FAST_FLOW ? [{ agent: 'EDGE', dataSource: FAST_FLOW, value: this.value }] : undefined,
  };

  constructor(
    private readonly s: AiSettings,
    /** The fabric-wide fast rate at a time (frames/s). */
    private readonly fast: (nowMs: number) => number,
  ) {
    this.load = new Baseline(
      s['ai.load.window'],
      s['ai.load.sensitivity'],
      s['ai.load.repeat'],
      s['ai.load.floor'],
    );
    this.intervals = new Baseline(
      s['ai.period.window'],
      s['ai.period.sensitivity'],
      s['ai.period.repeat'],
      s['ai.period.floor'],
    );
    this.timeout = s['ai.threshold.t'];
    this.events.subscribe((e) => this.crossing(e));
  }

  /** Step 1-3, once a second: `load` is the smoothed fabric-wide RoCEv2 frame rate. */
  updateLoad(nowMs: number, load: number): BaselineState {
    const state = this.load.check(load);
    if (state === 'high' || state === 'low') {
      this.counts.levelChanges++;
      this.clear();
      this.load.reset();
      return state;
    }
    if (state !== 'normal') return state;
    const stats = this.load.statistics();
    if (stats === undefined) return state;
    const placed = this.pending?.value ?? this.threshold;
    const period = this.intervals.statistics()?.mean;
    const missed =
      this.lastEvent !== undefined &&
      period !== undefined &&
      nowMs - this.lastEvent > this.s['ai.period.misses'] * period;
    if (
      placed === undefined ||
      placed < stats.min ||
      placed > stats.max ||
      (missed && this.pending === undefined)
    ) {
      this.pending = { value: stats.mean, timeout: this.pending?.timeout ?? this.wantedTimeout() };
    }
    return state;
  }

  /** Checks the threshold against the fast rate now (the app calls it every ai.threshold.interval). */
  evaluate(nowMs: number): void {
    const v = this.fast(nowMs);
    this.value = v;
    if (v < this.swingMin) this.swingMin = v;
    if (v > this.swingMax) this.swingMax = v;
    const level = this.pending?.value ?? this.threshold;
    if (level !== undefined) {
      if (v <= level) {
        if (this.belowSince === undefined) this.belowSince = nowMs;
      } else if (this.belowSince !== undefined) {
        this.stretches.push(nowMs - this.belowSince);
        if (this.stretches.length > STRETCHES) this.stretches.shift();
        this.belowSince = undefined;
        this.adaptTimeout();
      }
    }
    const p = this.pending;
    if (p !== undefined && this.belowSince !== undefined && nowMs - this.belowSince >= p.timeout * 1000) {
      this.place(p);
    }
    this.thresholds.evaluate(this.source, nowMs);
  }

  /** The detected period in seconds, 0 when there is none. */
  period(nowMs: number): number {
    const stats = this.intervals.statistics();
    if (stats === undefined) return 0;
    if (stats.n < Math.min(this.s['ai.period.min'], this.intervals.window)) return 0;
    if (!(stats.mean > 0)) return 0;
    if (stats.sdev / stats.mean >= this.s['ai.period.cv']) return 0;
    const qcd = this.s['ai.period.qcd'];
    if (stats.q3 - stats.q1 >= qcd * (stats.q3 + stats.q1)) return 0;
    if (qcd < 1 && Math.abs(stats.mean - stats.med) > (qcd / 4) * stats.med) return 0;
    if (this.lastCounted === undefined || nowMs - this.lastCounted >= this.s['ai.period.stale'] * stats.mean)
      return 0;
    return stats.mean / 1000;
  }

  status(nowMs: number): PeriodStatus {
    return {
      value: this.value,
      period: this.period(nowMs),
      threshold: this.threshold ?? null,
      baselineLoad: this.load.statistics() ?? null,
      baselinePeriod: this.intervals.statistics() ?? null,
    };
  }

  private place(p: Placement): void {
    this.thresholds.set(FAST_FLOW, { metric: FAST_FLOW, value: p.value, timeout: p.timeout });
    this.threshold = p.value;
    this.timeout = p.timeout;
    this.pending = undefined;
    this.counts.placements++;
    // A new threshold starts untriggered: the interval spanning the change may be cut short or
    // include a missed crossing, so the next interval starts at the next crossing.
    this.cycleStart = undefined;
  }

  private clear(): void {
    this.thresholds.delete(FAST_FLOW);
    this.threshold = undefined;
    this.pending = undefined;
    this.lastEvent = undefined;
    this.cycleStart = undefined;
    this.belowSince = undefined;
    this.stretches.length = 0;
  }

  /** A third of the median recent stretch below the threshold, within [2 evaluations, ai.threshold.t]. */
  private wantedTimeout(): number {
    const cap = this.s['ai.threshold.t'];
    if (this.stretches.length === 0) return cap;
    const sorted = [...this.stretches].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1] / 1000;
    return Math.min(cap, Math.max(2 * this.s['ai.threshold.interval'], median / 3));
  }

  private adaptTimeout(): void {
    const want = this.wantedTimeout();
    if (this.pending !== undefined) {
      this.pending.timeout = want;
      return;
    }
    const ratio = want / this.timeout;
    if (this.threshold !== undefined && (ratio > 1.5 || ratio < 1 / 1.5)) {
      this.pending = { value: this.threshold, timeout: want };
    }
  }

  /** Step 4: an upward crossing of the mean. */
  private crossing(e: ThresholdEvent): void {
    if (e.thresholdID !== FAST_FLOW) return;
    this.counts.crossings++;
    const t = e.timestamp;
    this.lastEvent = t;
    const start = this.cycleStart;
    if (start !== undefined) {
      const half = this.s['ai.period.swing'] / 2;
      if (this.swingMax < e.threshold * (1 + half) || this.swingMin > e.threshold * (1 - half)) {
        // The rate did not go clearly above and below the mean since the cycle began:
        // noise around the mean, or a dip inside a burst. The cycle goes on.
        this.counts.ignored++;
        return;
      }
      const state = this.intervals.check(t - start);
      if (state === 'high' || state === 'low') this.intervals.reset();
      this.lastCounted = t;
      this.counts.intervals++;
    }
    this.cycleStart = t;
    this.swingMin = this.value;
    this.swingMax = this.value;
  }
}
