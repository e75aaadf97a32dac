/**
 * A realistic sFlow v5 stream with known ground truth, for tests, benchmarks,
 * the demo and users without a network: several agents with their own
 * sequence numbers, flow samples of mixed IPv4, IPv6 and RoCEv2 traffic with
 * heavy-tailed flow sizes, and interface counter samples.
 */
import {
  type DatagramInput,
  encodeSflow,
  type RecordInput,
  type SampleInput,
} from '../decode/sflow/encode.js';
import { countersSample, interfaceCounters } from './counters.js';
import { buildFrame, type FrameSpec, minimumFrameLength } from './packets.js';
import { Random } from './random.js';

export interface BasicStreamOptions {
  seed?: number;
  agents?: number;
  /** Samples per datagram (flow and counter samples together). */
  samplesPerDatagram?: number;
  samplingRate?: number;
  /** Bytes of each sampled header at most (the agent's header size). */
  headerBytes?: number;
  /** Distinct flows in the population. */
  flows?: number;
  /** Share of samples that are counter samples. */
  counterShare?: number;
  /** Shares of the traffic mix; the rest is IPv4 TCP. */
  ipv6Share?: number;
  roceShare?: number;
}

export interface FlowTruth {
  key: string;
  samples: number;
  sampledBytes: number;
}

interface AgentState {
  address: string;
  sequence: number;
  flowSequence: number;
  counterSequence: number;
  uptime: number;
  ifOctetsIn: number[];
}

interface SimFlow {
  /** Position in the flow list: fixes the ports the flow uses at each agent. */
  index: number;
  spec: FrameSpec;
  weight: number;
  key: string;
  /** Typical frame sizes of this flow. */
  sizes: readonly number[];
}

const TCP_SIZES = [66, 66, 66, 1514, 1514, 590];
const UDP_SIZES = [90, 120, 512, 1280];
const ROCE_SIZES = [1082, 4138, 4138, 4138, 62, 62];

export class BasicStream {
  private readonly rnd: Random;
  private readonly options: Required<BasicStreamOptions>;
  private readonly agents: AgentState[];
  private readonly flows: SimFlow[];
  private readonly cumulative: number[];
  private agentIndex = 0;
  readonly truth = { datagrams: 0, flowSamples: 0, counterSamples: 0, flows: new Map<string, FlowTruth>() };

  constructor(options: BasicStreamOptions = {}) {
    this.options = {
      seed: 1,
      agents: 4,
      samplesPerDatagram: 7,
      samplingRate: 4096,
      headerBytes: 128,
      flows: 1000,
      counterShare: 0.05,
      ipv6Share: 0.2,
      roceShare: 0.3,
      ...options,
    };
    this.rnd = new Random(this.options.seed);
    this.agents = [];
    for (let i = 0; i < this.options.agents; i++) {
      this.agents.push({
        address: `192.0.2.${i + 1}`,
        sequence: 0,
        flowSequence: 0,
        counterSequence: 0,
        uptime: 1_000_000 + i * 777,
        ifOctetsIn: new Array(48).fill(0),
      });
    }
    this.flows = [];
    this.cumulative = [];
    let total = 0;
    for (let i = 0; i < this.options.flows; i++) {
      const f = this.makeFlow(i);
      this.flows.push(f);
      total += f.weight;
      this.cumulative.push(total);
    }
  }

