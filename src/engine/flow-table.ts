/**
 * Active flows of one flow definition, per data source (agent + ifIndex).
 *
 * Entries live in a FlowStore (typed arrays, numeric hash of the key values;
 * see flow-store.ts): a sample costs its key reads, one hash probe and a few
 * multiply-adds, and builds the flow key text only when it starts a new flow.
 *
 * Rates are exponentially smoothed (rate.ts) with the decay folded into a
 * per-table epoch: a sample at time t adds x * e^((t - epoch) / T), and a read
 * at time now divides by e^((now - epoch) / T). That is the same value as
 * decaying each accumulator at every update, without an exp() per update. The
 * epoch moves forward (rescaling every entry) before the factor grows large.
 *
 * Each source keeps at most `capacity` entries. When it would grow past that
 * by a quarter, the smallest current rates are evicted in one batch, so
 * eviction costs O(log m) per insert amortised and a flood of random keys (a
 * DDoS with spoofed sources) cannot grow memory: the heavy hitters stay, the
 * rest churn.
 */
import { CODE_ABSENT } from './expr.js';
import type { AggMode, CompiledFlow, CompiledValue, SampleBasics } from './flow-def.js';
import { FlowStore } from './flow-store.js';
import { SourceRegistry } from './sources.js';

export interface FlowSample extends SampleBasics {
  agent: string;
  dataSource: string;
  samplingRate: number;
  /** The sample's source in the engine's SourceRegistry, when the view resolved it (else -1 or absent). */
  sourceId?: number;
}

