/**
 * Temporary flows for the flow and drop browsers: a flow definition PUT under
 * a random name (browse_xxxxxxxx), its top-N read every second, a table and a
 * trend of the leaders, and the definition deleted again when the page goes.
 */
import { del, getJson, putJson } from '../api.js';
import { PALETTE, TimeChart } from '../chart.js';
import { h, replace } from '../dom.js';
import { bps, pps, si } from '../format.js';

/** Separates key values in the flow's keys (a comma may occur inside a value). */
export const SEP = '_SEP_';
const HISTORY = 300;

export interface WatchSpec {
  keys: string;
  /** bps, Bps, fps, or any value expression the engine takes. */
  value: string;
  filter?: string;
  dropped?: boolean;
  aggMode?: string;
  maxFlows: number;
  minValue?: number;
}

export interface FlowRow {
  key: string;
  value: number;
  agent?: string;
  dataSource?: string;
}

/** How a displayed value is measured and shown. */
export function measure(value: string): {
  attr: string;
  scale: number;
  format: (v: number) => string;
  unit: string;
} {
  switch (value) {
    case 'bps':
      return { attr: 'bytes', scale: 8, format: bps, unit: 'bits/s' };
    case 'Bps':
      return { attr: 'bytes', scale: 1, format: (v) => si(v, 'B/s'), unit: 'bytes/s' };
    case 'fps':
      return { attr: 'frames', scale: 1, format: pps, unit: 'packets/s' };
    default:
      return { attr: value, scale: 1, format: (v) => si(v), unit: value };
  }
}

/** Splits a key list at top-level commas (commas inside [ ] belong to a nested expression). */
export function splitKeys(keys: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of keys) {
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

export function randomName(prefix: string): string {
  const bytes = new Uint8Array(5);
  crypto.getRandomValues(bytes);
  return `${prefix}_${[...bytes].map((b) => b.toString(36).padStart(2, '0')).join('')}`;
}

export class FlowWatch {
  readonly name: string;
  private defined = false;
  spec: WatchSpec | undefined;

  constructor(prefix = 'browse') {
    this.name = randomName(prefix);
  }

  /** Defines (or redefines) the flow; throws ApiError with the engine's message when it is refused. */
  async define(spec: WatchSpec): Promise<void> {
    const m = measure(spec.value);
    const def: Record<string, unknown> = {
      keys: spec.keys,
      value: m.attr,
      fs: SEP,
      t: 2,
      n: Math.max(20, spec.maxFlows),
    };
    if (spec.filter !== undefined && spec.filter !== '') def.filter = spec.filter;
    if (spec.dropped === true) def.dropped = true;
    await putJson(`/flow/${this.name}/json`, def);
    this.defined = true;
    this.spec = spec;
  }

  async read(signal: AbortSignal): Promise<FlowRow[]> {
    const spec = this.spec;
    if (spec === undefined || !this.defined) return [];
    const q = new URLSearchParams({ maxFlows: String(spec.maxFlows) });
    if (spec.aggMode !== undefined && spec.aggMode !== '') q.set('aggMode', spec.aggMode);
    if (spec.minValue !== undefined) q.set('minValue', String(spec.minValue));
    const scale = measure(spec.value).scale;
    const rows = await getJson<FlowRow[]>(`/activeflows/ALL/${this.name}/json?${q.toString()}`, signal);
    return rows.map((r) => ({ ...r, value: r.value * scale }));
  }

  /** Deletes the flow (keepalive: also while the page unloads). */
  remove(): void {
    if (!this.defined) return;
    this.defined = false;
    void del(`/flow/${this.name}/json`, true).catch(() => {});
  }
}

/** The top flows as a table: one column per key, the value and its share. */
export class TopTable {
  readonly el: HTMLElement;
  private readonly head = h('thead');
  private readonly body = h('tbody');

  constructor(
    private readonly onPick?: (names: string[], values: string[]) => void,
    private readonly colour?: (key: string) => string | undefined,
  ) {
    this.el = h('div', { class: 'table-wrap' }, h('table', { class: 'top-flows' }, this.head, this.body));
  }

  set(keys: string, rows: FlowRow[], format: (v: number) => string, emptyText = 'no flows yet'): void {
    const names = splitKeys(keys);
    replace(
      this.head,
      h('tr', {}, ...names.map((n) => h('th', {}, n)), h('th', { class: 'num' }, 'value'), h('th', {}, '')),
    );
    const top = rows[0]?.value ?? 0;
    replace(
      this.body,
      ...rows.map((r) => {
        const values = r.key.split(SEP);
        const c = this.colour?.(r.key);
        const tr = h(
          'tr',
          { class: this.onPick ? 'clickable' : '', title: this.onPick ? 'add to the filter' : '' },
          ...names.map((_n, i) =>
            h(
              'td',
              {},
              i === 0 && c !== undefined ? h('span', { class: 'swatch', style: `background:${c}` }) : null,
              values[i] ?? '',
            ),
          ),
          h('td', { class: 'num' }, format(r.value)),
          h(
            'td',
            { class: 'share' },
            h('div', { class: 'bar' }, h('span', { style: `width:${top > 0 ? (100 * r.value) / top : 0}%` })),
          ),
        );
        if (this.onPick !== undefined) tr.addEventListener('click', () => this.onPick?.(names, values));
        return tr;
      }),
    );
    if (rows.length === 0)
      replace(this.body, h('tr', {}, h('td', { colspan: names.length + 2, class: 'muted' }, emptyText)));
    this.el.dataset.rows = String(rows.length);
  }
}

/** A trend of the leading flows: each key's value over the last HISTORY polls. */
export class TopTrend {
  private readonly chart: TimeChart;
  private times: number[] = [];
  private readonly history = new Map<string, (number | null)[]>();
  private colours = new Map<string, string>();

  constructor(
    parent: HTMLElement,
    format: (v: number) => string,
    private readonly lines = 10,
  ) {
    this.chart = new TimeChart(parent, { series: [], format, height: 240, legend: false });
  }

  colourOf(key: string): string | undefined {
    return this.colours.get(key);
  }

  add(time: number, rows: FlowRow[]): void {
    this.times.push(time);
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.key);
      let col = this.history.get(r.key);
      if (col === undefined) {
        col = new Array<number | null>(this.times.length - 1).fill(null);
        this.history.set(r.key, col);
      }
      col.push(r.value);
    }
    for (const [k, col] of this.history) if (!seen.has(k)) col.push(null);
    if (this.times.length > HISTORY) {
      this.times.shift();
      for (const col of this.history.values()) col.shift();
    }
    for (const [k, col] of this.history) if (col.every((v) => v === null)) this.history.delete(k);
    // Lines for the keys with the most traffic over the window; colours stay with their key.
    const ranked = [...this.history.entries()]
      .map(([k, col]) => [k, col.reduce<number>((s, v) => s + (v ?? 0), 0)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, this.lines)
      .map(([k]) => k)
      .sort();
    const free = PALETTE.filter(
      (c) => ![...this.colours.entries()].some(([k, used]) => used === c && ranked.includes(k)),
    );
    const next = new Map<string, string>();
    for (const k of ranked) next.set(k, this.colours.get(k) ?? free.shift() ?? '#888888');
    this.colours = next;
    this.chart.setSeries(ranked.map((k) => ({ label: k.split(SEP).join(' '), color: next.get(k) })));
    this.chart.set(
      this.times,
      ranked.map((k) => this.history.get(k) ?? []),
    );
  }

  reset(): void {
    this.times = [];
    this.history.clear();
    this.chart.set([], []);
  }

  destroy(): void {
    this.chart.destroy();
  }
}
