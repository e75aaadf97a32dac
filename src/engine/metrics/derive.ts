/**
 * Counter samples become metrics.
 *
 * Each decoded counters sample describes one data source of one agent. Its
 * records are turned into named metrics by the catalog (catalog.ts): gauges
 * and strings as sent, cumulative counters as rates per second between two
 * consecutive samples of the same (agent, data source).
 *
 * Rates need care:
 *  - the first sample of a data source gives no rate (there is nothing to subtract);
 *  - a 32-bit counter that goes down has wrapped when the wrapped difference is
 *    at most half the counter space; otherwise the counter was reset and that
 *    field gives no rate for the interval. A 64-bit field holding a value below
 *    2^32 is treated as a 32-bit counter (some agents fill 64-bit fields from
 *    32-bit hardware counters); above that a decrease is a wrap only when the
 *    wrapped difference is at most 2^63;
 *  - an agent restart (the sample sequence number goes back, or the datagram
 *    uptime does in a way a 2^32 ms wrap cannot explain) gives no rate for any
 *    field of the interval; the sample becomes the new baseline;
 *  - a repeated sequence number is a duplicate and is ignored;
 *  - "unknown" values (all ones in u32 and u64 fields, negative sFlow
 *    percentages, non-finite floats) produce no metric and clear the baseline.
 */

import type { FieldRecord, FieldValue } from '../../decode/sflow/struct.js';
import type { CountersSample, RtMetricSample } from '../../decode/sflow/types.js';
import {
  type DerivedMetric,
  FIELD_TYPES,
  type FieldMetric,
  MAPPING_BY_FORMAT,
  type MetricValue,
  type RecordMapping,
  VIR_PREFIX,
  VIRTUAL_MARKERS,
} from './catalog.js';

export interface CounterSampleInput {
  /** Agent address, as the datagram gives it. */
  agent: string;
  sample: CountersSample;
  /** Time the sample was received (ms); rates are computed over these times. */
  timeMs: number;
  /** The datagram's uptime (ms since the agent booted), used to detect restarts. */
  uptimeMs?: number;
}

export interface DerivedMetrics {
  agent: string;
  dataSource: string;
  timeMs: number;
  values: Map<string, MetricValue>;
}

/** Takes one derived metric. */
export type MetricSink = (name: string, value: MetricValue) => void;

export interface DeriverOptions {
  /** Most (agent, data source) baselines kept; the least recently updated are dropped. Default 262 144. */
  maxSources?: number;
  /** Samples further apart than this (ms) give no rate. Default 600 000 (10 minutes). */
  maxIntervalMs?: number;
}

export interface DeriverStats {
  samples: number;
  /** Baselines currently held. */
  sources: number;
  duplicates: number;
  restarts: number;
  /** Intervals longer than maxIntervalMs, or not positive. */
  gaps: number;
  wraps: number;
  /** Counters that went down without a plausible wrap. */
  discontinuities: number;
  /** Values reported as unknown (all ones, negative percentage, NaN). */
  unknown: number;
  /** Records with no usable fields (unknown formats, decode errors). */
  skippedRecords: number;
  evictions: number;
}

type Baseline = (number | bigint | undefined)[];

interface SourceState {
  seq: number;
  timeMs: number;
  uptimeMs: number | undefined;
  /** Counter values of the last sample: per record format, by field position in the catalog. */
  counters: Map<string, Baseline>;
}

const TWO_32 = 4294967296;
const U32_UNKNOWN = 0xffffffff;
const U64_UNKNOWN = 0xffffffffffffffffn;
/** Elements of an array field turned into metrics, at most. */
export const MAX_ARRAY_METRICS = 64;

/** sFlow-RT's data source name: the ifIndex for source type 0, else `type.index`. */
export function dataSourceName(sourceIdType: number, sourceIdIndex: number): string {
  return sourceIdType === 0 ? String(sourceIdIndex) : `${sourceIdType}.${sourceIdIndex}`;
}

/**
 * The increase of a counter from `prev` to `cur` for a counter of `bits`
 * bits, or -1 when it went down without a plausible wrap.
 */
function rawDelta(prev: number | bigint, cur: number | bigint, bits: 32 | 64): number {
  if (typeof prev === 'number' && typeof cur === 'number') {
    if (cur >= prev) return cur - prev;
    if (bits === 32 || prev < TWO_32) {
      const d = cur + TWO_32 - prev;
      return d <= TWO_32 / 2 ? d : -1;
    }
  }
  const p = BigInt(prev);
  const c = BigInt(cur);
  if (c >= p) return Number(c - p);
  if (bits === 32 || p < 0x100000000n) {
    const d = c + 0x100000000n - p;
    return d <= 0x80000000n ? Number(d) : -1;
  }
  const d = c + 0x10000000000000000n - p;
  return d <= 0x8000000000000000n ? Number(d) : -1;
}

