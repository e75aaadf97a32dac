/**
 * Where hosts attach to the network, for the matrix's topology mode: each
 * address is located to a switch (topology node) and port (ifIndex), either
 * from a static map or learned from traffic: the access (EDGE) port on which
 * packets from the address are seen arriving.
 *
 * An axis then lists the nodes sorted by name, each divided among its ports
 * sorted by ifIndex:
 *
 *   position = (node index + port rank / port count) / node count
 */
import { formatAddress, parseAddress } from './scale.js';

/** What the locator needs of the topology (engine/topology.ts satisfies it). */
export interface TopologyView {
  get(): {
    nodes?: Record<string, { agent?: string; ports?: Record<string, { ifindex?: string | number }> }>;
  };
  nodeForAgent(agent: string): string | undefined;
  isEdge(agent: string, dataSource: string): boolean;
}

export interface Location {
  node: string;
  ifIndex: string;
}

/** A static map entry: the switch by node name or agent address, the port by ifIndex or port name. */
export interface StaticLocation {
  node?: string;
  agent?: string;
  ifindex?: string | number;
  port?: string;
}

/** One observation of a source address arriving on a port: (agent, ifIndex) with its rate. */
export interface Sighting {
  agent: string;
  ifIndex: string;
  address: string;
  value: number;
}

export class LocationError extends Error {
  override name = 'LocationError';
}

const MAC =
  /^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$/i;

/**
 * The canonical form of a host address as flow keys print it: IPv4 as is,
 * IPv6 in RFC 5952 form, MAC addresses as lower-case colon-separated hex (the
 * form of the macsource key); undefined when it is none of these.
 */
export function canonicalHost(text: string): string | undefined {
  const t = text.trim();
  const m = MAC.exec(t);
  if (m !== null) return m.slice(1).join(':').toLowerCase();
  const a = parseAddress(t);
  if (a === undefined) return undefined;
  return formatAddress(a.family, a.value);
}

