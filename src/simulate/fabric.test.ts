/**
 * The fabric simulator against its own ground truth, through flowlens's
 * decoder and dissector: RoCEv2 headers, sampled rates scaled back,
 * congestion signals, counters, job periods and the topology.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dissect, type KeyValue, keyGetter, Packet } from '../decode/packet/index.js';
import { decodeSflow } from '../decode/sflow/decode.js';
import {
  type CounterRecord,
  type CountersSample,
  type DiscardedPacketSample,
  type FlowRecord,
  type FlowSample,
  SampledHeader,
  type SflowDatagram,
  type SflowRecord,
} from '../decode/sflow/types.js';
import { Topology } from '../engine/topology.js';
import { capturesDir } from '../testing/captures.js';
import {
  type FabricOptions,
  FabricSimulator,
  type FabricTruth,
  fabricPeriodMs,
  type JobSpec,
} from './fabric.js';
import { roceIcrc } from './packets.js';

interface Observed {
  timeMs: number;
  bytes: number;
  datagram: SflowDatagram;
}

interface Run {
  sim: FabricSimulator;
  obs: Observed[];
  truth: FabricTruth;
  topology: Topology;
  seconds: number;
}

function run(options: FabricOptions, seconds: number, stepMs = 250): Run {
  const sim = new FabricSimulator(options);
  const obs: Observed[] = [];
  for (let t = stepMs; t <= seconds * 1000; t += stepMs) {
    for (const d of sim.stepTimed(t)) {
      const datagram = decodeSflow(d.payload);
      if (!('samples' in datagram) || datagram.error !== undefined) {
        assert.fail(`datagram from ${d.agent} does not decode: ${JSON.stringify(datagram.error)}`);
      }
      obs.push({ timeMs: d.timeMs, bytes: d.payload.length, datagram });
    }
  }
  const topology = new Topology();
  topology.set(sim.topology());
  return { sim, obs, truth: sim.truth(), topology, seconds };
}

const JOBS: JobSpec[] = [
  {
    name: 'A',
    collective: 'allreduce',
    hosts: 12,
    periodMs: 700,
    duty: 0.4,
    messageBytes: 64 << 10,
    load: 0.7,
  },
  {
    name: 'B',
    collective: 'allgather',
    hosts: 6,
    periodMs: 300,
    duty: 0.5,
    messageBytes: 128 << 10,
    load: 0.5,
  },
  {
    name: 'C',
    collective: 'reducescatter',
    hosts: 8,
    periodMs: 1100,
    duty: 0.6,
    messageBytes: 512 << 10,
    load: 0.95,
    channels: 1,
    placement: 'spread',
  },
];

/** A small fabric with 400G leaf-spine links: the spread job congests the fabric. */
const CONGESTED: FabricOptions = {
  seed: 7,
  spines: 2,
  leaves: 4,
  hostsPerLeaf: 8,
  fabricSpeed: 400e9,
  errorRate: 1e-6,
  jobs: JOBS,
};
const SECONDS = 8;

let shared: Run | undefined;
function congested(): Run {
  shared ??= run(CONGESTED, SECONDS);
  return shared;
}

const key = (name: string) => {
  const g = keyGetter(name);
  assert.ok(g, name);
  return g;
};
const K = {
  opcode: key('ibbtopcode'),
  opname: key('ibbtopname'),
  transport: key('ibbtoptransport'),
  rdmalen: key('ibbtrdmalen'),
  aethtype: key('ibbtaethtype'),
  aethack: key('ibbtaethack'),
  becn: key('ibbtbecn'),
  se: key('ibbtse'),
  m: key('ibbtm'),
  destqp: key('ibbtdestqp'),
  psn: key('ibbtpsn'),
  ipsource: key('ipsource'),
  ipdestination: key('ipdestination'),
  ip6source: key('ip6source'),
  ip6destination: key('ip6destination'),
  ipecn: key('ipecn'),
  ip6ecn: key('ip6ecn'),
  ipdscp: key('ipdscp'),
  ip6dscp: key('ip6dscp'),
  ipttl: key('ipttl'),
  ip6ttl: key('ip6ttl'),
  udpdst: key('udpdestinationport'),
  udpsrc: key('udpsourceport'),
  bthoffset: key('ibbt_offset'),
};

interface PacketView {
  obs: Observed;
  agent: string;
  sample: FlowSample;
  header: SampledHeader;
  packet: Packet;
  ingress: boolean;
  edge: boolean;
  get: (g: (p: Packet) => KeyValue | undefined) => KeyValue | undefined;
  src: string;
  dst: string;
  ecn: string;
  dscp: number;
  ttl: number;
}

