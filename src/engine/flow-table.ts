/**
 * Active flows of one flow definition, per data source (agent + ifIndex).
 *
 *   FlowTable
 *     sources: Map<"agent>ds", SourceFlows>
 *       flows: Map<flow key string, FlowEntry>   (bounded per source)
 *         value state [0] = the flow's value, [1..] = its `values`
 *
 * Each source keeps at most `capacity` entries. When it grows past that by a
 * quarter, the smallest current rates are evicted in one batch, so eviction
 * costs O(log m) per insert amortised and a flood of random keys (a DDoS with
 * spoofed sources) cannot grow memory: the heavy hitters stay, the rest churn.
 */
import type { AggMode, CompiledFlow, CompiledValue, SampleBasics } from './flow-def.js';
import { decay } from './rate.js';

export interface FlowSample extends SampleBasics {
  agent: string;
  dataSource: string;
  samplingRate: number;
}

/** State of one value expression of one flow. */
interface ValueState {
  add(x: number, scale: number, nowMs: number, tau: number): void;
  read(nowMs: number, tau: number): number | undefined;
}

class RateState implements ValueState {
  acc = 0;
  last = 0;
  add(x: number, scale: number, nowMs: number, tau: number): void {
    if (nowMs > this.last) {
      this.acc *= decay(nowMs - this.last, tau);
      this.last = nowMs;
    }
    this.acc += x * scale;
  }
  read(nowMs: number, tau: number): number {
    return (this.acc * decay(nowMs - this.last, tau)) / tau;
  }
}

/** Weighted mean over the smoothing window; weights are the samples' scale factors. */
class AvgState implements ValueState {
  num = 0;
  den = 0;
  last = 0;
  add(x: number, scale: number, nowMs: number, tau: number): void {
    if (nowMs > this.last) {
      const d = decay(nowMs - this.last, tau);
      this.num *= d;
      this.den *= d;
      this.last = nowMs;
    }
    this.num += x * scale;
    this.den += scale;
  }
  read(): number | undefined {
    return this.den > 0 ? this.num / this.den : undefined;
  }
}

/** Extreme value seen within the last smoothing window. */
class ExtremeState implements ValueState {
  value = 0;
  at = -1;
  constructor(private readonly max: boolean) {}
  add(x: number, _scale: number, nowMs: number, tau: number): void {
    const stale = this.at < 0 || nowMs - this.at > tau * 1000;
    if (stale || (this.max ? x >= this.value : x <= this.value)) {
      this.value = x;
      this.at = nowMs;
    }
  }
  read(nowMs: number, tau: number): number | undefined {
    return this.at >= 0 && nowMs - this.at <= tau * 3000 ? this.value : undefined;
  }
}

/** Distinct values of a key seen within the smoothing window (bounded). */
class CountState implements ValueState {
  static readonly LIMIT = 4096;
  readonly seen = new Map<string, number>();
  pending: string | undefined;
  add(_x: number, _scale: number, nowMs: number, tau: number): void {
    if (this.pending === undefined) return;
    const key = this.pending;
    this.pending = undefined;
    if (this.seen.has(key)) this.seen.delete(key); // re-insert: Map order is then least recently seen first
    this.seen.set(key, nowMs);
    if (this.seen.size > CountState.LIMIT) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    const horizon = nowMs - tau * 1000;
    for (const [k, t] of this.seen) {
      if (t >= horizon) break;
      this.seen.delete(k);
    }
  }
  read(nowMs: number, tau: number): number {
    const horizon = nowMs - tau * 1000;
    let n = 0;
    for (const t of this.seen.values()) if (t >= horizon) n++;
    return n;
  }
}

function newState<S>(v: CompiledValue<S>): ValueState {
  switch (v.kind) {
    case 'sum':
      return new RateState();
    case 'avg':
      return new AvgState();
    case 'min':
      return new ExtremeState(false);
    case 'max':
      return new ExtremeState(true);
    case 'count':
      return new CountState();
  }
}

