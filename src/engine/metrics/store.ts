/**
 * The latest value of every metric, per (agent, data source).
 *
 *   MetricStore
 *     agents: Map<agent, Map<data source, SourceMetrics>>
 *     lru:    Map<"agent>ds", SourceMetrics>   (least recently updated first)
 *       metrics: Map<metric name, MetricEntry{value, lastUpdate, topKeys?}>
 *
 * Values expire: a value older than its lifetime is invisible to queries and
 * removed by `sweep()`. The lifetime is a fixed `ttlMs` (default 60 s), or,
 * with `intervalFactor` > 0, that many times the data source's observed
 * update interval (so a source polled every 20 s keeps values for 60 s with
 * the factor 3), never less than `minTtlMs`. Flow metrics always use `ttlMs`.
 *
 * Memory is bounded: at most `maxDataSources` data sources (the least recently
 * updated is evicted and counted) and `maxMetricsPerDataSource` names per data
 * source (further names are rejected and counted).
 */
import type { MetricValue } from './catalog.js';

export interface TopKey {
  key: string;
  value: number;
}

export interface MetricEntry {
  value: MetricValue;
  /** Time of the last update (ms). */
  lastUpdate: number;
  /** Largest flows behind a flow metric's value. */
  topKeys?: TopKey[];
  /** Set for values computed from flows (setFlowMetric). */
  flow?: true;
}

export class SourceMetrics {
  readonly metrics = new Map<string, MetricEntry>();
  /** Last counter update (ms), 0 before the first. */
  lastCounterUpdate = 0;
  /** Smoothed interval between counter updates (ms), 0 until two were seen. */
  intervalMs = 0;
  lastUpdate = 0;
  /** "agent>dataSource". */
  readonly key: string;
  constructor(
    readonly agent: string,
    readonly dataSource: string,
  ) {
    this.key = `${agent}>${dataSource}`;
  }
}

export interface MetricStoreOptions {
  /** Lifetime of a value after its last update (ms). Default 60 000. */
  ttlMs?: number;
  /** When > 0, counter values live this many observed update intervals instead. Default 0. */
  intervalFactor?: number;
  /** Shortest lifetime with intervalFactor (ms). Default 5 000. */
  minTtlMs?: number;
  /** Default 200 000. */
  maxDataSources?: number;
  /** Default 4 096. */
  maxMetricsPerDataSource?: number;
}

export interface MetricStoreStats {
  dataSources: number;
  values: number;
  /** Data sources dropped to stay within maxDataSources. */
  evictions: number;
  /** Values removed by sweep() because they expired. */
  expired: number;
  /** New metric names refused because a data source had maxMetricsPerDataSource. */
  rejected: number;
}

export class MetricStore {
  readonly ttlMs: number;
  readonly intervalFactor: number;
  readonly minTtlMs: number;
  readonly maxDataSources: number;
  readonly maxMetricsPerDataSource: number;
  private readonly agents = new Map<string, Map<string, SourceMetrics>>();
  private readonly lru = new Map<string, SourceMetrics>();
  private values = 0;
  private readonly counts = { evictions: 0, expired: 0, rejected: 0 };

  constructor(options: MetricStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60000;
    this.intervalFactor = options.intervalFactor ?? 0;
    this.minTtlMs = options.minTtlMs ?? 5000;
    this.maxDataSources = Math.max(1, options.maxDataSources ?? 200000);
    this.maxMetricsPerDataSource = Math.max(1, options.maxMetricsPerDataSource ?? 4096);
  }

  get stats(): MetricStoreStats {
    return { dataSources: this.lru.size, values: this.values, ...this.counts };
  }

  /** Stores counter-derived values of one data source, all updated at `nowMs`. */
  update(
    agent: string,
    dataSource: string,
    values: Iterable<readonly [string, MetricValue]>,
    nowMs: number,
  ): void {
    const set = this.counterUpdate(agent, dataSource, nowMs);
    for (const [name, value] of values) set(name, value);
  }

  /** Starts an update of one data source's counter values at `nowMs`; returns the setter of each value. */
  counterUpdate(
    agent: string,
    dataSource: string,
    nowMs: number,
  ): (name: string, value: MetricValue) => void {
    const s = this.touch(agent, dataSource, nowMs);
    if (s.lastCounterUpdate > 0 && nowMs > s.lastCounterUpdate) {
      const dt = nowMs - s.lastCounterUpdate;
      s.intervalMs = s.intervalMs === 0 ? dt : 0.75 * s.intervalMs + 0.25 * dt;
    }
    s.lastCounterUpdate = nowMs;
    return (name, value) => {
      const e = s.metrics.get(name);
      if (e !== undefined && e.flow === undefined) {
        e.value = value;
        e.lastUpdate = nowMs;
      } else this.put(s, name, { value, lastUpdate: nowMs });
    };
  }

  /** Stores the output of CounterDeriver.derive(). */
  ingest(d: { agent: string; dataSource: string; timeMs: number; values: Map<string, MetricValue> }): void {
    this.update(d.agent, d.dataSource, d.values, d.timeMs);
  }

