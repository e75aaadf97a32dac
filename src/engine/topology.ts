/**
 * The network topology as sFlow-RT takes it (PUT /topology/json): nodes with
 * their agent address and ports (name -> ifIndex), and links between
 * node ports. It tells which data sources are fabric (CORE) ports, which are
 * access (EDGE) ports, and which link a port is on (`link:` key function).
 */

export interface TopologyDocument {
  nodes?: Record<
    string,
    {
      agent?: string;
      dpid?: string;
      ports?: Record<string, { ifindex?: string | number; ofport?: string | number; dpid?: string }>;
      tags?: unknown;
    }
  >;
  links?: Record<string, { node1: string; port1: string; node2: string; port2: string; tags?: unknown }>;
}

export class TopologyError extends Error {
  override name = 'TopologyError';
}

export class Topology {
  private doc: TopologyDocument = {};
  /** Incremented on every change, reported as `version` like sFlow-RT. */
  version = 0;
  private readonly topologyAgents = new Set<string>();
  /** "agent>ifIndex" -> link name, for both ends of every link. */
  private readonly linkPorts = new Map<string, string>();
  private readonly nodeByAgent = new Map<string, string>();

  /** Validates and installs a topology; throws TopologyError naming what is wrong. */
  set(input: unknown): void {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new TopologyError('the topology must be a JSON object with "nodes" and "links"');
    }
    const doc = input as TopologyDocument;
    const nodes = doc.nodes ?? {};
    const links = doc.links ?? {};
    if (typeof nodes !== 'object' || typeof links !== 'object')
      throw new TopologyError('"nodes" and "links" must be objects');
    const agents = new Set<string>();
    const byAgent = new Map<string, string>();
    for (const [name, node] of Object.entries(nodes)) {
      if (node === null || typeof node !== 'object')
        throw new TopologyError(`node '${name}' must be an object`);
      if (node.agent !== undefined) {
        if (typeof node.agent !== 'string')
          throw new TopologyError(`node '${name}': agent must be an address string`);
        agents.add(node.agent);
        byAgent.set(node.agent, name);
      }
    }
    const ports = new Map<string, string>();
    for (const [name, link] of Object.entries(links)) {
      if (link === null || typeof link !== 'object')
        throw new TopologyError(`link '${name}' must be an object`);
      for (const [nodeName, portName] of [
        [link.node1, link.port1],
        [link.node2, link.port2],
      ] as const) {
        const node = nodes[nodeName];
        if (node === undefined)
          throw new TopologyError(`link '${name}' refers to unknown node '${nodeName}'`);
        const port = node.ports?.[portName];
        if (node.agent !== undefined && port?.ifindex !== undefined) {
          ports.set(`${node.agent}>${port.ifindex}`, name);
        }
      }
    }
    this.doc = doc;
    this.version++;
    this.topologyAgents.clear();
    for (const a of agents) this.topologyAgents.add(a);
    this.linkPorts.clear();
    for (const [k, v] of ports) this.linkPorts.set(k, v);
    this.nodeByAgent.clear();
    for (const [k, v] of byAgent) this.nodeByAgent.set(k, v);
  }

  get(): TopologyDocument & { version: number } {
    return { ...this.doc, version: this.version };
  }

  agents(): Set<string> {
    return this.topologyAgents;
  }

  nodeForAgent(agent: string): string | undefined {
    return this.nodeByAgent.get(agent);
  }

  link(agent: string, ifIndex: string): string | undefined {
    return this.linkPorts.get(`${agent}>${ifIndex}`);
  }

  inTopology(agent: string): boolean {
    return this.topologyAgents.has(agent);
  }

  /** A fabric port: one end of a topology link. */
  isCore(agent: string, dataSource: string): boolean {
    return this.linkPorts.has(`${agent}>${dataSource}`);
  }

  /** An access port: a port of a topology node that is not on a link. */
  isEdge(agent: string, dataSource: string): boolean {
    return this.topologyAgents.has(agent) && !this.isCore(agent, dataSource);
  }
}
