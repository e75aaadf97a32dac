/**
 * Overview: is telemetry arriving, from whom, and is any of it lost?
 * Agents, datagram and sample rates, sequence gaps, kernel drops and decode
 * errors, from /analyzer/json, /agents/json and /metrics, every second.
 */
import { aborted, getJson, getText, poll } from '../api.js';
import { ChartPanel } from '../chart.js';
import { h, replace, setText } from '../dom.js';
import { bytes, count, duration, perSecond } from '../format.js';
import type { Page } from './page.js';

interface Analyzer {
  version?: string;
  uptime?: number;
  sFlowAgents?: number;
  sFlowDatagramsReceived?: number;
  sFlowBytesReceived?: number;
  sFlowFlowSamples?: number;
  sFlowCounterSamples?: number;
  sFlowDiscardSamples?: number;
  sFlowDatagramsLost?: number;
  sFlowDatagramsOutOfOrder?: number;
  sFlowDecodeErrors?: number;
  sFlowKernelDrops?: number;
  rss?: number;
  flows?: number;
}

interface AgentInfo {
  sFlowDatagramsReceived: number;
  sFlowFlowSamples: number;
  sFlowCounterSamples: number;
  sFlowDiscardSamples?: number;
  sFlowDatagramsLost: number;
  sFlowDatagramsOutOfOrder: number;
  sFlowDatagramsDuplicates: number;
  sFlowDecodeErrors: number;
  sFlowAgentRestarts?: number;
  lastSeen: number;
}

/** `name{label="x"} 12` lines of the Prometheus text format, by metric name. */
export function parsePrometheus(
  text: string,
): Map<string, { labels: Record<string, string>; value: number }[]> {
  const out = new Map<string, { labels: Record<string, string>; value: number }[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2];
    const list = out.get(m[1]) ?? [];
    list.push({ labels, value: Number(m[3]) });
    out.set(m[1], list);
  }
  return out;
}

const HISTORY = 300;

function tile(label: string): { el: HTMLElement; set: (text: string, state?: 'bad' | 'warn' | '') => void } {
  const value = h('div', { class: 'value' }, '–');
  const el = h('div', { class: 'tile', 'data-tile': label }, h('div', { class: 'label' }, label), value);
  return {
    el,
    set: (text, state = '') => {
      setText(value, text);
      el.classList.toggle('bad', state === 'bad');
      el.classList.toggle('warn', state === 'warn');
    },
  };
}

