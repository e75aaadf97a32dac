/**
 * A small RoCEv2 traffic generator for the ai-metrics tests: ports that see
 * packets at a rate that may vary with time (compute / exchange cycles),
 * sampled 1:N as a Poisson process, dropped-packet notifications with
 * reasons, and interface counters. It produces sFlow datagrams, one per
 * agent per step, like an agent flushing every few milliseconds; tests feed
 * them to an engine in simulated time or send them over UDP.
 */
import { encodeSflow, type SampleInput } from '../../decode/sflow/encode.js';
import { buildFrame, type FrameSpec, type RoceSpec } from '../../simulate/packets.js';
import { Random } from '../../simulate/random.js';

/** A RoCEv2 frame from `src` to `dst` with the given BTH fields. */
export function roceFrame(
  src: string,
  dst: string,
  roce: RoceSpec,
  frameLength: number,
  extra: Partial<FrameSpec> = {},
): FrameSpec {
  return {
    srcMac: '02:00:00:00:00:01',
    dstMac: '02:00:00:00:00:02',
    src,
    dst,
    protocol: 17,
    srcPort: 49152,
    dstPort: 4791,
    frameLength,
    roce,
    ...extra,
  };
}

export interface PortTraffic {
  agent: string;
  ifIndex: number;
  samplingRate: number;
  /** Packets per second on the wire at time t (ms since the start). */
  rate: (tMs: number) => number;
  /** Frames the packets cycle through, in order. */
  frames: FrameSpec[];
  /** Sampled as ingress (input = this port) or egress (output = this port). */
  direction?: 'ingress' | 'egress';
}

export interface DropTraffic {
  agent: string;
  ifIndex: number;
  /** sFlow discard reason code (e.g. 258 acl). */
  reason: number;
  /** Notifications per second. */
  rate: number;
  frame: FrameSpec;
}

export interface CounterTraffic {
  agent: string;
  ifIndex: number;
  /** Per second. */
  inDiscards?: number;
  inErrors?: number;
  outDiscards?: number;
  outErrors?: number;
}

interface PortState {
  p: PortTraffic;
  headers: Buffer[];
  next: number;
  debt: number;
}

/** Poisson-distributed count with mean `m` (inversion; fine for the small means of one step). */
export function poisson(rnd: Random, m: number): number {
  if (m <= 0) return 0;
  if (m > 50) return Math.max(0, Math.round(m + Math.sqrt(m) * gaussian(rnd)));
  const limit = Math.exp(-m);
  let k = 0;
  let prod = rnd.next();
  while (prod > limit) {
    k++;
    prod *= rnd.next();
  }
  return k;
}

function gaussian(rnd: Random): number {
  const u = Math.max(rnd.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.next());
}

export class RoceFabricTraffic {
  private readonly rnd: Random;
  private readonly ports: PortState[];
  private readonly drops: { d: DropTraffic; header: Buffer; debt: number }[];
  private readonly sequences = new Map<string, number>();
  private sampleSeq = 0;
  private lastCounterMs = Number.NEGATIVE_INFINITY;
  private readonly counterTotals = new Map<CounterTraffic, number>();

  constructor(
    ports: PortTraffic[],
    drops: DropTraffic[] = [],
    private readonly counters: CounterTraffic[] = [],
    seed = 1,
    /** Evenly spaced samples instead of a Poisson process (exact rates for value checks). */
    private readonly even = false,
  ) {
    this.rnd = new Random(seed);
    this.ports = ports.map((p) => ({ p, headers: p.frames.map((f) => buildFrame(f)), next: 0, debt: 0 }));
    this.drops = drops.map((d) => ({ d, header: buildFrame(d.frame), debt: 0 }));
  }

