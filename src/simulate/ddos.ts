/**
 * DDoS attacks against a known target, over normal background traffic, as
 * the border routers of a network would sample them: for each of the seven
 * attack types that the sFlow-RT ddos-protect application detects (IPv4 and
 * IPv6), a flood at a fixed rate from a known set of sources, sampled 1-in-N
 * on the routers' upstream ports, with interface counters. The ground truth
 * gives the target, the rate, the sources, and which ddos-protect flow (keys
 * and filter) should report the attack under which key.
 */
import { isIP } from 'node:net';
import { formatIPv4, formatIPv6 } from '../common/addr.js';
import { parseIPv4Bytes, parseIPv6Bytes } from '../common/xdr.js';
import type { SampleInput } from '../decode/sflow/encode.js';
import { AgentStream, byTime, exponential, type TimedDatagram } from './agent.js';
import { countersSample, interfaceCounters, u32 } from './counters.js';
import { ecmpHash } from './fabric.js';
import { buildFrame, type FrameSpec } from './packets.js';
import { Random } from './random.js';

export const ATTACK_TYPES = [
  'ip_flood',
  'ip_fragmentation',
  'icmp_flood',
  'udp_flood',
  'udp_amplification',
  'tcp_flood',
  'tcp_amplification',
] as const;

export type AttackType = (typeof ATTACK_TYPES)[number];

/** Reflected services for udp_amplification, by UDP source port. */
export const AMPLIFICATION_PORTS: Readonly<Record<number, { name: string; frameBytes: number }>> = {
  19: { name: 'chargen', frameBytes: 1066 },
  53: { name: 'dns', frameBytes: 1442 },
  123: { name: 'ntp', frameBytes: 482 },
  161: { name: 'snmp', frameBytes: 1242 },
  389: { name: 'cldap', frameBytes: 1442 },
  1900: { name: 'ssdp', frameBytes: 342 },
  11211: { name: 'memcached', frameBytes: 1442 },
};

export interface DdosOptions {
  attack: AttackType;
  ipv6?: boolean;
  /** The attacked address (default 203.0.113.10, or 2001:db8:100::10 with ipv6). */
  target?: string;
  /** Attack packets/s. */
  pps?: number;
  /** Distinct attacking (or reflecting) source addresses. */
  sources?: number;
  /** Background packets/s (all directions). */
  backgroundPps?: number;
  /** 1-in-N sampling on every router port. */
  samplingRate?: number;
  /**
   * The attack's port: destination port for udp_flood (default 443) and tcp_flood (80); the
   * reflected service's source port for udp_amplification (53) and tcp_amplification (443).
   */
  port?: number;
  /** IP protocol of ip_flood (default 47, GRE). */
  protocol?: number;
  /** When the attack starts, ms after the simulation starts. */
  startMs?: number;
  /** How long it lasts, ms (default: forever). */
  durationMs?: number;
  /** Border routers (sFlow agents), each with 4 upstream and 4 downstream ports. */
  routers?: number;
  counterIntervalMs?: number;
  seed?: number;
  headerBytes?: number;
}

/** One sFlow-RT flow definition of ddos-protect. */
export interface DdosProtectFlow {
  keys: string;
  value: 'frames';
  filter: string;
  t: number;
}

const EXCLUDED_GROUPS = 'external,private,multicast,exclude';

/**
 * ddos-protect's flow definitions (14: seven attacks, IPv4 and IPv6), keyed by
 * flow name (`ddos_protect_<attack>` and its IPv6 twin, e.g. `ddos_protect_udp6_flood`).
 */