export const overviewPage: Page = {
  title: 'Overview',
  nav: 'Overview',
  mount(root) {
    root.appendChild(h('h2', {}, 'Overview'));
    const tiles = {
      agents: tile('Agents'),
      datagrams: tile('Datagrams / s'),
      samples: tile('Flow samples / s'),
      lost: tile('Sequence gaps'),
      kernel: tile('Kernel drops'),
      decode: tile('Decode errors'),
      flows: tile('Flow definitions'),
      memory: tile('Memory (RSS)'),
      uptime: tile('Uptime'),
    };
    root.appendChild(h('div', { class: 'tiles' }, ...Object.values(tiles).map((t) => t.el)));
    const grid = h('div', { class: 'grid' });
    root.appendChild(grid);
    const rates = new ChartPanel(grid, 'Datagrams and samples per second', {
      series: [
        { label: 'datagrams' },
        { label: 'flow samples' },
        { label: 'counter samples' },
        { label: 'discards' },
      ],
      format: perSecond,
    });
    const losses = new ChartPanel(grid, 'Losses per second', {
      series: [
        { label: 'sequence gaps', color: '#ef4444' },
        { label: 'kernel drops', color: '#f59e0b' },
        { label: 'decode errors', color: '#a855f7' },
      ],
      format: perSecond,
    });
    const agentsBody = h('tbody');
    const agentsPanel = h(
      'section',
      { class: 'panel', 'data-title': 'Agents' },
      h('h3', {}, 'Agents'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'agents' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'agent'),
              h('th', { class: 'num' }, 'datagrams/s'),
              h('th', { class: 'num' }, 'datagrams'),
              h('th', { class: 'num' }, 'flow samples'),
              h('th', { class: 'num' }, 'lost'),
              h('th', { class: 'num' }, 'out of order'),
              h('th', { class: 'num' }, 'decode errors'),
              h('th', { class: 'num' }, 'last seen'),
            ),
          ),
          agentsBody,
        ),
      ),
    );
    const protoBody = h('tbody');
    const errorsBody = h('tbody');
    const health = h(
      'section',
      { class: 'panel', 'data-title': 'Ingest' },
      h('h3', {}, 'Ingest health'),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, 'datagrams by protocol'), h('th', { class: 'num' }, 'total'))),
        protoBody,
      ),
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h('tr', {}, h('th', {}, 'decode errors by reason'), h('th', { class: 'num' }, 'total')),
        ),
        errorsBody,
      ),
    );
    root.appendChild(h('div', { class: 'grid', style: 'margin-top:12px' }, agentsPanel, health));
    const status = h('div', { class: 'status-line' });
    root.appendChild(status);

    const times: number[] = [];
    const cols: (number | null)[][] = [[], [], [], []];
    const lossCols: (number | null)[][] = [[], [], []];
    let prev: { t: number; a: Analyzer } | undefined;
    const prevAgents = new Map<string, { t: number; d: number }>();

    const stop = poll(1000, async (signal) => {
      try {
        const [a, agents, metricsText] = await Promise.all([
          getJson<Analyzer>('/analyzer/json', signal),
          getJson<Record<string, AgentInfo>>('/agents/json', signal),
          getText('/metrics', signal).catch(() => ''),
        ]);
        const now = Date.now();
        const rate = (k: keyof Analyzer) => {
          if (prev === undefined) return null;
          const dt = (now - prev.t) / 1000;
          const d = Number(a[k] ?? 0) - Number(prev.a[k] ?? 0);
          return dt > 0 && d >= 0 ? d / dt : null;
        };
        const dgs = rate('sFlowDatagramsReceived');
        const fss = rate('sFlowFlowSamples');
        if (prev !== undefined) {
          times.push(now);
          cols[0].push(dgs);
          cols[1].push(fss);
          cols[2].push(rate('sFlowCounterSamples'));
          cols[3].push(rate('sFlowDiscardSamples'));
          lossCols[0].push(rate('sFlowDatagramsLost'));
          lossCols[1].push(rate('sFlowKernelDrops'));
          lossCols[2].push(rate('sFlowDecodeErrors'));
          if (times.length > HISTORY) {
            times.shift();
            for (const c of [...cols, ...lossCols]) c.shift();
          }
          rates.set(times, cols);
          losses.set(times, lossCols);
        }
        prev = { t: now, a };
        tiles.agents.set(count(a.sFlowAgents));
        tiles.datagrams.set(dgs === null ? '…' : perSecond(dgs));
        tiles.samples.set(fss === null ? '…' : perSecond(fss));
        tiles.lost.set(count(a.sFlowDatagramsLost), (a.sFlowDatagramsLost ?? 0) > 0 ? 'warn' : '');
        tiles.kernel.set(count(a.sFlowKernelDrops), (a.sFlowKernelDrops ?? 0) > 0 ? 'bad' : '');
        tiles.decode.set(count(a.sFlowDecodeErrors), (a.sFlowDecodeErrors ?? 0) > 0 ? 'warn' : '');
        tiles.flows.set(count(a.flows));
        tiles.memory.set(bytes(a.rss));
        tiles.uptime.set(duration(a.uptime));

        const rows = Object.entries(agents).sort((x, y) => (x[0] < y[0] ? -1 : 1));
        replace(
          agentsBody,
          ...rows.map(([agent, s]) => {
            const p = prevAgents.get(agent);
            const r =
              p === undefined ? null : ((s.sFlowDatagramsReceived - p.d) * 1000) / Math.max(1, now - p.t);
            prevAgents.set(agent, { t: now, d: s.sFlowDatagramsReceived });
            return h(
              'tr',
              {},
              h('td', {}, agent),
              h('td', { class: 'num' }, r === null ? '…' : perSecond(r)),
              h('td', { class: 'num' }, count(s.sFlowDatagramsReceived)),
              h('td', { class: 'num' }, count(s.sFlowFlowSamples)),
              h('td', { class: 'num' }, count(s.sFlowDatagramsLost)),
              h('td', { class: 'num' }, count(s.sFlowDatagramsOutOfOrder)),
              h('td', { class: 'num' }, count(s.sFlowDecodeErrors)),
              h('td', { class: 'num' }, duration(s.lastSeen)),
            );
          }),
        );
        if (rows.length === 0)
          replace(agentsBody, h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'no agents yet')));

        const prom = parsePrometheus(metricsText);
        const listRows = (name: string, label: string) => {
          const list = (prom.get(name) ?? []).filter((x) => x.value > 0).sort((x, y) => y.value - x.value);
          if (list.length === 0) return [h('tr', {}, h('td', { class: 'muted' }, 'none'), h('td', {}))];
          return list.map((x) =>
            h('tr', {}, h('td', {}, x.labels[label] ?? '?'), h('td', { class: 'num' }, count(x.value))),
          );
        };
        replace(protoBody, ...listRows('flowlens_datagrams_received_total', 'protocol'));
        replace(errorsBody, ...listRows('flowlens_decode_errors_total', 'reason'));
        setText(
          status,
          `updated ${new Date(now).toLocaleTimeString()}${a.version ? ` · flowlens ${a.version}` : ''}`,
        );
        status.classList.remove('error');
      } catch (err) {
        if (aborted(err)) return;
        setText(status, `cannot reach the API: ${(err as Error).message}`);
        status.classList.add('error');
      }
    });
    return () => {
      stop();
      rates.destroy();
      losses.destroy();
    };
  },
};