  private makeFlow(i: number): SimFlow {
    const r = this.rnd;
    // Zipf-like weights: a few heavy flows and a long tail, as on real links.
    const weight = 1 / (i + 1);
    const x = r.next();
    const mac = (n: number) =>
      `02:00:00:${((n >> 16) & 255).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
    const base = {
      srcMac: mac(r.int(1, 9999)),
      dstMac: mac(r.int(1, 9999)),
      vlan: r.chance(0.3) ? r.int(2, 4000) : undefined,
    };
    let spec: FrameSpec;
    let sizes: readonly number[];
    if (x < this.options.roceShare) {
      const srcHost = r.int(1, 254);
      const dstHost = r.int(1, 254);
      const opcode = r.pick([0x06, 0x07, 0x08, 0x0a, 0x04, 0x11, 0x00, 0x02]);
      spec = {
        ...base,
        src: `10.1.${r.int(0, 15)}.${srcHost}`,
        dst: `10.1.${r.int(0, 15)}.${dstHost}`,
        protocol: 17,
        srcPort: r.int(49152, 65535),
        dstPort: 4791,
        dscp: 26,
        ecn: r.chance(0.05) ? 3 : 2,
        frameLength: 0,
        roce: {
          opcode,
          destQp: r.int(1, 0xffff),
          psn: r.int(0, 0xffffff),
          dmaLength: 1 << r.int(12, 20),
          ackReq: r.chance(0.3),
        },
      };
      sizes = opcode === 0x11 ? [62] : ROCE_SIZES;
    } else if (x < this.options.roceShare + this.options.ipv6Share) {
      const tcp = r.chance(0.7);
      spec = {
        ...base,
        src: `2001:db8:${r.int(0, 0xffff).toString(16)}::${r.int(1, 0xffff).toString(16)}`,
        dst: `2001:db8:${r.int(0, 0xffff).toString(16)}::${r.int(1, 0xffff).toString(16)}`,
        protocol: tcp ? 6 : 17,
        srcPort: r.int(1024, 65535),
        dstPort: r.pick(tcp ? [443, 80, 22, 179] : [53, 123, 443, 4789]),
        tcpFlags: 0x10,
        frameLength: 0,
      };
      sizes = tcp ? TCP_SIZES : UDP_SIZES;
    } else {
      const udp = r.chance(0.2);
      spec = {
        ...base,
        src: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
        dst: `172.16.${r.int(0, 255)}.${r.int(1, 254)}`,
        protocol: udp ? 17 : 6,
        srcPort: r.int(1024, 65535),
        dstPort: r.pick(udp ? [53, 123, 161, 514] : [443, 80, 22, 8080, 5432]),
        tcpFlags: r.pick([0x10, 0x18, 0x02, 0x12, 0x11]),
        frameLength: 0,
      };
      sizes = udp ? UDP_SIZES : TCP_SIZES;
    }
    const key = `${spec.src},${spec.dst},${spec.protocol},${spec.srcPort},${spec.dstPort}`;
    return { index: i, spec, weight, key, sizes };
  }

  private pickFlow(): SimFlow {
    const total = this.cumulative[this.cumulative.length - 1];
    const x = this.rnd.next() * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return this.flows[lo];
  }

  /** The next datagram as a model (for tests that inspect what was sent). */
  nextDatagram(): DatagramInput {
    const agent = this.agents[this.agentIndex];
    this.agentIndex = (this.agentIndex + 1) % this.agents.length;
    agent.sequence++;
    agent.uptime += 50;
    const samples: SampleInput[] = [];
    for (let i = 0; i < this.options.samplesPerDatagram; i++) {
      samples.push(
        this.rnd.chance(this.options.counterShare) ? this.counterSample(agent) : this.flowSample(agent),
      );
    }
    this.truth.datagrams++;
    return { agent: agent.address, subAgentId: 0, sequence: agent.sequence, uptime: agent.uptime, samples };
  }

  next(): Buffer {
    return encodeSflow(this.nextDatagram());
  }

  private flowSample(agent: AgentState): SampleInput {
    const flow = this.pickFlow();
    const r = this.rnd;
    const frameLength = Math.max(r.pick(flow.sizes), minimumFrameLength(flow.spec));
    const header = buildFrame({ ...flow.spec, frameLength }, this.options.headerBytes);
    // A flow enters and leaves each switch by fixed ports, as real traffic does (not a
    // random port per packet, which would spread every flow over every data source).
    const spread = this.agents.indexOf(agent) * 11;
    const inputIf = 1 + ((flow.index * 37 + spread) % 48);
    const outputIf = 1 + ((flow.index * 53 + spread + 24) % 48);
    agent.flowSequence++;
    // Interface counters follow the sampled traffic (each sample stands for samplingRate frames),
    // so utilisation stays consistent with the flows at any sending rate.
    agent.ifOctetsIn[inputIf - 1] += (frameLength + 4) * this.options.samplingRate;
    this.truth.flowSamples++;
    const t = this.truth.flows.get(flow.key) ?? { key: flow.key, samples: 0, sampledBytes: 0 };
    t.samples++;
    t.sampledBytes += frameLength + 4;
    this.truth.flows.set(flow.key, t);
    const records: RecordInput[] = [
      { format: '0:1', headerProtocol: 1, frameLength: frameLength + 4, stripped: 4, header },
      {
        format: '0:1001',
        srcVlan: flow.spec.vlan ?? 1,
        srcPriority: 0,
        dstVlan: flow.spec.vlan ?? 1,
        dstPriority: 0,
      },
    ];
    return {
      type: 'flow_sample',
      sequence: agent.flowSequence,
      sourceIdType: 0,
      sourceIdIndex: inputIf,
      samplingRate: this.options.samplingRate,
      samplePool: agent.flowSequence * this.options.samplingRate,
      drops: 0,
      input: { format: 0, value: inputIf },
      output: { format: 0, value: outputIf },
      records,
    };
  }

  private counterSample(agent: AgentState): SampleInput {
    const port = this.rnd.int(1, 48);
    agent.counterSequence++;
    this.truth.counterSamples++;
    const octets = agent.ifOctetsIn[port - 1];
    return countersSample(agent.counterSequence, port, [
      interfaceCounters({
        ifIndex: port,
        speed: 100_000_000_000,
        inOctets: octets,
        inPackets: octets / 800,
        inMulticast: 10,
        inBroadcast: 2,
        outOctets: octets * 0.9,
        outPackets: octets / 900,
        outMulticast: 8,
        outBroadcast: 1,
      }),
    ]);
  }
}