/** Calls `fn` for every flow sample with its dissected header (the Packet is reused between calls). */
function eachPacket(r: Run, fn: (v: PacketView) => void): void {
  const packet = new Packet();
  for (const obs of r.obs) {
    for (const sample of obs.datagram.samples) {
      if (sample.type !== 'flow_sample') continue;
      const header = sample.records.find((x): x is SampledHeader => x instanceof SampledHeader);
      assert.ok(header, 'flow samples carry a sampled header');
      dissect(header.buffer, header.headerOffset, header.headerLength, header.headerProtocol, packet);
      const get = (g: (p: Packet) => KeyValue | undefined) => g(packet);
      const v6 = packet.ip6Off >= 0;
      const agent = obs.datagram.agent;
      const ingress = sample.input.format === 0 && sample.input.value === sample.sourceIdIndex;
      fn({
        obs,
        agent,
        sample,
        header,
        packet,
        ingress,
        edge: r.topology.isEdge(agent, String(sample.sourceIdIndex)),
        get,
        src: String(get(v6 ? K.ip6source : K.ipsource)),
        dst: String(get(v6 ? K.ip6destination : K.ipdestination)),
        ecn: String(get(v6 ? K.ip6ecn : K.ipecn)),
        dscp: Number(get(v6 ? K.ip6dscp : K.ipdscp)),
        ttl: Number(get(v6 ? K.ip6ttl : K.ipttl)),
      });
    }
  }
}

