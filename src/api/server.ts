/**
 * The REST API, path-compatible with sFlow-RT (sflow-rt-reference.md §1.1),
 * so scripts written against sFlow-RT work unchanged.
 *
 * Handlers only translate HTTP to engine calls: validation errors from the
 * engine (DefinitionError and friends) become 400s with their message.
 */

import type { Context } from 'hono';
import { Hono } from 'hono';
import { MatrixService } from '../apps/matrix/matrix.js';
import { matrixRoutes } from '../apps/matrix/routes.js';
import type { AgentTracker } from '../engine/agents.js';
import { checkName, type Engine, type FlowRecord, LimitError, NameError } from '../engine/engine.js';
import type { EventLog } from '../engine/events.js';
import { ExprError } from '../engine/expr.js';
import { AGG_MODES, type AggMode, DefinitionError } from '../engine/flow-def.js';
import { GroupError } from '../engine/groups.js';
import { MapError } from '../engine/maps.js';
import { type MetricQuery, MetricQueryError, prometheusText } from '../engine/metrics/index.js';
import { ThresholdError, type Thresholds } from '../engine/thresholds.js';
import { TopologyError } from '../engine/topology.js';
import { openApiDocument } from './openapi.js';
import { analyzerText, ExporterError, FlowExporter } from './prometheus.js';
import { followLog } from './sse.js';
import { mountStatic, type StaticOptions } from './static.js';

export interface ApiDeps {
  engine: Engine;
  events: EventLog;
  thresholds: Thresholds;
  agents: AgentTracker;
  version: string;
  startedAt: number;
  now: () => number;
  /** Refuse every change (sFlow-RT http.readonly). */
  readonly?: boolean;
  /** When set, changes need `Authorization: Bearer <token>`. */
  token?: string;
  /** Called after every accepted change, to persist state. */
  changed?: () => void;
  /** flowlens's own health metrics in Prometheus text format. */
  health?: () => Promise<string>;
  /** Counter (and flow) metrics for /metric, /table, /dump and Prometheus. */
  metrics?: MetricQuery;
  /** Brings flow values into the metric store before a metric query reads them. */
  refreshFlowMetrics?: (nowMs: number) => void;
  /** Analyzer figures beyond the agent tracker (receive buffers, kernel drops...). */
  analyzer?: () => Record<string, number | string>;
  /** Apps' REST handlers, mounted at their paths (e.g. /app/ai-metrics/scripts/metrics.js). */
  apps?: { path: string; routes: Hono }[];
  /** Where the web console's files are (default dist/web). */
  web?: StaticOptions;
}

const VALIDATION_ERRORS = [
  DefinitionError,
  ExprError,
  GroupError,
  MapError,
  ThresholdError,
  TopologyError,
  NameError,
  ExporterError,
  MetricQueryError,
];

class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413,
    message: string,
  ) {
    super(message);
  }
}

function fail(c: Context, status: number, message: string): Response {
  return c.json({ status, error: message }, status as 400);
}

/** Agent selector of a path: ALL, TOPOLOGY, EDGE, CORE, or addresses separated by ';' or ','. */
function agentSet(engine: Engine, selector: string): ReadonlySet<string> | undefined {
  const upper = selector.toUpperCase();
  if (upper === 'ALL') return undefined;
  if (upper === 'TOPOLOGY' || upper === 'EDGE' || upper === 'CORE') return engine.topology.agents();
  return new Set(selector.split(/[;,]/).filter((a) => a !== ''));
}

function numberParam(
  c: Context,
  name: string,
  fallback: number,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new HttpError(400, `query parameter '${name}' must be a number between ${min} and ${max}`);
  return n;
}

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > 1 << 20) throw new HttpError(413, 'request body larger than 1 MiB');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

export interface Api {
  app: Hono;
  /** Periodic housekeeping (idle exporter flows). */
  tick(nowMs: number): void;
}

