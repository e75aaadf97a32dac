/**
 * The whole app in simulated time: an engine with the app's flows, a metric
 * store, the app's detector, fed sFlow datagrams (encoded and decoded) from
 * RoceFabricTraffic in 10 ms steps. `evaluate` runs every step and `tick`
 * every second, as the app's timers would.
 */
import { decodeSflow } from '../../decode/sflow/decode.js';
import { Engine } from '../../engine/engine.js';
import { MetricQuery, MetricStore } from '../../engine/metrics/index.js';
import { AiMetricsApp, type AiPoints } from './app.js';
import type { AiSettings } from './settings.js';
import {
  type CounterTraffic,
  type DropTraffic,
  type PortTraffic,
  RoceFabricTraffic,
  roceFrame,
} from './traffic.test-helper.js';

/** leaf1 and leaf2 (hosts on ports 1 and 2, uplink on port 49) under spine1 (ports 1 and 2). */
export const TOPOLOGY = {
  nodes: {
    leaf1: {
      agent: '10.0.0.1',
      ports: { swp1: { ifindex: 1 }, swp2: { ifindex: 2 }, swp49: { ifindex: 49 } },
    },
    leaf2: {
      agent: '10.0.0.2',
      ports: { swp1: { ifindex: 1 }, swp2: { ifindex: 2 }, swp49: { ifindex: 49 } },
    },
    spine1: { agent: '10.0.0.3', ports: { swp1: { ifindex: 1 }, swp2: { ifindex: 2 } } },
  },
  links: {
    l1: { node1: 'leaf1', port1: 'swp49', node2: 'spine1', port2: 'swp1' },
    l2: { node1: 'leaf2', port1: 'swp49', node2: 'spine1', port2: 'swp2' },
  },
};

export interface Harness {
  engine: Engine;
  app: AiMetricsApp;
  now(): number;
  /** Feeds datagrams directly (at the current time). */
  feed(bufs: Buffer[]): void;
  /** Advances the simulated clock to `toMs` in 10 ms steps, with the traffic's datagrams. */
  run(toMs: number, onSecond?: (t: number, p: AiPoints) => void): void;
}

export function harness(
  traffic: RoceFabricTraffic,
  settings: Partial<Record<keyof AiSettings, unknown>> = {},
  /** null: no topology. */
  topology: unknown = TOPOLOGY,
): Harness {
  const engine = new Engine({ flows: 50 });
  const store = new MetricStore();
  const topo = engine.topology;
  const metrics = new MetricQuery(store, {
    agents: () => topo.agents(),
    isCore: (a, ds) => topo.isCore(a, ds),
    isEdge: (a, ds) => topo.isEdge(a, ds),
    inTopology: (a) => topo.inTopology(a),
  });
  if (topology !== null) topo.set(topology);
  let t = 0;
  const app = new AiMetricsApp({ engine, metrics, now: () => t }, settings);
  const problems = app.start({ timers: false });
  if (problems.length > 0) throw new Error(problems.join('; '));
  const feed = (bufs: Buffer[]) => {
    for (const buf of bufs) {
      const d = decodeSflow(buf);
      if ('samples' in d) engine.ingestSflow(d, t);
    }
  };
  const step = app.settings['ai.threshold.interval'] * 1000;
  return {
    engine,
    app,
    now: () => t,
    feed,
    run(toMs, onSecond) {
      while (t + step <= toMs + 1e-9) {
        const from = t;
        t = Math.round((t + step) * 1000) / 1000;
        feed(traffic.step(from, t).map((x) => x.buf));
        app.evaluate(t);
        if (Math.floor(t / 1000) > Math.floor(from / 1000)) {
          engine.tick(t);
          const p = app.tick(t);
          onSecond?.(t, p);
        }
      }
    },
  };
}

/** RDMA_WRITE_MIDDLE packets of 4096 bytes from the four hosts, each at rate(t) / 4. */
export function hostPorts(rate: (tMs: number) => number, samplingRate = 1000): PortTraffic[] {
  const hosts = [
    { agent: '10.0.0.1', ifIndex: 1, src: '10.1.0.1', dst: '10.2.0.1' },
    { agent: '10.0.0.1', ifIndex: 2, src: '10.1.0.2', dst: '10.2.0.2' },
    { agent: '10.0.0.2', ifIndex: 1, src: '10.2.0.1', dst: '10.1.0.1' },
    { agent: '10.0.0.2', ifIndex: 2, src: '10.2.0.2', dst: '10.1.0.2' },
  ];
  return hosts.map((h, i) => ({
    agent: h.agent,
    ifIndex: h.ifIndex,
    samplingRate,
    rate: (t) => rate(t) / 4,
    frames: [roceFrame(h.src, h.dst, { opcode: 0x07, destQp: 0x100 + i, psn: i }, 4096)],
  }));
}

export interface PeriodRun {
  /** Reported period at every second. */
  periods: { t: number; period: number }[];
  /** Seconds until the first non-zero period. */
  firstReport: number | undefined;
  final: number;
  app: AiMetricsApp;
}

/** Runs traffic with the rate profile for `seconds` and records the reported period. */
export function runPeriod(
  rate: (tMs: number) => number,
  seconds: number,
  options: {
    seed?: number;
    settings?: Partial<Record<keyof AiSettings, unknown>>;
    extra?: PortTraffic[];
  } = {},
): PeriodRun {
  const traffic = new RoceFabricTraffic(
    [...hostPorts(rate), ...(options.extra ?? [])],
    [] as DropTraffic[],
    [] as CounterTraffic[],
    options.seed ?? 1,
  );
  const h = harness(traffic, options.settings);
  const periods: { t: number; period: number }[] = [];
  let firstReport: number | undefined;
  h.run(seconds * 1000, (t, p) => {
    periods.push({ t, period: p.period });
    if (firstReport === undefined && p.period > 0) firstReport = t / 1000;
  });
  return { periods, firstReport, final: periods.at(-1)?.period ?? 0, app: h.app };
}