function records(s: FlowSample | DiscardedPacketSample | CountersSample, format: string): SflowRecord[] {
  const all: readonly (FlowRecord | CounterRecord)[] = s.records;
  return all.filter((r): r is SflowRecord => r.format === format && 'name' in r && !('error' in r));
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Asserts a sampled estimate is within `tolerance` (relative) of the truth. */
function near(what: string, estimate: number, truth: number, tolerance: number): void {
  const err = estimate / truth - 1;
  assert.ok(
    Math.abs(err) <= tolerance,
    `${what}: sampled ${estimate.toPrecision(5)} vs truth ${truth.toPrecision(5)} (${(err * 100).toFixed(2)} %, allowed ${(tolerance * 100).toFixed(1)} %)`,
  );
}

/** Relative tolerance for an estimate from n samples: 3 %, or 3.5 standard errors when n is small. */
function statTolerance(n: number): number {
  return Math.max(0.03, 3.5 / Math.sqrt(Math.max(n, 1)));
}

function truthAverage(t: FabricTruth, f: (s: FabricTruth['seconds'][number]) => number): number {
  return mean(t.seconds.map(f));
}

// -----------------------------------------------------------------------------------------------

test('datagrams decode, fit 1400 bytes, and count 1, 2, 3... per agent; one agent per switch', () => {
  const r = congested();
  assert.ok(r.obs.length > 10_000, `${r.obs.length} datagrams`);
  const seq = new Map<string, number>();
  const sampleSeq = new Map<string, number>();
  let lastTime = 0;
  for (const o of r.obs) {
    assert.ok(o.bytes <= 1400, `datagram of ${o.bytes} bytes`);
    assert.ok(o.timeMs >= lastTime, 'datagrams come out in time order');
    lastTime = o.timeMs;
    const d = o.datagram;
    const n = (seq.get(d.agent) ?? 0) + 1;
    assert.equal(d.sequence, n, `agent ${d.agent} datagram sequence`);
    seq.set(d.agent, n);
    for (const s of d.samples) {
      if (s.type !== 'flow_sample' && s.type !== 'counters_sample' && s.type !== 'discarded_packet') {
        assert.fail(`unexpected sample type ${s.type}`);
      }
      const id = `${d.agent}>${s.type}>${s.sourceIdIndex}`;
      const next = (sampleSeq.get(id) ?? 0) + 1;
      assert.equal(s.sequence, next, `sample sequence of ${id}`);
      sampleSeq.set(id, next);
    }
  }
  const agents = Object.values(r.sim.agents());
  assert.deepEqual([...seq.keys()].sort(), [...agents].sort());
  assert.equal(agents.length, 2 + 4 + 1);
});

test('RoCEv2 headers: opcodes per collective, RETH DMA length, AETH credits, ECN and CNPs', () => {
  const r = congested();
  const jobOf = new Map<string, FabricTruth['jobs'][number]>();
  for (const j of r.truth.jobs) for (const h of j.hosts) jobOf.set(h, j);
  const seen = new Map<string, Set<number>>();
  const lastPsn = new Map<string, number>();
  let cnps = 0;
  let ce = 0;
  let reth = 0;
  let aeth = 0;
  eachPacket(r, (v) => {
    const op = v.get(K.opcode);
    if (op === undefined) return;
    const opcode = Number(op);
    assert.equal(v.get(K.udpdst), 4791);
    assert.equal(v.get(K.bthoffset), 42, 'BTH right after Ethernet, IPv4 and UDP');
    const job = jobOf.get(v.src);
    assert.ok(job, `RoCEv2 from ${v.src} belongs to a job`);
    assert.ok(jobOf.get(v.dst) === job, 'RoCEv2 stays within its job');
    assert.ok(job.opcodes.includes(opcode), `opcode 0x${opcode.toString(16)} in job ${job.name}`);
    if (!seen.has(job.name)) seen.set(job.name, new Set());
    seen.get(job.name)!.add(opcode);
    const ring = job.hosts;
    const successor = ring[(ring.indexOf(v.src) + 1) % ring.length];
    const predecessor = ring[(ring.indexOf(v.src) + ring.length - 1) % ring.length];
    if ([0x06, 0x0a, 0x0c].includes(opcode)) {
      reth++;
      assert.equal(v.get(K.rdmalen), job.messageBytes, 'RETH DMA length is the collective step');
    } else {
      assert.equal(v.get(K.rdmalen), undefined);
    }
    if ([0x0d, 0x0f, 0x10, 0x11].includes(opcode)) {
      aeth++;
      assert.equal(v.get(K.aethtype), 'ACK');
      const credits = Number(v.get(K.aethack));
      assert.ok(credits >= 0 && credits <= 30, `credits ${credits}`);
    }
    if (opcode === 0x81) {
      cnps++;
      assert.equal(v.get(K.becn), 'true');
      assert.equal(v.get(K.se), 'false');
      assert.equal(v.get(K.m), 'false');
      assert.equal(v.dscp, 48);
      assert.equal(v.ecn, '00');
      assert.equal(v.dst, predecessor, 'CNPs go from the receiver back to the sender');
    } else if (opcode === 0x11) {
      assert.equal(v.dscp, 48);
      assert.equal(v.ecn, '10', 'ACKs are ECT(0) on the priority queue, never marked');
      assert.equal(v.dst, predecessor, 'ACKs go back to the sender');
    } else {
      assert.equal(v.dscp, 26);
      assert.ok(v.ecn === '10' || v.ecn === '11', `data ECN ${v.ecn}`);
      if (v.ecn === '11') {
        ce++;
        assert.ok(!(v.ingress && v.edge), 'hosts send ECT(0): CE only after a switch queue');
      }
      // Data flows to the ring successor; a READ Request to the predecessor.
      assert.equal(v.dst, opcode === 0x0c ? predecessor : successor);
      if (v.ingress && v.edge && opcode !== 0x0c) {
        const qp = `${v.src}:${v.get(K.udpsrc)}`;
        const psn = Number(v.get(K.psn));
        const last = lastPsn.get(qp) ?? 0;
        // 24-bit PSNs wrap: a large step back is a wrap, a small one an error.
        assert.ok(
          psn >= last || last - psn > 1 << 23,
          `PSNs increase along a queue pair (${last} -> ${psn})`,
        );
        lastPsn.set(qp, psn);
      }
    }
  });
  assert.deepEqual([...seen.get('A')!].sort((a, b) => a - b).slice(0, 4), [0x06, 0x07, 0x08, 0x11]);
  assert.deepEqual([...seen.get('B')!].sort((a, b) => a - b).slice(0, 4), [0x00, 0x01, 0x02, 0x11]);
  assert.deepEqual([...seen.get('C')!].sort((a, b) => a - b).slice(0, 4), [0x0c, 0x0d, 0x0e, 0x0f]);
  assert.ok(
    cnps > 50 && ce > 1000 && reth > 500 && aeth > 1000,
    `cnp ${cnps} ce ${ce} reth ${reth} aeth ${aeth}`,
  );
});

test('sampled rates scaled back match the ground truth (edge bits/s, RDMA ops, bytes/op, ECN, CNP, credits)', () => {
  const r = congested();
  const T = r.seconds;
  const est = {
    edgeBytes: 0,
    roce: 0,
    ops: 0,
    opsN: 0,
    opBytes: 0,
    ce: 0,
    ceN: 0,
    cnp: 0,
    cnpN: 0,
    credits: [] as number[],
  };
  const ops = new Map<string, { rate: number; n: number }>();
  eachPacket(r, (v) => {
    if (!v.ingress) return;
    const rate = v.sample.samplingRate;
    const op = v.get(K.opcode);
    if (op !== undefined && v.ecn === '11') {
      est.ce += rate;
      est.ceN++;
    }
    if (!v.edge) return;
    est.edgeBytes += v.header.frameLength * rate;
    if (op === undefined) return;
    est.roce += rate;
    const len = v.get(K.rdmalen);
    if (len !== undefined) {
      est.ops += rate;
      est.opsN++;
      est.opBytes += Number(len);
    }
    if (op === 0x81) {
      est.cnp += rate;
      est.cnpN++;
    }
    const credits = v.get(K.aethack);
    if (credits !== undefined) est.credits.push(Number(credits));
    const name = `${v.get(K.transport)}:${v.get(K.opname)}`;
    const o = ops.get(name) ?? { rate: 0, n: 0 };
    o.rate += rate;
    o.n++;
    ops.set(name, o);
  });
  const t = r.truth;
  near(
    'edge bits/s',
    (est.edgeBytes * 8) / T,
    truthAverage(t, (s) => s.edgeBps),
    0.02,
  );
  near(
    'RoCEv2 frames/s',
    est.roce / T,
    truthAverage(t, (s) => s.roceFps),
    0.02,
  );
  near(
    'RDMA ops/s',
    est.ops / T,
    truthAverage(t, (s) => s.rdmaOps),
    statTolerance(est.opsN),
  );
  const bytesPerOp =
    t.seconds.reduce((n, s) => n + s.rdmaOps * s.rdmaBytesPerOp, 0) /
    t.seconds.reduce((n, s) => n + s.rdmaOps, 0);
  near('RDMA bytes per op', est.opBytes / est.opsN, bytesPerOp, statTolerance(est.opsN));
  near(
    'ECN CE frames/s (switch ingress)',
    est.ce / T,
    truthAverage(t, (s) => s.ecnCePps),
    statTolerance(est.ceN),
  );
  near(
    'CNPs/s',
    est.cnp / T,
    truthAverage(t, (s) => s.cnpPps),
    statTolerance(est.cnpN),
  );
  const credits = mean(est.credits);
  const truthCredits = truthAverage(t, (s) => s.aethCreditsAvg);
  assert.ok(Math.abs(credits - truthCredits) < 1, `AETH credits ${credits} vs ${truthCredits}`);
  assert.ok(ops.size >= 10, `${ops.size} operations seen`);
  for (const [name, o] of ops) {
    near(
      `operation ${name} frames/s`,
      o.rate / T,
      truthAverage(t, (s) => s.operations[name] ?? 0),
      statTolerance(o.n),
    );
  }
});

test('per-pair bytes: rings stay in the rack, services and north/south traffic sit outside the GPU range', () => {
  const r = congested();
  const pairs = r.truth.pairs;
  const rack = (ip: string) => ip.split('.').slice(0, 2).join('.');
  const a = r.truth.jobs.find((j) => j.name === 'A')!;
  const hosts = new Set(a.hosts);
  let inRack = 0;
  let all = 0;
  for (const [pair, bytes] of pairs) {
    const [src, dst] = pair.split('>');
    if (!hosts.has(src) || !hosts.has(dst)) continue;
    all += bytes;
    if (rack(src) === rack(dst)) inRack += bytes;
  }
  assert.ok(
    inRack / all > 0.75,
    `packed job: ${((100 * inRack) / all).toFixed(0)} % of its bytes stay in the rack`,
  );
  const c = r.truth.jobs.find((j) => j.name === 'C')!;
  assert.equal(c.crossRackConnections, c.hosts.length, 'a spread job crosses racks at every ring hop');
  const keys = [...pairs.keys()];
  assert.ok(
    keys.some((k) => k.startsWith('10.100.0.') && k.split('>')[1].startsWith('10.')),
    'Lustre reads',
  );
  assert.ok(
    keys.some((k) => /^\d+\.\d+\.\d+\.\d+>172\.16\.0\.\d+$/.test(k) && !k.startsWith('10.')),
    'north/south',
  );
  let found = false;
  eachPacket(r, (v) => {
    if (v.src.startsWith('10.100.0.') && v.get(keyGetter('tcpsourceport')!) === 988) found = true;
  });
  assert.ok(found, 'Lustre on TCP 988 is sampled');
});

test('congestion: discards by reason at a bounded rate, queue and transit records, PFC; none when idle', () => {
  const r = congested();
  const discards = new Map<string, { n: number; lost: number }>();
  const reasons = new Map<number, number>();
  for (const o of r.obs) {
    for (const s of o.datagram.samples) {
      if (s.type !== 'discarded_packet') continue;
      const id = `${o.datagram.agent}>${s.sourceIdIndex}`;
      const d = discards.get(id) ?? { n: 0, lost: 0 };
      d.n++;
      d.lost = s.drops;
      discards.set(id, d);
      reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
      if (s.reason === 258) assert.equal(records(s, '0:1037').length, 1, 'ACL drops name the ACL');
      else assert.equal(records(s, '0:1036').length, 1, 'buffer drops name the queue');
      assert.ok(s.records[0] instanceof SampledHeader);
    }
  }
  assert.deepEqual([...reasons.keys()].sort(), [258, 259, 260]);
  for (const [id, d] of discards) assert.ok(d.n <= 10 * SECONDS * 1.5, `${id}: ${d.n} notifications`);
  const notified = [...discards.values()].reduce((n, d) => n + d.n + d.lost, 0);
  const truthDrops = r.truth.seconds.reduce(
    (n, s) => n + Object.values(s.discards).reduce((a, b) => a + b, 0),
    0,
  );
  near('discards (notifications + lost)', notified, truthDrops, 0.05);

  // Egress samples: 0:1040 always with 0:1036 and 0:1039; delay follows depth.
  const speed = new Map(r.sim.portList().map((p) => [`${p.agent}>${p.ifIndex}`, p.speed]));
  const perPort = new Map<string, { bytes: number; depth: number[] }>();
  let withQueue = 0;
  eachPacket(r, (v) => {
    if (v.ingress) return;
    const id = `${v.agent}>${v.sample.sourceIdIndex}`;
    const q = records(v.sample, '0:1040');
    const port = perPort.get(id) ?? { bytes: 0, depth: [] };
    port.bytes += v.header.frameLength * v.sample.samplingRate;
    port.depth.push(q.length > 0 ? Number(q[0].depth) : 0);
    perPort.set(id, port);
    if (q.length === 0) return;
    withQueue++;
    assert.equal(records(v.sample, '0:1036').length, 1);
    const delay = Number(records(v.sample, '0:1039')[0].delay);
    const expected = 800 + (Number(q[0].depth) * 8e9) / speed.get(id)!;
    assert.ok(Math.abs(delay - expected) <= 1, `transit delay ${delay} ns for depth ${q[0].depth}`);
  });
  assert.ok(withQueue > 1000, `${withQueue} egress samples with queue records`);
  // Depth rises with load: rank correlation between a port's sampled egress load and its mean depth.
  const ports = [...perPort.entries()].filter(([, p]) => p.depth.length >= 20);
  const load = ports.map(([id, p]) => (p.bytes * 8) / SECONDS / speed.get(id)!);
  const depth = ports.map(([, p]) => mean(p.depth));
  const rho = spearman(load, depth);
  assert.ok(rho > 0.6, `queue depth vs load: Spearman ${rho.toFixed(2)} over ${ports.length} ports`);

  let pfc = 0;
  for (const o of r.obs) {
    for (const s of o.datagram.samples) {
      if (s.type !== 'counters_sample') continue;
      for (const p of records(s, '0:11')) pfc += Number(p.requests) + Number(p.indications);
    }
  }
  assert.ok(pfc > 0, 'PFC pauses on congested fabric links');

  const idle = run({ ...CONGESTED, jobs: [], seed: 8 }, 3);
  let ceIdle = 0;
  let queueIdle = 0;
  eachPacket(idle, (v) => {
    if (v.ecn === '11') ceIdle++;
    if (records(v.sample, '0:1040').length > 0) queueIdle++;
  });
  const idleReasons = new Set<number>();
  let idlePfc = 0;
  for (const o of idle.obs) {
    for (const s of o.datagram.samples) {
      if (s.type === 'discarded_packet') idleReasons.add(s.reason);
      if (s.type === 'counters_sample') for (const p of records(s, '0:11')) idlePfc += Number(p.requests);
    }
  }
  assert.equal(ceIdle, 0);
  assert.equal(queueIdle, 0);
  assert.equal(idlePfc, 0);
  assert.deepEqual([...idleReasons], [258], 'only the ACL drops port scans on an idle fabric');
  assert.equal(
    truthAverage(idle.truth, (s) => s.ecnCePps),
    0,
  );
});

function spearman(x: number[], y: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((value, i) => ({ value, i })).sort((a, b) => a.value - b.value);
    const ranks = new Array<number>(v.length);
    order.forEach((o, r) => {
      ranks[o.i] = r;
    });
    return ranks;
  };
  const rx = rank(x);
  const ry = rank(y);
  const mx = mean(rx);
  const my = mean(ry);
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < x.length; i++) {
    num += (rx[i] - mx) * (ry[i] - my);
    dx += (rx[i] - mx) ** 2;
    dy += (ry[i] - my) ** 2;
  }
  return num / Math.sqrt(dx * dy);
}