export class FlowEntry {
  lastMs = 0;
  /** For logged flows: when the current flow record began, its total scaled value, and whether it ended. */
  startMs = -1;
  loggedMs = 0;
  logValue = 0;
  ended = false;
  constructor(
    readonly key: string,
    readonly states: ValueState[],
  ) {}
}

export class SourceFlows {
  readonly flows = new Map<string, FlowEntry>();
  lastMs = 0;
  constructor(
    readonly agent: string,
    readonly dataSource: string,
  ) {}
}

export interface ActiveFlow {
  key: string;
  value: number;
  values?: (number | null)[];
  agent: string;
  dataSource: string;
}

export interface ActiveFlowsQuery {
  /** Agents to include; undefined for all. */
  agents?: ReadonlySet<string>;
  maxFlows?: number;
  minValue?: number;
  aggMode?: AggMode;
  /** Keep only flows whose key this accepts. */
  keyFilter?: (key: string) => boolean;
  /** Whether (agent, dataSource) is a fabric (core) port; needed for edge and core modes. */
  isCore?: (agent: string, dataSource: string) => boolean;
}

/** A completed (or, with flowStart, started) flow, as /flows/json reports it. */
export interface LoggedFlow {
  name: string;
  agent: string;
  dataSource: string;
  flowKeys: string;
  value: number;
  start: number;
  end: number;
}

export interface FlowTableStats {
  entries: number;
  sources: number;
  evictions: number;
  samples: number;
  filtered: number;
}

export class FlowTable<S extends FlowSample> {
  readonly sources = new Map<string, SourceFlows>();
  readonly capacity: number;
  private readonly tau: number;
  private entries = 0;
  readonly stats: FlowTableStats = { entries: 0, sources: 0, evictions: 0, samples: 0, filtered: 0 };

  private readonly onLog: ((f: LoggedFlow) => void) | undefined;

  constructor(
    readonly flow: CompiledFlow<S>,
    options: { capacityPerSource?: number; onLog?: (f: LoggedFlow) => void } = {},
  ) {
    this.tau = flow.def.t;
    this.onLog = flow.def.log ? options.onLog : undefined;
    // Track well beyond n so the top n are right under a heavy tail.
    this.capacity = options.capacityPerSource ?? Math.max(100, flow.def.n * 20);
  }

  /** Adds one sample; returns false when the filter or a missing key excluded it. */
  add(s: S, nowMs: number): boolean {
    const f = this.flow;
    if (!f.filter(s)) {
      this.stats.filtered++;
      return false;
    }
    let key = '';
    const keys = f.keys;
    for (let i = 0; i < keys.length; i++) {
      const v = keys[i](s);
      // A sample without one of the keys does not belong to the flow (sFlow-RT; use null: to default).
      if (v === undefined || v === '') return false;
      key = i === 0 ? String(v) : key + f.def.fs + String(v);
    }
    const x = f.value.read(s);
    if (x === undefined) return false;
    const sourceId = `${s.agent}>${s.dataSource}`;
    let source = this.sources.get(sourceId);
    if (source === undefined) {
      source = new SourceFlows(s.agent, s.dataSource);
      this.sources.set(sourceId, source);
    }
    let entry = source.flows.get(key);
    if (entry === undefined) {
      entry = new FlowEntry(key, [newState(f.value), ...f.values.map(newState)]);
      source.flows.set(key, entry);
      this.entries++;
      if (source.flows.size > this.capacity + (this.capacity >> 2)) this.evict(source, nowMs);
    }
    const scale = s.samplingRate > 0 ? s.samplingRate : 1;
    this.update(entry.states[0], f.value, s, x, scale, nowMs);
    for (let i = 0; i < f.values.length; i++) {
      const v = f.values[i];
      const y = v.read(s);
      if (y !== undefined) this.update(entry.states[i + 1], v, s, y, scale, nowMs);
    }
    if (this.onLog !== undefined) this.logSample(source, entry, x * scale, nowMs);
    entry.lastMs = nowMs;
    source.lastMs = nowMs;
    this.stats.samples++;
    return true;
  }

