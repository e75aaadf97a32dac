/**
 * Prometheus text for scrapers that were pointed at sFlow-RT:
 *  - /prometheus/analyzer/txt: the analyzer's own totals;
 *  - /app/prometheus/scripts/export.js/flows/{agents}/txt: the flow exporter
 *    of sFlow-RT's prometheus app. A scrape describes a flow in its query
 *    string; the flow is defined on the first scrape and removed after five
 *    minutes without one.
 */
import type { AgentTracker } from '../engine/agents.js';
import type { Engine } from '../engine/engine.js';
import { AGG_MODES, type AggMode } from '../engine/flow-def.js';

/** Prefix of the flows the exporter defines; they are not persisted. */
export const EXPORTER_FLOW_PREFIX = 'prometheus_';
const IDLE_MS = 5 * 60 * 1000;
const SEP = '_SEP_';

export class ExporterError extends Error {
  override name = 'ExporterError';
}

export function metricName(text: string): string {
  const clean = text.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(clean) ? clean : `_${clean}`;
}

export function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function analyzerText(agents: AgentTracker, engine: Engine, prefix = 'sflow_'): string {
  const t = agents.totals();
  const mem = process.memoryUsage();
  const lines: [string, number][] = [
    ['analyzer_agents', t.agents],
    ['analyzer_datagrams_received', t.datagrams],
    ['analyzer_bytes_received', t.bytes],
    ['analyzer_flow_samples', t.flowSamples],
    ['analyzer_counter_samples', t.counterSamples],
    ['analyzer_discard_samples', t.discardSamples],
    ['analyzer_datagrams_lost', t.sequenceGaps],
    ['analyzer_datagrams_out_of_order', t.outOfOrder],
    ['analyzer_datagrams_duplicates', t.duplicates],
    ['analyzer_decode_errors', t.decodeErrors],
    ['analyzer_flows', engine.flowNames().length],
    ['analyzer_heap_used', mem.heapUsed],
    ['analyzer_rss', mem.rss],
  ];
  return `${lines.map(([n, v]) => `${prefix}${n} ${v}`).join('\n')}\n`;
}

interface ExportedFlow {
  name: string;
  lastScrape: number;
}

export class FlowExporter {
  private readonly flows = new Map<string, ExportedFlow>();
  private counter = 0;

  constructor(private readonly engine: Engine) {}

  /** Answers one scrape: `query` holds the repeated parameters of the URL. */
  scrape(agents: ReadonlySet<string> | undefined, query: Record<string, string[]>, nowMs: number): string {
    const one = (name: string): string | undefined => query[name]?.[query[name].length - 1];
    const keys = query.key ?? [];
    if (keys.length === 0) throw new ExporterError("at least one 'key' parameter is needed");
    const value = one('value') ?? 'bytes';
    const metric = metricName(one('metric') ?? `${keys.join('_')}_${value}`);
    const dropped = one('dropped') === 'true';
    const modeText = (one('aggMode') ?? (dropped ? 'sum' : 'max')).toLowerCase();
    if (!(AGG_MODES as readonly string[]).includes(modeText))
      throw new ExporterError(`aggMode must be one of ${AGG_MODES.join(', ')}`);
    const num = (name: string, fallback: number) => {
      const raw = one(name);
      if (raw === undefined) return fallback;
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new ExporterError(`'${name}' must be a number`);
      return n;
    };
    const filter = one('filter');
    const def: Record<string, unknown> = {
      keys: keys.join(','),
      value,
      n: num('n', 10),
      t: num('t', 15),
      fs: SEP,
      dropped,
      ...(filter !== undefined && filter !== '' ? { filter } : {}),
    };
    const id = JSON.stringify(def);
    let f = this.flows.get(id);
    if (f === undefined) {
      f = { name: `${EXPORTER_FLOW_PREFIX}${++this.counter}`, lastScrape: nowMs };
      // Throws DefinitionError (a 400) for a bad key, value or filter.
      this.engine.setFlow(f.name, def);
      this.flows.set(id, f);
    }
    f.lastScrape = nowMs;
    const labels = (query.label ?? []).map(metricName);
    const names = keys.map((k, i) => labels[i] ?? metricName(k));
    const scale = num('scale', 1);
    const flows =
      this.engine.activeFlows(
        f.name,
        {
          agents,
          maxFlows: num('maxFlows', 20),
          minValue: num('minValue', 0.1),
          aggMode: modeText as AggMode,
        },
        nowMs,
      ) ?? [];
    let out = '';
    for (const flow of flows) {
      const parts = flow.key.split(SEP);
      const labelText = names.map((n, i) => `${n}="${labelValue(parts[i] ?? '')}"`).join(',');
      out += `${metric}{${labelText}} ${flow.value * scale}\n`;
    }
    return out;
  }

  /** Removes exported flows nobody has scraped for five minutes. */
  sweep(nowMs: number): void {
    for (const [id, f] of this.flows) {
      if (nowMs - f.lastScrape > IDLE_MS) {
        this.engine.deleteFlow(f.name);
        this.flows.delete(id);
      }
    }
  }
}
