/**
 * AI metrics: the twelve panels of an AI/ML (RoCEv2) fabric, from the
 * ai-metrics app's trend (GET .../trend/json?after=<ms>, polled every second
 * and kept for 300 points), with the Periodicity pop-up on .../period/json.
 * While the app is absent (404) every panel says so instead of failing.
 */
import { ApiError, aborted, getJson, poll } from '../api.js';
import { ChartPanel, PALETTE, TimeChart } from '../chart.js';
import { h, setText } from '../dom.js';
import { bps, pps, si } from '../format.js';
import type { Page } from './page.js';

export const AI_METRICS_BASE = '/app/ai-metrics/scripts/metrics.js';
const HISTORY = 300;
const TOP = 5;
const OTHER = '-other-';

type Point = number | Record<string, number> | null;

export interface TrendChunk {
  times: number[];
  trends: Record<string, Point[]>;
}

/** Other names the same series have gone by (sFlow-RT's app used these for the top-N families). */
const ALIASES: Record<string, string> = {
  'top-5-operations': 'operations',
  'top-5-drop-reasons': 'drops',
};

/** Accepts {trend: {times, trends}} or {times, trends}; undefined if it is neither. */
export function normalizeTrend(body: unknown): TrendChunk | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const outer = body as { trend?: unknown };
  const t = (outer.trend ?? body) as { times?: unknown; trends?: unknown };
  if (!Array.isArray(t.times) || t.trends === null || typeof t.trends !== 'object') return undefined;
  const times = t.times.map(Number);
  const trends: Record<string, Point[]> = {};
  for (const [k, v] of Object.entries(t.trends as Record<string, unknown>)) {
    if (!Array.isArray(v)) continue;
    trends[ALIASES[k] ?? k] = v.map((p) => {
      if (typeof p === 'number') return Number.isFinite(p) ? p : null;
      if (p !== null && typeof p === 'object') return p as Record<string, number>;
      return null;
    });
  }
  return { times, trends };
}

interface PanelSpec {
  title: string;
  help: string;
  format: (v: number) => string;
  /** Fixed series: [trend name, legend label]. */
  series?: [string, string][];
  /** A top-N family (one trend whose points are {key: value}). */
  top?: string;
  band?: [number, number];
}

const quartiles = (prefix: string): [string, string][] => [
  [`${prefix}_max_bps`, 'Max'],
  [`${prefix}_q3_bps`, 'Q3'],
  [`${prefix}_med_bps`, 'Med'],
  [`${prefix}_q1_bps`, 'Q1'],
  [`${prefix}_min_bps`, 'Min'],
];

export const AI_PANELS: PanelSpec[] = [
  {
    title: 'Total Traffic',
    help: 'traffic entering the fabric (edge ports), bits/s',
    format: bps,
    series: [['bps', 'bps']],
  },
  { title: 'Operations', help: 'top RDMA operations, packets/s (stacked)', format: pps, top: 'operations' },
  {
    title: 'Core Link Traffic',
    help: 'load spread over fabric links',
    format: bps,
    series: quartiles('core'),
    band: [1, 3],
  },
  {
    title: 'Edge Link Traffic',
    help: 'load spread over access ports',
    format: bps,
    series: quartiles('edge'),
    band: [1, 3],
  },
  {
    title: 'RDMA Operations',
    help: 'RDMA operations per second',
    format: (v) => si(v, 'op/s'),
    series: [['rdma_ops', 'ops/s']],
  },
  {
    title: 'RDMA Bytes',
    help: 'bytes per RDMA operation',
    format: (v) => si(v, 'B'),
    series: [['rdma_bytes', 'bytes/op']],
  },
  {
    title: 'Credits',
    help: 'AETH credits per ACK',
    format: (v) => si(v),
    series: [
      ['aeth_credits_avg', 'Avg'],
      ['aeth_credits_min', 'Min'],
      ['aeth_credits_max', 'Max'],
    ],
  },
  {
    title: 'Period',
    help: 'compute / exchange interval, seconds',
    format: (v) => si(v, 's'),
    series: [['period', 'Period']],
  },
  {
    title: 'Congestion',
    help: 'ECN-marked, congestion notification (CNP) and trimmed packets per second',
    format: pps,
    series: [
      ['ecn_pps', 'ECN'],
      ['cnp_pps', 'CNP'],
      ['trim_pps', 'Trimmed'],
    ],
  },
  {
    title: 'Errors',
    help: 'interface errors, packets/s',
    format: pps,
    series: [
      ['errors_in', 'In'],
      ['errors_out', 'Out'],
    ],
  },
  {
    title: 'Discards',
    help: 'interface discards, packets/s',
    format: pps,
    series: [
      ['discards_in', 'In'],
      ['discards_out', 'Out'],
    ],
  },
  {
    title: 'Drop Reasons',
    help: 'top dropped-packet reasons, packets/s (stacked)',
    format: pps,
    top: 'drops',
  },
];

