/**
 * A simulated leaf-spine AI fabric that emits real sFlow v5, with the ground
 * truth of what it carried.
 *
 * Model, in one paragraph: GPU hosts hang off leaves (one rack per leaf,
 * addresses 10.<leaf>.0.<host>); leaves connect to every spine. NCCL-like jobs
 * (ring AllReduce over RDMA WRITE, AllGather over SEND, ReduceScatter over
 * RDMA READ) alternate compute and exchange phases with their own period and
 * duty cycle; cluster services (Lustre, Ceph, NFS, Slurm) and front-end
 * traffic (east/west and north/south through a gateway port) run all the
 * time. Traffic takes ECMP paths leaf -> spine -> leaf chosen by hashing the
 * 5-tuple, UDP source port included. Between phase changes every rate is
 * constant, so the simulator moves from one such segment to the next: it
 * derives link loads, congestion (ECN CE marking, PFC pauses that throttle
 * RoCE, RED and tail drops of lossy traffic, queue depth and transit delay),
 * then draws packet samples as the Poisson processes that 1-in-N random
 * sampling produces, per stream and port. Every switch is an sFlow agent with
 * its own datagram sequence; every port sends interface counters.
 */
import { OPCODE_NAMES, TRANSPORT_NAMES } from '../decode/packet/roce.js';
import type { RecordInput, SampleInput } from '../decode/sflow/encode.js';
import type { TopologyDocument } from '../engine/topology.js';
import { AgentStream, byTime, exponential, type TimedDatagram } from './agent.js';
import { countersSample, interfaceCounters, u32 } from './counters.js';
import { buildFrame, type FrameSpec } from './packets.js';
import { Random } from './random.js';

export type Collective = 'allreduce' | 'allgather' | 'reducescatter';

export interface JobSpec {
  name: string;
  /** allreduce: ring of RDMA WRITEs; allgather: ring of SENDs; reducescatter: ring of RDMA READs. */
  collective: Collective;
  /** Number of GPU hosts (ranks), at least 2. */
  hosts: number;
  /** One compute + exchange cycle, in ms. */
  periodMs: number;
  /** Share of the period spent exchanging (0-1). */
  duty: number;
  /** Size of each collective step's message: the RETH DMA length. */
  messageBytes: number;
  /** Share of the host port each rank sends at while exchanging (0-1). */
  load: number;
  /** Queue pairs (with their own UDP source ports) per ring neighbour. */
  channels?: number;
  /** packed: consecutive hosts, rack by rack (rings stay in the rack); spread: one rack after another. */
  placement?: 'packed' | 'spread';
  /** Start of the first exchange phase, in ms (default: random within the period). */
  phaseMs?: number;
}

export type EgressSampling = 'none' | 'edge' | 'core' | 'all';

export interface FabricOptions {
  seed?: number;
  spines?: number;
  leaves?: number;
  hostsPerLeaf?: number;
  /** Bits/s of host-facing ports (and service ports). */
  hostSpeed?: number;
  /** Bits/s of leaf-spine links. */
  fabricSpeed?: number;
  /** 1-in-N packet sampling on every port. */
  samplingRate?: number;
  /** Bytes of each sampled header. */
  headerBytes?: number;
  /** Ports that also sample on egress (those samples carry the queue and transit records). */
  egressSampling?: EgressSampling;
  /** Interface counter export interval per port. */
  counterIntervalMs?: number;
  /**
   * IPv6 everywhere, so RoCEv2 runs over IPv6: GPU hosts fd00:0:<leaf>::<host>, services
   * fd00:0:10<service>::<n>, front-ends fd00:0:ac10::<n> (numbers in hex), Internet 2a0x::/16.
   */
  ipv6?: boolean;
  /** The workload; default: four jobs sized to the fabric (see defaultJobs). */
  jobs?: JobSpec[];
  /** Cluster services and front-end traffic, on their own leaf (default true). */
  services?: boolean;
  /** Multiplies every service rate. */
  serviceScale?: number;
  /** RoCE path MTU (payload bytes per packet). */
  mtu?: number;
  /** Data packets per RC acknowledgement. */
  ackEvery?: number;
  /** Link utilisation where ECN marking starts, and the marking probability at full load. */
  ecnMin?: number;
  ecnMaxProbability?: number;
  /** Shortest interval between CNPs of one queue pair (NIC CNP rate limit), in µs. */
  cnpIntervalUs?: number;
  /** Discard notifications per second per data source (sFlow drops spec default 10). */
  discardLimit?: number;
  /** Port scans from the Internet dropped by an ACL at the gateway port, packets/s. */
  aclDropsPps?: number;
  /** Share of frames received with errors on one flaky fabric link (0: none). */
  errorRate?: number;
  /** Egress queue buffer, bytes. */
  bufferBytes?: number;
  maxDatagramBytes?: number;
  flushMs?: number;
  /** Seconds of per-second truth kept. */
  truthSeconds?: number;
}

/** What the fabric carried in one second of simulated time. */
export interface FabricSecond {
  second: number;
  /** Bits/s entering the fabric at edge ports (host-facing, service and gateway ports): all traffic. */
  edgeBps: number;
  /** RoCEv2 frames/s entering at the edge. */
  roceFps: number;
  /** RDMA operations/s: RoCEv2 packets with a RETH (WRITE First/Only, READ Request) entering at the edge. */
  rdmaOps: number;
  /** Mean RETH DMA length of those operations: bytes per operation. */
  rdmaBytesPerOp: number;
  /** RoCEv2 frames/s by "transport:operation" (as ai-metrics names them), entering at the edge. */
  operations: Record<string, number>;
  /** CE-marked RoCEv2 frames/s received by switch ports, every port counted (ai-metrics ecn over TOPOLOGY). */
  ecnCePps: number;
  /** CE-marked frames/s delivered to hosts: what the NICs answer with CNPs. */
  ecnCeDeliveredPps: number;
  /** CNPs/s sent by hosts (entering at the edge). */
  cnpPps: number;
  /** CNP frames/s received by switch ports, every port counted. */
  cnpPpsAllPorts: number;
  /** Mean AETH credit count of ACKs and read responses entering at the edge. */
  aethCreditsAvg: number;
  /** Frames/s with an AETH (ACKs, read responses) entering at the edge: the weight of aethCreditsAvg. */
  aethFps: number;
  /** Packets/s discarded, by sFlow drop reason name. */
  discards: Record<string, number>;
  /** Packets/s discarded on arrival (ACL) and in egress queues: what ifInDiscards / ifOutDiscards count. */
  discardsIn: number;
  discardsOut: number;
  /**
   * Discard notifications (sFlow discarded_packet samples) sent per second, by reason: one per
   * dropped packet up to `discardLimit` per second and data source, so below `discards` when a
   * port drops faster. Each stands for one packet.
   */
  discardNotifications: Record<string, number>;
  /** The same by data source ("agent:ifIndex"), then reason. */
  discardNotificationsByPort: Record<string, Record<string, number>>;
  /** Frames/s received with errors. */
  errors: number;
  /** PFC pause frames/s sent by switch ports. */
  pfcPausesPerSec: number;
}

export interface JobTruth {
  name: string;
  collective: Collective;
  /** Host addresses in ring order. */
  hosts: string[];
  periodMs: number;
  duty: number;
  phaseMs: number;
  messageBytes: number;
  load: number;
  channels: number;
  placement: 'packed' | 'spread';
  /** RoCEv2 opcodes of the job's packets (data, acknowledgements, read requests, CNPs). */
  opcodes: number[];
  /** Ring neighbour connections that cross the spines. */
  crossRackConnections: number;
}

export interface FabricTruth {
  /** Complete seconds, oldest first (the last `truthSeconds`). */
  seconds: FabricSecond[];
  jobs: JobTruth[];
  /** Bytes entering the fabric at the edge per "source>destination" address pair, whole run. */
  pairs: Map<string, number>;
  /** Simulated time reached, ms. */
  nowMs: number;
  /** The period of the fabric's RoCEv2 load (fabricPeriodMs of the jobs), ms; 0 without jobs. */
  periodMs: number;
}

/**
 * Fabric-wide ground truth over a stretch of simulated time: the complete seconds of
 * [fromSecond, toSecond) averaged (rates per second; bytes per operation weighted by operations,
 * credits by AETH frames), from the simulator's own bookkeeping rather than from its sFlow.
 */
export interface FabricGroundTruth extends Omit<FabricSecond, 'second'> {
  fromSecond: number;
  toSecond: number;
  /** Seconds averaged. */
  seconds: number;
  /**
   * By reason, the notification rate of the data source that sent the most of that reason:
   * ai-metrics `drops`, whose flow has sFlow-RT's default aggregation over data sources, the
   * maximum (the fabric's total when one port drops for that reason).
   */
  discardNotificationsPortMax: Record<string, number>;
  /** The period of the fabric's RoCEv2 load, ms (see FabricTruth). */
  periodMs: number;
}

/** A port as the collector sees it. */
export interface FabricPort {
  node: string;
  agent: string;
  ifIndex: number;
  name: string;
  speed: number;
  /** A leaf-spine port (CORE); otherwise host-facing (EDGE). */
  core: boolean;
  /** What is attached: a host address, 'gateway', or the node at the other end. */
  peer: string;
}