/**
 * The increase of a counter from `prev` to `cur` for a counter of `bits`
 * bits, or undefined when it went down without a plausible wrap. `wrapped`
 * tells whether the counter wrapped.
 */
export function counterDelta(
  prev: number | bigint,
  cur: number | bigint,
  bits: 32 | 64,
): { delta: number; wrapped: boolean } | undefined {
  const delta = rawDelta(prev, cur, bits);
  return delta < 0 ? undefined : { delta, wrapped: cur < prev };
}

/** Whether a raw field value is the protocol's "unknown" marker for its type. */
export function isUnknown(v: FieldValue, type: string | undefined): boolean {
  if (typeof v === 'bigint') return v === U64_UNKNOWN;
  if (typeof v !== 'number') return false;
  if (type === 'u32') return v === U32_UNKNOWN;
  return !Number.isFinite(v);
}

function toNumber(v: FieldValue): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

interface CompiledField {
  fm: FieldMetric;
  /** Wire type of the field ('u32', 'u64', ...). */
  type: string | undefined;
  /** Position of the field's baseline in its record's Baseline. */
  index: number;
  /** Slot of the field's metric among the record's names. */
  slot: number;
  bits: 32 | 64;
}

interface CompiledMapping {
  mapping: RecordMapping;
  fields: CompiledField[];
  /** Every metric name the record can give (fields, then derived), each once: a record's values go in these slots. */
  names: string[];
  slotOf: ReadonlyMap<string, number>;
  /** Per slot: computed for derived metrics but not reported. */
  hiddenSlot: boolean[];
  derived: { slot: number; compute: DerivedMetric['compute'] }[];
  hidden: ReadonlySet<string>;
}

/** The catalog with field types, baseline positions and metric slots resolved once. */
const COMPILED: ReadonlyMap<string, CompiledMapping> = new Map(
  [...MAPPING_BY_FORMAT].map(([format, mapping]) => {
    const slotOf = new Map<string, number>();
    const names: string[] = [];
    const slot = (name: string) => {
      let i = slotOf.get(name);
      if (i === undefined) {
        i = names.length;
        names.push(name);
        slotOf.set(name, i);
      }
      return i;
    };
    const fields = mapping.fields.map((fm, index): CompiledField => {
      const type = FIELD_TYPES.get(`${format}/${fm.field}`);
      return { fm, type, index, slot: slot(fm.metric), bits: type === 'u64' ? 64 : 32 };
    });
    const derived = (mapping.derived ?? []).map((d) => ({ slot: slot(d.metric), compute: d.compute }));
    const hidden = new Set(mapping.fields.filter((f) => f.hidden === true).map((f) => f.metric));
    const hiddenSlot = names.map((n) => hidden.has(n));
    return [format, { mapping, fields, names, slotOf, hiddenSlot, derived, hidden }];
  }),
);

/** Per-record working state. */
interface Pass {
  prev: Baseline | undefined;
  next: Baseline;
  /** Seconds since the previous sample, when rates can be computed. */
  seconds: number | undefined;
}

export class CounterDeriver {
  private readonly state = new Map<string, SourceState>();
  private readonly maxSources: number;
  private readonly maxIntervalMs: number;
  /** Metrics of the record being derived, by its mapping's slots (before any vir_ prefix); reused. */
  private readonly slots: (MetricValue | undefined)[] = [];
  /** Metrics of array fields, whose names depend on the data (`<metric>_<i>`). */
  private readonly arrayMetrics = new Map<string, MetricValue>();
  private current: CompiledMapping | undefined;
  /** Numeric lookup of the record's metrics by name, for derived metrics. */
  private readonly get = (name: string): number | undefined => {
    const i = this.current?.slotOf.get(name);
    const v = i === undefined ? this.arrayMetrics.get(name) : this.slots[i];
    return typeof v === 'number' ? v : undefined;
  };
  private readonly counters: DeriverStats = {
    samples: 0,
    sources: 0,
    duplicates: 0,
    restarts: 0,
    gaps: 0,
    wraps: 0,
    discontinuities: 0,
    unknown: 0,
    skippedRecords: 0,
    evictions: 0,
  };

  constructor(options: DeriverOptions = {}) {
    this.maxSources = Math.max(1, options.maxSources ?? 262144);
    this.maxIntervalMs = options.maxIntervalMs ?? 600000;
  }

  get stats(): Readonly<DeriverStats> {
    this.counters.sources = this.state.size;
    return this.counters;
  }

  /** Metrics of one counters sample; undefined for a duplicate. */
  derive(input: CounterSampleInput): DerivedMetrics | undefined {
    const values = new Map<string, MetricValue>();
    const dataSource = this.deriveTo(input, () => (name, v) => values.set(name, v));
    return dataSource === undefined
      ? undefined
      : { agent: input.agent, dataSource, timeMs: input.timeMs, values };
  }