  private logSample(source: SourceFlows, e: FlowEntry, value: number, nowMs: number): void {
    if (e.startMs < 0 || e.ended) {
      e.startMs = nowMs;
      e.loggedMs = nowMs;
      e.logValue = 0;
      e.ended = false;
      e.logValue += value;
      if (this.flow.def.flowStart) this.emit(source, e, nowMs);
      return;
    }
    e.logValue += value;
  }

  private emit(source: SourceFlows, e: FlowEntry, endMs: number): void {
    this.onLog?.({
      name: this.flow.name,
      agent: source.agent,
      dataSource: source.dataSource,
      flowKeys: e.key,
      value: e.logValue,
      start: e.startMs,
      end: endMs,
    });
  }

  /** Logged flows end after this long without samples. */
  private get idleMs(): number {
    return Math.max(2000, this.tau * 2000);
  }

  private update(
    state: ValueState,
    v: CompiledValue<S>,
    s: S,
    x: number,
    scale: number,
    nowMs: number,
  ): void {
    if (v.kind === 'count') {
      const k = v.readKey?.(s);
      if (k === undefined || k === '') return;
      (state as CountState).pending = String(k);
    }
    state.add(x, scale, nowMs, this.tau);
  }

  /** Drops the smallest flows of a source back to its capacity. */
  private evict(source: SourceFlows, nowMs: number): void {
    const ranked = [...source.flows.values()].map((e) => ({ e, v: e.states[0].read(nowMs, this.tau) ?? 0 }));
    ranked.sort((a, b) => a.v - b.v);
    const drop = ranked.length - this.capacity;
    for (let i = 0; i < drop; i++) source.flows.delete(ranked[i].e.key);
    this.entries -= drop;
    this.stats.evictions += drop;
  }

  /** Removes flows idle for `idleFactor` time constants, and empty sources. */
  sweep(nowMs: number, idleFactor = 10): void {
    if (this.onLog !== undefined && !this.flow.def.flowStart) this.logSweep(nowMs);
    const horizon = nowMs - this.tau * 1000 * idleFactor;
    for (const [id, source] of this.sources) {
      if (source.lastMs < horizon) {
        this.entries -= source.flows.size;
        this.sources.delete(id);
        continue;
      }
      for (const [k, e] of source.flows) {
        if (e.lastMs < horizon) {
          source.flows.delete(k);
          this.entries--;
        }
      }
    }
  }

  /** Ends idle flows and reports long-lived ones every activeTimeout seconds. */
  private logSweep(nowMs: number): void {
    const active = this.flow.def.activeTimeout * 1000;
    for (const source of this.sources.values()) {
      for (const e of source.flows.values()) {
        if (e.ended || e.startMs < 0) continue;
        if (nowMs - e.lastMs >= this.idleMs) {
          this.emit(source, e, e.lastMs);
          e.ended = true;
        } else if (nowMs - e.loggedMs >= active) {
          this.emit(source, e, nowMs);
          e.startMs = nowMs;
          e.loggedMs = nowMs;
          e.logValue = 0;
        }
      }
    }
  }

  getStats(): FlowTableStats {
    this.stats.entries = this.entries;
    this.stats.sources = this.sources.size;
    return this.stats;
  }

  /** The value of every flow at every selected source, before aggregation. */
  private *current(
    q: ActiveFlowsQuery,
    nowMs: number,
  ): Generator<{ source: SourceFlows; entry: FlowEntry; value: number }> {
    for (const source of this.sources.values()) {
      if (q.agents !== undefined && !q.agents.has(source.agent)) continue;
      for (const entry of source.flows.values()) {
        if (q.keyFilter !== undefined && !q.keyFilter(entry.key)) continue;
        const value = entry.states[0].read(nowMs, this.tau);
        if (value === undefined) continue;
        yield { source, entry, value };
      }
    }
  }