const DROP_NAMES: Record<number, string> = { 258: 'acl', 259: 'no_buffer_space', 260: 'red' };
const SWITCH_LATENCY_NS = 800;
const PFC_FRAMES_PER_PAUSED_SECOND = 40_000; // a pause refreshed every 25 µs
const FCS = 4;

// RoCEv2 opcodes used (RC transport).
const OP = {
  SEND_FIRST: 0x00,
  SEND_MIDDLE: 0x01,
  SEND_LAST: 0x02,
  SEND_ONLY: 0x04,
  WRITE_FIRST: 0x06,
  WRITE_MIDDLE: 0x07,
  WRITE_LAST: 0x08,
  WRITE_ONLY: 0x0a,
  READ_REQUEST: 0x0c,
  READ_RESPONSE_FIRST: 0x0d,
  READ_RESPONSE_MIDDLE: 0x0e,
  READ_RESPONSE_LAST: 0x0f,
  READ_RESPONSE_ONLY: 0x10,
  ACK: 0x11,
  CNP: 0x81,
} as const;

const RETH_BYTES = 16;
const AETH_BYTES = 4;
const CNP_BYTES = 16;

/**
 * The default workload for a fabric of `totalHosts` GPU hosts: jobs that fit are kept. The
 * packed jobs keep their rings in the rack; `vision` is the job the scheduler spread over the
 * racks, so every hop of its ring crosses the spines, and where ECMP puts two of its flows (or
 * one and a packed job's rack-crossing hop) on one fabric link that queue marks CE: the marked
 * packets reach the receiving leaf, whose ingress samples show them, and the receivers answer
 * with CNPs. Its ranks send at half the port speed, so host ports do not mark.
 */