test('groundTruth(): seconds averaged, discard notifications exactly the samples sent, drops in and out, period', () => {
  const r = congested();
  const g = r.sim.groundTruth();
  const secs = r.truth.seconds;
  assert.equal(g.seconds, SECONDS);
  assert.deepEqual([g.fromSecond, g.toSecond], [0, SECONDS]);
  near(
    'RDMA ops/s',
    g.rdmaOps,
    truthAverage(r.truth, (s) => s.rdmaOps),
    1e-9,
  );
  const opBytes = secs.reduce((n, s) => n + s.rdmaOps * s.rdmaBytesPerOp, 0);
  near('bytes per op', g.rdmaBytesPerOp, opBytes / secs.reduce((n, s) => n + s.rdmaOps, 0), 1e-9);
  near(
    'CE/s',
    g.ecnCePps,
    truthAverage(r.truth, (s) => s.ecnCePps),
    1e-9,
  );
  near(
    'CNP/s',
    g.cnpPps,
    truthAverage(r.truth, (s) => s.cnpPps),
    1e-9,
  );
  const drops = Object.values(g.discards).reduce((a, b) => a + b, 0);
  near('drops in + out = drops by reason', g.discardsIn + g.discardsOut, drops, 1e-9);
  near('ACL drops are the drops on arrival', g.discardsIn, g.discards.acl, 1e-9);

  // Every discard sample sent, by data source and reason, is in the truth; nothing else is.
  const names: Record<number, string> = { 258: 'acl', 259: 'no_buffer_space', 260: 'red' };
  const sent = new Map<string, number>();
  for (const o of r.obs) {
    for (const s of o.datagram.samples) {
      if (s.type !== 'discarded_packet') continue;
      const id = `${o.datagram.agent}:${s.sourceIdIndex} ${names[s.reason]}`;
      sent.set(id, (sent.get(id) ?? 0) + 1);
    }
  }
  const counted = new Map<string, number>();
  for (const [source, reasons] of Object.entries(g.discardNotificationsByPort)) {
    for (const [reason, rate] of Object.entries(reasons))
      counted.set(`${source} ${reason}`, Math.round(rate * SECONDS));
  }
  assert.deepEqual(counted, sent);
  for (const [reason, rate] of Object.entries(g.discardNotifications)) {
    const ports = Object.values(g.discardNotificationsByPort).map((m) => m[reason] ?? 0);
    near(
      `${reason} notifications, all ports`,
      rate,
      ports.reduce((a, b) => a + b, 0),
      1e-9,
    );
    assert.equal(g.discardNotificationsPortMax[reason], Math.max(...ports));
  }
  // The gateway drops 5 scans/s, under the limit: each is notified (the drops are a rate, the
  // notifications a Poisson count of them).
  const acl = g.discardNotifications.acl;
  near('ACL notifications', acl, g.discards.acl, statTolerance(acl * SECONDS));

  // Part of the run; the period of the fabric's load.
  const tail = r.sim.groundTruth(2000, 5500);
  assert.deepEqual([tail.fromSecond, tail.toSecond, tail.seconds], [2, 5, 3]);
  near('RDMA ops/s, seconds 2-4', tail.rdmaOps, mean(secs.slice(2, 5).map((s) => s.rdmaOps)), 1e-9);
  assert.equal(g.periodMs, 23_100, 'lcm of 700, 300 and 1100 ms');
  assert.equal(r.truth.periodMs, g.periodMs);
  assert.equal(fabricPeriodMs([{ periodMs: 500 }, { periodMs: 500 }]), 500);
  assert.equal(fabricPeriodMs([]), 0);
});

