/**
 * Exponentially smoothed rates, as sFlow-RT reports flow values.
 *
 * Every sample adds its (sampling-rate scaled) value to an accumulator that
 * decays with time constant T seconds. For traffic arriving at a steady rate
 * R the accumulator settles at R*T, so accumulator / T reads as a rate per
 * second that follows changes within a few T. Decay is applied lazily, at
 * update and read time, so idle flows cost nothing.
 */

/** Decay factor over `elapsedMs` for time constant `tauSeconds`. */
export function decay(elapsedMs: number, tauSeconds: number): number {
  return elapsedMs <= 0 ? 1 : Math.exp(-elapsedMs / (tauSeconds * 1000));
}

export class SmoothedRate {
  acc = 0;
  lastMs: number;

  constructor(nowMs: number) {
    this.lastMs = nowMs;
  }

  add(value: number, nowMs: number, tauSeconds: number): void {
    if (nowMs > this.lastMs) {
      this.acc *= decay(nowMs - this.lastMs, tauSeconds);
      this.lastMs = nowMs;
    }
    this.acc += value;
  }

  /** The rate per second at `nowMs`. */
  rate(nowMs: number, tauSeconds: number): number {
    return (this.acc * decay(nowMs - this.lastMs, tauSeconds)) / tauSeconds;
  }
}
