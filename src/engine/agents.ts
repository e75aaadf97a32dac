/**
 * Per-agent accounting of what arrives: datagrams and bytes, samples, and the
 * sequence numbers that reveal loss. sFlow numbers datagrams per (agent,
 * sub-agent): a jump forward is datagrams lost in the network or the kernel,
 * a step back by a little is reordering or duplication, a step back by a lot
 * (or to a low number) is an agent restart.
 */
import type { SflowDatagram } from '../decode/sflow/types.js';

export interface AgentCounters extends Counts {
  agent: string;
  firstSeen: number;
  lastSeen: number;
}

/** What is counted per agent, and summed over all agents for the totals. */
export interface Counts {
  datagrams: number;
  bytes: number;
  flowSamples: number;
  counterSamples: number;
  discardSamples: number;
  /** Datagrams missing according to sequence numbers. */
  sequenceGaps: number;
  outOfOrder: number;
  duplicates: number;
  restarts: number;
  decodeErrors: number;
  subAgents: number;
}

const COUNT_NAMES = [
  'datagrams',
  'bytes',
  'flowSamples',
  'counterSamples',
  'discardSamples',
  'sequenceGaps',
  'outOfOrder',
  'duplicates',
  'restarts',
  'decodeErrors',
  'subAgents',
] as const satisfies readonly (keyof Counts)[];

function zeroCounts(): Counts {
  return {
    datagrams: 0,
    bytes: 0,
    flowSamples: 0,
    counterSamples: 0,
    discardSamples: 0,
    sequenceGaps: 0,
    outOfOrder: 0,
    duplicates: 0,
    restarts: 0,
    decodeErrors: 0,
    subAgents: 0,
  };
}

/** How far back a sequence number may be and still count as reordering rather than a restart. */
const REORDER_WINDOW = 64;
const RECENT = REORDER_WINDOW * 2;

/** One sequence stream (agent, sub-agent): the next number expected and the recent ones. */
class StreamState {
  /** The last RECENT sequence numbers seen, a ring: tells duplicates from late arrivals. */
  private readonly recent = new Float64Array(RECENT);
  private seen = 0;

  constructor(public next: number) {}

  remember(seq: number): void {
    this.recent[this.seen % RECENT] = seq;
    this.seen++;
  }

  has(seq: number): boolean {
    const n = Math.min(this.seen, RECENT);
    for (let i = 0; i < n; i++) if (this.recent[i] === seq) return true;
    return false;
  }

  forget(): void {
    this.seen = 0;
  }
}

export class AgentTracker {
  private readonly agents = new Map<string, AgentCounters>();
  /** Per agent, its sub-agents' sequence streams. */
  private readonly streams = new Map<string, Map<number, StreamState>>();

  constructor(private readonly maxAgents = 10_000) {}

  private counters(agent: string, nowMs: number): AgentCounters | undefined {
    let c = this.agents.get(agent);
    if (c === undefined) {
      if (this.agents.size >= this.maxAgents) return undefined;
      c = { agent, firstSeen: nowMs, lastSeen: nowMs, ...zeroCounts() };
      this.agents.set(agent, c);
    }
    return c;
  }

  sflow(d: SflowDatagram, bytes: number, nowMs: number): void {
    const c = this.counters(d.agent, nowMs);
    if (c === undefined) return;
    c.datagrams++;
    c.bytes += bytes;
    c.lastSeen = nowMs;
    for (const s of d.samples) {
      if (s.type === 'flow_sample' || s.type === 'flow_sample_expanded') c.flowSamples++;
      else if (s.type === 'counters_sample' || s.type === 'counters_sample_expanded') c.counterSamples++;
      else if (s.type === 'discarded_packet') c.discardSamples++;
      if ('error' in s && s.error !== undefined) c.decodeErrors++;
    }
    let subAgents = this.streams.get(d.agent);
    if (subAgents === undefined) {
      subAgents = new Map();
      this.streams.set(d.agent, subAgents);
    }
    this.sequence(c, subAgents, d.subAgentId, d.sequence);
  }

  /** An IPFIX / NetFlow message (its sequence numbers are tracked by the decoder). */
  flowExport(agent: string, bytes: number, records: number, hadErrors: boolean, nowMs: number): void {
    const c = this.counters(agent, nowMs);
    if (c === undefined) return;
    c.datagrams++;
    c.bytes += bytes;
    c.flowSamples += records;
    if (hadErrors) c.decodeErrors++;
    c.lastSeen = nowMs;
  }

  /** A datagram from this exporter that could not be decoded. */
  undecodable(agent: string, bytes: number, nowMs: number): void {
    const c = this.counters(agent, nowMs);
    if (c === undefined) return;
    c.datagrams++;
    c.bytes += bytes;
    c.decodeErrors++;
    c.lastSeen = nowMs;
  }

  private sequence(
    c: AgentCounters,
    subAgents: Map<number, StreamState>,
    subAgent: number,
    seq: number,
  ): void {
    let st = subAgents.get(subAgent);
    if (st === undefined) {
      st = new StreamState((seq + 1) >>> 0);
      st.remember(seq);
      subAgents.set(subAgent, st);
      c.subAgents++;
      return;
    }
    const delta = (seq - st.next) | 0; // wraps at 2^32 like the counter itself
    if (delta === 0) {
      st.next = (seq + 1) >>> 0;
    } else if (delta > 0 && delta < 0x40000000) {
      c.sequenceGaps += delta;
      st.next = (seq + 1) >>> 0;
    } else if (delta < 0 && delta >= -REORDER_WINDOW) {
      if (st.has(seq)) c.duplicates++;
      else {
        c.outOfOrder++;
        // It was counted as lost when the gap opened; it arrived after all.
        if (c.sequenceGaps > 0) c.sequenceGaps--;
      }
    } else {
      c.restarts++;
      st.next = (seq + 1) >>> 0;
      st.forget();
    }
    st.remember(seq);
  }

  get(agent: string): AgentCounters | undefined {
    return this.agents.get(agent);
  }

  all(): AgentCounters[] {
    return [...this.agents.values()];
  }

  totals(): Counts & { agents: number } {
    const t = { agents: this.agents.size, ...zeroCounts() };
    for (const c of this.agents.values()) for (const k of COUNT_NAMES) t[k] += c[k];
    return t;
  }
}