export function ddosProtectFlows(
  externalGroup = 'external',
  excludedGroups = EXCLUDED_GROUPS,
): Record<string, DdosProtectFlow> {
  const flows: Record<string, DdosProtectFlow> = {};
  for (const v6 of [false, true]) {
    const ip = v6 ? 'ip6' : 'ip';
    const proto = v6 ? 'ip6nexthdr' : 'ipprotocol';
    const base = `first:stack:.:ip:ip6=${ip}&group:${ip}source:ddos_protect=${externalGroup}&group:${ip}destination:ddos_protect!=${excludedGroups}`;
    const keys = `${ip}destination,group:${ip}destination:ddos_protect`;
    const fragment = v6
      ? '(ip6fragm=yes|range:ip6fragoffset:1=true)'
      : '(ipflags=001|range:ipfragoffset:1=true)';
    const icmp = v6 ? 'icmp6type' : 'icmptype';
    const defs: [AttackType, string, string][] = [
      ['ip_flood', proto, base],
      ['ip_fragmentation', proto, `${fragment}&${base}`],
      ['icmp_flood', icmp, `${proto}=${v6 ? 58 : 1}&${base}`],
      ['udp_flood', 'udpdestinationport', `${proto}=17&${base}`],
      ['udp_amplification', 'udpsourceport', `${proto}=17&${base}`],
      ['tcp_flood', 'tcpdestinationport', `${proto}=6&${base}`],
      ['tcp_amplification', 'tcpsourceport', `${proto}=6&tcpflags~....1..1.&${base}`],
    ];
    for (const [attack, third, filter] of defs) {
      flows[ddosFlowName(attack, v6)] = { keys: `${keys},${third}`, value: 'frames', filter, t: 2 };
    }
  }
  return flows;
}

/** ddos-protect's flow (and threshold) name for an attack type. */
export function ddosFlowName(attack: AttackType, ipv6: boolean): string {
  if (!ipv6) return `ddos_protect_${attack}`;
  const [head, ...rest] = attack.split('_');
  return `ddos_protect_${head}6_${rest.join('_')}`;
}

/** ddos-protect's default address groups, plus a group holding the protected servers. */
export function ddosProtectGroups(servers: string[]): Record<string, string[]> {
  return {
    external: ['0.0.0.0/0', '::/0'],
    private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7'],
    multicast: ['224.0.0.0/4', 'ff00::/8'],
    exclude: [],
    servers,
  };
}

export interface DdosSecond {
  second: number;
  attackPps: number;
  backgroundPps: number;
  /** Packets/s that ddos-protect's flow for this attack should report under the attack's key. */
  expectedFlowPps: number;
}

export interface DdosTruth {
  attack: AttackType;
  ipv6: boolean;
  target: string;
  /** The group the target belongs to in ddosProtectGroups(). */
  targetGroup: string;
  servers: string[];
  pps: number;
  /** The attacking (or reflecting) addresses. */
  sources: string[];
  /** ddos-protect flow that should see the attack, and its key for it ("target,group,value"). */
  flow: string;
  flowKey: string;
  keys: string;
  filter: string;
  backgroundPps: number;
  /** Background to the target that the attack's flow counts under the same key (packets/s). */
  backgroundInFlowPps: number;
  startMs: number;
  endMs: number;
  seconds: DdosSecond[];
  nowMs: number;
}

interface TrafficClass {
  name: string;
  pps: number;
  /** Frame bytes without FCS, per packet kind, and their shares. */
  frameBytes: number;
  /** Builds the frame of one packet: source chosen by the caller. */
  spec: (src: string, rnd: Random) => FrameSpec;
  sources: string[];
  attack: boolean;
}

interface RouterPort {
  ifIndex: number;
  speed: number;
  inPkts: number;
  inOctets: number;
  outPkts: number;
  outOctets: number;
  rIn: number;
  rInOctets: number;
  rOut: number;
  rOutOctets: number;
  flowSeq: number;
  counterSeq: number;
  nextPollMs: number;
}

interface Router {
  agent: AgentStream;
  ports: RouterPort[];
  events: { t: number; sample: () => SampleInput }[];
}

const ROUTER_MAC = '00:1c:73:00:00:01';
const UPSTREAM_MAC = '00:1c:73:ff:00:01';
const PORTS_UP = 4;
const PORTS_DOWN = 4;

function publicIPv4(rnd: Random): string {
  for (;;) {
    const a = rnd.int(1, 223);
    // Skip private, loopback, CGNAT, link-local, documentation-heavy and reserved first octets.
    if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192 || a === 198 || a === 203)
      continue;
    return `${a}.${rnd.int(0, 255)}.${rnd.int(0, 255)}.${rnd.int(1, 254)}`;
  }
}

function publicIPv6(rnd: Random): string {
  const h = () => rnd.int(1, 0xffff).toString(16);
  return `2a0${rnd.int(0, 9)}:${h()}:${h()}:${h()}::${h()}`;
}

function distinct(n: number, make: () => string): string[] {
  const set = new Set<string>();
  while (set.size < n) set.add(make());
  return [...set];
}

