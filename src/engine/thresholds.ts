/**
 * Thresholds (sFlow-RT /threshold/{name}/json) on flows and counter metrics.
 *
 * A threshold fires one event when a value rises above it, then stays
 * triggered while the value remains above and for `timeout` seconds after it
 * last was; only then can the next crossing fire again. With `byFlow` every
 * flow key is tracked on its own, otherwise every data source.
 */
import type { EventLog } from './events.js';

export interface ThresholdDefinition {
  metric: string;
  value: number;
  byFlow: boolean;
  timeout: number;
  /** Only data sources whose attributes match: attribute -> accepted values (agent, dataSource, or metric names). */
  filter?: Record<string, string[]>;
}

export class ThresholdError extends Error {
  override name = 'ThresholdError';
}

const ATTRIBUTES = new Set(['metric', 'value', 'byFlow', 'timeout', 'filter']);

export function normalizeThreshold(input: unknown): ThresholdDefinition {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ThresholdError('a threshold must be a JSON object');
  }
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!ATTRIBUTES.has(k)) throw new ThresholdError(`unknown attribute '${k}'`);
  if (typeof o.metric !== 'string' || o.metric === '')
    throw new ThresholdError("'metric' must name a metric or a flow");
  const value = typeof o.value === 'string' ? Number(o.value) : o.value;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ThresholdError("'value' must be a number");
  const timeout = o.timeout === undefined ? 60 : Number(o.timeout);
  if (!Number.isFinite(timeout) || timeout < 0)
    throw new ThresholdError("'timeout' must be a number of seconds >= 0");
  const byFlow = o.byFlow === undefined ? false : o.byFlow === true || o.byFlow === 'true';
  if (
    o.byFlow !== undefined &&
    typeof o.byFlow !== 'boolean' &&
    o.byFlow !== 'true' &&
    o.byFlow !== 'false'
  ) {
    throw new ThresholdError("'byFlow' must be true or false");
  }
  const def: ThresholdDefinition = { metric: o.metric, value, byFlow, timeout };
  if (o.filter !== undefined && o.filter !== null) {
    if (typeof o.filter !== 'object' || Array.isArray(o.filter))
      throw new ThresholdError("'filter' must be an object of attribute: [values]");
    const filter: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(o.filter as Record<string, unknown>)) {
      const list = Array.isArray(v) ? v : [v];
      if (!list.every((x) => typeof x === 'string' || typeof x === 'number')) {
        throw new ThresholdError(`filter '${k}' must be a list of values`);
      }
      filter[k] = list.map(String);
    }
    def.filter = filter;
  }
  return def;
}

/** One observed value: a data source's metric, or one flow at one data source. */
export interface Observation {
  agent: string;
  dataSource: string;
  value: number;
  flowKey?: string;
  values?: (number | null)[];
}

/** Where thresholds read values from: flows by name, or counter metrics by name. */
export interface ObservationSource {
  /** Observations of a metric or flow; undefined when nothing has that name (yet). */
  observe(metric: string, byFlow: boolean, nowMs: number): Iterable<Observation> | undefined;
  /** A data source attribute for filters (agent and dataSource are handled here). */
  attribute?(agent: string, dataSource: string, name: string): string | undefined;
}

interface State {
  triggered: boolean;
  lastAboveMs: number;
}

class Armed {
  readonly states = new Map<string, State>();
  constructor(
    readonly name: string,
    readonly def: ThresholdDefinition,
  ) {}
}

export class Thresholds {
  private readonly armed = new Map<string, Armed>();

  constructor(
    private readonly events: EventLog,
    private readonly limit = 1000,
  ) {}

  set(name: string, input: unknown): ThresholdDefinition {
    const def = normalizeThreshold(input);
    if (!this.armed.has(name) && this.armed.size >= this.limit) {
      throw new ThresholdError(`at most ${this.limit} thresholds may be defined`);
    }
    this.armed.set(name, new Armed(name, def));
    return def;
  }

  delete(name: string): boolean {
    return this.armed.delete(name);
  }

  get(name: string): ThresholdDefinition | undefined {
    return this.armed.get(name)?.def;
  }

  all(): Record<string, ThresholdDefinition> {
    const out: Record<string, ThresholdDefinition> = {};
    for (const [name, a] of this.armed) out[name] = a.def;
    return out;
  }

  get size(): number {
    return this.armed.size;
  }

  /** Checks every threshold against current values; fires events for new crossings. */
  evaluate(source: ObservationSource, nowMs: number): void {
    for (const a of this.armed.values()) {
      const seen = source.observe(a.def.metric, a.def.byFlow, nowMs);
      if (seen === undefined) continue;
      for (const o of seen) {
        if (!this.accepts(a.def, source, o)) continue;
        const id = a.def.byFlow
          ? `${o.agent}>${o.dataSource}>${o.flowKey ?? ''}`
          : `${o.agent}>${o.dataSource}`;
        let st = a.states.get(id);
        if (o.value > a.def.value) {
          if (st === undefined) {
            st = { triggered: false, lastAboveMs: nowMs };
            a.states.set(id, st);
          }
          st.lastAboveMs = nowMs;
          if (!st.triggered) {
            st.triggered = true;
            const event = {
              thresholdID: a.name,
              metric: a.def.metric,
              agent: o.agent,
              dataSource: o.dataSource,
              value: o.value,
              threshold: a.def.value,
              timestamp: nowMs,
              ...(o.flowKey !== undefined ? { flowKey: o.flowKey } : {}),
              ...(o.values !== undefined ? { values: o.values } : {}),
            };
            this.events.add(event);
          }
        }
      }
      // Re-arm what has stayed below for `timeout` (states of silent flows included).
      for (const [id, st] of a.states) {
        if (st.lastAboveMs < nowMs && nowMs - st.lastAboveMs >= a.def.timeout * 1000) a.states.delete(id);
      }
    }
  }

  private accepts(def: ThresholdDefinition, source: ObservationSource, o: Observation): boolean {
    if (def.filter === undefined) return true;
    for (const [attr, values] of Object.entries(def.filter)) {
      let v: string | undefined;
      if (attr === 'agent') v = o.agent;
      else if (attr === 'dataSource' || attr === 'datasource') v = o.dataSource;
      else v = source.attribute?.(o.agent, o.dataSource, attr);
      if (v === undefined || !values.includes(v)) return false;
    }
    return true;
  }
}