/** Distinct values of a key seen within the smoothing window (bounded). */
class CountState {
  static readonly LIMIT = 4096;
  readonly seen = new Map<string, number>();
  add(key: string, nowMs: number, tau: number): void {
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

/** Where a value expression keeps its state in an entry's slots. */
interface ValueSlot {
  kind: CompiledValue<unknown>['kind'];
  /** First Float64 slot (sum: acc; avg: num, den; min/max: value, at + 1). */
  slot: number;
  /** Index into the entry's CountState list (count only). */
  countIndex: number;
}

/** Slots of the log bookkeeping, after the values' slots. */
const LOG_STARTED = 0;
const LOG_START = 1;
const LOG_LOGGED = 2;
const LOG_VALUE = 3;
const LOG_ENDED = 4;
const LOG_SLOTS = 5;

/** Move the epoch when the growth factor would pass e^40. */
const REBASE_TAUS = 40;

interface PerSource {
  head: number;
  count: number;
  lastMs: number;
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

export interface FlowTableOptions {
  capacityPerSource?: number;
  onLog?: (f: LoggedFlow) => void;
  /** The engine's sources, shared by its tables; a table of its own when absent. */
  sources?: SourceRegistry;
}

export class FlowTable<S extends FlowSample> {
  readonly capacity: number;
  private readonly tau: number;
  private readonly tauMs: number;
  private readonly store: FlowStore;
  private readonly registry: SourceRegistry;
  private readonly perSource: (PerSource | undefined)[] = [];
  private liveSources = 0;
  private readonly slots: ValueSlot[];
  private readonly logBase: number;
  private readonly countsPerEntry: number;
  private readonly counts: (CountState[] | undefined)[] = [];
  /** The current sample's key values, for the text of a new entry. */
  private readonly raw: (string | number)[];
  private epochMs = 0;
  private growAt = Number.NaN;
  private grow = 1;
  /** Read through getStats(), which fills in entries and sources. */
  private readonly stats: FlowTableStats = { entries: 0, sources: 0, evictions: 0, samples: 0, filtered: 0 };

  private readonly onLog: ((f: LoggedFlow) => void) | undefined;

  constructor(
    readonly flow: CompiledFlow<S>,
    options: FlowTableOptions = {},
  ) {
    this.tau = flow.def.t;
    this.tauMs = flow.def.t * 1000;
    this.onLog = flow.def.log ? options.onLog : undefined;
    // Track well beyond n so the top n are right under a heavy tail.
    this.capacity = options.capacityPerSource ?? Math.max(100, flow.def.n * 20);
    this.registry = options.sources ?? new SourceRegistry();
    let slot = 0;
    let countIndex = 0;
    this.slots = [flow.value, ...flow.values].map((v) => {
      const s: ValueSlot = { kind: v.kind, slot, countIndex: -1 };
      if (v.kind === 'count') s.countIndex = countIndex++;
      else slot += v.kind === 'sum' ? 1 : 2;
      return s;
    });
    this.countsPerEntry = countIndex;
    this.logBase = slot;
    const width = flow.keys.length;
    this.raw = new Array(width).fill('');
    this.store = new FlowStore(width, slot + (this.onLog !== undefined ? LOG_SLOTS : 0));
  }

  /** Data sources with flows. */
  get sourceCount(): number {
    return this.liveSources;
  }

  /** e^((now - epoch) / T), once per distinct time. */
  private growth(nowMs: number): number {
    if (nowMs !== this.growAt) {
      if (nowMs - this.epochMs > REBASE_TAUS * this.tauMs) this.rebase(nowMs);
      this.growAt = nowMs;
      this.grow = Math.exp((nowMs - this.epochMs) / this.tauMs);
    }
    return this.grow;
  }

  /** Moves the epoch to now, rescaling every smoothed sum. */
  private rebase(nowMs: number): void {
    const f = Math.exp(-(nowMs - this.epochMs) / this.tauMs);
    const st = this.store;
    const stride = st.stride;
    for (let e = 0; e < st.source.length; e++) {
      if (st.source[e] < 0) continue;
      for (const v of this.slots) {
        if (v.kind === 'sum') st.state[e * stride + v.slot] *= f;
        else if (v.kind === 'avg') {
          st.state[e * stride + v.slot] *= f;
          st.state[e * stride + v.slot + 1] *= f;
        }
      }
    }
    this.epochMs = nowMs;
    this.growAt = Number.NaN;
  }

  /** Adds one sample; returns false when the filter or a missing key excluded it. */
  add(s: S, nowMs: number): boolean {
    const f = this.flow;
    if (!f.filter(s)) {
      this.stats.filtered++;
      return false;
    }
    const st = this.store;
    st.begin();
    const keys = f.keys;
    const codes = f.codes;
    const raw = this.raw;
    let coded = false;
    for (let i = 0; i < keys.length; i++) {
      const code = codes[i];
      if (code !== undefined) {
        const c = code(s);
        if (c === CODE_ABSENT) return false;
        if (!Number.isNaN(c)) {
          st.setCode(i, c);
          raw[i] = '';
          coded = true;
          continue;
        }
      }
      const v = keys[i](s);
      // A sample without one of the keys does not belong to the flow (sFlow-RT; use null: to default).
      if (v === undefined || v === '') return false;
      if (typeof v === 'number') st.setNumber(i, v);
      else st.setString(i, v);
      raw[i] = v;
    }
    const x = f.value.read(s);
    if (x === undefined) return false;
    const sid =
      s.sourceId !== undefined && s.sourceId >= 0
        ? s.sourceId
        : this.registry.id(s.agent, s.dataSource, nowMs);
    let ps = this.perSource[sid];
    if (ps === undefined) {
      ps = { head: -1, count: 0, lastMs: nowMs };
      this.perSource[sid] = ps;
      this.liveSources++;
    }
    let e = st.find(sid);
    if (e < 0) {
      // Evict before inserting, so the new flow (no value yet) is not the one to go.
      if (ps.count >= this.capacity + (this.capacity >> 2)) this.evict(ps, nowMs);
      // Coded keys are read as text only now, for the new flow's key.
      if (coded) for (let i = 0; i < raw.length; i++) if (raw[i] === '') raw[i] = keys[i](s) ?? '';
      let text = '';
      for (let i = 0; i < raw.length; i++) text = i === 0 ? String(raw[i]) : text + f.def.fs + String(raw[i]);
      e = st.insert(sid, text, ps.head);
      ps.head = e;
      ps.count++;
      if (this.countsPerEntry > 0) {
        const list: CountState[] = [];
        for (let i = 0; i < this.countsPerEntry; i++) list.push(new CountState());
        this.counts[e] = list;
      }
    }
    const scale = s.samplingRate > 0 ? s.samplingRate : 1;
    const g = this.growth(nowMs);
    const base = e * st.stride;
    this.update(e, base, this.slots[0], x, scale, g, nowMs, f.value, s);
    for (let i = 0; i < f.values.length; i++) {
      const v = f.values[i];
      const y = v.read(s);
      if (y !== undefined) this.update(e, base, this.slots[i + 1], y, scale, g, nowMs, v, s);
    }
    if (this.onLog !== undefined) this.logSample(base + this.logBase, x * scale, nowMs, sid, e);
    st.lastMs[e] = nowMs;
    ps.lastMs = nowMs;
    this.stats.samples++;
    return true;
  }

  private update(
    e: number,
    base: number,
    v: ValueSlot,
    x: number,
    scale: number,
    g: number,
    nowMs: number,
    cv: CompiledValue<S>,
    s: S,
  ): void {
    const state = this.store.state;
    const at = base + v.slot;
    switch (v.kind) {
      case 'sum':
        state[at] += x * scale * g;
        return;
      case 'avg':
        state[at] += x * scale * g;
        state[at + 1] += scale * g;
        return;
      case 'min':
      case 'max': {
        const last = state[at + 1] - 1;
        const stale = state[at + 1] === 0 || nowMs - last > this.tauMs;
        if (stale || (v.kind === 'max' ? x >= state[at] : x <= state[at])) {
          state[at] = x;
          state[at + 1] = nowMs + 1;
        }
        return;
      }
      case 'count': {
        const k = cv.readKey?.(s);
        if (k === undefined || k === '') return;
        this.counts[e]?.[v.countIndex].add(String(k), nowMs, this.tau);
      }
    }
  }

  /** A value of an entry at `nowMs`, or undefined when it has none. */
  private read(e: number, v: ValueSlot, nowMs: number): number | undefined {
    const st = this.store;
    const at = e * st.stride + v.slot;
    switch (v.kind) {
      case 'sum':
        return st.state[at] / Math.exp((nowMs - this.epochMs) / this.tauMs) / this.tau;
      case 'avg':
        return st.state[at + 1] > 0 ? st.state[at] / st.state[at + 1] : undefined;
      case 'min':
      case 'max': {
        const stamp = st.state[at + 1];
        return stamp !== 0 && nowMs - (stamp - 1) <= this.tauMs * 3 ? st.state[at] : undefined;
      }
      case 'count':
        return this.counts[e]?.[v.countIndex].read(nowMs, this.tau);
    }
  }

  private value(e: number, nowMs: number): number | undefined {
    return this.read(e, this.slots[0], nowMs);
  }

  private logSample(at: number, value: number, nowMs: number, sid: number, e: number): void {
    const state = this.store.state;
    if (state[at + LOG_STARTED] === 0 || state[at + LOG_ENDED] === 1) {
      state[at + LOG_STARTED] = 1;
      state[at + LOG_START] = nowMs;
      state[at + LOG_LOGGED] = nowMs;
      state[at + LOG_VALUE] = value;
      state[at + LOG_ENDED] = 0;
      if (this.flow.def.flowStart) this.emit(sid, e, nowMs);
      return;
    }
    state[at + LOG_VALUE] += value;
  }

  private emit(sid: number, e: number, endMs: number): void {
    const at = e * this.store.stride + this.logBase;
    const state = this.store.state;
    this.onLog?.({
      name: this.flow.name,
      agent: this.registry.agentOf(sid),
      dataSource: this.registry.dataSourceOf(sid),
      flowKeys: this.store.text[e],
      value: state[at + LOG_VALUE],
      start: state[at + LOG_START],
      end: endMs,
    });
  }

  /** Logged flows end after this long without samples. */
  private get idleMs(): number {
    return Math.max(2000, this.tau * 2000);
  }

  private remove(ps: PerSource, e: number): number {
    const st = this.store;
    if (ps.head === e) ps.head = st.next[e];
    const after = st.remove(e);
    if (this.countsPerEntry > 0) this.counts[e] = undefined;
    ps.count--;
    return after;
  }

  /** Drops the smallest flows of a source back to its capacity (less one, for the flow being added). */
  private evict(ps: PerSource, nowMs: number): void {
    const ranked: { e: number; v: number }[] = [];
    for (let e = ps.head; e >= 0; e = this.store.next[e]) ranked.push({ e, v: this.value(e, nowMs) ?? 0 });
    ranked.sort((a, b) => a.v - b.v);
    const drop = ranked.length - this.capacity + 1;
    for (let i = 0; i < drop; i++) this.remove(ps, ranked[i].e);
    this.stats.evictions += drop;
  }

  /** Every data source with flows, with its id. */
  private *eachSource(): Generator<[number, PerSource]> {
    const list = this.perSource;
    for (let sid = 0; sid < list.length; sid++) {
      const ps = list[sid];
      if (ps !== undefined) yield [sid, ps];
    }
  }

  private dropSourceState(sid: number, ps: PerSource): void {
    for (let e = ps.head; e >= 0; ) e = this.remove(ps, e);
    this.perSource[sid] = undefined;
    this.liveSources--;
  }

  /** Forgets a source the registry no longer knows (normally already swept). */
  dropSource(sid: number): void {
    const ps = this.perSource[sid];
    if (ps !== undefined) this.dropSourceState(sid, ps);
  }

  /** Removes flows idle for `idleFactor` time constants, and empty sources. */
  sweep(nowMs: number, idleFactor = 10): void {
    if (this.onLog !== undefined && !this.flow.def.flowStart) this.logSweep(nowMs);
    const horizon = nowMs - this.tauMs * idleFactor;
    const st = this.store;
    for (const [sid, ps] of this.eachSource()) {
      if (ps.lastMs < horizon) {
        this.dropSourceState(sid, ps);
        continue;
      }
      for (let e = ps.head; e >= 0; ) e = st.lastMs[e] < horizon ? this.remove(ps, e) : st.next[e];
    }
  }

  /** Ends idle flows and reports long-lived ones every activeTimeout seconds. */
  private logSweep(nowMs: number): void {
    const active = this.flow.def.activeTimeout * 1000;
    const st = this.store;
    const state = st.state;
    for (const [sid, ps] of this.eachSource()) {
      for (let e = ps.head; e >= 0; e = st.next[e]) {
        const at = e * st.stride + this.logBase;
        if (state[at + LOG_ENDED] === 1 || state[at + LOG_STARTED] === 0) continue;
        if (nowMs - st.lastMs[e] >= this.idleMs) {
          this.emit(sid, e, st.lastMs[e]);
          state[at + LOG_ENDED] = 1;
        } else if (nowMs - state[at + LOG_LOGGED] >= active) {
          this.emit(sid, e, nowMs);
          state[at + LOG_START] = nowMs;
          state[at + LOG_LOGGED] = nowMs;
          state[at + LOG_VALUE] = 0;
        }
      }
    }
  }

  getStats(): FlowTableStats {
    this.stats.entries = this.store.count;
    this.stats.sources = this.liveSources;
    return this.stats;
  }

  /** The value of every flow at every selected source, before aggregation. */
  private *current(
    q: ActiveFlowsQuery,
    nowMs: number,
  ): Generator<{ agent: string; dataSource: string; entry: number; key: string; value: number }> {
    const st = this.store;
    for (const [sid, ps] of this.eachSource()) {
      const agent = this.registry.agentOf(sid);
      if (q.agents !== undefined && !q.agents.has(agent)) continue;
      const dataSource = this.registry.dataSourceOf(sid);
      for (let e = ps.head; e >= 0; e = st.next[e]) {
        const key = st.text[e];
        if (q.keyFilter !== undefined && !q.keyFilter(key)) continue;
        const value = this.value(e, nowMs);
        if (value === undefined) continue;
        yield { agent, dataSource, entry: e, key, value };
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
    const byKey = new Map<string, ActiveFlow & { entries: number[]; best: number }>();
    for (const { agent, dataSource, entry, key, value } of this.current(q, nowMs)) {
      if (mode === 'edge' || mode === 'core') {
        const core = q.isCore?.(agent, dataSource) ?? false;
        if (core !== (mode === 'core')) continue;
      }
      const id = mode === 'agent' ? `${agent}\u0000${key}` : key;
      const have = byKey.get(id);
      if (have === undefined) {
        byKey.set(id, { key, value, agent, dataSource, entries: [entry], best: value });
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
        have.agent = agent;
        have.dataSource = dataSource;
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

  private combinedValues(entries: number[], mode: AggMode, nowMs: number): (number | null)[] {
    const out: (number | null)[] = [];
    for (let i = 0; i < this.flow.values.length; i++) {
      const slot = this.slots[i + 1];
      const kind = slot.kind;
      let acc: number | null = null;
      for (const e of entries) {
        const v = this.read(e, slot, nowMs);
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
    for (const { agent, dataSource, entry, key, value } of this.current({}, nowMs)) {
      const o = { agent, dataSource, flowKey: key, value };
      if (this.flow.values.length > 0) yield { ...o, values: this.combinedValues([entry], 'max', nowMs) };
      else yield o;
    }
  }

  /** The current value of one flow at one data source, if it has one. */
  valueAt(agent: string, dataSource: string, key: string, nowMs: number): number | undefined {
    const sid = this.registry.find(agent, dataSource);
    const ps = sid === undefined ? undefined : this.perSource[sid];
    if (ps === undefined) return undefined;
    for (let e = ps.head; e >= 0; e = this.store.next[e]) {
      if (this.store.text[e] === key) return this.value(e, nowMs);
    }
    return undefined;
  }

  /** Per data source: its largest flow, as the value of the flow metric (sFlow-RT metric()). */
  topPerSource(
    nowMs: number,
    topKeys = 5,
  ): { agent: string; dataSource: string; value: number; topKeys: { key: string; value: number }[] }[] {
    const out = [];
    const st = this.store;
    for (const [sid, ps] of this.eachSource()) {
      const ranked: { key: string; value: number }[] = [];
      for (let e = ps.head; e >= 0; e = st.next[e]) {
        const v = this.value(e, nowMs);
        if (v !== undefined && v > 0) ranked.push({ key: st.text[e], value: v });
      }
      if (ranked.length === 0) continue;
      ranked.sort((a, b) => b.value - a.value);
      out.push({
        agent: this.registry.agentOf(sid),
        dataSource: this.registry.dataSourceOf(sid),
        value: ranked[0].value,
        topKeys: ranked.slice(0, topKeys),
      });
    }
    return out;
  }
}