export class DdosSimulator {
  readonly options: Required<DdosOptions>;
  private readonly rnd: Random;
  private readonly routers: Router[] = [];
  private readonly classes: TrafficClass[] = [];
  private readonly attackClass: TrafficClass;
  private readonly servers: string[];
  private readonly backgroundInFlow: number;
  private readonly flowKey: string;
  private nowMs = 0;
  private readonly history: DdosSecond[] = [];

  constructor(options: DdosOptions) {
    if (!ATTACK_TYPES.includes(options.attack)) {
      throw new RangeError(`unknown attack '${String(options.attack)}' (one of ${ATTACK_TYPES.join(', ')})`);
    }
    const ipv6 = options.ipv6 ?? false;
    const defaultPort: Record<AttackType, number> = {
      ip_flood: 0,
      ip_fragmentation: 53,
      icmp_flood: 0,
      udp_flood: 443,
      udp_amplification: 53,
      tcp_flood: 80,
      tcp_amplification: 443,
    };
    this.options = {
      ipv6,
      target: ipv6 ? '2001:db8:100::10' : '203.0.113.10',
      pps: 200_000,
      sources: 1000,
      backgroundPps: 100_000,
      samplingRate: 1000,
      port: defaultPort[options.attack],
      protocol: 47,
      startMs: 0,
      durationMs: Number.POSITIVE_INFINITY,
      routers: 2,
      counterIntervalMs: 5000,
      seed: 1,
      headerBytes: 128,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    } as Required<DdosOptions>;
    const o = this.options;
    if (isIP(o.target) !== (ipv6 ? 6 : 4)) {
      throw new RangeError(`target ${o.target} is not an IPv${ipv6 ? 6 : 4} address`);
    }
    // The decoder reports addresses in canonical form; so does the truth.
    const targetBytes = ipv6 ? parseIPv6Bytes(o.target) : parseIPv4Bytes(o.target);
    o.target = ipv6 ? formatIPv6(targetBytes, 0) : formatIPv4(targetBytes, 0);
    if (!(o.pps >= 0) || !(o.backgroundPps >= 0)) throw new RangeError('pps must be >= 0');
    if (!(o.sources >= 1)) throw new RangeError('sources must be >= 1');
    if (!(o.samplingRate >= 1)) throw new RangeError('samplingRate must be >= 1');
    this.rnd = new Random(o.seed);
    const rnd = this.rnd;

    for (let r = 0; r < o.routers; r++) {
      const ports: RouterPort[] = [];
      for (let i = 1; i <= PORTS_UP + PORTS_DOWN; i++) {
        ports.push({
          ifIndex: i,
          speed: 100e9,
          inPkts: 0,
          inOctets: 0,
          outPkts: 0,
          outOctets: 0,
          rIn: 0,
          rInOctets: 0,
          rOut: 0,
          rOutOctets: 0,
          flowSeq: 0,
          counterSeq: 0,
          nextPollMs: 100 * rnd.int(0, Math.max(0, Math.floor(o.counterIntervalMs / 100) - 1)),
        });
      }
      this.routers.push({
        agent: new AgentStream(`192.0.2.${r + 1}`, { bootUptimeMs: rnd.int(3_600_000, 90 * 86_400_000) }),
        ports,
        events: [],
      });
    }

    // The protected servers: the target and its neighbours (the same address with another last byte).
    this.servers = [o.target];
    for (let i = 1; this.servers.length < 8; i++) {
      const b = Uint8Array.from(targetBytes);
      b[b.length - 1] = (20 + i) % 255;
      const s = ipv6 ? formatIPv6(b, 0) : formatIPv4(b, 0);
      if (s !== o.target) this.servers.push(s);
    }

    // Background: web clients of the servers, their responses, DNS to a resolver, NTP out.
    const clients = distinct(2000, () => (ipv6 ? publicIPv6(rnd) : publicIPv4(rnd)));
    const bg = o.backgroundPps;
    const tcp = (
      src: string,
      dst: string,
      sp: number,
      dp: number,
      flags: number,
      bytes: number,
    ): FrameSpec => ({
      srcMac: UPSTREAM_MAC,
      dstMac: ROUTER_MAC,
      src,
      dst,
      protocol: 6,
      srcPort: sp,
      dstPort: dp,
      tcpFlags: flags,
      frameLength: bytes,
    });
    const webShare = 0.6;
    const toTargetShare = 1 / this.servers.length;
    this.classes.push({
      name: 'web requests',
      pps: bg * webShare,
      frameBytes: 200,
      sources: clients,
      attack: false,
      spec: (src, r) => {
        const dst = r.chance(toTargetShare) ? o.target : r.pick(this.servers);
        return tcp(src, dst, r.int(32768, 60999), 443, r.chance(0.8) ? 0x10 : 0x18, r.chance(0.8) ? 66 : 600);
      },
    });
    this.classes.push({
      name: 'web responses',
      pps: bg * 0.3,
      frameBytes: 1514,
      sources: this.servers,
      attack: false,
      spec: (src, r) => tcp(src, r.pick(clients), 443, r.int(32768, 60999), 0x18, 1514),
    });
    this.classes.push({
      name: 'dns',
      pps: bg * 0.1,
      frameBytes: 90,
      sources: clients,
      attack: false,
      spec: (src, r) => ({
        srcMac: UPSTREAM_MAC,
        dstMac: ROUTER_MAC,
        src,
        dst: this.servers[1],
        protocol: 17,
        srcPort: r.int(32768, 60999),
        dstPort: 53,
        frameLength: 90,
      }),
    });
    // Legitimate traffic that ddos-protect counts with the attack (same target and key).
    this.backgroundInFlow =
      (o.attack === 'tcp_flood' && o.port === 443) || (o.attack === 'ip_flood' && o.protocol === 6)
        ? bg * webShare * toTargetShare
        : 0;

    const sources = distinct(o.sources, () => (ipv6 ? publicIPv6(rnd) : publicIPv4(rnd)));
    this.attackClass = this.attack(sources);
    this.classes.push(this.attackClass);
    this.flowKey = `${o.target},servers,${this.keyValue()}`;
    this.placeRates();
  }

