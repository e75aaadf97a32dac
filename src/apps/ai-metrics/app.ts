/**
 * flowlens's counterpart of sFlow-RT's ai-metrics app (sflow-rt-reference.md
 * §3): performance metrics of AI/ML RoCEv2 fabrics computed from the
 * engine's own flows, metrics and thresholds.
 *
 * At start the app defines its flows (flows.ts). Every second it reads them
 * (and the interface counters) into one set of points (§3.2), keeps the
 * last 300 in a trend, and feeds the period detector (period.ts), whose
 * threshold it evaluates every ai.threshold.interval. Its REST paths are
 * sFlow-RT's (routes.ts).
 *
 * EDGE, CORE and TOPOLOGY come from the topology (PUT /topology/json), as in
 * sFlow-RT, which needs one for this app. Without a topology flowlens falls
 * back to treating every port as an edge port: EDGE and TOPOLOGY then mean
 * all data sources, and CORE none.
 */
import type { Engine } from '../../engine/engine.js';
import type { ActiveFlow } from '../../engine/flow-table.js';
import type { Quartiles } from '../../engine/metrics/aggregate.js';
import type { MetricQuery } from '../../engine/metrics/index.js';
import { aiFlows } from './flows.js';
import { FAST_FLOW, PeriodDetector, type PeriodStatus } from './period.js';
import { type AiSettings, resolveSettings } from './settings.js';
import { Trend } from './trend.js';

/** The numeric points, in the order they are exported (all Prometheus gauges). */
export const NUMERIC_POINTS = [
  'bps',
  'rdma_ops',
  'rdma_bytes',
  'aeth_credits_avg',
  'aeth_credits_min',
  'aeth_credits_max',
  'core_min_bps',
  'core_q1_bps',
  'core_med_bps',
  'core_q3_bps',
  'core_max_bps',
  'edge_min_bps',
  'edge_q1_bps',
  'edge_med_bps',
  'edge_q3_bps',
  'edge_max_bps',
  'discards_in',
  'errors_in',
  'discards_out',
  'errors_out',
  'ecn_pps',
  'cnp_pps',
  'trim_pps',
  'period',
] as const;

export type NumericPoint = (typeof NUMERIC_POINTS)[number];

/** The labelled families: top-5 maps, and the label their keys go in. */
export const FAMILY_POINTS = { operations: 'name', drops: 'reason' } as const;

export type FamilyPoint = keyof typeof FAMILY_POINTS;

export type AiPoints = Record<NumericPoint, number> & Record<FamilyPoint, Record<string, number>>;

export interface AiMetricsDeps {
  engine: Engine;
  metrics: MetricQuery;
  now?: () => number;
}

/** Flows read through the metric store (metric('EDGE','sum:ai_bytes') and friends). */
const METRIC_FLOWS = ['ai_bytes', 'ai_ecn', 'ai_cnp', 'ai_trim'];