test('interface counters: every port every 5 s; octet deltas match the sampled traffic; PFC on fabric ports', () => {
  const r = congested();
  const ports = r.sim.portList();
  const byId = new Map(ports.map((p) => [`${p.agent}>${p.ifIndex}`, p]));
  // Per port: sampled bytes since its first counter sample, and counter values at each poll.
  const state = new Map<
    string,
    {
      sampledIn: number;
      sampledOut: number;
      polls: { inOct: number; outOct: number; sIn: number; sOut: number }[];
    }
  >();
  const get = (id: string) => {
    let s = state.get(id);
    if (s === undefined) {
      s = { sampledIn: 0, sampledOut: 0, polls: [] };
      state.set(id, s);
    }
    return s;
  };
  let errorPorts = 0;
  for (const o of r.obs) {
    for (const s of o.datagram.samples) {
      const id = `${o.datagram.agent}>${s.type === 'flow_sample' || s.type === 'counters_sample' ? s.sourceIdIndex : ''}`;
      if (s.type === 'flow_sample') {
        const h = s.records.find((x): x is SampledHeader => x instanceof SampledHeader)!;
        const st = get(id);
        if (s.input.value === s.sourceIdIndex) st.sampledIn += h.frameLength * s.samplingRate;
        else st.sampledOut += h.frameLength * s.samplingRate;
      } else if (s.type === 'counters_sample') {
        const port = byId.get(id);
        assert.ok(port, `counters for a known port ${id}`);
        const ifc = records(s, '0:1')[0];
        assert.equal(ifc.ifIndex, port.ifIndex);
        assert.equal(Number(ifc.ifSpeed), port.speed);
        assert.equal(records(s, '0:11').length, port.core ? 1 : 0, 'PFC counters on fabric ports only');
        const st = get(id);
        st.polls.push({
          inOct: Number(ifc.ifInOctets),
          outOct: Number(ifc.ifOutOctets),
          sIn: st.sampledIn,
          sOut: st.sampledOut,
        });
        if (Number(ifc.ifInErrors) > 0 && st.polls.length === 2) errorPorts++;
      }
    }
  }
  const counted = { edgeIn: 0, sampledIn: 0, coreOut: 0, sampledOut: 0 };
  for (const p of ports) {
    const polls = state.get(`${p.agent}>${p.ifIndex}`)?.polls ?? [];
    assert.ok(
      polls.length >= 1 && polls.length <= 2,
      `${p.node} ${p.name}: ${polls.length} counter samples in ${SECONDS} s`,
    );
    if (polls.length < 2) continue;
    const [a, b] = polls;
    assert.ok(b.inOct >= a.inOct && b.outOct >= a.outOct, 'octet counters only grow');
    if (!p.core) {
      counted.edgeIn += b.inOct - a.inOct;
      counted.sampledIn += b.sIn - a.sIn;
    } else {
      counted.coreOut += b.outOct - a.outOct;
      counted.sampledOut += b.sOut - a.sOut;
    }
  }
  near('edge ifInOctets deltas vs sampled ingress bytes', counted.sampledIn, counted.edgeIn, 0.03);
  near('fabric ifOutOctets deltas vs sampled egress bytes', counted.sampledOut, counted.coreOut, 0.03);
  assert.ok(errorPorts <= 1, 'input errors on the flaky link only');
});

