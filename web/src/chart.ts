/**
 * Streaming time-series charts on uPlot, themed from the page's CSS
 * variables, sized to their container, with optional stacking (top-N
 * breakdowns) and a shaded band between two series (quartiles).
 *
 * The container carries data-points (samples held) and data-series for tests
 * and for anyone inspecting the page.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { css, h } from './dom.js';
import { clock } from './format.js';

export const PALETTE = [
  '#4e9af1',
  '#f59e0b',
  '#22c55e',
  '#ef4444',
  '#a855f7',
  '#14b8a6',
  '#ec4899',
  '#eab308',
  '#64748b',
  '#84cc16',
];

export interface SeriesSpec {
  label: string;
  color?: string;
  fill?: boolean;
  dash?: number[];
  width?: number;
}

export interface ChartOptions {
  series: SeriesSpec[];
  /** Formats axis ticks and legend values. */
  format: (v: number) => string;
  /** Stack the series (areas on top of each other, legend shows each one's own value). */
  stacked?: boolean;
  /** Shade between two series, by index into `series` (upper, lower). */
  band?: [number, number];
  height?: number;
  /** Show uPlot's legend (off when a table next to the chart names the series). */
  legend?: boolean;
}

function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (m === null) return color;
  const n = Number.parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export class TimeChart {
  readonly el: HTMLDivElement;
  private plot: uPlot | undefined;
  private specs: SeriesSpec[];
  private raw: (number | null)[][] = [];
  private times: number[] = [];
  private readonly resize: ResizeObserver;

  constructor(
    parent: HTMLElement,
    private readonly options: ChartOptions,
  ) {
    this.specs = options.series;
    this.el = h('div', { class: 'chart', 'data-points': 0, 'data-series': options.series.length });
    parent.appendChild(this.el);
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.el);
    this.build();
  }

  private height(): number {
    return this.options.height ?? (window.innerWidth < 600 ? 150 : 180);
  }

  private build(): void {
    this.plot?.destroy();
    const fg = css('--fg-muted') || '#9aa4b2';
    const grid = css('--grid') || '#2a3340';
    const format = this.options.format;
    const axis: uPlot.Axis = {
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font: '11px system-ui, sans-serif',
    };
    const series: uPlot.Series[] = [
      {},
      ...this.specs.map((s, i) => {
        const color = s.color ?? PALETTE[i % PALETTE.length];
        const out: uPlot.Series = {
          label: s.label,
          stroke: color,
          width: s.width ?? 1.5,
          points: { show: false },
          value: (_u, v, si, idx) => {
            const raw = idx === null ? v : (this.raw[si - 1]?.[idx] ?? null);
            return raw === null || raw === undefined ? '–' : format(raw);
          },
        };
        if (s.fill || this.options.stacked) out.fill = withAlpha(color, this.options.stacked ? 0.55 : 0.15);
        if (s.dash !== undefined) out.dash = s.dash;
        return out;
      }),
    ];
    const opts: uPlot.Options = {
      width: Math.max(200, this.el.clientWidth),
      height: this.height(),
      series,
      scales: {
        x: { time: true },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
      },
      axes: [
        {
          ...axis,
          space: 70,
          // Whole seconds and up: the charts span seconds to minutes.
          incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600],
          values: (_u, splits) => splits.map((v) => clock(v * 1000)),
        },
        {
          ...axis,
          values: (_u, splits) => splits.map((v) => format(v)),
          // Wide enough for the longest tick label ("888 Mbit/s").
          size: (_u, values) => 14 + 6.4 * Math.max(4, ...(values ?? []).map((v) => String(v).length)),
        },
      ],
      cursor: { drag: { x: false, y: false, setScale: false } },
      legend: { show: this.options.legend !== false, live: true },
    };
    if (this.options.band !== undefined) {
      const [upper, lower] = this.options.band;
      opts.bands = [
        { series: [upper + 1, lower + 1], fill: withAlpha(this.specs[upper]?.color ?? PALETTE[0], 0.12) },
      ];
    }
    this.plot = new uPlot(opts, this.data(), this.el);
  }

  private fit(): void {
    const w = Math.max(200, this.el.clientWidth);
    if (this.plot !== undefined && Math.abs(this.plot.width - w) > 1)
      this.plot.setSize({ width: w, height: this.height() });
  }

  /** What uPlot draws: stacked series become running sums from the last one up. */
  private data(): uPlot.AlignedData {
    const xs = this.times.map((t) => t / 1000);
    let cols = this.raw;
    if (this.options.stacked) {
      cols = this.raw.map((_c, j) =>
        xs.map((_x, i) => {
          let sum: number | null = null;
          for (let k = j; k < this.raw.length; k++) {
            const v = this.raw[k][i];
            if (v !== null && v !== undefined) sum = (sum ?? 0) + v;
          }
          return sum;
        }),
      );
    }
    return [xs, ...this.specs.map((_s, i) => cols[i] ?? xs.map(() => null))] as uPlot.AlignedData;
  }

  /** New data: times in ms, one column per series. */
  set(times: number[], columns: (number | null)[][]): void {
    this.times = times;
    this.raw = columns;
    this.plot?.setData(this.data());
    this.el.dataset.points = String(times.length);
    let held = 0;
    for (const c of columns)
      for (const v of c) if (v !== null && v !== undefined && Number.isFinite(v)) held++;
    this.el.dataset.values = String(held);
  }

  /** Changes the series (e.g. a new top-N set); rebuilds only when the labels changed. */
  setSeries(specs: SeriesSpec[]): void {
    const same = specs.length === this.specs.length && specs.every((s, i) => s.label === this.specs[i].label);
    if (same) return;
    this.specs = specs;
    this.el.dataset.series = String(specs.length);
    this.build();
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
    this.el.remove();
  }
}

/** A titled panel holding a chart, with a "no data yet" notice over it while it is empty. */
export class ChartPanel {
  readonly el: HTMLElement;
  readonly chart: TimeChart;
  private readonly notice: HTMLElement;

  constructor(parent: HTMLElement, title: string, options: ChartOptions, help?: string) {
    this.notice = h('div', { class: 'notice' }, 'no data yet');
    this.el = h('section', { class: 'panel', 'data-title': title }, h('h3', { title: help ?? '' }, title));
    parent.appendChild(this.el);
    this.chart = new TimeChart(this.el, options);
    this.el.appendChild(this.notice);
  }

  set(times: number[], columns: (number | null)[][]): void {
    this.chart.set(times, columns);
    const any = columns.some((c) => c.some((v) => v !== null && v !== undefined));
    this.el.classList.toggle('empty', !any);
  }

  setNotice(text: string): void {
    this.notice.textContent = text;
  }

  destroy(): void {
    this.chart.destroy();
    this.el.remove();
  }
}