function emptyPoints(): AiPoints {
  const p = { operations: {}, drops: {} } as unknown as AiPoints;
  for (const n of NUMERIC_POINTS) p[n] = 0;
  return p;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The link load histogram (min, quartiles, max) of edge or core ports, bytes/s to bits/s. */
function setLinkLoad(p: AiPoints, ports: 'edge' | 'core', q: Quartiles | undefined): void {
  if (q === undefined) return;
  p[`${ports}_min_bps`] = q.min * 8;
  p[`${ports}_q1_bps`] = q.q1 * 8;
  p[`${ports}_med_bps`] = q.med * 8;
  p[`${ports}_q3_bps`] = q.q3 * 8;
  p[`${ports}_max_bps`] = q.max * 8;
}

export class AiMetricsApp {
  /** Where sFlow-RT serves the app's script handler. */
  static readonly PATH = '/app/ai-metrics/scripts/metrics.js';

  readonly settings: AiSettings;
  readonly detector: PeriodDetector;
  readonly trend = new Trend(300, 1);
  private current: AiPoints = emptyPoints();
  private lastTick = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private defined: string[] = [];
  readonly now: () => number;

  /** `options` override the defaults of settings.ts (sFlow-RT property names); throws AiSettingsError. */
  constructor(
    private readonly deps: AiMetricsDeps,
    options: Readonly<Partial<Record<keyof AiSettings, unknown>>> = {},
  ) {
    this.settings = resolveSettings(options);
    this.now = deps.now ?? (() => Date.now());
    this.detector = new PeriodDetector(this.settings, (now) => this.edgeTotal(FAST_FLOW, now));
  }

  /**
   * Defines the app's flows and, unless `timers` is false (tests drive
   * `evaluate` and `tick` with simulated time), starts the app's timers.
   * Returns a message for every flow the engine refused.
   */
  start(options: { timers?: boolean } = {}): string[] {
    const problems: string[] = [];
    this.defined = [];
    for (const [name, def] of Object.entries(aiFlows(this.settings))) {
      try {
        this.deps.engine.setFlow(name, def);
        this.defined.push(name);
      } catch (err) {
        problems.push(`ai-metrics flow '${name}': ${(err as Error).message}`);
      }
    }
    if (options.timers !== false) {
      const fast = setInterval(
        () => this.evaluate(this.now()),
        this.settings['ai.threshold.interval'] * 1000,
      );
      const slow = setInterval(() => this.tick(this.now()), 1000);
      fast.unref();
      slow.unref();
      this.timers.push(fast, slow);
    }
    return problems;
  }

  /** Stops the timers and removes the app's flows. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const name of this.defined) this.deps.engine.deleteFlow(name);
    this.defined = [];
  }

  /** The period threshold's check (every ai.threshold.interval). */
  evaluate(nowMs: number): void {
    this.detector.evaluate(nowMs);
  }

  /** Computes every point, adds them to the trend and feeds the load baseline (every second). */
  tick(nowMs: number): AiPoints {
    const { engine, metrics } = this.deps;
    for (const name of METRIC_FLOWS) {
      const t = engine.table(name);
      if (t !== undefined) metrics.store.replaceFlowMetric(name, t.topPerSource(nowMs), nowMs);
    }
    const p = emptyPoints();
    const edge = this.selector('EDGE');
    const core = this.selector('CORE');
    const topology = this.selector('TOPOLOGY');

    if (edge !== undefined) {
      const [total, med] = metrics.metric(edge, 'sum:ai_bytes,med:ai_bytes', undefined, nowMs);
      p.bps = num(total?.metricValue) * 8;
      setLinkLoad(p, 'edge', med?.quartiles);
    }
    if (core !== undefined) {
      setLinkLoad(p, 'core', metrics.metric(core, 'med:ai_bytes', undefined, nowMs)[0]?.quartiles);
    }
    if (topology !== undefined) {
      const [di, ei, dout, eout, ecn, cnp, trim] = metrics.metric(
        topology,
        'sum:ifindiscards,sum:ifinerrors,sum:ifoutdiscards,sum:ifouterrors,sum:ai_ecn,sum:ai_cnp,sum:ai_trim',
        undefined,
        nowMs,
      );
      p.discards_in = num(di?.metricValue);
      p.errors_in = num(ei?.metricValue);
      p.discards_out = num(dout?.metricValue);
      p.errors_out = num(eout?.metricValue);
      p.ecn_pps = num(ecn?.metricValue);
      p.cnp_pps = num(cnp?.metricValue);
      p.trim_pps = num(trim?.metricValue);
    }

    // RDMA operations: the rate summed over edge ports; bytes per operation weighted by each port's rate.
    let ops = 0;
    let opBytes = 0;
    for (const o of this.edgeObservations('ai_rdma_ops', nowMs)) {
      ops += o.value;
      opBytes += o.value * num(o.values?.[0]);
    }
    p.rdma_ops = ops;
    p.rdma_bytes = ops > 0 ? opBytes / ops : 0;

    // Credits per acknowledgement: mean of the ports' averages, smallest minimum, largest maximum.
    let ports = 0;
    let avg = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const o of this.edgeObservations('ai_credits', nowMs)) {
      ports++;
      avg += o.value;
      const lo = o.values?.[0];
      const hi = o.values?.[1];
      if (typeof lo === 'number' && lo < min) min = lo;
      if (typeof hi === 'number' && hi > max) max = hi;
    }
    if (ports > 0) {
      p.aeth_credits_avg = avg / ports;
      p.aeth_credits_min = Number.isFinite(min) ? min : 0;
      p.aeth_credits_max = Number.isFinite(max) ? max : 0;
    }

    p.operations = this.top('ai_operation', 'edge', 5, 1, nowMs);
    p.drops = this.top('ai_drop_reasons', undefined, 5, 0.0001, nowMs);

    this.detector.updateLoad(nowMs, this.edgeTotal('ai_frames', nowMs));
    p.period = this.detector.period(nowMs);

    this.current = p;
    this.lastTick = nowMs;
    this.trend.add(nowMs, p);
    return p;
  }

  /** The points of the last tick. */
  points(): AiPoints {
    return this.current;
  }

  /** Time (ms) of the last tick, 0 before the first. */
  get lastUpdate(): number {
    return this.lastTick;
  }

  periodStatus(nowMs: number): PeriodStatus {
    return this.detector.status(nowMs);
  }

  /** Topology agents, or undefined (every agent) when no topology is loaded. */
  private topologyAgents(): ReadonlySet<string> | undefined {
    const agents = this.deps.engine.topology.agents();
    return agents.size > 0 ? agents : undefined;
  }

  /** The metric() agent selector for a scope; undefined when it selects nothing. */
  private selector(scope: 'EDGE' | 'CORE' | 'TOPOLOGY'): string | undefined {
    if (this.topologyAgents() !== undefined) return scope;
    return scope === 'CORE' ? undefined : 'ALL';
  }

  private isEdge(agent: string, dataSource: string): boolean {
    const agents = this.topologyAgents();
    if (agents === undefined) return true;
    return agents.has(agent) && !this.deps.engine.topology.isCore(agent, dataSource);
  }

  /** A keyless flow's value summed over edge ports (activeFlows('EDGE', name, 1)[0].value). */
  private edgeTotal(name: string, nowMs: number): number {
    const agents = this.topologyAgents();
    const flows = this.deps.engine.activeFlows(
      name,
      { ...(agents !== undefined ? { agents } : {}), aggMode: 'edge', maxFlows: 1 },
      nowMs,
    );
    return flows?.[0]?.value ?? 0;
  }

  /** The flow's value at each edge port (with its `values`). */
  private *edgeObservations(
    name: string,
    nowMs: number,
  ): Generator<{ value: number; values?: (number | null)[] }> {
    const table = this.deps.engine.table(name);
    if (table === undefined) return;
    for (const o of table.observations(nowMs)) if (this.isEdge(o.agent, o.dataSource)) yield o;
  }

  /** The top flows as key → value (activeFlows over EDGE or TOPOLOGY with maxFlows and minValue). */
  private top(
    name: string,
    aggMode: 'edge' | undefined,
    maxFlows: number,
    minValue: number,
    nowMs: number,
  ): Record<string, number> {
    const agents = this.topologyAgents();
    const flows: ActiveFlow[] =
      this.deps.engine.activeFlows(
        name,
        {
          ...(agents !== undefined ? { agents } : {}),
          ...(aggMode !== undefined ? { aggMode } : {}),
          maxFlows,
          minValue,
        },
        nowMs,
      ) ?? [];
    const out: Record<string, number> = {};
    for (const f of flows) out[f.key] = f.value;
    return out;
  }
}