/** ifIndexes in numeric order (names that are not numbers after them, alphabetically). */
function comparePorts(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  const xn = a !== '' && Number.isFinite(x);
  const yn = b !== '' && Number.isFinite(y);
  if (xn && yn) return x - y;
  if (xn !== yn) return xn ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The nodes and ports of one axis in topology mode. */
export class MatrixLayout {
  readonly nodes: { name: string; ports: string[] }[];
  private readonly index = new Map<string, { i: number; ranks: Map<string, number> }>();

  constructor(portsByNode: ReadonlyMap<string, ReadonlySet<string>>) {
    const names = [...portsByNode.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.nodes = names.map((name) => ({
      name,
      ports: [...(portsByNode.get(name) ?? [])].sort(comparePorts),
    }));
    this.nodes.forEach((n, i) => {
      this.index.set(n.name, { i, ranks: new Map(n.ports.map((p, r) => [p, r])) });
    });
  }

  /** Axis position of a port, or undefined when the node or port is not in the layout. */
  position(loc: Location): number | undefined {
    const n = this.index.get(loc.node);
    if (n === undefined) return undefined;
    const rank = n.ranks.get(loc.ifIndex);
    if (rank === undefined) return undefined;
    return (n.i + rank / n.ranks.size) / this.nodes.length;
  }

  /** Where each node's share of the axis starts and ends. */
  spans(): { name: string; start: number; end: number; ports: string[] }[] {
    const count = this.nodes.length;
    return this.nodes.map((n, i) => ({
      name: n.name,
      start: i / count,
      end: (i + 1) / count,
      ports: n.ports,
    }));
  }
}

export class HostLocator {
  private learned = new Map<string, Location>();
  private readonly statics = new Map<string, StaticLocation>();

  constructor(private readonly topology: TopologyView) {}

  /**
   * Replaces the static map: `{ "<address>": { node | agent, ifindex | port } }`.
   * Throws LocationError naming the first bad entry; the old map stays then.
   */
  setStatic(input: unknown): void {
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      throw new LocationError('the host map must be a JSON object of address -> {node|agent, ifindex|port}');
    const next = new Map<string, StaticLocation>();
    for (const [address, raw] of Object.entries(input as Record<string, unknown>)) {
      const host = canonicalHost(address);
      if (host === undefined) throw new LocationError(`'${address}' is not an IPv4, IPv6 or MAC address`);
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
        throw new LocationError(`'${address}': the location must be an object`);
      const e = raw as Record<string, unknown>;
      const str = (k: string) => {
        const v = e[k];
        if (v === undefined) return undefined;
        if (typeof v === 'string' && v !== '') return v;
        if (k === 'ifindex' && typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
        throw new LocationError(`'${address}': '${k}' must be a non-empty string`);
      };
      const loc: StaticLocation = {};
      const node = str('node');
      const agent = str('agent');
      const ifindex = str('ifindex');
      const port = str('port');
      if ((node === undefined) === (agent === undefined))
        throw new LocationError(`'${address}': give exactly one of 'node' and 'agent'`);
      if ((ifindex === undefined) === (port === undefined))
        throw new LocationError(`'${address}': give exactly one of 'ifindex' and 'port'`);
      if (node !== undefined) loc.node = node;
      if (agent !== undefined) loc.agent = agent;
      if (ifindex !== undefined) loc.ifindex = ifindex;
      if (port !== undefined) loc.port = port;
      next.set(host, loc);
    }
    if (next.size > 100_000) throw new LocationError('at most 100000 hosts may be mapped');
    this.statics.clear();
    for (const [k, v] of next) this.statics.set(k, v);
  }

  staticMap(): Record<string, StaticLocation> {
    return Object.fromEntries(this.statics);
  }

  /**
   * Relearns every location from sightings: an address is placed at the
   * access port where it was seen most (ports on topology links are skipped:
   * there the address is in transit, not at home).
   */
  learn(sightings: Iterable<Sighting>): void {
    const best = new Map<string, { loc: Location; value: number }>();
    for (const s of sightings) {
      if (!this.topology.isEdge(s.agent, s.ifIndex)) continue;
      const have = best.get(s.address);
      if (have !== undefined && have.value >= s.value) continue;
      const node = this.topology.nodeForAgent(s.agent) ?? s.agent;
      best.set(s.address, { loc: { node, ifIndex: s.ifIndex }, value: s.value });
    }
    this.learned = new Map([...best].map(([k, v]) => [k, v.loc]));
  }

  get learnedCount(): number {
    return this.learned.size;
  }

  /** The static entry wins over a learned one. */
  locate(address: string): Location | undefined {
    const s = this.statics.get(address);
    if (s !== undefined) return this.resolveStatic(s);
    return this.learned.get(address);
  }

  private resolveStatic(s: StaticLocation): Location | undefined {
    const nodeName =
      s.node ?? (s.agent !== undefined ? (this.topology.nodeForAgent(s.agent) ?? s.agent) : undefined);
    if (nodeName === undefined) return undefined;
    if (s.ifindex !== undefined) return { node: nodeName, ifIndex: String(s.ifindex) };
    const ifindex = this.topology.get().nodes?.[nodeName]?.ports?.[s.port ?? '']?.ifindex;
    return ifindex === undefined ? undefined : { node: nodeName, ifIndex: String(ifindex) };
  }

  /** Topology nodes and their ports, plus every node and port a host is located at. */
  layout(): MatrixLayout {
    const ports = new Map<string, Set<string>>();
    const add = (node: string, ifIndex?: string) => {
      let set = ports.get(node);
      if (set === undefined) {
        set = new Set();
        ports.set(node, set);
      }
      if (ifIndex !== undefined) set.add(ifIndex);
    };
    for (const [name, node] of Object.entries(this.topology.get().nodes ?? {})) {
      add(name);
      for (const p of Object.values(node?.ports ?? {}))
        if (p?.ifindex !== undefined) add(name, String(p.ifindex));
    }
    for (const loc of this.learned.values()) add(loc.node, loc.ifIndex);
    for (const s of this.statics.values()) {
      const loc = this.resolveStatic(s);
      if (loc !== undefined) add(loc.node, loc.ifIndex);
    }
    // A node with no ports at all would take a slot no host can fall in.
    for (const [name, set] of ports) if (set.size === 0) ports.delete(name);
    return new MatrixLayout(ports);
  }
}