test('job periods are recoverable from the sample timestamps (autocorrelation) within 5 %', () => {
  const r = congested();
  for (const job of r.truth.jobs) {
    const hosts = new Set(job.hosts);
    const times: number[] = [];
    eachPacket(r, (v) => {
      if (v.ingress && v.edge && v.dscp === 26 && hosts.has(v.src)) times.push(v.obs.timeMs);
    });
    const period = autocorrelationPeriod(times, SECONDS * 1000, 10);
    near(`job ${job.name} period`, period, job.periodMs, 0.05);
  }
});

/** The lag (ms) of the highest autocorrelation peak after the first zero crossing of sample counts per bin. */
function autocorrelationPeriod(times: number[], spanMs: number, binMs: number): number {
  const n = Math.floor(spanMs / binMs);
  const x = new Float64Array(n);
  for (const t of times) if (t < spanMs) x[Math.floor(t / binMs)]++;
  const m = mean([...x]);
  for (let i = 0; i < n; i++) x[i] -= m;
  const r = (lag: number) => {
    let s = 0;
    for (let i = 0; i + lag < n; i++) s += x[i] * x[i + lag];
    return s;
  };
  let lag = 1;
  while (lag < n / 2 && r(lag) > 0) lag++;
  let best = lag;
  for (; lag < n / 2; lag++) if (r(lag) > r(best)) best = lag;
  // Parabolic interpolation around the peak.
  const [a, b, c] = [r(best - 1), r(best), r(best + 1)];
  const shift = a - 2 * b + c === 0 ? 0 : (0.5 * (a - c)) / (a - 2 * b + c);
  return (best + shift) * binMs;
}

