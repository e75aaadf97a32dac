/**
 * sFlow-RT metric queries over the metric store: the engine behind
 * `/metric/{agent}/{metric}/json`, `/table/...`, `/dump/...`, `/metrics/json`
 * and `/metric/{agent}/json`, and the `metric()`, `table()`, `dump()` script
 * functions.
 *
 * Agents: an explicit list (`10.0.0.1;10.0.0.2` or an array), `ALL`, or,
 * with a topology, `TOPOLOGY` (all ports of topology nodes), `EDGE` (ports
 * not on links: access ports) and `CORE` (ports on links: fabric links).
 *
 * Filters come from the query string (`os_name=linux&os_name=windows&cpu_num=2&host_name=*web.*`)
 * and test each data source's own metrics: values of one name are
 * alternatives (OR), different names must all match (AND), `*` matches any
 * run of characters, and a data source without the named metric does not
 * match. Values are compared as text (numbers as JavaScript prints them).
 *
 * Times in results are ages, as sFlow-RT reports them: `lastUpdate` is the
 * number of milliseconds since the value was updated.
 */
import {
  type Aggregation,
  aggregate,
  isAggregation,
  type Quartiles,
  quantile,
  quartiles,
} from './aggregate.js';
import type { MetricValue } from './catalog.js';
import type { MetricEntry, MetricStore, SourceMetrics, TopKey } from './store.js';

/** What the queries need to know about the network topology. */
export interface Topology {
  /** Agents of the topology's nodes. */
  agents(): Set<string>;
  /** Whether the port (agent, data source) is on a link between two nodes. */
  isCore(agent: string, dataSource: string): boolean;
  /** Whether the port belongs to a topology node but is on no link. */
  isEdge(agent: string, dataSource: string): boolean;
  /** Whether the port belongs to a topology node. */
  inTopology(agent: string, dataSource: string): boolean;
}

export class MetricQueryError extends Error {
  override name = 'MetricQueryError';
}

/** `ALL`, `TOPOLOGY`, `EDGE`, `CORE`, agents separated by `;` or `,`, or an array of those. */
export type AgentSelector = string | readonly string[];

/** Metric name → accepted value patterns. */
export type MetricFilter = ReadonlyMap<string, readonly string[]>;

export type FilterInput =
  | string
  | URLSearchParams
  | MetricFilter
  | Readonly<Record<string, string | readonly string[]>>
  | undefined;

/** One summary statistic (`metric()`), as sFlow-RT's Statistic object. */
export interface Statistic {
  /** Where the value was seen (max, min, any only). */
  agent?: string;
  dataSource?: string;
  metricName: string;
  /** Absent when no selected data source has the metric. */
  metricValue?: MetricValue;
  /** Values the statistic was computed from. */
  metricN: number;
  /** Age (ms) of the selected value (max, min, any), else of the newest value. */
  lastUpdate?: number;
  lastUpdateMin?: number;
  lastUpdateMax?: number;
  /** With `med:`. */
  quartiles?: Quartiles;
  /** For flow metrics: the flows behind the value (max, min, any: that data source's; sum: merged). */
  topKeys?: TopKey[];
}

/** One value (`table()` cells and `dump()` entries), as sFlow-RT's Metric object. */
export interface MetricCell {
  agent: string;
  dataSource: string;
  metricName: string;
  metricValue: MetricValue;
  /** Age (ms). */
  lastUpdate: number;
  topKeys?: TopKey[];
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Compares strings with runs of digits compared as numbers ("9" < "10", "10.0.0.9" < "10.0.0.10"). */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let si = i;
      while (si < a.length - 1 && a.charCodeAt(si) === 48 && isDigit(a.charCodeAt(si + 1))) si++;
      let sj = j;
      while (sj < b.length - 1 && b.charCodeAt(sj) === 48 && isDigit(b.charCodeAt(sj + 1))) sj++;
      let ei = si;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      let ej = sj;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      if (ei - si !== ej - sj) return ei - si - (ej - sj);
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
    } else {
      if (ca !== cb) return ca - cb;
      i++;
      j++;
    }
  }
  return a.length - i - (b.length - j);
}

/** Natural order of data sources: by agent, then data source ("2" before "10", "2.1" after "10"). */
export function compareSources(a: SourceMetrics, b: SourceMetrics): number {
  return naturalCompare(a.agent, b.agent) || naturalCompare(a.dataSource, b.dataSource);
}