  /** The packets of the attack. */
  private attack(sources: string[]): TrafficClass {
    const o = this.options;
    const v6 = o.ipv6;
    const base = { srcMac: UPSTREAM_MAC, dstMac: ROUTER_MAC, dst: o.target };
    const ephemeral = (r: Random) => r.int(1024, 65535);
    const cls = (frameBytes: number, spec: (src: string, r: Random) => FrameSpec): TrafficClass => ({
      name: o.attack,
      pps: o.pps,
      frameBytes,
      sources,
      attack: true,
      spec,
    });
    switch (o.attack) {
      case 'ip_flood':
        return cls(1400, (src) => ({ ...base, src, protocol: o.protocol, frameLength: 1400 }));
      case 'ip_fragmentation': {
        // UDP datagrams of 4000 bytes in fragments of 1480 (IPv6: 1448) bytes of data.
        const chunk = v6 ? 1448 : 1480;
        const total = 4000;
        const count = Math.ceil(total / chunk);
        return cls(1514, (src, r) => {
          const i = r.int(0, count - 1);
          const more = i < count - 1;
          const data = more ? chunk : total - chunk * (count - 1);
          return {
            ...base,
            src,
            protocol: 17,
            srcPort: ephemeral(r),
            dstPort: o.port,
            frameLength: 14 + (v6 ? 48 : 20) + data,
            fragment: { offset: (i * chunk) / 8, more, id: r.int(1, 0xffff) },
          };
        });
      }
      case 'icmp_flood':
        return cls(98, (src) => ({ ...base, src, protocol: v6 ? 58 : 1, frameLength: 98 }));
      case 'udp_flood':
        return cls(512, (src, r) => ({
          ...base,
          src,
          protocol: 17,
          srcPort: ephemeral(r),
          dstPort: o.port,
          frameLength: r.int(64, 1000),
        }));
      case 'udp_amplification': {
        const bytes = AMPLIFICATION_PORTS[o.port]?.frameBytes ?? 1200;
        return cls(bytes, (src, r) => ({
          ...base,
          src,
          protocol: 17,
          srcPort: o.port,
          dstPort: ephemeral(r),
          frameLength: bytes,
        }));
      }
      case 'tcp_flood':
        return cls(60, (src, r) => ({
          ...base,
          src,
          protocol: 6,
          srcPort: ephemeral(r),
          dstPort: o.port,
          tcpFlags: 0x02,
          frameLength: v6 ? 74 : 60,
        }));
      case 'tcp_amplification':
        return cls(60, (src, r) => ({
          ...base,
          src,
          protocol: 6,
          srcPort: o.port,
          dstPort: ephemeral(r),
          tcpFlags: 0x12,
          frameLength: v6 ? 74 : 60,
        }));
    }
  }

