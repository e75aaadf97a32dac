/**
 * Data sources (agent + data source, e.g. an interface of a switch) as small
 * integers, shared by every flow table of an engine.
 *
 * A sample's source is resolved once, by the view that presents it, and every
 * flow table then indexes its per-source state with that number instead of
 * building and hashing an "agent>dataSource" string per table per sample.
 * Sources named by numbers (sFlow's source id type and index, a flow
 * export's ingress ifIndex) resolve without allocating: a Map per agent from
 * type * 2^32 + index to the source.
 */

import { dataSourceName } from './metrics/derive.js';

export class SourceRegistry {
  private readonly byText = new Map<string, number>();
  private readonly byAgent = new Map<string, Map<number, number>>();
  private readonly agents: string[] = [];
  private readonly dataSources: string[] = [];
  private readonly numeric: number[] = [];
  private readonly lastMs: number[] = [];
  private readonly free: number[] = [];
  private live = 0;
  private lastAgent = '';
  private lastPerAgent: Map<number, number> | undefined;

  get size(): number {
    return this.live;
  }

  /** Upper bound (exclusive) of the ids in use, for arrays indexed by id. */
  get capacity(): number {
    return this.agents.length;
  }

  agentOf(id: number): string {
    return this.agents[id];
  }

  dataSourceOf(id: number): string {
    return this.dataSources[id];
  }

  /** The source with sFlow's numeric data source id (type 0 = ifIndex), named as sFlow-RT names it. */
  byIndex(agent: string, sourceIdType: number, sourceIdIndex: number, nowMs: number): number {
    // Samples come a datagram at a time, all from one agent.
    let perAgent = agent === this.lastAgent ? this.lastPerAgent : this.byAgent.get(agent);
    if (perAgent === undefined) {
      perAgent = new Map();
      this.byAgent.set(agent, perAgent);
    }
    this.lastAgent = agent;
    this.lastPerAgent = perAgent;
    const n = sourceIdType * 4294967296 + sourceIdIndex;
    let id = perAgent.get(n);
    if (id === undefined) {
      id = this.id(agent, dataSourceName(sourceIdType, sourceIdIndex), nowMs);
      perAgent.set(n, id);
      this.numeric[id] = n;
    }
    this.lastMs[id] = nowMs;
    return id;
  }

  /** The source for any agent and data source name. */
  id(agent: string, dataSource: string, nowMs = 0): number {
    const text = `${agent}>${dataSource}`;
    let id = this.byText.get(text);
    if (id === undefined) {
      id = this.free.pop() ?? this.agents.length;
      this.agents[id] = agent;
      this.dataSources[id] = dataSource;
      this.numeric[id] = -1;
      this.byText.set(text, id);
      this.live++;
    }
    if (nowMs > (this.lastMs[id] ?? 0)) this.lastMs[id] = nowMs;
    return id;
  }

  /** The id of a known source, without creating it. */
  find(agent: string, dataSource: string): number | undefined {
    return this.byText.get(`${agent}>${dataSource}`);
  }

  /**
   * Forgets sources without samples since `horizonMs` and returns their ids.
   * Callers sweep their own state first: a flow table holds no entry of a
   * source idle for longer than its own horizon.
   */
  prune(horizonMs: number): number[] {
    this.lastAgent = '';
    this.lastPerAgent = undefined;
    const gone: number[] = [];
    for (const id of this.byText.values()) if ((this.lastMs[id] ?? 0) < horizonMs) gone.push(id);
    for (const id of gone) {
      const agent = this.agents[id];
      this.byText.delete(`${agent}>${this.dataSources[id]}`);
      const n = this.numeric[id];
      const perAgent = this.byAgent.get(agent);
      if (perAgent !== undefined && n >= 0) {
        perAgent.delete(n);
        if (perAgent.size === 0) this.byAgent.delete(agent);
      }
      this.agents[id] = '';
      this.dataSources[id] = '';
      this.lastMs[id] = 0;
      this.free.push(id);
      this.live--;
    }
    return gone;
  }
}