/** Splits a path list (`a,b` or `a;b`) into its items. */
export function splitList(list: string | readonly string[]): string[] {
  const items = typeof list === 'string' ? [list] : list;
  return items
    .flatMap((s) => s.split(/[;,]/))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `[aggregation:]name`; the aggregation defaults to max. */
export function parseSpec(spec: string): { aggregation: Aggregation; name: string } {
  const i = spec.indexOf(':');
  if (i < 0) {
    if (spec === '') throw new MetricQueryError('empty metric name');
    return { aggregation: 'max', name: spec };
  }
  const agg = spec.slice(0, i);
  const name = spec.slice(i + 1);
  if (!isAggregation(agg)) throw new MetricQueryError(`unknown aggregation '${agg}' in '${spec}'`);
  if (name === '') throw new MetricQueryError(`empty metric name in '${spec}'`);
  return { aggregation: agg, name };
}

/** The filter of a query string, URLSearchParams, or object of value lists. */
export function parseFilter(input: FilterInput): MetricFilter {
  const out = new Map<string, string[]>();
  const add = (k: string, v: string): void => {
    if (k === '') return;
    const list = out.get(k);
    if (list === undefined) out.set(k, [v]);
    else list.push(v);
  };
  if (input === undefined) return out;
  if (typeof input === 'string') {
    for (const [k, v] of new URLSearchParams(input.startsWith('?') ? input.slice(1) : input)) add(k, v);
  } else if (input instanceof URLSearchParams) {
    for (const [k, v] of input) add(k, v);
  } else if (input instanceof Map) {
    for (const [k, vs] of input) for (const v of vs) add(k, v);
  } else {
    for (const [k, vs] of Object.entries(input as Readonly<Record<string, string | readonly string[]>>)) {
      for (const v of typeof vs === 'string' ? [vs] : vs) add(k, v);
    }
  }
  return out;
}

/** A `*` glob as an anchored regular expression; every other character is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

function valueText(v: MetricValue): string {
  return typeof v === 'number' ? String(v) : v;
}

type SelectorKind = 'ALL' | 'TOPOLOGY' | 'EDGE' | 'CORE';
const KEYWORDS: ReadonlySet<string> = new Set(['ALL', 'TOPOLOGY', 'EDGE', 'CORE']);

interface Candidate {
  s: SourceMetrics;
  e: MetricEntry;
  age: number;
}

export class MetricQuery {
  constructor(
    readonly store: MetricStore,
    readonly topology?: Topology,
  ) {}

  /** The data sources an agent selector and filter pick, in no particular order. */
  select(agents: AgentSelector, filter: FilterInput, nowMs: number): SourceMetrics[] {
    const items = splitList(agents);
    if (items.length === 0) throw new MetricQueryError('no agent given');
    const keyword = items.find((a) => KEYWORDS.has(a)) as SelectorKind | undefined;
    const tests = [...parseFilter(filter)].map(
      ([name, patterns]) => [name, patterns.map(globToRegExp)] as const,
    );
    const topo = this.topology;
    const out: SourceMetrics[] = [];
    const consider = (s: SourceMetrics): void => {
      if (keyword === 'TOPOLOGY' && topo?.inTopology(s.agent, s.dataSource) !== true) return;
      if (keyword === 'EDGE' && topo?.isEdge(s.agent, s.dataSource) !== true) return;
      if (keyword === 'CORE' && topo?.isCore(s.agent, s.dataSource) !== true) return;
      for (const [name, res] of tests) {
        const e = this.store.live(s, name, nowMs);
        if (e === undefined) return;
        const text = valueText(e.value);
        if (!res.some((re) => re.test(text))) return;
      }
      out.push(s);
    };
    if (keyword === 'ALL') {
      for (const s of this.store.allSources()) consider(s);
    } else {
      let agentNames: Iterable<string>;
      if (keyword === undefined) agentNames = new Set(items);
      else if (topo === undefined) agentNames = [];
      else agentNames = topo.agents();
      for (const a of agentNames) {
        const byDs = this.store.sourcesOf(a);
        if (byDs !== undefined) for (const s of byDs.values()) consider(s);
      }
    }
    return out;
  }

  /** Summary statistics across the selected data sources, one per spec, in order. */
  metric(
    agents: AgentSelector,
    specs: string | readonly string[],
    filter: FilterInput,
    nowMs: number,
  ): Statistic[] {
    const parsed = splitList(specs).map(parseSpec);
    const sources = this.select(agents, filter, nowMs);
    return parsed.map(({ aggregation, name }) => this.statistic(sources, aggregation, name, nowMs));
  }

  private statistic(sources: SourceMetrics[], agg: Aggregation, name: string, nowMs: number): Statistic {
    const numeric: Candidate[] = [];
    const texts: Candidate[] = [];
    for (const s of sources) {
      const e = this.store.live(s, name, nowMs);
      if (e === undefined) continue;
      const c = { s, e, age: Math.max(0, nowMs - e.lastUpdate) };
      if (typeof e.value === 'number') {
        if (!Number.isNaN(e.value)) numeric.push(c);
      } else texts.push(c);
    }
    const textOnly = numeric.length === 0 && (agg === 'max' || agg === 'min' || agg === 'any');
    const used = textOnly ? texts : numeric;
    const stat: Statistic = { metricName: name, metricN: used.length };
    if (used.length === 0) return stat;
    let newest = used[0].age;
    let oldest = used[0].age;
    for (const c of used) {
      if (c.age < newest) newest = c.age;
      if (c.age > oldest) oldest = c.age;
    }
    stat.lastUpdateMin = newest;
    stat.lastUpdateMax = oldest;

    if (agg === 'max' || agg === 'min' || agg === 'any') {
      const pick = used.reduce((best, c) => (better(agg, c, best) ? c : best));
      stat.agent = pick.s.agent;
      stat.dataSource = pick.s.dataSource;
      stat.metricValue = pick.e.value;
      stat.lastUpdate = pick.age;
      if (pick.e.topKeys !== undefined) stat.topKeys = pick.e.topKeys.map((k) => ({ ...k }));
      return stat;
    }

    const values = used.map((c) => c.e.value as number);
    stat.lastUpdate = newest;
    if (agg === 'med') {
      const sorted = [...values].sort((a, b) => a - b);
      stat.metricValue = quantile(sorted, 0.5);
      stat.quartiles = quartiles(sorted);
      return stat;
    }
    stat.metricValue = aggregate(agg, values);
    if (agg === 'sum') {
      const merged = mergeTopKeys(used.map((c) => c.e.topKeys));
      if (merged !== undefined) stat.topKeys = merged;
    }
    return stat;
  }

  /**
   * One row per selected data source that has every column not marked
   * `null:`; a missing `null:` column is a null cell. `sort:<metric>:<N>`
   * sorts by that column, descending for negative N (and when N is omitted),
   * ascending for positive N, and keeps |N| rows. Without a sort, rows are in
   * natural (agent, data source) order.
   */
  table(
    agents: AgentSelector,
    columns: string | readonly string[],
    filter: FilterInput,
    nowMs: number,
  ): (MetricCell | null)[][] {
    const cols = splitList(columns).map(parseColumn);
    if (cols.length === 0) throw new MetricQueryError('no column given');
    const sortAt = cols.findIndex((c) => c.sort !== undefined);
    const sources = this.select(agents, filter, nowMs).sort(compareSources);
    const rows: (MetricCell | null)[][] = [];
    for (const s of sources) {
      const row: (MetricCell | null)[] = [];
      let complete = true;
      for (const c of cols) {
        const e = this.store.live(s, c.name, nowMs);
        if (e !== undefined) row.push(cell(s, c.name, e, nowMs));
        else if (c.nullable) row.push(null);
        else {
          complete = false;
          break;
        }
      }
      if (complete) rows.push(row);
    }
    if (sortAt < 0) return rows;
    const n = cols[sortAt].sort as number;
    const sign = n > 0 ? 1 : -1;
    rows.sort((a, b) => {
      const x = a[sortAt];
      const y = b[sortAt];
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return sign * compareValues(x.metricValue, y.metricValue);
    });
    return n === 0 ? rows : rows.slice(0, Math.abs(n));
  }

  /** Every value of the named metrics (or `ALL`) at the selected data sources. */
  dump(
    agents: AgentSelector,
    names: string | readonly string[],
    filter: FilterInput,
    nowMs: number,
  ): MetricCell[] {
    const list = splitList(names);
    if (list.length === 0) throw new MetricQueryError('no metric given');
    const all = list.includes('ALL');
    const out: MetricCell[] = [];
    for (const s of this.select(agents, filter, nowMs).sort(compareSources)) {
      if (all) {
        for (const name of [...s.metrics.keys()].sort()) {
          const e = this.store.live(s, name, nowMs);
          if (e !== undefined) out.push(cell(s, name, e, nowMs));
        }
      } else {
        for (const name of list) {
          const e = this.store.live(s, name, nowMs);
          if (e !== undefined) out.push(cell(s, name, e, nowMs));
        }
      }
    }
    return out;
  }

  /** Every live metric name with the milliseconds since it was last updated anywhere (`/metrics/json`). */
  metricNames(nowMs: number): Record<string, number> {
    const ages = new Map<string, number>();
    for (const s of this.store.allSources()) {
      for (const [name, e] of s.metrics) {
        if (!this.store.isLive(s, e, nowMs)) continue;
        const age = Math.max(0, nowMs - e.lastUpdate);
        const prev = ages.get(name);
        if (prev === undefined || age < prev) ages.set(name, age);
      }
    }
    const out: Record<string, number> = {};
    for (const name of [...ages.keys()].sort()) out[name] = ages.get(name) as number;
    return out;
  }

  /**
   * The live values of one agent as `{"<data source>.<metric>": value}`
   * (`/metric/{agent}/json`); undefined when the agent has none.
   */
  agentMetrics(agent: string, nowMs: number): Record<string, MetricValue> | undefined {
    const byDs = this.store.sourcesOf(agent);
    if (byDs === undefined) return undefined;
    const out: Record<string, MetricValue> = {};
    let n = 0;
    for (const s of [...byDs.values()].sort(compareSources)) {
      for (const name of [...s.metrics.keys()].sort()) {
        const e = this.store.live(s, name, nowMs);
        if (e === undefined) continue;
        out[`${s.dataSource}.${name}`] = e.value;
        n++;
      }
    }
    return n === 0 ? undefined : out;
  }
}