  /**
   * The top flows, de-duplicated across data sources: `max` keeps the largest
   * observation of each key (the same packets seen at several hops), `sum`
   * adds them, `edge` and `core` add only the observations at edge or fabric
   * ports, `agent` adds per agent and reports each agent separately.
   */
  activeFlows(q: ActiveFlowsQuery, nowMs: number): ActiveFlow[] {
    const mode = q.aggMode ?? this.flow.def.aggMode ?? 'max';
    const byKey = new Map<string, ActiveFlow & { entries: FlowEntry[]; best: number }>();
    for (const { source, entry, value } of this.current(q, nowMs)) {
      if (mode === 'edge' || mode === 'core') {
        const core = q.isCore?.(source.agent, source.dataSource) ?? false;
        if (core !== (mode === 'core')) continue;
      }
      const id = mode === 'agent' ? `${source.agent}\u0000${entry.key}` : entry.key;
      const have = byKey.get(id);
      if (have === undefined) {
        const first = { key: entry.key, value, agent: source.agent, dataSource: source.dataSource };
        byKey.set(id, { ...first, entries: [entry], best: value });
        continue;
      }
      if (mode === 'max') {
        if (value <= have.value) continue;
        have.value = value;
        have.entries = [entry];
      } else {
        have.value += value;
        have.entries.push(entry);
      }
      // Report the data source that saw the most of the flow.
      if (value > have.best) {
        have.best = value;
        have.agent = source.agent;
        have.dataSource = source.dataSource;
      }
    }
    const minValue = q.minValue ?? 0;
    const list = [...byKey.values()].filter((f) => f.value > minValue || (minValue === 0 && f.value > 0));
    list.sort((a, b) => b.value - a.value);
    const top = list.slice(0, q.maxFlows ?? 100);
    return top.map((f) => {
      const out: ActiveFlow = { key: f.key, value: f.value, agent: f.agent, dataSource: f.dataSource };
      if (this.flow.values.length > 0) out.values = this.combinedValues(f.entries, mode, nowMs);
      return out;
    });
  }

  private combinedValues(entries: FlowEntry[], mode: AggMode, nowMs: number): (number | null)[] {
    const out: (number | null)[] = [];
    for (let i = 0; i < this.flow.values.length; i++) {
      const kind = this.flow.values[i].kind;
      let acc: number | null = null;
      for (const e of entries) {
        const v = e.states[i + 1].read(nowMs, this.tau);
        if (v === undefined) continue;
        if (acc === null) acc = v;
        else if (kind === 'sum' && mode !== 'max') acc += v;
        else if (kind === 'min') acc = Math.min(acc, v);
        else acc = Math.max(acc, v);
      }
      out.push(acc);
    }
    return out;
  }

  /** Every flow at every data source with its current value (thresholds with byFlow). */
  *observations(nowMs: number): Generator<{
    agent: string;
    dataSource: string;
    flowKey: string;
    value: number;
    values?: (number | null)[];
  }> {
    for (const source of this.sources.values()) {
      for (const e of source.flows.values()) {
        const value = e.states[0].read(nowMs, this.tau);
        if (value === undefined) continue;
        const o = { agent: source.agent, dataSource: source.dataSource, flowKey: e.key, value };
        if (this.flow.values.length > 0) yield { ...o, values: this.combinedValues([e], 'max', nowMs) };
        else yield o;
      }
    }
  }

  /** Per data source: its largest flow, as the value of the flow metric (sFlow-RT metric()). */
  topPerSource(
    nowMs: number,
    topKeys = 5,
  ): { agent: string; dataSource: string; value: number; topKeys: { key: string; value: number }[] }[] {
    const out = [];
    for (const source of this.sources.values()) {
      const ranked: { key: string; value: number }[] = [];
      for (const e of source.flows.values()) {
        const v = e.states[0].read(nowMs, this.tau);
        if (v !== undefined && v > 0) ranked.push({ key: e.key, value: v });
      }
      if (ranked.length === 0) continue;
      ranked.sort((a, b) => b.value - a.value);
      out.push({
        agent: source.agent,
        dataSource: source.dataSource,
        value: ranked[0].value,
        topKeys: ranked.slice(0, topKeys),
      });
    }
    return out;
  }
}
