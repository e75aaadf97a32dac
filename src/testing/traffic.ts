/**
 * Traffic of known composition for end-to-end tests: flows at given bit rates,
 * sampled 1:N, encoded as sFlow datagrams and sent over UDP in real time.
 */
import dgram from 'node:dgram';
import { encodeSflow, type SampleInput } from '../decode/sflow/encode.js';
import { buildFrame, type FrameSpec } from '../simulate/packets.js';
import { Random } from '../simulate/random.js';

export interface TestFlow {
  spec: FrameSpec;
  bitsPerSecond: number;
  agent: string;
  ifIndex: number;
  samplingRate: number;
}

/** One flow sample of `f` (ingress at its interface), the sampled header built from its spec. */
export function flowSampleOf(f: TestFlow, sequence: number): SampleInput {
  return {
    type: 'flow_sample',
    sequence,
    sourceIdType: 0,
    sourceIdIndex: f.ifIndex,
    samplingRate: f.samplingRate,
    samplePool: sequence * f.samplingRate,
    drops: 0,
    input: { format: 0, value: f.ifIndex },
    output: { format: 0, value: 99 },
    records: [
      {
        format: '0:1',
        headerProtocol: 1,
        frameLength: f.spec.frameLength + 4,
        stripped: 4,
        header: buildFrame(f.spec),
      },
    ],
  };
}

const MAC = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' };

export function tcpFlow(
  src: string,
  dst: string,
  bitsPerSecond: number,
  samplingRate = 100,
  agent = '192.0.2.1',
  ifIndex = 1,
): TestFlow {
  return {
    spec: { ...MAC, src, dst, protocol: 6, srcPort: 40000, dstPort: 443, frameLength: 1500 },
    bitsPerSecond,
    agent,
    ifIndex,
    samplingRate,
  };
}

export interface SentFlows {
  datagrams: number;
  /** When each flow's samples left (ms), one entry per sample. */
  sampleTimes: Map<TestFlow, number[]>;
}

/**
 * Sends the flows to 127.0.0.1:port for `ms` milliseconds: each flow's samples
 * arrive as a Poisson process at rate bits/8/(frame bytes)/N per second,
 * seven samples to a datagram per agent.
 */
export async function sendFlows(port: number, flows: TestFlow[], ms: number, seed = 1): Promise<SentFlows> {
  const rnd = new Random(seed);
  const socket = dgram.createSocket('udp4');
  const pending = new Map<string, { f: TestFlow; sample: SampleInput }[]>();
  const sampleTimes = new Map<TestFlow, number[]>(flows.map((f) => [f, []]));
  const sequence = new Map<string, number>();
  let sent = 0;
  const next = flows.map((f) => ({ f, at: 0 }));
  const start = Date.now();
  const interval = (f: TestFlow) => {
    const perSecond = f.bitsPerSecond / 8 / (f.spec.frameLength + 4) / f.samplingRate;
    return (-Math.log(1 - rnd.next()) / perSecond) * 1000;
  };
  for (const n of next) n.at = interval(n.f);
  const flush = async (agent: string) => {
    const samples = pending.get(agent) ?? [];
    if (samples.length === 0) return;
    pending.set(agent, []);
    const seq = (sequence.get(agent) ?? 0) + 1;
    sequence.set(agent, seq);
    const buf = encodeSflow({
      agent,
      subAgentId: 0,
      sequence: seq,
      uptime: Date.now() - start,
      samples: samples.map((p) => p.sample),
    });
    await new Promise<void>((resolve) => socket.send(buf, port, '127.0.0.1', () => resolve()));
    for (const p of samples) sampleTimes.get(p.f)?.push(Date.now());
    sent++;
  };
  let flowSeq = 0;
  while (Date.now() - start < ms) {
    const elapsed = Date.now() - start;
    for (const n of next) {
      while (n.at <= elapsed) {
        const f = n.f;
        const list = pending.get(f.agent) ?? [];
        pending.set(f.agent, list);
        flowSeq++;
        list.push({ f, sample: flowSampleOf(f, flowSeq) });
        if (list.length >= 7) await flush(f.agent);
        n.at += interval(f);
      }
    }
    // Agents send what they have at least every 10 ms, like a real agent's flush timer.
    for (const agent of pending.keys()) await flush(agent);
    await new Promise((r) => setTimeout(r, 5));
  }
  for (const agent of pending.keys()) await flush(agent);
  socket.close();
  return { datagrams: sent, sampleTimes };
}

/**
 * What a flow's value (bytes/s or frames/s) smoothed over `t` seconds reads at
 * `nowMs` for exactly the samples sent: the expectation to test the engine
 * against when timers slip and samples leave in bursts (a loaded machine),
 * rather than the nominal rate.
 */
export function smoothedRate(
  f: TestFlow,
  times: readonly number[],
  t: number,
  nowMs: number,
  value: 'bytes' | 'frames' = 'bytes',
): number {
  const perSample = (value === 'bytes' ? f.spec.frameLength + 4 : 1) * f.samplingRate;
  let sum = 0;
  for (const at of times) sum += perSample * Math.exp(-Math.max(0, nowMs - at) / (t * 1000));
  return sum / t;
}