export function defaultJobs(totalHosts: number): JobSpec[] {
  const size = (share: number) => Math.max(2, Math.floor(totalHosts * share));
  const jobs: JobSpec[] = [
    {
      name: 'llm-pretrain',
      collective: 'allreduce',
      hosts: size(1 / 2),
      periodMs: 2000,
      duty: 0.4,
      messageBytes: 1 << 20,
      load: 0.7,
      channels: 2,
      placement: 'packed',
    },
    {
      name: 'llm-finetune',
      collective: 'allgather',
      hosts: size(1 / 8),
      periodMs: 500,
      duty: 0.3,
      messageBytes: 256 << 10,
      load: 0.6,
      channels: 2,
      placement: 'packed',
    },
    {
      name: 'vision',
      collective: 'reducescatter',
      hosts: size(1 / 4),
      periodMs: 1200,
      duty: 0.5,
      messageBytes: 512 << 10,
      load: 0.5,
      channels: 1,
      placement: 'spread',
    },
    {
      name: 'rl-small',
      collective: 'allreduce',
      hosts: size(1 / 16),
      periodMs: 200,
      duty: 0.5,
      messageBytes: 64 << 10,
      load: 0.6,
      channels: 2,
      placement: 'packed',
    },
  ];
  const kept: JobSpec[] = [];
  let used = 0;
  for (const j of jobs) {
    if (used + j.hosts <= totalHosts) {
      kept.push(j);
      used += j.hosts;
    }
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------
// Internal model

interface Switch {
  name: string;
  role: 'spine' | 'leaf' | 'service';
  agent: AgentStream;
  mac: string;
  ports: Port[];
  /** Samples taken during the current step, sorted and packed at its end. */
  events: SimEvent[];
}

interface Link {
  capacity: number;
  /** Switch port transmitting onto the link (its egress queue), or undefined for a host NIC. */
  tx: Port | undefined;
  /** Switch port receiving from the link, or undefined for a host NIC. */
  rx: Port | undefined;
  errorRate: number;
  offeredBits: number;
  offeredPkts: number;
  /** Offered load / capacity. */
  u: number;
  /** CE marking probability at the tx queue (ECN-capable RoCE data). */
  mark: number;
  /** Drop probabilities of lossy traffic at the tx queue. */
  red: number;
  tail: number;
  /** Mean queue depth, packets, and mean frame bytes on the link. */
  queuePkts: number;
  meanFrame: number;
}

interface Port {
  sw: Switch;
  ifIndex: number;
  name: string;
  speed: number;
  core: boolean;
  peer: string;
  egressSampled: boolean;
  samplingRate: number;
  inLink: Link;
  outLink: Link;
  // cumulative counters
  inOctets: number;
  outOctets: number;
  inPkts: number;
  outPkts: number;
  inDiscards: number;
  outDiscards: number;
  inErrors: number;
  pfcRequests: number;
  pfcIndications: number;
  pfcPauseUs: number;
  pool: number;
  // rates of the current segment, per second
  rInOctets: number;
  rOutOctets: number;
  rInPkts: number;
  rOutPkts: number;
  rInDiscards: number;
  rOutDiscards: number;
  rInErrors: number;
  rPfcRequests: number;
  rPfcIndications: number;
  rPfcPauseUs: number;
  rPool: number;
  // sequence numbers per data source
  flowSeq: number;
  counterSeq: number;
  discardSeq: number;
  nextPollMs: number;
  // discard notifications
  dropSources: DropSource[];
  dropRate: number;
  dropTotal: number;
  dropNotified: number;
  dropCountdown: number;
}

interface DropSource {
  stream: Stream;
  link: number;
  reason: number;
  rate: number;
}

interface Endpoint {
  ip: string;
  mac: string;
  port: Port;
  /** AETH credit count this host advertises in the current segment. */
  credits: number;
}

interface PacketClass {
  opcode: number | undefined;
  /** Frame bytes without the FCS. */
  bytes: number;
  share: number;
  reth: boolean;
  aeth: boolean;
  ackReq: boolean;
}

type StreamRole = 'data' | 'ack' | 'readreq' | 'cnp' | 'tcp' | 'tcpack' | 'acl';

interface Stream {
  role: StreamRole;
  src: Endpoint;
  dst: Endpoint;
  protocol: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  dscp: number;
  /** Sent ECN-capable: ECT(0) on the wire. */
  ect: boolean;
  /** Subject to CE marking (in the RoCE data queue). */
  markable: boolean;
  /** Lossy (TCP) rather than lossless (RoCE, PFC-protected). */
  lossy: boolean;
  queue: number;
  priority: number;
  links: Link[];
  classes: PacketClass[];
  cumShare: number[];
  /** Mean frame bytes on the wire including the FCS. */
  meanFrame: number;
  messageBytes: number;
  /** Packets per message (for message sequence numbers). */
  packetsPerMessage: number;
  destQp: number;
  job: Job | undefined;
  /** Packets/s while active (primary streams). */
  ratePps: number;
  /** Derived streams follow this stream's actual rate times `ratio` (acks, read requests, CNPs). */
  driver: Stream | undefined;
  ratio: number;
  nominal: number;
  pps: number;
  /** Probability of having survived the tx queue of each link, cumulative. */
  survival: number[];
  /** Probability of carrying CE after the tx queue of each link. */
  ce: number[];
  samplers: Sampler[];
  sent: number;
  pair: string;
  edge: boolean;
}

interface Sampler {
  port: Port;
  link: number;
  egress: boolean;
  countdown: number;
}

interface Job {
  spec: Required<JobSpec>;
  hosts: Endpoint[];
  active: boolean;
  crossRack: number;
}

interface FlowEvent {
  kind: 'flow';
  t: number;
  port: Port;
  stream: Stream;
  link: number;
  egress: boolean;
  cls: number;
  ce: boolean;
  depth: number;
  pool: number;
  psn: number;
  credits: number;
}

interface DropEvent {
  kind: 'drop';
  t: number;
  port: Port;
  stream: Stream;
  link: number;
  reason: number;
  lost: number;
  psn: number;
}

interface CounterEvent {
  kind: 'counter';
  t: number;
  port: Port;
  values: number[];
}

type SimEvent = FlowEvent | DropEvent | CounterEvent;

/** The truth of a second that is a count over it (a second's count is its rate). */
const COUNTS = [
  'roceFps',
  'rdmaOps',
  'ecnCePps',
  'ecnCeDeliveredPps',
  'cnpPps',
  'cnpPpsAllPorts',
  'aethFps',
  'discardsIn',
  'discardsOut',
  'errors',
  'pfcPausesPerSec',
] as const;
type Count = (typeof COUNTS)[number];

function counts(value: (k: Count) => number): Record<Count, number> {
  return Object.fromEntries(COUNTS.map((k) => [k, value(k)])) as Record<Count, number>;
}

/** The second being simulated: the counts, and the sums the rest of its FabricSecond comes from. */
interface SecondAcc extends Record<Count, number> {
  edgeBytes: number;
  /** DMA bytes of the RDMA operations (for bytes per operation). */
  rdmaBytes: number;
  /** AETH credits of the AETH frames (for the mean). */
  credits: number;
  operations: Map<string, number>;
  discards: Map<number, number>;
  notifications: Map<number, number>;
  /** Notifications by data source ("agent:ifIndex") and reason. */
  notificationsByPort: Map<string, Map<number, number>>;
}

function emptySecond(): SecondAcc {
  return {
    ...counts(() => 0),
    edgeBytes: 0,
    rdmaBytes: 0,
    credits: 0,
    operations: new Map(),
    discards: new Map(),
    notifications: new Map(),
    notificationsByPort: new Map(),
  };
}

function hex2(n: number): string {
  return (n & 255).toString(16).padStart(2, '0');
}

function mac(a: number, b: number, c: number, d: number): string {
  return `02:${hex2(a)}:${hex2(b)}:${hex2(c)}:${hex2(d >> 8)}:${hex2(d)}`;
}

/** FNV-1a over the 5-tuple: the ECMP hash a switch applies. */
export function ecmpHash(
  src: string,
  dst: string,
  protocol: number,
  srcPort: number,
  dstPort: number,
): number {
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h ^= v & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const text of [src, dst]) for (let i = 0; i < text.length; i++) mix(text.charCodeAt(i));
  for (const v of [protocol, srcPort >> 8, srcPort, dstPort >> 8, dstPort]) mix(v);
  // Final avalanche so the low bits depend on every input byte.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

function roceFrameBytes(v6: boolean, extBytes: number, payload: number): number {
  // Ethernet, IP, UDP, BTH, extended headers, payload, ICRC.
  return 14 + (v6 ? 40 : 20) + 8 + 12 + extBytes + payload + 4;
}

function klass(
  opcode: number | undefined,
  bytes: number,
  share: number,
  flags: Partial<Pick<PacketClass, 'reth' | 'aeth' | 'ackReq'>> = {},
): PacketClass {
  return {
    opcode,
    bytes,
    share,
    reth: flags.reth ?? false,
    aeth: flags.aeth ?? false,
    ackReq: flags.ackReq ?? false,
  };
}

/** The packets of one RoCE message: First / Middle / Last, or Only, with their share of the packets. */
function messageClasses(
  kind: 'write' | 'send' | 'readresp',
  messageBytes: number,
  mtu: number,
  v6: boolean,
): PacketClass[] {
  const n = Math.max(1, Math.ceil(messageBytes / mtu));
  const last = messageBytes - (n - 1) * mtu;
  const ops =
    kind === 'write'
      ? [OP.WRITE_ONLY, OP.WRITE_FIRST, OP.WRITE_MIDDLE, OP.WRITE_LAST]
      : kind === 'send'
        ? [OP.SEND_ONLY, OP.SEND_FIRST, OP.SEND_MIDDLE, OP.SEND_LAST]
        : [OP.READ_RESPONSE_ONLY, OP.READ_RESPONSE_FIRST, OP.READ_RESPONSE_MIDDLE, OP.READ_RESPONSE_LAST];
  // Extended headers: WRITE First/Only carry a RETH; read response First/Last/Only an AETH.
  const firstExt = kind === 'write' ? RETH_BYTES : kind === 'readresp' ? AETH_BYTES : 0;
  const lastExt = kind === 'readresp' ? AETH_BYTES : 0;
  const reth = kind === 'write';
  const aeth = kind === 'readresp';
  const ackReq = kind !== 'readresp';
  if (n === 1) {
    return [klass(ops[0], roceFrameBytes(v6, firstExt, messageBytes), 1, { reth, aeth, ackReq })];
  }
  const classes = [klass(ops[1], roceFrameBytes(v6, firstExt, mtu), 1 / n, { reth, aeth })];
  if (n > 2) classes.push(klass(ops[2], roceFrameBytes(v6, 0, mtu), (n - 2) / n));
  classes.push(klass(ops[3], roceFrameBytes(v6, lastExt, last), 1 / n, { aeth, ackReq }));
  return classes;
}

function meanFrame(classes: PacketClass[]): number {
  let m = 0;
  for (const c of classes) m += c.share * (c.bytes + FCS);
  return m;
}

/** Placeholder link of a port under construction. */
const UNLINKED: Link = {
  capacity: 1,
  tx: undefined,
  rx: undefined,
  errorRate: 0,
  offeredBits: 0,
  offeredPkts: 0,
  u: 0,
  mark: 0,
  red: 0,
  tail: 0,
  queuePkts: 0,
  meanFrame: 0,
};

// ---------------------------------------------------------------------------------------------

export class FabricSimulator {
  private readonly o: Required<Omit<FabricOptions, 'jobs'>>;
  private readonly rnd: Random;
  private readonly switches: Switch[] = [];
  private readonly ports: Port[] = [];
  private readonly links: Link[] = [];
  private readonly streams: Stream[] = [];
  private readonly jobs: Job[] = [];
  private readonly gpuHosts: Endpoint[][] = [];
  private readonly topologyDoc: TopologyDocument = { nodes: {}, links: {} };
  private nowMs = 0;
  private dirty = true;
  private readonly history: FabricSecond[] = [];
  private acc: SecondAcc = emptySecond();
  private accSecond = 0;
  private readonly pairs = new Map<string, number>();

  constructor(options: FabricOptions = {}) {
    this.o = {
      seed: 1,
      spines: 4,
      leaves: 8,
      hostsPerLeaf: 16,
      hostSpeed: 400e9,
      fabricSpeed: 800e9,
      samplingRate: 10_000,
      headerBytes: 128,
      egressSampling: 'core',
      counterIntervalMs: 5000,
      ipv6: false,
      services: true,
      serviceScale: 1,
      mtu: 4096,
      ackEvery: 16,
      ecnMin: 0.8,
      ecnMaxProbability: 0.1,
      cnpIntervalUs: 4,
      discardLimit: 10,
      aclDropsPps: 5,
      errorRate: 1e-7,
      bufferBytes: 4 << 20,
      maxDatagramBytes: 1400,
      flushMs: 25,
      truthSeconds: 3600,
      ...Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k !== 'jobs')),
    };
    const o = this.o;
    const check = (name: string, v: number, lo: number, hi: number) => {
      if (!Number.isFinite(v) || v < lo || v > hi)
        throw new RangeError(`${name} must be ${lo}-${hi}, got ${v}`);
    };
    check('spines', o.spines, 1, 64);
    check('leaves', o.leaves, 1, 99);
    check('hostsPerLeaf', o.hostsPerLeaf, 1, 250);
    check('samplingRate', o.samplingRate, 1, 2 ** 31);
    check('headerBytes', o.headerBytes, 64, 1024);
    check('counterIntervalMs', o.counterIntervalMs, 100, 3_600_000);
    check('mtu', o.mtu, 256, 4096);
    check('ackEvery', o.ackEvery, 1, 1 << 20);
    check('ecnMin', o.ecnMin, 0, 0.999);
    check('ecnMaxProbability', o.ecnMaxProbability, 0, 1);
    check('cnpIntervalUs', o.cnpIntervalUs, 0.001, 1e9);
    check('discardLimit', o.discardLimit, 0.001, 1e9);
    check('hostSpeed', o.hostSpeed, 1e6, 1e13);
    check('fabricSpeed', o.fabricSpeed, 1e6, 1e13);
    this.rnd = new Random(o.seed);
    this.build(options.jobs ?? defaultJobs(o.leaves * o.hostsPerLeaf));
  }

  // -------------------------------------------------------------------------------------------
  // Construction

  private newLink(capacity: number, tx: Port | undefined, rx: Port | undefined): Link {
    const l: Link = {
      capacity,
      tx,
      rx,
      errorRate: 0,
      offeredBits: 0,
      offeredPkts: 0,
      u: 0,
      mark: 0,
      red: 0,
      tail: 0,
      queuePkts: 0,
      meanFrame: 0,
    };
    this.links.push(l);
    return l;
  }

  private newSwitch(name: string, role: Switch['role'], agent: string, index: number): Switch {
    const sw: Switch = {
      name,
      role,
      agent: new AgentStream(agent, {
        maxBytes: this.o.maxDatagramBytes,
        flushMs: this.o.flushMs,
        bootUptimeMs: this.rnd.int(3_600_000, 30 * 86_400_000),
      }),
      mac: `0c:42:a1:${hex2(role === 'spine' ? 1 : role === 'leaf' ? 2 : 3)}:${hex2(index >> 8)}:${hex2(index)}`,
      ports: [],
      events: [],
    };
    this.switches.push(sw);
    this.topologyDoc.nodes![name] = { agent, ports: {} };
    return sw;
  }

  private newPort(sw: Switch, ifIndex: number, speed: number, core: boolean, peer: string): Port {
    const eg = this.o.egressSampling;
    const port: Port = {
      sw,
      ifIndex,
      name: `swp${ifIndex}`,
      speed,
      core,
      peer,
      egressSampled: eg === 'all' || (eg === 'core' && core) || (eg === 'edge' && !core),
      samplingRate: this.o.samplingRate,
      inOctets: 0,
      outOctets: 0,
      inPkts: 0,
      outPkts: 0,
      inDiscards: 0,
      outDiscards: 0,
      inErrors: 0,
      pfcRequests: 0,
      pfcIndications: 0,
      pfcPauseUs: 0,
      pool: 0,
      rInOctets: 0,
      rOutOctets: 0,
      rInPkts: 0,
      rOutPkts: 0,
      rInDiscards: 0,
      rOutDiscards: 0,
      rInErrors: 0,
      rPfcRequests: 0,
      rPfcIndications: 0,
      rPfcPauseUs: 0,
      rPool: 0,
      flowSeq: 0,
      counterSeq: 0,
      discardSeq: 0,
      // Counters are staggered over the interval on a 100 ms grid.
      nextPollMs: 100 * this.rnd.int(0, Math.max(0, Math.floor(this.o.counterIntervalMs / 100) - 1)),
      dropSources: [],
      dropRate: 0,
      dropTotal: 0,
      dropNotified: 0,
      dropCountdown: exponential(this.rnd.next(), 1),
      // Replaced by the real links right after the port is made.
      inLink: UNLINKED,
      outLink: UNLINKED,
    };
    sw.ports.push(port);
    this.ports.push(port);
    this.topologyDoc.nodes![sw.name].ports![port.name] = { ifindex: String(ifIndex) };
    return port;
  }

  /** A host-facing port with the links to and from the host's NIC. */
  private edgePort(sw: Switch, ifIndex: number, speed: number, peer: string): Port {
    const port = this.newPort(sw, ifIndex, speed, false, peer);
    port.inLink = this.newLink(speed, undefined, port);
    port.outLink = this.newLink(speed, port, undefined);
    return port;
  }

  private endpoint(ip: string, macAddress: string, port: Port): Endpoint {
    return { ip, mac: macAddress, port, credits: 30 };
  }

  private build(jobSpecs: JobSpec[]): void {
    const o = this.o;
    const spines: Switch[] = [];
    for (let s = 0; s < o.spines; s++)
      spines.push(this.newSwitch(`spine${s + 1}`, 'spine', `10.254.0.${s + 1}`, s));
    const leafSwitches: Switch[] = [];
    for (let l = 0; l < o.leaves; l++) {
      leafSwitches.push(this.newSwitch(`leaf${l + 1}`, 'leaf', `10.254.1.${l + 1}`, l));
    }
    const service = o.services ? this.newSwitch('svcleaf1', 'service', '10.254.2.1', 0) : undefined;
    const allLeaves = service === undefined ? leafSwitches : [...leafSwitches, service];

    // GPU hosts.
    for (let l = 0; l < o.leaves; l++) {
      const hosts: Endpoint[] = [];
      for (let h = 1; h <= o.hostsPerLeaf; h++) {
        const ip = o.ipv6 ? `fd00:0:${(l + 1).toString(16)}::${h.toString(16)}` : `10.${l + 1}.0.${h}`;
        const port = this.edgePort(leafSwitches[l], h, o.hostSpeed, ip);
        hosts.push(this.endpoint(ip, mac(0, l + 1, 0, h), port));
      }
      this.gpuHosts.push(hosts);
    }

    // Service endpoints on the service leaf, plus the Internet gateway port.
    const svc = { oss: [] as Endpoint[], osd: [] as Endpoint[], fe: [] as Endpoint[] } as {
      oss: Endpoint[];
      osd: Endpoint[];
      fe: Endpoint[];
      mon?: Endpoint;
      nfs?: Endpoint;
      slurm?: Endpoint;
      gateway?: Port;
    };
    if (service !== undefined) {
      let ifIndex = 1;
      const add = (ip: string) => {
        const port = this.edgePort(service, ifIndex, o.hostSpeed, ip);
        const e = this.endpoint(ip, mac(1, 0, 0, ifIndex), port);
        ifIndex++;
        return e;
      };
      // Services in 10.100.<service>.<n> (fd00:0:10<service>::<n>), front-ends in 172.16.0.<n> (fd00:0:ac10::<n>).
      const ip = (service: number, n: number) =>
        o.ipv6 ? `fd00:0:${(0x100 + service).toString(16)}::${n.toString(16)}` : `10.100.${service}.${n}`;
      for (let i = 1; i <= 4; i++) svc.oss.push(add(ip(0, i)));
      svc.mon = add(ip(1, 1));
      for (let i = 2; i <= 5; i++) svc.osd.push(add(ip(1, i)));
      svc.nfs = add(ip(2, 1));
      svc.slurm = add(ip(3, 1));
      for (let i = 1; i <= 4; i++) svc.fe.push(add(o.ipv6 ? `fd00:0:ac10::${i}` : `172.16.0.${i}`));
      svc.gateway = this.edgePort(service, ifIndex, o.hostSpeed / 4, 'gateway');
    }

    // Leaf-spine links: leaf uplink ifIndex follows the host ports; spine port l+1 faces leaf l.
    const uplinks = new Map<Switch, Port[]>();
    const downlinks = new Map<Switch, Map<Switch, Port>>();
    for (const sp of spines) downlinks.set(sp, new Map());
    allLeaves.forEach((leaf, l) => {
      const firstUplink = leaf.ports.length + 1;
      const ups: Port[] = [];
      spines.forEach((sp, s) => {
        const up = this.newPort(leaf, firstUplink + s, o.fabricSpeed, true, sp.name);
        const down = this.newPort(sp, l + 1, o.fabricSpeed, true, leaf.name);
        const upward = this.newLink(o.fabricSpeed, up, down);
        const downward = this.newLink(o.fabricSpeed, down, up);
        up.outLink = upward;
        down.inLink = upward;
        down.outLink = downward;
        up.inLink = downward;
        ups.push(up);
        downlinks.get(sp)!.set(leaf, down);
        this.topologyDoc.links![`${leaf.name}-${sp.name}`] = {
          node1: leaf.name,
          port1: up.name,
          node2: sp.name,
          port2: down.name,
        };
      });
      uplinks.set(leaf, ups);
    });
    if (o.errorRate > 0) {
      const fabric = this.links.filter((l) => l.tx?.core === true);
      this.rnd.pick(fabric).errorRate = o.errorRate;
    }

    const path = (src: Endpoint, dst: Endpoint, protocol: number, sp: number, dp: number): Link[] => {
      const a = src.port.sw;
      const b = dst.port.sw;
      if (a === b) return [src.port.inLink, dst.port.outLink];
      const s = ecmpHash(src.ip, dst.ip, protocol, sp, dp) % spines.length;
      const up = uplinks.get(a)![s];
      const down = downlinks.get(spines[s])!.get(b)!;
      return [src.port.inLink, up.outLink, down.outLink, dst.port.outLink];
    };
    const addStream = (
      role: StreamRole,
      src: Endpoint,
      dst: Endpoint,
      protocol: number,
      srcPort: number,
      dstPort: number,
      classes: PacketClass[],
      extra: Partial<Stream> = {},
    ): Stream => {
      const roce = protocol === 17 && dstPort === 4791;
      const cum: number[] = [];
      let c = 0;
      for (const k of classes) {
        c += k.share;
        cum.push(c);
      }
      const stream: Stream = {
        role,
        src,
        dst,
        protocol,
        srcPort,
        dstPort,
        tcpFlags: 0x18,
        dscp: roce ? 26 : 0,
        ect: roce && role !== 'cnp',
        markable: role === 'data' || role === 'readreq',
        lossy: !roce,
        queue: roce ? (role === 'ack' || role === 'cnp' ? 6 : 3) : 0,
        priority: roce ? (role === 'ack' || role === 'cnp' ? 6 : 3) : 0,
        links: role === 'acl' ? [src.port.inLink] : path(src, dst, protocol, srcPort, dstPort),
        classes,
        cumShare: cum,
        meanFrame: meanFrame(classes),
        messageBytes: 0,
        packetsPerMessage: 1,
        destQp: 0,
        job: undefined,
        ratePps: 0,
        driver: undefined,
        ratio: 0,
        nominal: 0,
        pps: 0,
        survival: [],
        ce: [],
        samplers: [],
        sent: 0,
        pair: `${src.ip}>${dst.ip}`,
        edge: true,
        ...extra,
      };
      if (role === 'ack' || role === 'cnp') stream.dscp = 48;
      stream.survival = stream.links.map(() => 1);
      stream.ce = stream.links.map(() => 0);
      stream.links.forEach((link, k) => {
        if (link.rx !== undefined) {
          stream.samplers.push({
            port: link.rx,
            link: k,
            egress: false,
            countdown: exponential(this.rnd.next(), link.rx.samplingRate),
          });
        }
        if (link.tx?.egressSampled === true) {
          stream.samplers.push({
            port: link.tx,
            link: k,
            egress: true,
            countdown: exponential(this.rnd.next(), link.tx.samplingRate),
          });
        }
      });
      this.streams.push(stream);
      return stream;
    };
    const ephemeral = () => this.rnd.int(32768, 60999);
    const qp = () => this.rnd.int(0x100, 0xffffff);
    const roceSrcPort = () => this.rnd.int(49152, 65535);
    const v6 = o.ipv6;

    // Jobs.
    this.schedule(jobSpecs);
    for (const job of this.jobs) {
      const j = job.spec;
      const n = job.hosts.length;
      for (let r = 0; r < n; r++) {
        const from = job.hosts[r];
        const to = job.hosts[(r + 1) % n];
        if (from.port.sw !== to.port.sw) job.crossRack++;
        const bytesPerSec = (j.load * o.hostSpeed) / 8 / j.channels;
        for (let c = 0; c < j.channels; c++) {
          const senderQp = qp();
          const receiverQp = qp();
          if (j.collective === 'reducescatter') {
            // `to` reads its neighbour's chunk: READ Request to `from`, responses back.
            const resp = messageClasses('readresp', j.messageBytes, o.mtu, v6);
            const data = addStream('data', from, to, 17, roceSrcPort(), 4791, resp, {
              job,
              destQp: receiverQp,
              messageBytes: j.messageBytes,
              packetsPerMessage: Math.ceil(j.messageBytes / o.mtu),
            });
            data.ratePps = bytesPerSec / data.meanFrame;
            addStream(
              'readreq',
              to,
              from,
              17,
              roceSrcPort(),
              4791,
              [klass(OP.READ_REQUEST, roceFrameBytes(v6, RETH_BYTES, 0), 1, { reth: true })],
              {
                job,
                destQp: senderQp,
                messageBytes: j.messageBytes,
                driver: data,
                ratio: 1 / data.packetsPerMessage,
              },
            );
            addStream(
              'cnp',
              to,
              from,
              17,
              roceSrcPort(),
              4791,
              [klass(OP.CNP, roceFrameBytes(v6, CNP_BYTES, 0), 1)],
              {
                job,
                destQp: senderQp,
                driver: data,
              },
            );
          } else {
            const kind = j.collective === 'allreduce' ? 'write' : 'send';
            const classes = messageClasses(kind, j.messageBytes, o.mtu, v6);
            const perMessage = Math.ceil(j.messageBytes / o.mtu);
            const data = addStream('data', from, to, 17, roceSrcPort(), 4791, classes, {
              job,
              destQp: receiverQp,
              messageBytes: j.messageBytes,
              packetsPerMessage: perMessage,
            });
            data.ratePps = bytesPerSec / data.meanFrame;
            const replyPort = roceSrcPort();
            addStream(
              'ack',
              to,
              from,
              17,
              replyPort,
              4791,
              [klass(OP.ACK, roceFrameBytes(v6, AETH_BYTES, 0), 1, { aeth: true })],
              {
                job,
                destQp: senderQp,
                driver: data,
                ratio: Math.ceil(perMessage / o.ackEvery) / perMessage,
              },
            );
            addStream(
              'cnp',
              to,
              from,
              17,
              replyPort,
              4791,
              [klass(OP.CNP, roceFrameBytes(v6, CNP_BYTES, 0), 1)],
              {
                job,
                destQp: senderQp,
                driver: data,
              },
            );
          }
        }
      }
    }

    // Cluster services and front-end traffic.
    if (service !== undefined) this.services(svc, addStream, ephemeral);
  }

  /** Places jobs on hosts: spread jobs first (one rack after another), then packed ones. */
  private schedule(specs: JobSpec[]): void {
    const free = this.gpuHosts.map((rack) => [...rack]);
    const total = free.reduce((n, r) => n + r.length, 0);
    const wanted = specs.reduce((n, s) => n + s.hosts, 0);
    if (wanted > total) throw new RangeError(`the jobs need ${wanted} hosts but the fabric has ${total}`);
    const full: Required<JobSpec>[] = specs.map((s) => {
      if (!(s.hosts >= 2)) throw new RangeError(`job ${s.name}: at least 2 hosts`);
      if (!(s.periodMs > 0) || !(s.duty > 0 && s.duty <= 1)) {
        throw new RangeError(`job ${s.name}: periodMs must be > 0 and duty in (0, 1]`);
      }
      if (!(s.load > 0 && s.load <= 1)) throw new RangeError(`job ${s.name}: load must be in (0, 1]`);
      if (!(s.messageBytes >= 1)) throw new RangeError(`job ${s.name}: messageBytes must be >= 1`);
      return {
        channels: 2,
        placement: 'packed',
        phaseMs: Math.floor(this.rnd.next() * s.periodMs),
        ...s,
      };
    });
    const order = [...full].sort((a, b) =>
      a.placement === b.placement ? 0 : a.placement === 'spread' ? -1 : 1,
    );
    const placed = new Map<Required<JobSpec>, Endpoint[]>();
    for (const spec of order) {
      const hosts: Endpoint[] = [];
      if (spec.placement === 'spread') {
        let rack = 0;
        while (hosts.length < spec.hosts) {
          if (free[rack].length > 0) hosts.push(free[rack].pop()!);
          rack = (rack + 1) % free.length;
        }
      } else {
        for (const rack of free) {
          while (hosts.length < spec.hosts && rack.length > 0) hosts.push(rack.shift()!);
        }
      }
      placed.set(spec, hosts);
    }
    for (const spec of full) this.jobs.push({ spec, hosts: placed.get(spec)!, active: false, crossRack: 0 });
  }

  private services(
    svc: {
      oss: Endpoint[];
      osd: Endpoint[];
      fe: Endpoint[];
      mon?: Endpoint;
      nfs?: Endpoint;
      slurm?: Endpoint;
      gateway?: Port;
    },
    addStream: (
      role: StreamRole,
      src: Endpoint,
      dst: Endpoint,
      protocol: number,
      srcPort: number,
      dstPort: number,
      classes: PacketClass[],
      extra?: Partial<Stream>,
    ) => Stream,
    ephemeral: () => number,
  ): void {
    const o = this.o;
    const scale = o.serviceScale;
    const v6 = o.ipv6;
    const tcpFrame = (mtu: number) => klass(undefined, mtu + 14, 1);
    const ackFrame = klass(undefined, 66, 1);
    /** A TCP transfer: data one way at `bitsPerSec`, ACKs (one per two segments) the other. */
    const tcp = (src: Endpoint, dst: Endpoint, sp: number, dp: number, bitsPerSec: number, mtu: number) => {
      if (bitsPerSec <= 0) return;
      const data = addStream('tcp', src, dst, 6, sp, dp, [tcpFrame(mtu)]);
      data.ratePps = bitsPerSec / 8 / data.meanFrame;
      addStream('tcpack', dst, src, 6, dp, sp, [ackFrame], { driver: data, ratio: 0.5, tcpFlags: 0x10 });
    };
    const gpu = this.gpuHosts.flat();
    const mtu = v6 ? 8940 : 8960;
    gpu.forEach((h, i) => {
      const oss = svc.oss[i % svc.oss.length];
      tcp(oss, h, 988, 1023, 4e9 * scale, mtu); // Lustre reads
      tcp(h, oss, 1022, 988, 1e9 * scale, mtu); // Lustre writes (checkpoints)
      tcp(h, svc.osd[i % svc.osd.length], ephemeral(), 6800 + ((i * 37) % 501), 5e8 * scale, mtu); // Ceph OSD
      tcp(h, svc.mon!, ephemeral(), 6789, 2e5 * scale, 200); // Ceph monitor
      tcp(svc.nfs!, h, 2049, 700 + (i % 300), 1e8 * scale, mtu); // NFS home directories
      tcp(h, svc.slurm!, ephemeral(), 6817, 2e4 * scale, 300); // slurmd -> slurmctld
      tcp(svc.slurm!, h, ephemeral(), 6818, 2e4 * scale, 300); // slurmctld -> slurmd
    });
    // Front-end: north/south through the gateway, east/west between front-ends, inference on idle GPUs.
    const gateway = svc.gateway!;
    const internet = (ip: string) => this.endpoint(ip, '02:00:5e:00:53:01', gateway);
    const publicAddress = () => {
      if (v6) {
        const h = () => this.rnd.int(1, 0xffff).toString(16);
        return `2a0${this.rnd.int(0, 9)}:${h()}:${h()}::${h()}`;
      }
      for (;;) {
        const a = this.rnd.int(11, 223);
        if (a === 100 || a === 127 || a === 169 || a === 172 || a === 192) continue;
        return `${a}.${this.rnd.int(0, 255)}.${this.rnd.int(0, 255)}.${this.rnd.int(1, 254)}`;
      }
    };
    for (let c = 0; c < 64; c++) {
      const client = internet(publicAddress());
      const fe = svc.fe[c % svc.fe.length];
      const sp = ephemeral();
      tcp(client, fe, sp, 443, 2e6 * scale, 1500);
      tcp(fe, client, 443, sp, 2e7 * scale, 1500);
    }
    svc.fe.forEach((fe, i) => {
      const next = svc.fe[(i + 1) % svc.fe.length];
      tcp(fe, next, ephemeral(), 8443, 1e8 * scale, 1500);
      tcp(fe, next, ephemeral(), 6379, 2e7 * scale, 1500);
    });
    const busy = new Set(this.jobs.flatMap((j) => j.hosts));
    const idle = gpu.filter((h) => !busy.has(h));
    const inference = (idle.length > 0 ? idle : gpu).slice(0, 8);
    inference.forEach((h, i) => {
      const fe = svc.fe[i % svc.fe.length];
      const sp = ephemeral();
      tcp(fe, h, sp, 8000, 1e7 * scale, 1500);
      tcp(h, fe, 8000, sp, 5e7 * scale, 1500);
    });
    // Scans from the Internet, dropped by an ingress ACL at the gateway port.
    if (o.aclDropsPps > 0) {
      for (let i = 0; i < 8; i++) {
        const scanner = internet(publicAddress());
        const fe = svc.fe[i % svc.fe.length];
        const s = addStream(
          'acl',
          scanner,
          fe,
          6,
          ephemeral(),
          [22, 23, 3389][i % 3],
          [klass(undefined, 60, 1)],
          {
            tcpFlags: 0x02,
          },
        );
        s.ratePps = o.aclDropsPps / 8;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  /** The sFlow-RT topology document (PUT /topology/json): nodes with agent and ports, leaf-spine links. */
  topology(): TopologyDocument {
    return JSON.parse(JSON.stringify(this.topologyDoc)) as TopologyDocument;
  }

  /** Every switch port, with its agent and ifIndex. */
  portList(): FabricPort[] {
    return this.ports.map((p) => ({
      node: p.sw.name,
      agent: p.sw.agent.address,
      ifIndex: p.ifIndex,
      name: p.name,
      speed: p.speed,
      core: p.core,
      peer: p.peer,
    }));
  }

  /** Agent address of every switch, by node name. */
  agents(): Record<string, string> {
    return Object.fromEntries(this.switches.map((s) => [s.name, s.agent.address]));
  }

  /** Simulated time reached, ms since the start. */
  get timeMs(): number {
    return this.nowMs;
  }

  /** Advances simulated time to `untilMs` (ms since the start) and returns the datagrams sent by then. */
  step(untilMs: number): Buffer[] {
    return this.stepTimed(untilMs).map((d) => d.payload);
  }

  /** Like step(), with each datagram's send time and agent. */
  stepTimed(untilMs: number): TimedDatagram[] {
    const out: TimedDatagram[] = [];
    while (this.nowMs < untilMs) {
      this.poll(this.nowMs);
      if (this.dirty) this.recompute(this.nowMs);
      const next = Math.min(untilMs, this.nextBoundary(this.nowMs));
      this.advance(this.nowMs, next);
      this.nowMs = next;
      if (next % 1000 === 0 && next / 1000 !== this.accSecond) this.closeSecond(next / 1000);
    }
    for (const sw of this.switches) {
      sw.events.sort((a, b) => a.t - b.t);
      for (const e of sw.events) sw.agent.add(e.t, this.sample(e), out);
      sw.events = [];
      sw.agent.flush(untilMs, out);
    }
    out.sort(byTime);
    return out;
  }

  /**
   * Fabric-wide ground truth for the complete seconds between `fromMs` and `toMs` (default: every
   * second kept): true RDMA operations/s and bytes per operation, CNPs/s, CE-marked packets/s,
   * drops/s by reason, and the rest of FabricSecond, averaged; plus the fabric's period.
   */
  groundTruth(fromMs = 0, toMs = this.nowMs): FabricGroundTruth {
    const secs = this.history.filter((s) => s.second * 1000 >= fromMs && (s.second + 1) * 1000 <= toMs);
    const avg = averageSeconds(secs);
    const portMax: Record<string, number> = {};
    for (const reasons of Object.values(avg.discardNotificationsByPort))
      for (const [reason, rate] of Object.entries(reasons))
        portMax[reason] = Math.max(portMax[reason] ?? 0, rate);
    return {
      ...avg,
      discardNotificationsPortMax: portMax,
      fromSecond: secs[0]?.second ?? 0,
      toSecond: (secs.at(-1)?.second ?? -1) + 1,
      seconds: secs.length,
      periodMs: fabricPeriodMs(this.jobs.map((j) => j.spec)),
    };
  }

  /** The ground truth so far. */
  truth(): FabricTruth {
    return {
      periodMs: fabricPeriodMs(this.jobs.map((j) => j.spec)),
      seconds: [...this.history],
      jobs: this.jobs.map((j) => ({
        name: j.spec.name,
        collective: j.spec.collective,
        hosts: j.hosts.map((h) => h.ip),
        periodMs: j.spec.periodMs,
        duty: j.spec.duty,
        phaseMs: j.spec.phaseMs,
        messageBytes: j.spec.messageBytes,
        load: j.spec.load,
        channels: j.spec.channels,
        placement: j.spec.placement,
        opcodes: [
          ...new Set(
            this.streams.filter((s) => s.job === j).flatMap((s) => s.classes.map((c) => c.opcode ?? -1)),
          ),
        ].sort((a, b) => a - b),
        crossRackConnections: j.crossRack,
      })),
      pairs: new Map(this.pairs),
      nowMs: this.nowMs,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Simulation

  private jobActive(job: Job, t: number): boolean {
    const s = job.spec;
    const x = (((t - s.phaseMs) % s.periodMs) + s.periodMs) % s.periodMs;
    return x < s.duty * s.periodMs - 1e-9;
  }

  private nextBoundary(t: number): number {
    let next = (Math.floor(t / 1000) + 1) * 1000;
    for (const job of this.jobs) {
      const s = job.spec;
      const x = (((t - s.phaseMs) % s.periodMs) + s.periodMs) % s.periodMs;
      const on = s.duty * s.periodMs;
      const until = x < on ? on - x : s.periodMs - x;
      next = Math.min(next, t + Math.max(until, 1e-6));
    }
    for (const p of this.ports) if (p.nextPollMs > t) next = Math.min(next, p.nextPollMs);
    return next;
  }

  private markProbability(u: number): number {
    const o = this.o;
    if (u <= o.ecnMin) return 0;
    if (u >= 1) return 1;
    return (o.ecnMaxProbability * (u - o.ecnMin)) / (1 - o.ecnMin);
  }

  /** Rates, congestion and drop probabilities for the segment starting at `t`. */
  private recompute(t: number): void {
    this.dirty = false;
    const o = this.o;
    for (const job of this.jobs) job.active = this.jobActive(job, t + 1e-6);
    for (const s of this.streams) {
      s.nominal = s.driver !== undefined ? 0 : s.job !== undefined && !s.job.active ? 0 : s.ratePps;
    }
    // Derived streams load the links in proportion to their driver (CNPs are negligible).
    for (const s of this.streams) {
      if (s.driver !== undefined && s.role !== 'cnp') s.nominal = s.driver.nominal * s.ratio;
    }
    for (const l of this.links) {
      l.offeredBits = 0;
      l.offeredPkts = 0;
    }
    for (const s of this.streams) {
      if (s.nominal <= 0) continue;
      const bits = s.nominal * s.meanFrame * 8;
      for (const l of s.links) {
        l.offeredBits += bits;
        l.offeredPkts += s.nominal;
      }
    }
    for (const l of this.links) {
      l.u = l.offeredBits / l.capacity;
      l.meanFrame = l.offeredPkts > 0 ? l.offeredBits / 8 / l.offeredPkts : 1000;
      const queued = l.tx !== undefined;
      l.mark = queued ? this.markProbability(l.u) : 0;
      l.red = queued && l.u < 1 ? this.markProbability(l.u) : 0;
      l.tail = queued && l.u > 1 ? 1 - 1 / l.u : 0;
      const full = o.bufferBytes / Math.max(l.meanFrame, 64);
      l.queuePkts = !queued ? 0 : l.u >= 1 ? full / 2 : Math.min(full / 2, (l.u * l.u) / (1 - l.u));
    }
    // Actual rates: PFC and DCQCN hold lossless traffic to what the busiest link on its path carries.
    const primary = (s: Stream) => s.driver === undefined;
    for (const s of this.streams) {
      if (!primary(s)) continue;
      let factor = 1;
      if (!s.lossy) for (const l of s.links) if (l.u > 1) factor = Math.min(factor, 1 / l.u);
      s.pps = s.nominal * factor;
    }
    for (const s of this.streams) {
      if (!primary(s) && s.role !== 'cnp') s.pps = s.driver!.pps * s.ratio;
    }
    for (const s of this.streams) this.pathProbabilities(s);
    const cnpMax = 1e6 / o.cnpIntervalUs;
    for (const s of this.streams) {
      if (s.role !== 'cnp') continue;
      const d = s.driver!;
      s.pps = Math.min(cnpMax, d.pps * d.survival[d.links.length - 1] * d.ce[d.links.length - 1]);
      this.pathProbabilities(s);
    }
    // AETH credits: a host under load at its port advertises fewer receive credits.
    for (const rack of this.gpuHosts) {
      for (const h of rack) h.credits = Math.max(0, Math.min(30, Math.round(30 * (1 - h.port.outLink.u))));
    }
    // Port rates.
    for (const p of this.ports) {
      p.rInOctets = 0;
      p.rOutOctets = 0;
      p.rInPkts = 0;
      p.rOutPkts = 0;
      p.rInDiscards = 0;
      p.rOutDiscards = 0;
      p.rInErrors = 0;
      p.rPfcRequests = 0;
      p.rPfcIndications = 0;
      p.rPfcPauseUs = 0;
      p.dropSources = [];
      p.dropRate = 0;
    }
    for (const s of this.streams) {
      if (s.pps <= 0) continue;
      s.links.forEach((l, k) => {
        const arriving = s.pps * (k === 0 ? 1 : s.survival[k - 1]);
        const carried = s.pps * s.survival[k];
        if (l.tx !== undefined) {
          l.tx.rOutPkts += carried;
          l.tx.rOutOctets += carried * s.meanFrame;
          if (s.lossy && arriving > carried) {
            const drop = arriving - carried;
            const tailShare = l.tail / (l.tail + l.red);
            l.tx.rOutDiscards += drop;
            if (l.tail > 0)
              l.tx.dropSources.push({ stream: s, link: k, reason: 259, rate: drop * tailShare });
            if (l.red > 0)
              l.tx.dropSources.push({ stream: s, link: k, reason: 260, rate: drop * (1 - tailShare) });
          }
        }
        if (l.rx !== undefined) {
          l.rx.rInPkts += carried;
          l.rx.rInOctets += carried * s.meanFrame;
          l.rx.rInErrors += carried * l.errorRate;
          if (s.role === 'acl') {
            l.rx.rInDiscards += carried;
            l.rx.dropSources.push({ stream: s, link: k, reason: 258, rate: carried });
          }
        }
      });
    }
    // PFC: a queue offered more than its link carries pauses the ports that feed it.
    for (const s of this.streams) {
      if (s.lossy || s.pps <= 0) continue;
      s.links.forEach((l, k) => {
        if (k === 0 || l.u <= 1 || l.tx === undefined) return;
        const paused = 1 - 1 / l.u;
        const feeder = s.links[k - 1];
        if (feeder.rx !== undefined) {
          feeder.rx.rPfcRequests = Math.max(feeder.rx.rPfcRequests, paused * PFC_FRAMES_PER_PAUSED_SECOND);
        }
        if (feeder.tx !== undefined) {
          feeder.tx.rPfcIndications = Math.max(
            feeder.tx.rPfcIndications,
            paused * PFC_FRAMES_PER_PAUSED_SECOND,
          );
          feeder.tx.rPfcPauseUs = Math.max(feeder.tx.rPfcPauseUs, paused * 1e6);
        }
      });
    }
    for (const p of this.ports) {
      p.rPool = p.rInPkts + (p.egressSampled ? p.rOutPkts : 0);
      for (const d of p.dropSources) p.dropRate += d.rate;
    }
  }

  private pathProbabilities(s: Stream): void {
    let survive = 1;
    let clean = 1;
    s.links.forEach((l, k) => {
      if (s.lossy) survive *= 1 - Math.min(1, l.red + l.tail);
      if (s.markable) clean *= 1 - l.mark;
      if (s.role === 'acl' && k === 0) survive = 0;
      s.survival[k] = survive;
      s.ce[k] = 1 - clean;
    });
    if (s.role === 'acl') s.survival[0] = 1; // sampled on arrival, then dropped by the ACL
  }

  /** Accumulates truth and counters over [t0, t1) and draws the samples that fall in it. */
  private advance(t0: number, t1: number): void {
    const dt = (t1 - t0) / 1000;
    if (dt <= 0) return;
    const second = Math.floor(t0 / 1000);
    if (second !== this.accSecond) this.closeSecond(second);
    const acc = this.acc;
    const rnd = this.rnd;

    for (const s of this.streams) {
      if (s.pps <= 0) continue;
      // Truth: what enters at the edge, CE and CNPs on every switch ingress.
      const n = s.pps * dt;
      acc.edgeBytes += n * s.meanFrame;
      this.pairs.set(s.pair, (this.pairs.get(s.pair) ?? 0) + n * s.meanFrame);
      if (s.dstPort === 4791 && s.protocol === 17) {
        acc.roceFps += n;
        for (const c of s.classes) {
          const name = `${TRANSPORT_NAMES[c.opcode! >> 5]}:${OPCODE_NAMES[c.opcode!]}`;
          acc.operations.set(name, (acc.operations.get(name) ?? 0) + n * c.share);
          if (c.reth) {
            acc.rdmaOps += n * c.share;
            acc.rdmaBytes += n * c.share * s.messageBytes;
          }
          if (c.aeth) {
            acc.aethFps += n * c.share;
            acc.credits += n * c.share * s.src.credits;
          }
        }
        const last = s.links.length - 1;
        for (let k = 1; k < s.links.length; k++) {
          if (s.links[k].rx === undefined) continue;
          acc.ecnCePps += n * s.survival[k] * s.ce[k];
          if (s.role === 'cnp') acc.cnpPpsAllPorts += n * s.survival[k];
        }
        acc.ecnCeDeliveredPps += n * s.survival[last] * s.ce[last];
        if (s.role === 'cnp') {
          acc.cnpPps += n;
          acc.cnpPpsAllPorts += n;
        }
      }
      // Samples: one Poisson process per stream and sampling point.
      for (const z of s.samplers) {
        const rate = s.pps * s.survival[z.link];
        let remaining = rate * dt;
        let t = t0;
        while (z.countdown <= remaining) {
          t += (z.countdown / rate) * 1000;
          remaining -= z.countdown;
          z.countdown = exponential(rnd.next(), z.port.samplingRate);
          this.flowEvent(s, z, t, t0);
        }
        z.countdown -= remaining;
      }
      s.sent += n;
    }

    for (const p of this.ports) {
      // Discard notifications: one per drop, up to the limit per data source.
      if (p.dropRate > 0) {
        const notifyRate = Math.min(p.dropRate, this.o.discardLimit);
        let remaining = notifyRate * dt;
        let t = t0;
        while (p.dropCountdown <= remaining) {
          t += (p.dropCountdown / notifyRate) * 1000;
          remaining -= p.dropCountdown;
          p.dropCountdown = exponential(rnd.next(), 1);
          this.dropEvent(p, t, t0);
        }
        p.dropCountdown -= remaining;
        for (const d of p.dropSources) {
          acc.discards.set(d.reason, (acc.discards.get(d.reason) ?? 0) + d.rate * dt);
        }
      }
      p.dropTotal += p.dropRate * dt;
      p.inOctets += p.rInOctets * dt;
      p.outOctets += p.rOutOctets * dt;
      p.inPkts += p.rInPkts * dt;
      p.outPkts += p.rOutPkts * dt;
      p.inDiscards += p.rInDiscards * dt;
      p.outDiscards += p.rOutDiscards * dt;
      acc.discardsIn += p.rInDiscards * dt;
      acc.discardsOut += p.rOutDiscards * dt;
      p.inErrors += p.rInErrors * dt;
      p.pfcRequests += p.rPfcRequests * dt;
      p.pfcIndications += p.rPfcIndications * dt;
      p.pfcPauseUs += p.rPfcPauseUs * dt;
      p.pool += p.rPool * dt;
      acc.errors += p.rInErrors * dt;
      acc.pfcPausesPerSec += p.rPfcRequests * dt;
    }
    // Phase changes fall on segment ends.
    if (this.jobs.some((j) => this.jobActive(j, t1 + 1e-6) !== j.active)) this.dirty = true;
  }

  private flowEvent(s: Stream, z: Sampler, t: number, t0: number): void {
    const rnd = this.rnd;
    const x = rnd.next();
    let cls = 0;
    while (cls < s.cumShare.length - 1 && x >= s.cumShare[cls]) cls++;
    const link = s.links[z.link];
    let depth = 0;
    if (z.egress && link.queuePkts > 0) {
      depth = Math.min(
        this.o.bufferBytes,
        Math.floor(exponential(rnd.next(), link.queuePkts)) * Math.round(link.meanFrame),
      );
    }
    const dt = (t - t0) / 1000;
    z.port.sw.events.push({
      kind: 'flow',
      t,
      port: z.port,
      stream: s,
      link: z.link,
      egress: z.egress,
      cls,
      ce: s.ect && rnd.next() < s.ce[z.link],
      depth,
      pool: z.port.pool + z.port.rPool * dt,
      psn: s.sent + s.pps * dt,
      credits: s.src.credits,
    });
  }

  private dropEvent(p: Port, t: number, t0: number): void {
    let x = this.rnd.next() * p.dropRate;
    let src = p.dropSources[p.dropSources.length - 1];
    for (const d of p.dropSources) {
      if (x < d.rate) {
        src = d;
        break;
      }
      x -= d.rate;
    }
    const dropped = p.dropTotal + (p.dropRate * (t - t0)) / 1000;
    p.dropNotified++;
    this.acc.notifications.set(src.reason, (this.acc.notifications.get(src.reason) ?? 0) + 1);
    const source = `${p.sw.agent.address}:${p.ifIndex}`;
    const byPort = this.acc.notificationsByPort.get(source) ?? new Map<number, number>();
    byPort.set(src.reason, (byPort.get(src.reason) ?? 0) + 1);
    this.acc.notificationsByPort.set(source, byPort);
    p.sw.events.push({
      kind: 'drop',
      t,
      port: p,
      stream: src.stream,
      link: src.link,
      reason: src.reason,
      // Notifications lost to the rate limit so far (cumulative, like sample drops).
      lost: Math.max(0, Math.floor(dropped) - p.dropNotified),
      psn: src.stream.sent,
    });
  }

  /** Counter samples for the ports due at `t`. */
  private poll(t: number): void {
    for (const p of this.ports) {
      if (p.nextPollMs > t) continue;
      p.nextPollMs += this.o.counterIntervalMs;
      p.sw.events.push({
        kind: 'counter',
        t,
        port: p,
        values: [
          p.inOctets,
          p.inPkts,
          p.inDiscards,
          p.inErrors,
          p.outOctets,
          p.outPkts,
          p.outDiscards,
          p.pfcRequests,
          p.pfcIndications,
          p.pfcPauseUs,
        ],
      });
    }
  }

  private closeSecond(next: number): void {
    const a = this.acc;
    const byName = (m: Map<number, number>) =>
      Object.fromEntries([...m].map(([reason, n]) => [DROP_NAMES[reason] ?? String(reason), n]));
    this.history.push({
      second: this.accSecond,
      ...counts((k) => a[k]),
      edgeBps: a.edgeBytes * 8,
      rdmaBytesPerOp: a.rdmaOps > 0 ? a.rdmaBytes / a.rdmaOps : 0,
      aethCreditsAvg: a.aethFps > 0 ? a.credits / a.aethFps : 0,
      operations: Object.fromEntries(a.operations),
      discards: byName(a.discards),
      discardNotifications: byName(a.notifications),
      discardNotificationsByPort: Object.fromEntries(
        [...a.notificationsByPort].map(([source, m]) => [source, byName(m)]),
      ),
    });
    if (this.history.length > this.o.truthSeconds) this.history.shift();
    this.acc = emptySecond();
    this.accSecond = next;
  }

  // -------------------------------------------------------------------------------------------
  // sFlow samples

  private frame(s: Stream, k: number, cls: PacketClass, ce: boolean, psn: number, credits: number): Buffer {
    const link = s.links[k];
    const spec: FrameSpec = {
      srcMac: link.tx?.sw.mac ?? s.src.mac,
      dstMac: link.rx?.sw.mac ?? s.dst.mac,
      src: s.src.ip,
      dst: s.dst.ip,
      protocol: s.protocol,
      srcPort: s.srcPort,
      dstPort: s.dstPort,
      tcpFlags: s.tcpFlags,
      dscp: s.dscp,
      ecn: s.ect ? (ce ? 3 : 2) : 0,
      ttl: 64 - k,
      frameLength: cls.bytes,
    };
    if (cls.opcode !== undefined) {
      const cnp = cls.opcode === OP.CNP;
      spec.roce = {
        opcode: cls.opcode,
        destQp: s.destQp,
        psn: cnp ? 0 : Math.floor(psn) & 0xffffff,
        ackReq: cls.ackReq,
        becn: cnp,
        dmaLength: cls.reth ? s.messageBytes : undefined,
        syndrome: cls.aeth ? credits & 0x1f : undefined,
        msn: Math.floor(psn / Math.max(1, s.packetsPerMessage)) & 0xffffff,
      };
    }
    return buildFrame(spec, this.o.headerBytes);
  }

  private sample(e: SimEvent): SampleInput {
    const p = e.port;
    if (e.kind === 'counter') {
      const [inOct, inPkts, inDisc, inErr, outOct, outPkts, outDisc, pfcReq, pfcInd, pfcPause] = e.values;
      const records = [
        interfaceCounters({
          ifIndex: p.ifIndex,
          speed: p.speed,
          inOctets: inOct,
          inPackets: inPkts,
          inDiscards: inDisc,
          inErrors: inErr,
          outOctets: outOct,
          outPackets: outPkts,
          outDiscards: outDisc,
        }),
      ];
      if (p.core) {
        records.push({
          format: '0:11',
          requests: u32(pfcReq),
          indications: u32(pfcInd),
          pauseDuration: u32(pfcPause),
          stormDetected: 0,
          stormRestored: 0,
        });
      }
      return countersSample(++p.counterSeq, p.ifIndex, records);
    }
    const s = e.stream;
    if (e.kind === 'drop') {
      const link = s.links[e.link];
      // The packet as it arrived at the switch that dropped it.
      const arrived = e.reason === 258 ? e.link : e.link - 1;
      const cls = s.classes[0];
      const records: RecordInput[] = [
        {
          format: '0:1',
          headerProtocol: 1,
          frameLength: cls.bytes + FCS,
          stripped: FCS,
          header: this.frame(s, arrived, cls, false, e.psn, 0),
        },
      ];
      if (e.reason === 258)
        records.push({ format: '0:1037', number: 10, aclName: 'internet-in', direction: 1 });
      else records.push({ format: '0:1036', queue: s.queue });
      return {
        type: 'discarded_packet',
        sequence: ++p.discardSeq,
        sourceIdType: 0,
        sourceIdIndex: p.ifIndex,
        drops: e.lost,
        input: e.reason === 258 ? p.ifIndex : (s.links[e.link - 1]?.rx?.ifIndex ?? 0),
        output: e.reason === 258 ? 0 : (link.tx?.ifIndex ?? 0),
        reason: e.reason,
        records,
      };
    }
    const cls = s.classes[e.cls];
    // The switch's input and output ports for this packet.
    let input: number;
    let output: number;
    if (e.egress) {
      output = p.ifIndex;
      input = s.links[e.link - 1]?.rx?.ifIndex ?? 0;
    } else {
      input = p.ifIndex;
      output = s.links[e.link + 1]?.tx?.ifIndex ?? 0;
    }
    const records: RecordInput[] = [
      {
        format: '0:1',
        headerProtocol: 1,
        frameLength: cls.bytes + FCS,
        stripped: FCS,
        header: this.frame(s, e.link, cls, e.ce, e.psn, e.credits),
      },
      { format: '0:1001', srcVlan: 1, srcPriority: s.priority, dstVlan: 1, dstPriority: s.priority },
    ];
    if (e.egress && e.depth > 0) {
      const delay = SWITCH_LATENCY_NS + (e.depth * 8 * 1e9) / p.speed;
      records.push(
        { format: '0:1036', queue: s.queue },
        { format: '0:1040', depth: e.depth },
        { format: '0:1039', delay: Math.min(0xffffffff, Math.round(delay)) },
      );
    }
    return {
      type: 'flow_sample',
      sequence: ++p.flowSeq,
      sourceIdType: 0,
      sourceIdIndex: p.ifIndex,
      samplingRate: p.samplingRate,
      samplePool: u32(e.pool),
      drops: 0,
      input: { format: 0, value: input },
      // An ACL-dropped packet is sampled on arrival; its output is "discarded" (format 1, reason).
      output: s.role === 'acl' ? { format: 1, value: 258 } : { format: 0, value: output },
      records,
    };
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * The period of the fabric-wide RoCEv2 load, ms: the least common multiple of the jobs' periods
 * (rounded to whole ms), which is the job period when every job has the same one. 0 without jobs.
 */
export function fabricPeriodMs(jobs: readonly Pick<JobSpec, 'periodMs'>[]): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let lcm = 0;
  for (const j of jobs) {
    const p = Math.max(1, Math.round(j.periodMs));
    lcm = lcm === 0 ? p : (lcm / gcd(lcm, p)) * p;
  }
  return lcm;
}

/** The per-second truth averaged (see FabricGroundTruth); zeros for no seconds. */
export function averageSeconds(secs: readonly FabricSecond[]): Omit<FabricSecond, 'second'> {
  const n = Math.max(1, secs.length);
  const sum = (f: (s: FabricSecond) => number) => secs.reduce((a, s) => a + f(s), 0);
  const avg = (f: (s: FabricSecond) => number) => sum(f) / n;
  const avgRecord = (f: (s: FabricSecond) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of secs) for (const [k, v] of Object.entries(f(s))) out[k] = (out[k] ?? 0) + v / n;
    return out;
  };
  const ops = sum((s) => s.rdmaOps);
  const aeth = sum((s) => s.aethFps);
  const byPort: Record<string, Record<string, number>> = {};
  for (const source of new Set(secs.flatMap((s) => Object.keys(s.discardNotificationsByPort))))
    byPort[source] = avgRecord((s) => s.discardNotificationsByPort[source] ?? {});
  return {
    edgeBps: avg((s) => s.edgeBps),
    roceFps: avg((s) => s.roceFps),
    rdmaOps: ops / n,
    rdmaBytesPerOp: ops > 0 ? sum((s) => s.rdmaOps * s.rdmaBytesPerOp) / ops : 0,
    operations: avgRecord((s) => s.operations),
    ecnCePps: avg((s) => s.ecnCePps),
    ecnCeDeliveredPps: avg((s) => s.ecnCeDeliveredPps),
    cnpPps: avg((s) => s.cnpPps),
    cnpPpsAllPorts: avg((s) => s.cnpPpsAllPorts),
    aethCreditsAvg: aeth > 0 ? sum((s) => s.aethFps * s.aethCreditsAvg) / aeth : 0,
    aethFps: aeth / n,
    discards: avgRecord((s) => s.discards),
    discardsIn: avg((s) => s.discardsIn),
    discardsOut: avg((s) => s.discardsOut),
    discardNotifications: avgRecord((s) => s.discardNotifications),
    discardNotificationsByPort: byPort,
    errors: avg((s) => s.errors),
    pfcPausesPerSec: avg((s) => s.pfcPausesPerSec),
  };
}

/** Averages of the per-second truth, for the CLI summary. */
export function summarizeFabricTruth(truth: FabricTruth): string {
  const secs = truth.seconds;
  if (secs.length === 0) return 'no complete second simulated yet';
  const a = averageSeconds(secs);
  const perSecond = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([r, n]) => `${r} ${n.toFixed(1)}/s`)
      .join(', ') || 'none';
  const lines = [
    `ground truth over ${secs.length} s (averages per second):`,
    `  edge traffic         ${(a.edgeBps / 1e12).toFixed(3)} Tbit/s (${(a.roceFps / 1e6).toFixed(2)} M RoCEv2 frames/s)`,
    `  RDMA operations      ${(a.rdmaOps / 1e3).toFixed(1)} k/s, ${(a.rdmaBytesPerOp / 1024).toFixed(0)} KiB per operation`,
    `  ECN CE               ${a.ecnCePps.toFixed(0)} frames/s at switch ports, ${a.ecnCeDeliveredPps.toFixed(0)} delivered`,
    `  CNP                  ${a.cnpPps.toFixed(0)} /s sent (${a.cnpPpsAllPorts.toFixed(0)} at switch ports)`,
    `  AETH credits         ${a.aethCreditsAvg.toFixed(1)} average`,
    `  discards             ${perSecond(a.discards)}`,
    `  discard samples      ${perSecond(a.discardNotifications)}`,
    `  errors               ${a.errors.toFixed(2)} frames/s; PFC pauses ${a.pfcPausesPerSec.toFixed(0)}/s`,
    `  period               ${(truth.periodMs / 1000).toFixed(3)} s (the fabric's RoCEv2 load)`,
    '  jobs:',
    ...truth.jobs.map(
      (j) =>
        `    ${j.name.padEnd(14)} ${j.collective.padEnd(13)} ${String(j.hosts.length).padStart(4)} hosts, period ${(j.periodMs / 1000).toFixed(2)} s, duty ${(j.duty * 100).toFixed(0)} %, ${(j.messageBytes / 1024).toFixed(0)} KiB messages, ${j.crossRackConnections} cross-rack connections`,
    ),
  ];
  return lines.join('\n');
}