  /** The value of the third key of the attack's ddos-protect flow. */
  private keyValue(): string {
    const o = this.options;
    switch (o.attack) {
      case 'ip_flood':
        return String(o.protocol);
      case 'ip_fragmentation':
        return '17';
      case 'icmp_flood':
        return o.ipv6 ? '128' : '8';
      default:
        return String(o.port);
    }
  }

  /** Per-port packet rates while the attack runs (for pools and counters). */
  private placeRates(): void {
    for (const r of this.routers) {
      for (const p of r.ports) {
        p.rIn = 0;
        p.rInOctets = 0;
        p.rOut = 0;
        p.rOutOctets = 0;
      }
    }
    const active = this.attacking(this.nowMs);
    for (const c of this.classes) {
      const pps = c.attack && !active ? 0 : c.pps;
      const perSource = pps / c.sources.length;
      for (const s of c.sources) {
        const { router, inPort, outPort } = this.route(s, c.attack || c.name !== 'web responses');
        router.ports[inPort].rIn += perSource;
        router.ports[inPort].rInOctets += perSource * (c.frameBytes + 4);
        router.ports[outPort].rOut += perSource;
        router.ports[outPort].rOutOctets += perSource * (c.frameBytes + 4);
      }
    }
  }

  /** Router and ports of traffic from `src`: inbound enters upstream ports, outbound downstream ones. */
  private route(src: string, inbound: boolean): { router: Router; inPort: number; outPort: number } {
    const h = ecmpHash(src, '', 0, 0, 0);
    const router = this.routers[h % this.routers.length];
    const up = (h >>> 8) % PORTS_UP;
    const down = PORTS_UP + ((h >>> 16) % PORTS_DOWN);
    return inbound ? { router, inPort: up, outPort: down } : { router, inPort: down, outPort: up };
  }

  private attacking(t: number): boolean {
    const o = this.options;
    return t >= o.startMs && t < o.startMs + o.durationMs;
  }

  get timeMs(): number {
    return this.nowMs;
  }

  step(untilMs: number): Buffer[] {
    return this.stepTimed(untilMs).map((d) => d.payload);
  }

  stepTimed(untilMs: number): TimedDatagram[] {
    const o = this.options;
    const out: TimedDatagram[] = [];
    while (this.nowMs < untilMs) {
      const t0 = this.nowMs;
      let t1 = Math.min(untilMs, (Math.floor(t0 / 1000) + 1) * 1000);
      for (const edge of [o.startMs, o.startMs + o.durationMs]) if (edge > t0 && edge < t1) t1 = edge;
      for (const r of this.routers)
        for (const p of r.ports) if (p.nextPollMs > t0) t1 = Math.min(t1, p.nextPollMs);
      this.poll(t0);
      this.segment(t0, t1);
      this.nowMs = t1;
      if (this.attacking(t0) !== this.attacking(t1)) this.placeRates();
    }
    for (const r of this.routers) {
      r.events.sort((a, b) => a.t - b.t);
      for (const e of r.events) r.agent.add(e.t, e.sample(), out);
      r.events = [];
      r.agent.flush(untilMs, out);
    }
    out.sort(byTime);
    return out;
  }

  private segment(t0: number, t1: number): void {
    const o = this.options;
    const dt = (t1 - t0) / 1000;
    const active = this.attacking(t0);
    const rates = this.classes.map((c) => (c.attack && !active ? 0 : c.pps));
    const total = rates.reduce((a, b) => a + b, 0);
    // Truth.
    const second = Math.floor(t0 / 1000);
    let acc = this.history[this.history.length - 1];
    if (acc === undefined || acc.second !== second) {
      acc = { second, attackPps: 0, backgroundPps: 0, expectedFlowPps: 0 };
      this.history.push(acc);
      if (this.history.length > 3600) this.history.shift();
    }
    const attack = active ? this.attackClass.pps : 0;
    acc.attackPps += attack * dt;
    acc.backgroundPps += (total - attack) * dt;
    acc.expectedFlowPps += (attack + this.backgroundInFlow) * dt;
    // Samples: one Poisson process over all traffic, each sample drawn from the mix.
    if (total > 0) {
      const mean = (1000 * o.samplingRate) / total;
      for (let t = t0 + exponential(this.rnd.next(), mean); t < t1; t += exponential(this.rnd.next(), mean)) {
        let x = this.rnd.next() * total;
        let c = this.classes[this.classes.length - 1];
        for (let i = 0; i < this.classes.length; i++) {
          if (x < rates[i]) {
            c = this.classes[i];
            break;
          }
          x -= rates[i];
        }
        this.flowEvent(c, t, t0);
      }
    }
    for (const r of this.routers) {
      for (const p of r.ports) {
        p.inPkts += p.rIn * dt;
        p.inOctets += p.rInOctets * dt;
        p.outPkts += p.rOut * dt;
        p.outOctets += p.rOutOctets * dt;
      }
    }
  }