export function createApi(deps: ApiDeps): Api {
  const { engine, events, thresholds, agents } = deps;
  const app = new Hono();
  const exporter = new FlowExporter(engine);

  app.onError((err, c) => {
    if (err instanceof HttpError) return fail(c, err.status, err.message);
    if (err instanceof LimitError) return fail(c, 400, err.message);
    if (VALIDATION_ERRORS.some((E) => err instanceof E)) return fail(c, 400, err.message);
    return fail(c, 500, 'internal error');
  });
  app.notFound((c) => fail(c, 404, `no such resource: ${c.req.method} ${c.req.path}`));

  // Writes: read-only mode and the optional bearer token.
  app.use('*', async (c, next) => {
    const m = c.req.method;
    if (m === 'PUT' || m === 'POST' || m === 'DELETE') {
      if (deps.readonly === true) return fail(c, 403, 'flowlens is in read-only mode');
      if (deps.token !== undefined && c.req.header('authorization') !== `Bearer ${deps.token}`) {
        return fail(c, 401, 'a valid bearer token is needed to change state');
      }
    }
    await next();
  });

  const changed = () => deps.changed?.();

  // --- server ---------------------------------------------------------------------
  app.get('/version', (c) => c.text(deps.version));
  app.get('/status', (c) => c.text('OK'));
  app.get('/analyzer/json', (c) => {
    const t = agents.totals();
    const mem = process.memoryUsage();
    return c.json({
      version: deps.version,
      uptime: deps.now() - deps.startedAt,
      sFlowAgents: t.agents,
      sFlowDatagramsReceived: t.datagrams,
      sFlowBytesReceived: t.bytes,
      sFlowFlowSamples: t.flowSamples,
      sFlowCounterSamples: t.counterSamples,
      sFlowDiscardSamples: t.discardSamples,
      sFlowDatagramsLost: t.sequenceGaps,
      sFlowDatagramsOutOfOrder: t.outOfOrder,
      sFlowDatagramsDuplicates: t.duplicates,
      sFlowDecodeErrors: t.decodeErrors,
      heapUsed: mem.heapUsed,
      heapMax: mem.heapTotal,
      rss: mem.rss,
      flows: engine.flowNames().length,
      ...(deps.analyzer?.() ?? {}),
    });
  });
  app.get('/agents/json', (c) => {
    const wanted = c.req.queries('agent');
    const out: Record<string, unknown> = {};
    for (const a of agents.all()) {
      if (wanted !== undefined && !wanted.includes(a.agent)) continue;
      out[a.agent] = {
        sFlowDatagramsReceived: a.datagrams,
        sFlowBytesReceived: a.bytes,
        sFlowFlowSamples: a.flowSamples,
        sFlowCounterSamples: a.counterSamples,
        sFlowDiscardSamples: a.discardSamples,
        sFlowDatagramsLost: a.sequenceGaps,
        sFlowDatagramsOutOfOrder: a.outOfOrder,
        sFlowDatagramsDuplicates: a.duplicates,
        sFlowAgentRestarts: a.restarts,
        sFlowDecodeErrors: a.decodeErrors,
        sFlowSubAgents: a.subAgents,
        firstSeen: a.firstSeen,
        lastSeen: deps.now() - a.lastSeen,
      };
    }
    return c.json(out);
  });

  // --- metrics --------------------------------------------------------------------
  const metricsOf = (): MetricQuery => {
    if (deps.metrics === undefined) throw new HttpError(404, 'metrics are not available');
    deps.refreshFlowMetrics?.(deps.now());
    return deps.metrics;
  };
  /** The query string is a data-source filter (os_name=linux&ifspeed=1000000000). */
  const filterOf = (c: Context) => new URL(c.req.url).searchParams;
  app.get('/metrics/json', (c) => c.json(metricsOf().metricNames(deps.now())));
  app.get('/metric/:agent/json', (c) => {
    const m = metricsOf().agentMetrics(c.req.param('agent'), deps.now());
    return m === undefined ? fail(c, 404, `no metrics for agent '${c.req.param('agent')}'`) : c.json(m);
  });
  app.get('/metric/:agent/:metric/json', (c) =>
    c.json(metricsOf().metric(c.req.param('agent'), c.req.param('metric'), filterOf(c), deps.now())),
  );
  app.get('/table/:agent/:metric/json', (c) =>
    c.json(metricsOf().table(c.req.param('agent'), c.req.param('metric'), filterOf(c), deps.now())),
  );
  app.get('/dump/:agent/:metric/json', (c) => {
    const names = c.req.param('metric');
    return c.json(
      metricsOf().dump(c.req.param('agent'), names === 'ALL' ? 'ALL' : names, filterOf(c), deps.now()),
    );
  });
  app.get('/prometheus/metrics/:agent/:metric/txt', (c) => {
    const names = c.req.param('metric');
    const text = prometheusText(
      metricsOf(),
      c.req.param('agent'),
      names === 'ALL' ? 'ALL' : names,
      filterOf(c),
      deps.now(),
    );
    return c.text(text, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  // --- flows ----------------------------------------------------------------------
  app.get('/flowkeys/json', (c) => c.json(engine.flowKeys(deps.now())));
  app.get('/flow/json', (c) => c.json(engine.flowDefinitions()));
  app.get('/flow/:name/json', (c) => {
    const def = engine.flow(c.req.param('name'));
    return def === undefined ? fail(c, 404, `no flow '${c.req.param('name')}'`) : c.json(def);
  });
  app.put('/flow/:name/json', async (c) => {
    engine.setFlow(c.req.param('name'), await jsonBody(c));
    changed();
    return c.body(null, 204);
  });
  app.delete('/flow/:name/json', (c) => {
    if (!engine.deleteFlow(c.req.param('name'))) return fail(c, 404, `no flow '${c.req.param('name')}'`);
    changed();
    return c.body(null, 204);
  });
  app.get('/activeflows/:agent/:name/json', (c) => {
    const name = c.req.param('name');
    const rawMode = c.req.query('aggMode');
    let aggMode: AggMode | undefined;
    if (rawMode !== undefined && rawMode !== '') {
      const m = rawMode.toLowerCase();
      if (!(AGG_MODES as readonly string[]).includes(m))
        throw new HttpError(400, `aggMode must be one of ${AGG_MODES.join(', ')}`);
      aggMode = m as AggMode;
    }
    const selector = c.req.param('agent').toUpperCase();
    if (aggMode === undefined && (selector === 'EDGE' || selector === 'CORE'))
      aggMode = selector === 'EDGE' ? 'edge' : 'core';
    const keyPattern = c.req.query('filter');
    let keyFilter: ((k: string) => boolean) | undefined;
    if (keyPattern !== undefined && keyPattern !== '') {
      let re: RegExp;
      try {
        re = new RegExp(keyPattern);
      } catch (err) {
        throw new HttpError(400, `filter is not a valid regular expression: ${(err as Error).message}`);
      }
      keyFilter = (k) => re.test(k);
    }
    const query = {
      agents: agentSet(engine, c.req.param('agent')),
      maxFlows: numberParam(c, 'maxFlows', 100, 1, 100_000),
      minValue: numberParam(c, 'minValue', 0, 0),
      ...(aggMode !== undefined ? { aggMode } : {}),
      ...(keyFilter !== undefined ? { keyFilter } : {}),
    };
    const flows = engine.activeFlows(name, query, deps.now());
    return flows === undefined ? fail(c, 404, `no flow '${name}'`) : c.json(flows);
  });
  app.get('/flowvalue/:agent/:name/json', (c) => {
    // name is "<dataSource>.<flow>" as in sFlow-RT.
    const raw = c.req.param('name');
    const dot = raw.indexOf('.');
    if (dot < 0) throw new HttpError(400, "flow value name must be '<dataSource>.<flowName>'");
    const dataSource = raw.slice(0, dot);
    const name = raw.slice(dot + 1);
    const key = c.req.query('key') ?? '';
    const table = engine.table(name);
    if (table === undefined) return fail(c, 404, `no flow '${name}'`);
    const value = table.valueAt(c.req.param('agent'), dataSource, key, deps.now());
    if (value === undefined)
      return fail(c, 404, `no value for key '${key}' at ${c.req.param('agent')} ${dataSource}`);
    return c.json(value);
  });

  app.get('/flows/json', async (c) => {
    const name = c.req.query('name');
    const q = {
      after: numberParam(c, 'flowID', -1),
      max: numberParam(c, 'maxFlows', 100, 1, 10_000),
      ...(name !== undefined && name !== '' ? { match: (f: FlowRecord) => f.name === name } : {}),
    };
    return c.json(await engine.flowLog.wait(q, numberParam(c, 'timeout', 0, 0, 600) * 1000));
  });
  app.get('/flows/sse', (c) => {
    const name = c.req.query('name');
    const resume = Number(c.req.header('last-event-id') ?? c.req.query('flowID') ?? Number.NaN);
    return followLog(
      c,
      engine.flowLog,
      (f) => f.flowID,
      'flow',
      (f) => name === undefined || f.name === name,
      resume,
    );
  });

  // --- groups and maps ------------------------------------------------------------
  // Group sets and maps: the same four routes over a named collection each.
  const named = <T>(
    kind: 'group' | 'map',
    what: string,
    store: {
      names(): string[];
      get(name: string): T | undefined;
      set(name: string, definition: unknown): void;
      delete(name: string): boolean;
      readonly size: number;
    },
  ) => {
    app.get(`/${kind}/json`, (c) => {
      const out: Record<string, unknown> = {};
      for (const n of store.names()) out[n] = store.get(n);
      return c.json(out);
    });
    app.get(`/${kind}/:name/json`, (c) => {
      const v = store.get(c.req.param('name'));
      return v === undefined ? fail(c, 404, `no ${kind} '${c.req.param('name')}'`) : c.json(v);
    });
    app.put(`/${kind}/:name/json`, async (c) => {
      const name = c.req.param('name');
      checkName(kind, name);
      if (store.get(name) === undefined && store.size >= 1000)
        throw new LimitError(`at most 1000 ${what} may be defined`);
      store.set(name, await jsonBody(c));
      changed();
      return c.body(null, 204);
    });
    app.delete(`/${kind}/:name/json`, (c) => {
      if (!store.delete(c.req.param('name'))) return fail(c, 404, `no ${kind} '${c.req.param('name')}'`);
      changed();
      return c.body(null, 204);
    });
  };
  named('group', 'group sets', engine.groups);
  named('map', 'maps', engine.maps);

  // --- thresholds and events ------------------------------------------------------
  app.get('/threshold/json', (c) => c.json(thresholds.all()));
  app.get('/threshold/:name/json', (c) => {
    const t = thresholds.get(c.req.param('name'));
    return t === undefined ? fail(c, 404, `no threshold '${c.req.param('name')}'`) : c.json(t);
  });
  app.put('/threshold/:name/json', async (c) => {
    const name = c.req.param('name');
    checkName('threshold', name);
    thresholds.set(name, await jsonBody(c));
    changed();
    return c.body(null, 204);
  });
  app.delete('/threshold/:name/json', (c) => {
    if (!thresholds.delete(c.req.param('name'))) return fail(c, 404, `no threshold '${c.req.param('name')}'`);
    changed();
    return c.body(null, 204);
  });
  app.get('/events/json', async (c) => {
    const thresholdID = c.req.query('thresholdID');
    const q = {
      eventID: numberParam(c, 'eventID', -1),
      maxEvents: numberParam(c, 'maxEvents', 100, 1, 10_000),
      ...(thresholdID !== undefined && thresholdID !== '' ? { thresholdID } : {}),
    };
    const timeout = numberParam(c, 'timeout', 0, 0, 600);
    return c.json(await events.waitEvents(q, timeout * 1000));
  });
  app.get('/events/sse', (c) => {
    const id = c.req.query('thresholdID');
    const resume = Number(c.req.header('last-event-id') ?? c.req.query('eventID') ?? Number.NaN);
    return followLog(
      c,
      events,
      (e) => e.eventID,
      'event',
      (e) => id === undefined || e.thresholdID === id,
      resume,
    );
  });

  // --- topology -------------------------------------------------------------------
  app.get('/topology/json', (c) => c.json(engine.topology.get()));
  app.put('/topology/json', async (c) => {
    engine.topology.set(await jsonBody(c));
    changed();
    return c.body(null, 204);
  });

  // --- Prometheus --------------------------------------------------------------------
  const promText = (c: Context, text: string) =>
    c.text(text, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  app.get('/prometheus/analyzer/txt', (c) => promText(c, analyzerText(agents, engine)));
  app.get('/app/prometheus/scripts/export.js/flows/:agents/txt', (c) =>
    promText(c, exporter.scrape(agentSet(engine, c.req.param('agents')), c.req.queries(), deps.now())),
  );

  // --- flowlens's own metrics and API description ------------------------------------
  app.get('/metrics', async (c) => {
    const text = deps.health === undefined ? '' : await deps.health();
    return c.text(text, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  app.get('/api-docs', (c) => c.json(openApiDocument(deps.version)));
  for (const a of deps.apps ?? []) app.route(a.path, a.routes);

  // --- apps and the web console --------------------------------------------------------
  const matrix = new MatrixService({ engine, now: deps.now });
  app.route('/app/matrix', matrixRoutes(matrix));
  // Last, so the console's few paths (/, /index.html, /assets/*) never shadow an API route.
  mountStatic(app, deps.web);

  return {
    app,
    tick: (nowMs) => {
      exporter.sweep(nowMs);
      matrix.sweep(nowMs);
    },
  };
}
