/**
 * One simulated sFlow agent's datagram stream: samples handed over in time
 * order are packed into datagrams the way switch agents do it. A datagram is
 * sent when the next sample would not fit (MTU-sized datagrams), or when its
 * oldest sample has waited `flushMs`. Each datagram carries the agent's own
 * sequence number and uptime (ms since a simulated boot).
 */
import {
  type DatagramInput,
  encodeSflow,
  type RecordInput,
  type SampleInput,
} from '../decode/sflow/encode.js';

/** A datagram with the (simulated) time it is sent, in ms from the start of the simulation. */
export interface TimedDatagram {
  timeMs: number;
  agent: string;
  payload: Buffer;
}

export interface AgentStreamOptions {
  /** Largest datagram in bytes (UDP payload); 1400 keeps clear of a 1500-byte MTU. */
  maxBytes?: number;
  /** Longest time a sample waits in a partly filled datagram. */
  flushMs?: number;
  /** Uptime in ms at simulated time 0. */
  bootUptimeMs?: number;
  subAgentId?: number;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Encoded size of one flow or counter record, including its format and length words. */
export function recordSize(r: RecordInput): number {
  if ('body' in r && r.body instanceof Uint8Array) return 8 + pad4(r.body.length);
  if ('header' in r && r.header instanceof Uint8Array) return 8 + 16 + pad4(r.header.length);
  switch (r.format) {
    case '0:1001':
      return 8 + 16;
    case '0:1036':
    case '0:1039':
    case '0:1040':
      return 8 + 4;
    case '0:1037':
      return 8 + 12 + pad4(Buffer.byteLength(String((r as { aclName?: unknown }).aclName ?? '')));
    case '0:1043':
      return 8 + 8;
    case '0:11':
      return 8 + 20;
    default:
      // Counter record 0:1 (if_counters) is the only other record the simulators write.
      if (r.format === '0:1') return 8 + 88;
      throw new Error(`recordSize: no size for record ${r.format}`);
  }
}

/** Encoded size of a sample, including its format and length words. */
export function sampleSize(s: SampleInput): number {
  let records = 0;
  switch (s.type) {
    case 'flow_sample':
    case 'discarded_packet':
      for (const r of s.records) records += recordSize(r);
      return 8 + 32 + records;
    case 'counters_sample':
      for (const r of s.records) records += recordSize(r);
      return 8 + 12 + records;
    default:
      throw new Error(`sampleSize: the simulators do not write ${s.type} samples`);
  }
}

export class AgentStream {
  /** Datagrams sent so far (the last sequence number used). */
  sequence = 0;
  private readonly maxBytes: number;
  private readonly flushMs: number;
  private readonly bootUptimeMs: number;
  private readonly subAgentId: number;
  private readonly headerBytes: number;
  private open: SampleInput[] = [];
  private openBytes = 0;
  private openSince = 0;

  constructor(
    readonly address: string,
    options: AgentStreamOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 1400;
    this.flushMs = options.flushMs ?? 25;
    this.bootUptimeMs = options.bootUptimeMs ?? 3_600_000;
    this.subAgentId = options.subAgentId ?? 0;
    this.headerBytes = 4 * 6 + (address.includes(':') ? 16 : 4);
  }

  /** The uptime field for a simulated time. */
  uptime(timeMs: number): number {
    return Math.floor(this.bootUptimeMs + timeMs) % 4294967296;
  }

  /** Adds a sample taken at `timeMs` (not earlier than the previous one); finished datagrams go to `out`. */
  add(timeMs: number, sample: SampleInput, out: TimedDatagram[]): void {
    this.flush(timeMs, out);
    const size = sampleSize(sample);
    if (this.open.length > 0 && this.headerBytes + this.openBytes + size > this.maxBytes) {
      this.emit(timeMs, out);
    }
    if (this.open.length === 0) this.openSince = timeMs;
    this.open.push(sample);
    this.openBytes += size;
  }

  /** Sends the open datagram if its oldest sample has waited `flushMs` by `nowMs`. */
  flush(nowMs: number, out: TimedDatagram[]): void {
    if (this.open.length > 0 && nowMs - this.openSince >= this.flushMs) {
      this.emit(this.openSince + this.flushMs, out);
    }
  }

  private emit(timeMs: number, out: TimedDatagram[]): void {
    this.sequence++;
    const d: DatagramInput = {
      agent: this.address,
      subAgentId: this.subAgentId,
      sequence: this.sequence,
      uptime: this.uptime(timeMs),
      samples: this.open,
    };
    out.push({ timeMs, agent: this.address, payload: encodeSflow(d) });
    this.open = [];
    this.openBytes = 0;
  }
}

/** Time order for datagrams of several agents (stable for equal times). */
export function byTime(a: TimedDatagram, b: TimedDatagram): number {
  return a.timeMs - b.timeMs;
}

/** Exponentially distributed value with the given mean, from a uniform [0, 1) draw. */
export function exponential(u: number, mean: number): number {
  return -Math.log(1 - u) * mean;
}
