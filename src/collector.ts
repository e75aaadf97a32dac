/**
 * The composition root: the one place where ingest, decoders, engine, API and
 * persistence are wired together for `flowlens run` (and the demo, and tests).
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import client from 'prom-client';
import { createApi } from './api/server.js';
import { AI_FLOW_NAMES, AiMetricsApp, type AiSettings, aiMetricsRoutes } from './apps/ai-metrics/index.js';
import type { Config } from './common/config.js';
import { FlowExportDecoder, TemplatePersistence, TemplateStore } from './decode/netflow/index.js';
import { decodeSflow } from './decode/sflow/decode.js';
import { DecodeStats } from './decode/stats.js';
import { AgentTracker } from './engine/agents.js';
import { Engine } from './engine/engine.js';
import { EventLog } from './engine/events.js';
import { CounterDeriver, ingestDatagram, MetricQuery, MetricStore } from './engine/metrics/index.js';
import { restore, StateFile, snapshot } from './engine/persist.js';
import type { Observation, ObservationSource } from './engine/thresholds.js';
import { Thresholds } from './engine/thresholds.js';
import { detectProtocol, type TelemetryProtocol } from './ingest/detect.js';
import { kernelDrops, listenUdp, rmemMax, type UdpListener } from './ingest/udp.js';
import { BasicStream } from './simulate/basic.js';
import { FabricSimulator } from './simulate/fabric.js';

export interface Collector {
  readonly engine: Engine;
  readonly events: EventLog;
  readonly thresholds: Thresholds;
  readonly agents: AgentTracker;
  readonly decodeStats: DecodeStats;
  readonly metrics: MetricQuery;
  /** Bound ports (useful when 0 asked for any free port). */
  readonly ports: { sflow?: number; ipfix?: number; netflow?: number; http: number };
  readonly warnings: string[];
  /** Feeds one datagram as if it had arrived over UDP (demo, replay, tests). */
  receive(payload: Buffer, address: string, port: number): void;
  stop(): Promise<void>;
}

export interface CollectorOptions {
  version: string;
  /** Log lines (warnings at start, problems restoring state). */
  log?: (line: string) => void;
  /** The ai-metrics app: settings overriding its defaults (sFlow-RT names), or false to leave it off. */
  aiMetrics?: Partial<AiSettings> | false;
}