  /**
   * The same as derive(), handing each metric to the sink that `open` returns for
   * the sample's data source (opened once, after the duplicate check) instead of
   * collecting them: the store takes them without an intermediate Map. Returns
   * the data source, or undefined for a duplicate.
   */
  deriveTo(input: CounterSampleInput, open: (dataSource: string) => MetricSink): string | undefined {
    const { agent, sample, timeMs } = input;
    const dataSource = dataSourceName(sample.sourceIdType, sample.sourceIdIndex);
    const key = `${agent}>${dataSource}`;
    const prev = this.state.get(key);
    const seq = sample.sequence >>> 0;
    let seconds: number | undefined;
    if (prev !== undefined) {
      if (seq === prev.seq) {
        this.counters.duplicates++;
        return undefined;
      }
      seconds = this.interval(prev, seq, timeMs, input.uptimeMs);
    }
    this.counters.samples++;

    const emit = open(dataSource);
    const virtual = sample.records.some((r) => VIRTUAL_MARKERS.has(r.format));
    const baselines = new Map<string, Baseline>();
    const pass: Pass = { prev: undefined, next: [], seconds };
    for (const rec of sample.records) {
      const compiled = COMPILED.get(rec.format);
      if (compiled === undefined || !('name' in rec) || 'error' in rec) {
        this.counters.skippedRecords++;
        continue;
      }
      pass.prev = prev?.counters.get(rec.format);
      pass.next = [];
      baselines.set(rec.format, pass.next);
      this.deriveRecord(compiled, rec as FieldRecord, pass);
      const prefix = virtual && compiled.mapping.virtualizable === true ? VIR_PREFIX : '';
      const slots = this.slots;
      for (let i = 0; i < compiled.names.length; i++) {
        const v = slots[i];
        if (v !== undefined && !compiled.hiddenSlot[i]) emit(prefix + compiled.names[i], v);
      }
      for (const [name, v] of this.arrayMetrics) if (!compiled.hidden.has(name)) emit(prefix + name, v);
    }

    this.remember(key, { seq, timeMs, uptimeMs: input.uptimeMs, counters: baselines });
    return dataSource;
  }

  /**
   * Metrics of an InMon rtmetric sample (custom metrics sent through hsflowd):
   * names as sent, counter32/counter64 as rates per second.
   */
  deriveRtMetric(agent: string, sample: RtMetricSample, timeMs: number): DerivedMetrics {
    const key = `${agent}>rt:${sample.datasource}`;
    const prev = this.state.get(key);
    let seconds: number | undefined;
    if (prev !== undefined) {
      const dt = timeMs - prev.timeMs;
      if (dt > 0 && dt <= this.maxIntervalMs) seconds = dt / 1000;
      else this.counters.gaps++;
    }
    this.counters.samples++;
    const values = new Map<string, MetricValue>();
    // Each counter's baseline under its own name.
    const next = new Map<string, Baseline>();
    for (const m of sample.metrics) {
      if (m.name === '') continue;
      if (m.type === 0) {
        if (typeof m.value === 'string' && m.value !== '') values.set(m.name, m.value);
        continue;
      }
      if (m.type === 1 || m.type === 2) {
        const cur = m.value;
        if (typeof cur === 'string') continue;
        next.set(m.name, [cur]);
        const before = prev?.counters.get(m.name)?.[0];
        if (seconds === undefined || before === undefined) continue;
        const d = rawDelta(before, cur, m.type === 1 ? 32 : 64);
        if (d < 0) {
          this.counters.discontinuities++;
          continue;
        }
        if (cur < before) this.counters.wraps++;
        values.set(m.name, d / seconds);
        continue;
      }
      const v = toNumber(m.value);
      if (v !== undefined) values.set(m.name, v);
    }
    this.remember(key, { seq: 0, timeMs, uptimeMs: undefined, counters: next });
    return { agent, dataSource: sample.datasource, timeMs, values };
  }

  /** Drops the baselines of an agent (e.g. when it is forgotten). */
  forgetAgent(agent: string): void {
    for (const key of [...this.state.keys()]) if (key.startsWith(`${agent}>`)) this.state.delete(key);
  }