/** The trend held in the browser: merged chunks, at most HISTORY points. */
export class TrendBuffer {
  times: number[] = [];
  trends = new Map<string, Point[]>();

  add(chunk: TrendChunk): void {
    const last = this.times[this.times.length - 1] ?? Number.NEGATIVE_INFINITY;
    // The server restarted (its trend starts over): start over too.
    if (chunk.times.length > 0 && chunk.times[chunk.times.length - 1] < last - 5000) this.clear();
    const lastKept = this.times[this.times.length - 1] ?? Number.NEGATIVE_INFINITY;
    chunk.times.forEach((t, i) => {
      if (t <= lastKept) return;
      const n = this.times.length;
      this.times.push(t);
      for (const [name, col] of Object.entries(chunk.trends)) {
        let mine = this.trends.get(name);
        if (mine === undefined) {
          mine = new Array<Point>(n).fill(null);
          this.trends.set(name, mine);
        }
        mine.push(col[i] ?? null);
      }
      for (const mine of this.trends.values()) if (mine.length < this.times.length) mine.push(null);
    });
    const extra = this.times.length - HISTORY;
    if (extra > 0) {
      this.times.splice(0, extra);
      for (const col of this.trends.values()) col.splice(0, extra);
    }
  }

  clear(): void {
    this.times = [];
    this.trends.clear();
  }

  get last(): number | undefined {
    return this.times[this.times.length - 1];
  }

  numbers(name: string): (number | null)[] {
    const col = this.trends.get(name);
    return this.times.map((_t, i) => {
      const v = col?.[i];
      return typeof v === 'number' ? v : null;
    });
  }

  /** The top keys of a {key: value} family over the window, largest total first ("-other-" last). */
  topKeys(name: string, n: number): string[] {
    const totals = new Map<string, number>();
    for (const p of this.trends.get(name) ?? []) {
      if (p === null || typeof p !== 'object') continue;
      for (const [k, v] of Object.entries(p))
        if (typeof v === 'number') totals.set(k, (totals.get(k) ?? 0) + v);
    }
    const keys = [...totals.entries()]
      .filter(([k, v]) => k !== OTHER && v > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k]) => k);
    if ((totals.get(OTHER) ?? 0) > 0) keys.push(OTHER);
    return keys;
  }

  family(name: string, key: string): (number | null)[] {
    const col = this.trends.get(name);
    return this.times.map((_t, i) => {
      const p = col?.[i];
      if (p === null || p === undefined || typeof p !== 'object') return null;
      const v = p[key];
      return typeof v === 'number' ? v : 0;
    });
  }
}