interface Column {
  name: string;
  nullable: boolean;
  sort?: number;
}

function parseColumn(spec: string): Column {
  if (spec.startsWith('null:')) {
    const name = spec.slice(5);
    if (name === '') throw new MetricQueryError(`empty metric name in '${spec}'`);
    return { name, nullable: true };
  }
  if (spec.startsWith('sort:')) {
    const [, name, n] = spec.split(':');
    if (name === undefined || name === '') throw new MetricQueryError(`empty metric name in '${spec}'`);
    if (n === undefined || n === '') return { name, nullable: false, sort: -0 };
    if (!/^[-+]?\d+$/.test(n)) throw new MetricQueryError(`bad row count in '${spec}'`);
    return { name, nullable: false, sort: Number(n) };
  }
  if (spec.includes(':')) throw new MetricQueryError(`unknown column function in '${spec}'`);
  return { name: spec, nullable: false };
}

function cell(s: SourceMetrics, name: string, e: MetricEntry, nowMs: number): MetricCell {
  const c: MetricCell = {
    agent: s.agent,
    dataSource: s.dataSource,
    metricName: name,
    metricValue: e.value,
    lastUpdate: Math.max(0, nowMs - e.lastUpdate),
  };
  if (e.topKeys !== undefined) c.topKeys = e.topKeys.map((k) => ({ ...k }));
  return c;
}

/** Numbers before texts; numbers numerically, texts by code point. */
function compareValues(a: MetricValue, b: MetricValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `c` beats `best` for max, min or any; ties go to the natural first data source. */
function better(agg: 'max' | 'min' | 'any', c: Candidate, best: Candidate): boolean {
  let d: number;
  if (agg === 'any') d = best.age - c.age;
  else {
    const cmp = compareValues(c.e.value, best.e.value);
    d = agg === 'max' ? cmp : -cmp;
  }
  if (d !== 0) return d > 0;
  return compareSources(c.s, best.s) < 0;
}

/** The union of flow top keys, values summed per key, largest first. */
function mergeTopKeys(lists: (TopKey[] | undefined)[]): TopKey[] | undefined {
  const sums = new Map<string, number>();
  let keep = 0;
  for (const list of lists) {
    if (list === undefined) continue;
    keep = Math.max(keep, list.length);
    for (const k of list) sums.set(k.key, (sums.get(k.key) ?? 0) + k.value);
  }
  if (sums.size === 0) return undefined;
  return [...sums]
    .map(([key, value]) => ({ key, value }))
    .sort((a, b) => b.value - a.value || (a.key < b.key ? -1 : 1))
    .slice(0, Math.max(keep, 1));
}