  /**
   * A value computed from flows (a flow definition's value at a data source),
   * with the largest flows behind it; queries treat it like any other metric.
   */
  setFlowMetric(
    agent: string,
    dataSource: string,
    name: string,
    value: number,
    topKeys: readonly TopKey[] | undefined,
    nowMs: number,
  ): void {
    const s = this.touch(agent, dataSource, nowMs);
    const entry: MetricEntry = { value, lastUpdate: nowMs, flow: true };
    if (topKeys !== undefined) entry.topKeys = topKeys.map((k) => ({ key: k.key, value: k.value }));
    this.put(s, name, entry);
  }

  /**
   * Replaces every value of flow metric `name` with `rows` (e.g. the output of
   * FlowTable.topPerSource()); data sources missing from `rows` lose the metric.
   */
  replaceFlowMetric(
    name: string,
    rows: Iterable<{ agent: string; dataSource: string; value: number; topKeys?: readonly TopKey[] }>,
    nowMs: number,
  ): void {
    const seen = new Set<SourceMetrics>();
    for (const r of rows) {
      this.setFlowMetric(r.agent, r.dataSource, name, r.value, r.topKeys, nowMs);
      const s = this.source(r.agent, r.dataSource);
      if (s !== undefined) seen.add(s);
    }
    for (const s of this.lru.values()) {
      if (!seen.has(s) && s.metrics.get(name)?.flow === true) this.delete(s, name);
    }
  }

  /** Removes a metric everywhere (e.g. when its flow definition is deleted). */
  removeMetric(name: string): void {
    for (const s of [...this.lru.values()]) this.delete(s, name);
  }

  /** Removes an agent and all its data sources. */
  removeAgent(agent: string): void {
    const m = this.agents.get(agent);
    if (m === undefined) return;
    for (const s of [...m.values()]) this.dropSource(s);
  }

  source(agent: string, dataSource: string): SourceMetrics | undefined {
    return this.agents.get(agent)?.get(dataSource);
  }

  /** The data sources of an agent, or undefined for an unknown agent. */
  sourcesOf(agent: string): ReadonlyMap<string, SourceMetrics> | undefined {
    return this.agents.get(agent);
  }

  /** All data sources (live or not), least recently updated first. */
  allSources(): IterableIterator<SourceMetrics> {
    return this.lru.values();
  }

  agentNames(): IterableIterator<string> {
    return this.agents.keys();
  }

  /** Lifetime (ms) of a value of data source `s`. */
  ttl(s: SourceMetrics, entry: MetricEntry): number {
    if (this.intervalFactor > 0 && entry.flow !== true && s.intervalMs > 0) {
      return Math.max(this.minTtlMs, this.intervalFactor * s.intervalMs);
    }
    return this.ttlMs;
  }

  isLive(s: SourceMetrics, entry: MetricEntry, nowMs: number): boolean {
    return nowMs - entry.lastUpdate <= this.ttl(s, entry);
  }

  /** The live entry of a metric at a data source. */
  live(s: SourceMetrics, name: string, nowMs: number): MetricEntry | undefined {
    const e = s.metrics.get(name);
    return e !== undefined && this.isLive(s, e, nowMs) ? e : undefined;
  }

  value(agent: string, dataSource: string, name: string, nowMs: number): MetricEntry | undefined {
    const s = this.source(agent, dataSource);
    return s === undefined ? undefined : this.live(s, name, nowMs);
  }

  /** Removes expired values and data sources left empty; returns the values removed. */
  sweep(nowMs: number): number {
    let removed = 0;
    for (const s of [...this.lru.values()]) {
      for (const [name, e] of s.metrics) {
        if (!this.isLive(s, e, nowMs)) {
          s.metrics.delete(name);
          this.values--;
          removed++;
        }
      }
      if (s.metrics.size === 0) this.dropSource(s);
    }
    this.counts.expired += removed;
    return removed;
  }

  private touch(agent: string, dataSource: string, nowMs: number): SourceMetrics {
    let byDs = this.agents.get(agent);
    let s = byDs?.get(dataSource);
    if (s === undefined) {
      while (this.lru.size >= this.maxDataSources) {
        const oldest = this.lru.values().next().value as SourceMetrics;
        this.dropSource(oldest);
        this.counts.evictions++;
        byDs = this.agents.get(agent);
      }
      s = new SourceMetrics(agent, dataSource);
      if (byDs === undefined) {
        byDs = new Map();
        this.agents.set(agent, byDs);
      }
      byDs.set(dataSource, s);
    } else {
      this.lru.delete(s.key);
    }
    this.lru.set(s.key, s);
    if (nowMs > s.lastUpdate) s.lastUpdate = nowMs;
    return s;
  }

  private put(s: SourceMetrics, name: string, entry: MetricEntry): void {
    if (!s.metrics.has(name)) {
      if (s.metrics.size >= this.maxMetricsPerDataSource) {
        this.counts.rejected++;
        return;
      }
      this.values++;
    }
    s.metrics.set(name, entry);
  }

  private delete(s: SourceMetrics, name: string): void {
    if (s.metrics.delete(name)) this.values--;
    if (s.metrics.size === 0) this.dropSource(s);
  }

  private dropSource(s: SourceMetrics): void {
    if (this.lru.get(s.key) !== s) return;
    this.lru.delete(s.key);
    this.values -= s.metrics.size;
    const byDs = this.agents.get(s.agent);
    byDs?.delete(s.dataSource);
    if (byDs !== undefined && byDs.size === 0) this.agents.delete(s.agent);
  }
}