function periodicityDialog(): { open: () => void; close: () => void } {
  const chartHost = h('div');
  const readout = h('div', { class: 'status-line' }, '');
  const closeButton = h('button', { type: 'button' }, 'Close');
  const dialog = h(
    'dialog',
    { class: 'periodicity' },
    h('h3', {}, 'Periodicity: RoCEv2 frame rate against the detection threshold (every 100 ms)'),
    chartHost,
    readout,
    closeButton,
  );
  document.body.appendChild(dialog);
  let chart: TimeChart | undefined;
  let stop: (() => void) | undefined;
  const times: number[] = [];
  const cols: (number | null)[][] = [[], [], []];
  const close = () => {
    stop?.();
    stop = undefined;
    chart?.destroy();
    chart = undefined;
    if (dialog.open) dialog.close();
  };
  closeButton.addEventListener('click', close);
  dialog.addEventListener('close', close);
  const num = (v: unknown): number | null => {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (v !== null && typeof v === 'object' && typeof (v as { mean?: unknown }).mean === 'number')
      return (v as { mean: number }).mean;
    return null;
  };
  return {
    open: () => {
      dialog.showModal();
      chart = new TimeChart(chartHost, {
        series: [{ label: 'Value' }, { label: 'Threshold', dash: [6, 4] }, { label: 'Average' }],
        format: pps,
        height: 260,
      });
      times.length = 0;
      for (const c of cols) c.length = 0;
      stop = poll(100, async (signal) => {
        try {
          const p = await getJson<Record<string, unknown>>(`${AI_METRICS_BASE}/period/json`, signal);
          times.push(Date.now());
          cols[0].push(num(p.value));
          cols[1].push(num(p.threshold));
          cols[2].push(num(p.baselineLoad));
          if (times.length > HISTORY) {
            times.shift();
            for (const c of cols) c.shift();
          }
          chart?.set(times, cols);
          setText(readout, `period ${si(num(p.period), 's')}`);
        } catch (err) {
          if (aborted(err)) return;
          setText(
            readout,
            err instanceof ApiError && err.status === 404
              ? 'no data yet: the ai-metrics app is not running'
              : String(err),
          );
        }
      });
    },
    close,
  };
}

export const aiMetricsPage: Page = {
  title: 'AI metrics',
  nav: 'AI metrics',
  mount(root) {
    const status = h('div', { class: 'status-line' }, 'loading…');
    root.appendChild(h('h2', {}, 'AI metrics'));
    root.appendChild(status);
    const grid = h('div', { class: 'grid' });
    root.appendChild(grid);
    const buffer = new TrendBuffer();
    const periodicity = periodicityDialog();
    const panels = AI_PANELS.map((spec) => {
      const panel = new ChartPanel(
        grid,
        spec.title,
        {
          series: (spec.series ?? []).map(([, label], i) => ({ label, color: PALETTE[i % PALETTE.length] })),
          format: spec.format,
          stacked: spec.top !== undefined,
          ...(spec.band !== undefined ? { band: spec.band } : {}),
        },
        spec.help,
      );
      if (spec.title === 'Period') {
        const b = h('button', { type: 'button', title: 'watch the detection live' }, 'Periodicity');
        b.addEventListener('click', () => periodicity.open());
        panel.el.querySelector('h3')?.appendChild(b);
      }
      return { spec, panel };
    });

    const render = () => {
      for (const { spec, panel } of panels) {
        if (spec.top !== undefined) {
          const keys = buffer.topKeys(spec.top, TOP);
          panel.chart.setSeries(
            keys.map((k, i) => ({ label: k, color: k === OTHER ? '#64748b' : PALETTE[i % PALETTE.length] })),
          );
          panel.set(
            buffer.times,
            keys.map((k) => buffer.family(spec.top as string, k)),
          );
        } else {
          panel.set(
            buffer.times,
            (spec.series ?? []).map(([name]) => buffer.numbers(name)),
          );
        }
      }
    };

    let missing = false;
    const stop = poll(1000, async (signal) => {
      const after = buffer.last;
      const url = `${AI_METRICS_BASE}/trend/json${after === undefined ? '' : `?after=${after}`}`;
      try {
        const body = await getJson<unknown>(url, signal);
        const chunk = normalizeTrend(body);
        if (chunk === undefined) {
          setText(status, 'the ai-metrics app answered with something that is not a trend');
          return;
        }
        buffer.add(chunk);
        missing = false;
        render();
        setText(
          status,
          buffer.times.length === 0
            ? 'ai-metrics app running: no data yet'
            : `ai-metrics app: ${buffer.times.length} points, last ${new Date(buffer.last ?? 0).toLocaleTimeString()}`,
        );
      } catch (err) {
        if (aborted(err)) return;
        const notThere = err instanceof ApiError && err.status === 404;
        if (notThere && !missing) {
          missing = true;
          for (const { panel } of panels) panel.setNotice('no data yet: the ai-metrics app is not running');
          render();
        }
        setText(
          status,
          notThere
            ? 'no data yet: the ai-metrics app is not running here (its trend answers 404); retrying every second'
            : `cannot read the ai-metrics trend: ${(err as Error).message}`,
        );
      }
    });
    return () => {
      stop();
      periodicity.close();
      for (const { panel } of panels) panel.destroy();
      document.querySelector('dialog.periodicity')?.remove();
    };
  },
};
