/**
 * Export sequence tracking, per stream:
 * - IPFIX: data records (options records included) sent before this message,
 *   per transport session (exporter address and port) and observation domain;
 * - NetFlow v9: export packets, per exporter (address and port) and source ID;
 * - NetFlow v5: flows, per exporter and engine (type, ID).
 *
 * A message whose sequence equals the expected one advances it. A jump
 * forward (less than half the 2^32 space) counts the skipped records or
 * packets as missing; a value behind the expected one, within `window`, is a
 * late (reordered or duplicated) message and leaves the expectation alone;
 * anything else is a reset (exporter restart), which restarts the stream. So
 * is a run of `lateRun` messages in a row behind (an exporter that restarted
 * shortly after an earlier start looks "late" at first), and, for NetFlow v9
 * and v5, a sysUptime more than `uptimeStepMs` below the highest seen.
 */
import type { ExportProtocol } from './types.js';

export interface SequenceStream {
  protocol: ExportProtocol;
  address: string;
  port: number;
  /** Observation domain (IPFIX), source ID (v9), or engineType << 8 | engineId (v5). */
  domain: number;
  /** Next expected sequence number; undefined until known (or after a message it could not count). */
  expected: number | undefined;
  messages: number;
  /** Records (IPFIX, v5) or packets (v9) skipped by forward jumps. */
  missing: number;
  /** Messages that arrived behind the expected sequence (reordered or duplicated). */
  late: number;
  /** Jumps too large to be loss: exporter restarts. */
  resets: number;
  lastSequence: number;
  /** Consecutive late messages (a long run means a restart). */
  lateRun: number;
  /** Highest exporter uptime seen (v9, v5), -1 when unknown. */
  maxUptime: number;
}

export interface SequenceTotals {
  streams: number;
  messages: number;
  missing: number;
  late: number;
  resets: number;
}

const TWO_32 = 4294967296;

export class SequenceTracker {
  private readonly streams = new Map<string, SequenceStream>();
  readonly maxStreams: number;
  /** A backward step up to this many records/packets is "late"; beyond it, a reset. */
  readonly window: number;
  /** A forward jump beyond this many records/packets is a reset, not loss. */
  readonly maxGap: number;
  /** This many late messages in a row are a reset. */
  readonly lateRun: number;
  /** An uptime this far (ms) below the highest seen is a restart. */
  readonly uptimeStepMs: number;
  /** Totals, including streams dropped by the cap. */
  readonly totals: SequenceTotals = { streams: 0, messages: 0, missing: 0, late: 0, resets: 0 };

  constructor(
    options: {
      maxStreams?: number;
      window?: number;
      maxGap?: number;
      lateRun?: number;
      uptimeStepMs?: number;
    } = {},
  ) {
    this.maxStreams = Math.max(1, options.maxStreams ?? 10_000);
    this.window = options.window ?? 100_000;
    this.maxGap = options.maxGap ?? 100_000_000;
    this.lateRun = Math.max(1, options.lateRun ?? 16);
    this.uptimeStepMs = options.uptimeStepMs ?? 600_000;
  }

  /**
   * Checks a message. `count` is what it adds to the sequence (IPFIX data
   * records, 1 for a v9 packet, v5 flows), or -1 when unknown (data sets whose
   * template is missing): the next message then re-synchronises. `uptime` is
   * the header sysUptime (v9, v5), or -1.
   */
  observe(
    key: string,
    protocol: ExportProtocol,
    address: string,
    port: number,
    domain: number,
    sequence: number,
    count: number,
    uptime = -1,
  ): void {
    let s = this.streams.get(key);
    if (s === undefined) {
      if (this.streams.size >= this.maxStreams) {
        const first = this.streams.keys().next();
        if (first.done !== true) this.streams.delete(first.value);
      }
      s = {
        protocol,
        address,
        port,
        domain,
        expected: undefined,
        messages: 0,
        missing: 0,
        late: 0,
        resets: 0,
        lastSequence: sequence,
        lateRun: 0,
        maxUptime: -1,
      };
      this.streams.set(key, s);
      this.totals.streams++;
    }
    s.messages++;
    this.totals.messages++;
    s.lastSequence = sequence;
    const next = count < 0 ? undefined : (sequence + count) % TWO_32;
    if (uptime >= 0) {
      if (s.maxUptime >= 0 && uptime + this.uptimeStepMs < s.maxUptime) {
        // The exporter rebooted: start the stream again.
        s.resets++;
        this.totals.resets++;
        s.maxUptime = uptime;
        s.expected = next;
        s.lateRun = 0;
        return;
      }
      if (uptime > s.maxUptime) s.maxUptime = uptime;
    }
    if (s.expected === undefined || sequence === s.expected) {
      s.expected = next;
      s.lateRun = 0;
      return;
    }
    const ahead = (sequence - s.expected + TWO_32) % TWO_32;
    if (ahead < TWO_32 / 2) {
      if (ahead <= this.maxGap) {
        s.missing += ahead;
        this.totals.missing += ahead;
      } else {
        s.resets++;
        this.totals.resets++;
      }
      s.expected = next;
      s.lateRun = 0;
      return;
    }
    const behind = TWO_32 - ahead;
    if (behind <= this.window && s.lateRun + 1 < this.lateRun) {
      s.late++;
      s.lateRun++;
      this.totals.late++;
      return;
    }
    s.resets++;
    this.totals.resets++;
    s.expected = next;
    s.lateRun = 0;
  }

  /** Every stream's state. */
  list(): SequenceStream[] {
    return [...this.streams.values()].map((s) => ({ ...s }));
  }

  get size(): number {
    return this.streams.size;
  }
}