  /**
   * The datagrams (encoded) for the traffic in (fromMs, toMs]: one per agent
   * with samples. Counters go out once a second. Rates are evaluated at the
   * middle of the step, so steps should be short (10 ms).
   */
  step(fromMs: number, toMs: number): { agent: string; buf: Buffer }[] {
    const dt = (toMs - fromMs) / 1000;
    const mid = (fromMs + toMs) / 2;
    const byAgent = new Map<string, SampleInput[]>();
    const add = (agent: string, s: SampleInput) => {
      const list = byAgent.get(agent);
      if (list === undefined) byAgent.set(agent, [s]);
      else list.push(s);
    };
    for (const st of this.ports) {
      const { p } = st;
      let n: number;
      if (this.even) {
        st.debt += (p.rate(mid) / p.samplingRate) * dt;
        n = Math.floor(st.debt);
        st.debt -= n;
      } else n = poisson(this.rnd, (p.rate(mid) / p.samplingRate) * dt);
      for (let i = 0; i < n; i++) {
        const k = st.next;
        st.next = (st.next + 1) % st.headers.length;
        const spec = p.frames[k];
        const ingress = p.direction !== 'egress';
        this.sampleSeq++;
        add(p.agent, {
          type: 'flow_sample',
          sequence: this.sampleSeq,
          sourceIdType: 0,
          sourceIdIndex: p.ifIndex,
          samplingRate: p.samplingRate,
          samplePool: this.sampleSeq * p.samplingRate,
          drops: 0,
          input: { format: 0, value: ingress ? p.ifIndex : 1000 },
          output: { format: 0, value: ingress ? 1000 : p.ifIndex },
          records: [
            {
              format: '0:1',
              headerProtocol: 1,
              frameLength: Math.max(spec.frameLength, st.headers[k].length) + 4,
              stripped: 4,
              header: st.headers[k],
            },
          ],
        });
      }
    }
    for (const x of this.drops) {
      x.debt += x.d.rate * dt;
      while (x.debt >= 1) {
        x.debt -= 1;
        this.sampleSeq++;
        add(x.d.agent, {
          type: 'discarded_packet',
          sequence: this.sampleSeq,
          sourceIdType: 0,
          sourceIdIndex: x.d.ifIndex,
          drops: 0,
          input: x.d.ifIndex,
          output: 0,
          reason: x.d.reason,
          records: [
            {
              format: '0:1',
              headerProtocol: 1,
              frameLength: x.d.frame.frameLength + 4,
              stripped: 4,
              header: x.header,
            },
          ],
        });
      }
    }
    if (this.counters.length > 0 && toMs - this.lastCounterMs >= 1000) {
      this.lastCounterMs = toMs;
      for (const c of this.counters) {
        const tick = (this.counterTotals.get(c) ?? 0) + 1;
        this.counterTotals.set(c, tick);
        this.sampleSeq++;
        add(c.agent, counterSample(c, this.sampleSeq, tick));
      }
    }
    const out: { agent: string; buf: Buffer }[] = [];
    for (const [agent, samples] of byAgent) {
      const seq = (this.sequences.get(agent) ?? 0) + 1;
      this.sequences.set(agent, seq);
      out.push({
        agent,
        buf: encodeSflow({ agent, subAgentId: 0, sequence: seq, uptime: 1_000_000 + toMs, samples }),
      });
    }
    return out;
  }
}

/** A counters sample after `seconds` seconds of the configured rates. */
function counterSample(c: CounterTraffic, sequence: number, seconds: number): SampleInput {
  return {
    type: 'counters_sample',
    sequence,
    sourceIdType: 0,
    sourceIdIndex: c.ifIndex,
    records: [
      {
        format: '0:1',
        ifIndex: c.ifIndex,
        ifType: 6,
        ifSpeed: 400_000_000_000,
        ifDirection: 1,
        ifStatus: 3,
        ifInOctets: 0,
        ifInUcastPkts: 0,
        ifInMulticastPkts: 0,
        ifInBroadcastPkts: 0,
        ifInDiscards: Math.round((c.inDiscards ?? 0) * seconds),
        ifInErrors: Math.round((c.inErrors ?? 0) * seconds),
        ifInUnknownProtos: 0,
        ifOutOctets: 0,
        ifOutUcastPkts: 0,
        ifOutMulticastPkts: 0,
        ifOutBroadcastPkts: 0,
        ifOutDiscards: Math.round((c.outDiscards ?? 0) * seconds),
        ifOutErrors: Math.round((c.outErrors ?? 0) * seconds),
        ifPromiscuousMode: 0,
      },
    ],
  };
}

export interface CycleOptions {
  /** Seconds per compute / exchange cycle. */
  period: number;
  /** Fraction of the cycle spent exchanging (default 0.4). */
  duty?: number;
  /** Packets/s while exchanging. */
  peak: number;
  /** Packets/s while computing, as a fraction of peak (default 0.02). */
  background?: number;
  /** Each cycle's length varies uniformly by ± this fraction (default 0). */
  jitter?: number;
  seed?: number;
}

/**
 * A compute / exchange rate profile: the exchange burst starts each cycle,
 * cycles last `period` × (1 ± jitter). Returns rate(tMs) for monotone t.
 */
export function cycles(o: CycleOptions): (tMs: number) => number {
  const rnd = new Random(o.seed ?? 7);
  const duty = o.duty ?? 0.4;
  const bg = (o.background ?? 0.02) * o.peak;
  const jitter = o.jitter ?? 0;
  let start = 0;
  let length = o.period * 1000;
  return (t) => {
    while (t >= start + length) {
      start += length;
      length = o.period * 1000 * (1 + jitter * (2 * rnd.next() - 1));
    }
    return t - start < duty * length ? o.peak : bg;
  };
}

/**
 * Random on / off bursts: exponentially distributed burst and gap lengths
 * (means in seconds). Returns rate(tMs) for monotone t.
 */
export function randomBursts(
  meanOn: number,
  meanOff: number,
  peak: number,
  seed = 11,
): (tMs: number) => number {
  const rnd = new Random(seed);
  const exp = (mean: number) => -Math.log(1 - rnd.next()) * mean * 1000;
  let on = false;
  let until = exp(meanOff);
  return (t) => {
    while (t >= until) {
      on = !on;
      until += exp(on ? meanOn : meanOff);
    }
    return on ? peak : 0.02 * peak;
  };
}
