/**
 * Pre-generated sFlow datagram pools for the ingest benchmark, shared by the
 * orchestrator (bench/ingest.bench.ts) and the sender process
 * (bench/ingest-sender.ts). A pool is one Buffer holding every datagram back
 * to back, with offsets, lengths, the agent of each datagram and its flow
 * sample count; the sender loops over it and rewrites the sequence numbers,
 * so an agent's sequence never repeats however long it sends.
 */
import { encodeSflow, type SampleInput } from '../src/decode/sflow/encode.js';
import { BasicStream } from '../src/simulate/basic.js';
import { buildFrame } from '../src/simulate/packets.js';

export interface Pool {
  buffer: Buffer;
  offsets: Uint32Array;
  lengths: Uint32Array;
  /** Agent index of each datagram (0..agents-1). */
  agent: Uint8Array;
  flowSamples: Uint8Array;
  agents: number;
  /** Byte offset of the datagram sequence number (IPv4 agents). */
  sequenceOffset: number;
  averageBytes: number;
  samplesPerDatagram: number;
  counterShare: number;
}

/** Agents' datagram sequence numbers sit at byte 16 when the agent address is IPv4. */
const SEQUENCE_OFFSET = 16;

function pack(datagrams: Buffer[], agentOf: number[], flowsOf: number[], agents: number): Pool {
  const total = datagrams.reduce((a, b) => a + b.length, 0);
  const buffer = Buffer.alloc(total);
  const offsets = new Uint32Array(datagrams.length);
  const lengths = new Uint32Array(datagrams.length);
  let at = 0;
  datagrams.forEach((d, i) => {
    d.copy(buffer, at);
    offsets[i] = at;
    lengths[i] = d.length;
    at += d.length;
  });
  return {
    buffer,
    offsets,
    lengths,
    agent: Uint8Array.from(agentOf),
    flowSamples: Uint8Array.from(flowsOf),
    agents,
    sequenceOffset: SEQUENCE_OFFSET,
    averageBytes: total / datagrams.length,
    samplesPerDatagram: 7,
    counterShare: 0.05,
  };
}

/**
 * The realistic stream: BasicStream with `agents` agents (IPv4 addresses,
 * round robin), 7 samples per datagram, 5% counter samples, mixed
 * IPv4/IPv6/RoCEv2 flows. `size` is rounded down to a multiple of `agents`.
 */
export function basicPool(size = 8192, agents = 4, seed = 7): Pool {
  const stream = new BasicStream({ seed, agents, samplesPerDatagram: 7, counterShare: 0.05 });
  const n = size - (size % agents);
  const datagrams: Buffer[] = [];
  const agentOf: number[] = [];
  const flowsOf: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = stream.nextDatagram();
    const buf = encodeSflow(d);
    if (buf.readUInt32BE(SEQUENCE_OFFSET) !== d.sequence) throw new Error('unexpected sFlow header layout');
    datagrams.push(buf);
    agentOf.push(i % agents);
    flowsOf.push(d.samples.filter((s) => s.type === 'flow_sample').length);
  }
  return pack(datagrams, agentOf, flowsOf, agents);
}

/**
 * `flows` distinct IPv4 TCP 5-tuples, one flow sample each, 7 samples per
 * datagram, spread over `agents` agents and 48 input interfaces: sending the
 * pool once makes every one of them an active flow.
 */
export function distinctFlowsPool(flows = 100_000, agents = 4): Pool {
  const datagrams: Buffer[] = [];
  const agentOf: number[] = [];
  const flowsOf: number[] = [];
  const seq = new Array<number>(agents).fill(0);
  let flow = 0;
  let i = 0;
  while (flow < flows) {
    const a = i % agents;
    const samples: SampleInput[] = [];
    for (let k = 0; k < 7 && flow < flows; k++, flow++) {
      const src = `10.${(flow >> 16) & 255}.${(flow >> 8) & 255}.${flow & 255}`;
      const dst = `172.16.${(flow >> 8) & 255}.${(flow * 7) & 255}`;
      const header = buildFrame(
        {
          srcMac: '02:00:00:00:00:01',
          dstMac: '02:00:00:00:00:02',
          src,
          dst,
          protocol: 6,
          srcPort: 1024 + (flow % 60000),
          dstPort: 443,
          tcpFlags: 0x10,
          frameLength: 1514,
        },
        128,
      );
      const ifIndex = (flow % 48) + 1;
      samples.push({
        type: 'flow_sample',
        sequence: flow + 1,
        sourceIdType: 0,
        sourceIdIndex: ifIndex,
        samplingRate: 4096,
        samplePool: (flow + 1) * 4096,
        drops: 0,
        input: { format: 0, value: ifIndex },
        output: { format: 0, value: ((flow + 7) % 48) + 1 },
        records: [{ format: '0:1', headerProtocol: 1, frameLength: 1518, stripped: 4, header }],
      });
    }
    seq[a]++;
    datagrams.push(
      encodeSflow({ agent: `192.0.2.${a + 1}`, subAgentId: 0, sequence: seq[a], uptime: 1000, samples }),
    );
    agentOf.push(a);
    flowsOf.push(samples.length);
    i++;
  }
  // Whole rounds of agents, so the sender's round robin stays aligned.
  while (datagrams.length % agents !== 0) {
    const a = datagrams.length % agents;
    seq[a]++;
    datagrams.push(
      encodeSflow({ agent: `192.0.2.${a + 1}`, subAgentId: 0, sequence: seq[a], uptime: 1000, samples: [] }),
    );
    agentOf.push(a);
    flowsOf.push(0);
  }
  return pack(datagrams, agentOf, flowsOf, agents);
}