test('ICRC: reproduces every RoCEv2 packet of the real capture; whole sampled frames carry a valid one', (t) => {
  const dir = capturesDir();
  const file = dir === undefined ? undefined : path.join(dir, 'rocev2_real_rc_send_ack_oferby.pcap');
  if (file !== undefined && existsSync(file)) {
    let checked = 0;
    for (const frame of pcapFrames(readFileSync(file))) {
      if (frame.readUInt16BE(12) !== 0x0800 || frame[23] !== 17) continue;
      const ihl = (frame[14] & 0x0f) * 4;
      if (frame.readUInt16BE(14 + ihl + 2) !== 4791) continue;
      const whole = frame.subarray(0, 14 + frame.readUInt16BE(16)); // without Ethernet padding
      assert.equal(roceIcrc(whole, 14), whole.readUInt32LE(whole.length - 4));
      checked++;
    }
    assert.equal(checked, 105);
  } else {
    t.diagnostic('no ../shared/captures: the real-capture half is skipped');
  }
  let whole = 0;
  eachPacket(congested(), (v) => {
    if (v.get(K.opcode) === undefined || v.header.headerLength !== v.header.frameLength - 4) return;
    const frame = v.header.header;
    assert.equal(
      roceIcrc(frame, 14),
      frame.readUInt32LE(frame.length - 4),
      `ICRC of opcode ${v.get(K.opcode)}`,
    );
    whole++;
  });
  assert.ok(whole > 1000, `${whole} ACKs, CNPs and READ Requests sampled whole`);
});