export async function startCollector(config: Config, given: CollectorOptions): Promise<Collector> {
  const options: CollectorOptions = config.aiMetrics ? given : { ...given, aiMetrics: false };
  const log = options.log ?? (() => {});
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    log(`warning: ${w}`);
  };
  // The ai-metrics app's flows do not count against the user's limit.
  const appFlows = options.aiMetrics === false ? 0 : AI_FLOW_NAMES.length;
  const engine = new Engine({ flows: config.maxFlows + appFlows, flowsPerSource: config.flowsPerSource });
  const events = new EventLog();
  const thresholds = new Thresholds(events, config.maxThresholds);
  const agents = new AgentTracker();
  const decodeStats = new DecodeStats();
  // One template store for every IPFIX / NetFlow exporter, persisted so a restart
  // decodes data at once instead of waiting for the next template refresh.
  const templates = new TemplateStore();
  const templateFile = await TemplatePersistence.open(templates, {
    stateDir: config.stateDir,
    onError: (err) => warn(`templates not persisted: ${err.message}`),
  });
  const flowExports = new FlowExportDecoder({ templates });
  // A plain record, not a Map: one property increment per datagram.
  const byProtocol: Partial<Record<TelemetryProtocol, number>> = {};
  const deriver = new CounterDeriver();
  const store = new MetricStore();
  const topology = engine.topology;
  const metrics = new MetricQuery(store, {
    agents: () => topology.agents(),
    isCore: (a, ds) => topology.isCore(a, ds),
    isEdge: (a, ds) => topology.isEdge(a, ds),
    inTopology: (a) => topology.inTopology(a),
  });
  /** Flow values become metrics too (sFlow-RT metric('EDGE','sum:<flow>')): the largest flow per data source. */
  const refreshFlowMetrics = (now: number) => {
    for (const name of engine.flowNames()) {
      const t = engine.table(name);
      if (t !== undefined) store.replaceFlowMetric(name, t.topPerSource(now), now);
    }
  };

  const stateFile = new StateFile(config.stateDir);
  try {
    const saved = stateFile.load();
    if (saved !== undefined)
      for (const p of restore(engine, thresholds, saved)) warn(`state not restored: ${p}`);
  } catch (err) {
    warn(`state file ${stateFile.file} unreadable, starting empty: ${(err as Error).message}`);
  }
  const take = () => snapshot(engine, thresholds);

  const receive = (payload: Buffer, address: string, port: number) => {
    const now = Date.now();
    const protocol = detectProtocol(payload);
    byProtocol[protocol] = (byProtocol[protocol] ?? 0) + 1;
    if (protocol === 'sflow5') {
      const d = decodeSflow(payload, decodeStats);
      if ('samples' in d) {
        agents.sflow(d, payload.length, now);
        engine.ingestSflow(d, now);
        ingestDatagram(d, deriver, store, now);
      } else {
        agents.undecodable(address, payload.length, now);
      }
    } else if (protocol === 'ipfix' || protocol === 'netflow9' || protocol === 'netflow5') {
      const m = flowExports.decode(payload, { address, port }, now);
      agents.flowExport(address, payload.length, m.records.length, m.errors.length > 0, now);
      engine.ingestExport(m, now);
    } else {
      agents.undecodable(address, payload.length, now);
    }
  };

  // --- UDP ---------------------------------------------------------------------------
  const listeners: { name: string; l: UdpListener }[] = [];
  const ports: Collector['ports'] = { http: 0 };
  const max = rmemMax();
  for (const [name, port] of [
    ['sflow', config.sflowPort],
    ['ipfix', config.ipfixPort],
    ['netflow', config.netflowPort],
  ] as const) {
    if (port < 0) continue;
    let l: UdpListener;
    try {
      l = await listenUdp({ port, host: config.udpHost, receiveBuffer: config.udpBuffer }, (buf, a, p) =>
        receive(buf, a, p),
      );
    } catch (err) {
      for (const x of listeners) await x.l.close();
      throw new Error(
        `cannot listen for ${name} on UDP ${config.udpHost} port ${port}: ${(err as Error).message}`,
      );
    }
    listeners.push({ name, l });
    ports[name] = l.port;
    if (l.fallbackReason !== undefined) {
      warn(`${name} receives through Node's dgram, one datagram per event (slower): ${l.fallbackReason}`);
    }
    // Linux reports twice the usable size it granted.
    if (l.receiveBuffer < config.udpBuffer) {
      warn(
        `${name} receive buffer is ${l.receiveBuffer} bytes, not the ${config.udpBuffer} asked for` +
          (max !== undefined
            ? ` (net.core.rmem_max = ${max}; raise it: sysctl -w net.core.rmem_max=${config.udpBuffer})`
            : ''),
      );
    }
  }

  // --- health metrics ------------------------------------------------------------------
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'flowlens_process_' });
  // Values are read from the pipeline's own counters at scrape time. Names ending in
  // _total are exposed as Prometheus counters (so rate() and promtool treat them right),
  // the rest as gauges; both are filled through the same `set`.
  interface Setter {
    set(value: number): void;
    set(labels: client.LabelValues<string>, value: number): void;
  }
  const healthMetric = (name: string, help: string, labelNames: string[], collect: (g: Setter) => void) => {
    if (!name.endsWith('_total')) {
      return new client.Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          collect(this);
        },
      });
    }
    return new client.Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        const set = (a: number | client.LabelValues<string>, b?: number) => {
          if (typeof a === 'number') this.inc(a);
          else this.inc(a, b ?? 0);
        };
        collect({ set } as Setter);
      },
    });
  };
  healthMetric(
    'flowlens_datagrams_received_total',
    'Datagrams received, by detected protocol',
    ['protocol'],
    (g) => {
      for (const [p, n] of Object.entries(byProtocol)) g.set({ protocol: p }, n);
    },
  );
  healthMetric('flowlens_udp_datagrams_total', 'Datagrams read from each UDP listener', ['listener'], (g) => {
    for (const { name, l } of listeners) g.set({ listener: name }, l.datagrams);
  });
  healthMetric(
    'flowlens_udp_kernel_drops_total',
    'Datagrams the kernel dropped at the socket (receive buffer full)',
    ['listener'],
    (g) => {
      for (const { name, l } of listeners) g.set({ listener: name }, kernelDrops(l.port));
    },
  );
  healthMetric('flowlens_decode_errors_total', 'Decode errors by reason', ['reason'], (g) => {
    for (const [r, n] of decodeStats.errorsByReason) g.set({ reason: r }, n);
  });
  healthMetric('flowlens_sflow_samples_total', 'sFlow samples decoded', [], (g) =>
    g.set(decodeStats.samples),
  );
  healthMetric(
    'flowlens_sflow_sequence_gaps_total',
    'sFlow datagrams missing by sequence number, all agents',
    [],
    (g) => g.set(agents.totals().sequenceGaps),
  );
  healthMetric('flowlens_agents', 'Agents heard from', [], (g) => g.set(agents.totals().agents));
  healthMetric('flowlens_flow_export_records_total', 'IPFIX and NetFlow data records decoded', [], (g) =>
    g.set(flowExports.stats.dataRecords),
  );
  healthMetric(
    'flowlens_flow_export_sequence_missing_total',
    'IPFIX / NetFlow records or packets missing by sequence number',
    [],
    (g) => g.set(flowExports.sequences.totals.missing),
  );
  healthMetric('flowlens_templates', 'IPFIX / NetFlow templates held', [], (g) => g.set(templates.size));
  healthMetric('flowlens_flow_entries', 'Active flows tracked, by flow definition', ['flow'], (g) => {
    for (const [name, s] of Object.entries(engine.stats())) g.set({ flow: name }, s.entries);
  });
  healthMetric(
    'flowlens_flow_evictions_total',
    'Flows evicted to keep tables bounded, by flow definition',
    ['flow'],
    (g) => {
      for (const [name, s] of Object.entries(engine.stats())) g.set({ flow: name }, s.evictions);
    },
  );
  healthMetric('flowlens_events_total', 'Threshold events fired', [], (g) => g.set(events.total));

  // --- apps ----------------------------------------------------------------------------
  const ai =
    options.aiMetrics === false ? undefined : new AiMetricsApp({ engine, metrics }, options.aiMetrics ?? {});

  // --- HTTP ----------------------------------------------------------------------------
  const startedAt = Date.now();
  const api = createApi({
    engine,
    events,
    thresholds,
    agents,
    version: options.version,
    startedAt,
    now: () => Date.now(),
    readonly: config.readonly,
    ...(config.token !== undefined ? { token: config.token } : {}),
    changed: () => stateFile.schedule(take),
    health: () => registry.metrics(),
    metrics,
    refreshFlowMetrics,
    apps: ai === undefined ? [] : [{ path: AiMetricsApp.PATH, routes: aiMetricsRoutes(ai) }],
    analyzer: () => {
      let drops = 0;
      for (const { l } of listeners) drops += kernelDrops(l.port);
      return { sFlowKernelDrops: drops, udpReceiveBuffer: listeners[0]?.l.receiveBuffer ?? 0 };
    },
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: api.app.fetch, port: config.httpPort, hostname: config.httpHost }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  ports.http = (server.address() as AddressInfo).port;

  // --- timers --------------------------------------------------------------------------
  // Thresholds read flows by name, otherwise counter metrics.
  const source: ObservationSource = {
    observe: (m, byFlow, now) => {
      const flows = engine.observeFlow(m, byFlow, now);
      if (flows !== undefined) return flows;
      const out: Observation[] = [];
      for (const s of store.allSources()) {
        const e = store.live(s, m, now);
        if (e !== undefined && typeof e.value === 'number')
          out.push({ agent: s.agent, dataSource: s.dataSource, value: e.value });
      }
      return out;
    },
    attribute: (agent, ds, name) => {
      const e = store.value(agent, ds, name, Date.now());
      return e === undefined ? undefined : String(e.value);
    },
  };
  const thresholdTimer = setInterval(() => thresholds.evaluate(source, Date.now()), 100);
  for (const p of ai?.start() ?? []) warn(p);
  const tickTimer = setInterval(() => {
    const now = Date.now();
    engine.tick(now);
    api.tick(now);
    refreshFlowMetrics(now);
    store.sweep(now);
  }, 1000);
  let demoTimer: NodeJS.Timeout | undefined;
  if (config.demo) {
    // A small simulated AI fabric (2 spines, 4 leaves, 32 GPU hosts running collectives,
    // cluster services, front-end traffic), run in real time; its topology makes EDGE and
    // CORE meaningful for the ai-metrics app and the console.
    // Beside it, a general traffic mix from four more agents (IPv4, IPv6, RoCEv2).
    const fabric = new FabricSimulator({ seed: 1, spines: 2, leaves: 4, hostsPerLeaf: 8 });
    const mix = new BasicStream({ seed: 1 });
    engine.topology.set(fabric.topology());
    const t0 = Date.now();
    let mixSent = 0;
    demoTimer = setInterval(() => {
      const elapsed = Date.now() - t0;
      for (const d of fabric.stepTimed(elapsed)) receive(d.payload, d.agent, 0);
      for (; mixSent < elapsed; mixSent++) receive(mix.next(), '127.0.0.1', 0); // 1,000 datagrams/s
    }, 50);
  }

  return {
    engine,
    events,
    thresholds,
    agents,
    decodeStats,
    metrics,
    ports,
    warnings,
    receive,
    async stop() {
      clearInterval(thresholdTimer);
      clearInterval(tickTimer);
      ai?.stop();
      if (demoTimer !== undefined) clearInterval(demoTimer);
      events.close();
      engine.flowLog.close();
      stateFile.flush(take);
      for (const { l } of listeners) await l.close();
      await templateFile.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Long polls and SSE streams would hold the server open.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
