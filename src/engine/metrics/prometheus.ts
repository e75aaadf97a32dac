/**
 * Metrics in the Prometheus text exposition format, for
 * `/prometheus/metrics/{agent}/{metric}/txt` (`ALL/ALL` allowed):
 *
 *   # TYPE sflow_ifinoctets gauge
 *   sflow_ifinoctets{agent="10.0.0.1",datasource="3",host="leaf1",ifname="swp1"} 12345.6
 *
 * Numeric metrics only. Every series carries `agent` and `datasource`;
 * `host` is added when the agent reports a host_name on one of its data
 * sources, and `ifname` when the data source reports one. Names are the
 * prefix (default `sflow_`) and the metric name with every character outside
 * [a-zA-Z0-9_] replaced by `_`; the lines of one name are written together, so
 * the output is a valid exposition whether or not `# TYPE` lines are wanted.
 */
import type { AgentSelector, FilterInput, MetricQuery } from './query.js';
import { compareSources, splitList } from './query.js';

export interface PrometheusOptions {
  /** Default `sflow_` (sFlow-RT's prometheus.metric.prefix). */
  prefix?: string;
  /** Write `# TYPE <name> gauge` lines (sFlow-RT's prometheus.type). Default false. */
  type?: boolean;
}

/** A Prometheus metric name from a prefix and an sFlow-RT metric name. */
export function prometheusName(prefix: string, metric: string): string {
  const name = `${prefix}${metric}`.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/:/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** A label value with `\`, `"` and newlines escaped. */
export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

export function prometheusText(
  query: MetricQuery,
  agents: AgentSelector,
  metrics: string | readonly string[],
  filter: FilterInput,
  nowMs: number,
  options: PrometheusOptions = {},
): string {
  const prefix = options.prefix ?? 'sflow_';
  const store = query.store;
  const list = splitList(metrics);
  const all = list.includes('ALL');
  const sources = query.select(agents, filter, nowMs).sort(compareSources);

  const hostOf = new Map<string, string | undefined>();
  const host = (agent: string): string | undefined => {
    if (hostOf.has(agent)) return hostOf.get(agent);
    let h: string | undefined;
    const byDs = store.sourcesOf(agent);
    if (byDs !== undefined) {
      for (const s of [...byDs.values()].sort(compareSources)) {
        const e = store.live(s, 'host_name', nowMs);
        if (e !== undefined && typeof e.value === 'string') {
          h = e.value;
          break;
        }
      }
    }
    hostOf.set(agent, h);
    return h;
  };

  // Prometheus name → the metric it was made from and its lines. When two metric
  // names map to one Prometheus name, the first one seen keeps it.
  const families = new Map<string, { metric: string; lines: string[] }>();
  const order = all ? undefined : list.map((m) => prometheusName(prefix, m));
  const promName = new Map<string, string>();
  for (const s of sources) {
    const names = all ? [...s.metrics.keys()].sort() : list;
    let labels: string | undefined;
    for (const metric of names) {
      const e = store.live(s, metric, nowMs);
      if (e === undefined || typeof e.value !== 'number') continue;
      if (labels === undefined) {
        labels = `agent="${escapeLabelValue(s.agent)}",datasource="${escapeLabelValue(s.dataSource)}"`;
        const h = host(s.agent);
        if (h !== undefined) labels += `,host="${escapeLabelValue(h)}"`;
        const ifname = store.live(s, 'ifname', nowMs);
        if (ifname !== undefined && typeof ifname.value === 'string') {
          labels += `,ifname="${escapeLabelValue(ifname.value)}"`;
        }
      }
      let name = promName.get(metric);
      if (name === undefined) {
        name = prometheusName(prefix, metric);
        promName.set(metric, name);
      }
      let fam = families.get(name);
      if (fam === undefined) {
        fam = { metric, lines: [] };
        families.set(name, fam);
      } else if (fam.metric !== metric) continue;
      fam.lines.push(`${name}{${labels}} ${formatSampleValue(e.value)}`);
    }
  }

  const names = order === undefined ? [...families.keys()].sort() : [...new Set(order)];
  const out: string[] = [];
  for (const name of names) {
    const fam = families.get(name);
    if (fam === undefined) continue;
    if (options.type === true) out.push(`# TYPE ${name} gauge`);
    out.push(...fam.lines);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