/** Ethernet frames of a classic pcap file. */
function* pcapFrames(b: Buffer): Generator<Buffer> {
  const le = b.readUInt32LE(0) === 0xa1b2c3d4;
  for (let off = 24; off + 16 <= b.length; ) {
    const length = le ? b.readUInt32LE(off + 8) : b.readUInt32BE(off + 8);
    yield b.subarray(off + 16, off + 16 + length);
    off += 16 + length;
  }
}

test('topology: flowlens accepts the document; EDGE and CORE classify every port and sample', () => {
  const r = congested();
  const doc = r.sim.topology();
  const topo = new Topology();
  topo.set(doc);
  assert.equal(
    Object.keys(doc.links ?? {}).length,
    (4 + 1) * 2,
    'every leaf (and the service leaf) to every spine',
  );
  for (const p of r.sim.portList()) {
    assert.equal(topo.isCore(p.agent, String(p.ifIndex)), p.core, `${p.node} ${p.name}`);
    assert.equal(topo.isEdge(p.agent, String(p.ifIndex)), !p.core, `${p.node} ${p.name}`);
    assert.equal(doc.nodes?.[p.node]?.ports?.[p.name]?.ifindex, String(p.ifIndex));
  }
  // First-hop samples (TTL 64) are on EDGE ports; later hops on CORE ports (or the last leaf's egress).
  eachPacket(r, (v) => {
    if (!v.ingress) return;
    assert.equal(v.ttl === 64, v.edge, `TTL ${v.ttl} sampled at ${v.agent} port ${v.sample.sourceIdIndex}`);
  });
});

test('IPv6 fabric: RoCEv2 over IPv6 with the BTH at offset 62, CE in the traffic class', () => {
  const r = run(
    {
      seed: 3,
      spines: 1,
      leaves: 2,
      hostsPerLeaf: 4,
      ipv6: true,
      serviceScale: 10,
      jobs: [
        {
          name: 'v6',
          collective: 'allreduce',
          hosts: 8,
          periodMs: 500,
          duty: 0.5,
          messageBytes: 64 << 10,
          load: 0.9,
          channels: 1,
          placement: 'spread',
        },
      ],
    },
    3,
  );
  let roce = 0;
  let ce = 0;
  let lustre = 0;
  let edgeBytes = 0;
  let edgeSamples = 0;
  eachPacket(r, (v) => {
    if (v.ingress && v.edge) {
      edgeBytes += v.header.frameLength * v.sample.samplingRate;
      edgeSamples++;
    }
    if (v.src.startsWith('fd00:0:100::') && v.get(keyGetter('tcpsourceport')!) === 988) lustre++;
    if (v.get(K.opcode) === undefined) return;
    roce++;
    assert.equal(v.get(K.bthoffset), 62);
    if (v.header.headerLength === v.header.frameLength - 4) {
      const frame = v.header.header;
      assert.equal(roceIcrc(frame, 14), frame.readUInt32LE(frame.length - 4), 'IPv6 ICRC');
    }
    assert.match(v.src, /^fd00:0:[12]::[1-4]$/);
    if (v.ecn === '11') ce++;
  });
  assert.ok(roce > 1000 && ce > 100 && lustre > 10, `${roce} RoCEv2 samples, ${ce} CE, ${lustre} Lustre`);
  near(
    'IPv6 edge bits/s',
    (edgeBytes * 8) / 3,
    truthAverage(r.truth, (s) => s.edgeBps),
    statTolerance(edgeSamples),
  );
});

test('the same seed gives the same stream; options are validated', () => {
  const small: FabricOptions = { seed: 11, spines: 1, leaves: 2, hostsPerLeaf: 4, samplingRate: 100_000 };
  const a = new FabricSimulator(small).step(1000);
  const b = new FabricSimulator(small).step(1000);
  assert.ok(a.length > 10);
  assert.deepEqual(a, b);
  assert.notDeepEqual(new FabricSimulator({ ...small, seed: 12 }).step(1000), a);
  assert.throws(() => new FabricSimulator({ ...small, jobs: [{ ...JOBS[0], hosts: 9 }] }), /need 9 hosts/);
  assert.throws(() => new FabricSimulator({ ...small, leaves: 0 }), RangeError);
  assert.throws(() => new FabricSimulator({ ...small, jobs: [{ ...JOBS[0], hosts: 2, duty: 0 }] }), /duty/);
});