  /** Seconds between two samples of a source, or undefined when no rate may be computed. */
  private interval(
    prev: SourceState,
    seq: number,
    timeMs: number,
    uptimeMs: number | undefined,
  ): number | undefined {
    const dt = timeMs - prev.timeMs;
    const seqWentBack = (seq - prev.seq) >>> 0 >= 0x80000000;
    let uptimeWentBack = false;
    if (uptimeMs !== undefined && prev.uptimeMs !== undefined && uptimeMs < prev.uptimeMs) {
      // A 2^32 ms (49.7 day) wrap advances agent time by about the collector's dt.
      const wrappedBy = uptimeMs + TWO_32 - prev.uptimeMs;
      uptimeWentBack = wrappedBy > Math.max(dt, 0) + 60000;
    }
    if (seqWentBack || uptimeWentBack) {
      this.counters.restarts++;
      return undefined;
    }
    if (dt <= 0 || dt > this.maxIntervalMs) {
      this.counters.gaps++;
      return undefined;
    }
    return dt / 1000;
  }

  private remember(key: string, s: SourceState): void {
    // Re-insert so the Map's order is least recently updated first.
    this.state.delete(key);
    this.state.set(key, s);
    while (this.state.size > this.maxSources) {
      const oldest = this.state.keys().next().value as string;
      this.state.delete(oldest);
      this.counters.evictions++;
    }
  }

  /** Fills `slots` (and `arrayMetrics`) with the metrics of one record. */
  private deriveRecord(compiled: CompiledMapping, rec: FieldRecord, pass: Pass): void {
    this.current = compiled;
    const slots = this.slots;
    slots.length = 0;
    for (let i = 0; i < compiled.names.length; i++) slots.push(undefined);
    if (this.arrayMetrics.size > 0) this.arrayMetrics.clear();
    for (const cf of compiled.fields) {
      const raw = rec[cf.fm.field];
      if (raw === undefined) continue;
      if (cf.fm.array === true) {
        this.deriveArray(cf.fm, raw);
        continue;
      }
      if (isUnknown(raw, cf.type)) {
        this.counters.unknown++;
        continue;
      }
      const v = this.fieldValue(cf, raw, pass);
      if (v !== undefined) slots[cf.slot] = v;
    }
    for (const d of compiled.derived) {
      const v = d.compute(this.get);
      if (v !== undefined && Number.isFinite(v)) slots[d.slot] = v;
    }
  }

  private fieldValue(cf: CompiledField, raw: FieldValue, pass: Pass): MetricValue | undefined {
    const fm = cf.fm;
    switch (fm.kind) {
      case 'string': {
        const v =
          fm.transform !== undefined ? fm.transform(raw) : typeof raw === 'string' ? raw : asText(raw);
        return v === '' ? undefined : v;
      }
      case 'gauge':
        return fm.transform !== undefined ? fm.transform(raw) : toNumber(raw);
      case 'percent100': {
        const n = toNumber(raw);
        if (n === undefined || n < 0) {
          this.counters.unknown++;
          return undefined;
        }
        return n / 100;
      }
      case 'counter': {
        if (typeof raw !== 'number' && typeof raw !== 'bigint') return undefined;
        pass.next[cf.index] = raw;
        const before = pass.prev?.[cf.index];
        if (pass.seconds === undefined || before === undefined) return undefined;
        const d = rawDelta(before, raw, cf.bits);
        if (d < 0) {
          this.counters.discontinuities++;
          return undefined;
        }
        if (raw < before) this.counters.wraps++;
        return d / pass.seconds;
      }
    }
  }

  /** Array fields: numbers as `<metric>_<i>`, structures as `<metric>_<i>_<subfield>`. */
  private deriveArray(fm: FieldMetric, raw: FieldValue): void {
    const out = this.arrayMetrics;
    if (!Array.isArray(raw)) return;
    const n = Math.min(raw.length, MAX_ARRAY_METRICS);
    for (let i = 0; i < n; i++) {
      const item = raw[i];
      if (typeof item === 'number') {
        const v = fm.kind === 'percent100' ? (item < 0 ? undefined : item / 100) : item;
        if (v === undefined || item === U32_UNKNOWN) this.counters.unknown++;
        else out.set(`${fm.metric}_${i}`, v);
      } else if (typeof item === 'string') {
        // A list of texts (MAC addresses): one metric.
        out.set(fm.metric, (raw as string[]).slice(0, n).join(','));
        return;
      } else {
        const idx = typeof item.index === 'number' ? item.index : i;
        for (const [k, v] of Object.entries(item)) {
          if (k === 'index' || v === undefined) continue;
          const name = `${fm.metric}_${idx}_${k.toLowerCase()}`;
          if (typeof v === 'number') {
            if (v === U32_UNKNOWN) this.counters.unknown++;
            else out.set(name, v);
          } else if (typeof v === 'bigint') {
            if (v !== U64_UNKNOWN) out.set(name, Number(v));
          } else if (typeof v === 'string') {
            if (v !== '') out.set(name, v);
          } else if (Array.isArray(v) && v.length > 0) {
            out.set(name, v.slice(0, MAX_ARRAY_METRICS).map(String).join(','));
          }
        }
      }
    }
  }
}

function asText(v: FieldValue): MetricValue | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}