  private flowEvent(c: TrafficClass, t: number, t0: number): void {
    const o = this.options;
    const src = this.rnd.pick(c.sources);
    const spec = c.spec(src, this.rnd);
    const { router, inPort, outPort } = this.route(src, c.attack || c.name !== 'web responses');
    const port = router.ports[inPort];
    const pool = port.inPkts + (port.rIn * (t - t0)) / 1000;
    const header = buildFrame(spec, o.headerBytes);
    const frameLength = Math.max(spec.frameLength, header.length) + 4;
    router.events.push({
      t,
      sample: () => ({
        type: 'flow_sample',
        sequence: ++port.flowSeq,
        sourceIdType: 0,
        sourceIdIndex: port.ifIndex,
        samplingRate: o.samplingRate,
        samplePool: u32(pool),
        drops: 0,
        input: { format: 0, value: port.ifIndex },
        output: { format: 0, value: router.ports[outPort].ifIndex },
        records: [
          { format: '0:1', headerProtocol: 1, frameLength, stripped: 4, header },
          { format: '0:1001', srcVlan: 1, srcPriority: 0, dstVlan: 1, dstPriority: 0 },
        ],
      }),
    });
  }

  private poll(t: number): void {
    for (const r of this.routers) {
      for (const p of r.ports) {
        if (p.nextPollMs > t) continue;
        p.nextPollMs += this.options.counterIntervalMs;
        // The counters as they are now; the sequence number when the sample is sent.
        const counters = interfaceCounters({
          ifIndex: p.ifIndex,
          speed: p.speed,
          inOctets: p.inOctets,
          inPackets: p.inPkts,
          outOctets: p.outOctets,
          outPackets: p.outPkts,
        });
        r.events.push({ t, sample: () => countersSample(++p.counterSeq, p.ifIndex, [counters]) });
      }
    }
  }

  truth(): DdosTruth {
    const o = this.options;
    const flows = ddosProtectFlows();
    const flow = ddosFlowName(o.attack, o.ipv6);
    const complete = this.history.filter((s) => (s.second + 1) * 1000 <= this.nowMs);
    return {
      attack: o.attack,
      ipv6: o.ipv6,
      target: o.target,
      targetGroup: 'servers',
      servers: [...this.servers],
      pps: o.pps,
      sources: [...this.attackClass.sources],
      flow,
      flowKey: this.flowKey,
      keys: flows[flow].keys,
      filter: flows[flow].filter,
      backgroundPps: o.backgroundPps,
      backgroundInFlowPps: this.backgroundInFlow,
      startMs: o.startMs,
      endMs: o.startMs + o.durationMs,
      seconds: complete.map((s) => ({ ...s })),
      nowMs: this.nowMs,
    };
  }

  /** Agent addresses of the routers. */
  agents(): string[] {
    return this.routers.map((r) => r.agent.address);
  }
}

/** A few lines on what the DDoS simulation sent, for the CLI. */
export function summarizeDdosTruth(t: DdosTruth): string {
  const secs = t.seconds;
  const avg = (f: (s: DdosSecond) => number) =>
    secs.length === 0 ? 0 : secs.reduce((n, s) => n + f(s), 0) / secs.length;
  return [
    `ground truth: ${t.attack}${t.ipv6 ? ' (IPv6)' : ''} against ${t.target} from ${t.sources.length} sources`,
    `  attack      ${avg((s) => s.attackPps).toFixed(0)} packets/s on average over ${secs.length} s (${t.pps} while active)`,
    `  background  ${avg((s) => s.backgroundPps).toFixed(0)} packets/s`,
    `  ddos-protect flow ${t.flow} should report key ${t.flowKey} at ${(t.pps + t.backgroundInFlowPps).toFixed(0)} frames/s`,
    `  filter: ${t.filter}`,
  ].join('\n');
}
