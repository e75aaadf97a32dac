/**
 * Flow browser: define keys, value and filter, and watch the top flows live
 * (table and trend). The definition is a temporary flow (browse_<random>)
 * deleted when the page is left. The URL holds the query, so a view can be
 * bookmarked, and the heatmap opens a cell here with its filter filled in.
 */
import { aborted, getJson, poll } from '../api.js';
import { h, replace, setText } from '../dom.js';
import { FlowWatch, measure, TopTable, TopTrend, type WatchSpec } from './flow-watch.js';
import { type Page, setParams } from './page.js';

/** Suggestions for the last key of a comma-separated list, from /flowkeys/json. */
export function keySuggestions(input: HTMLInputElement, list: HTMLDataListElement, keys: string[]): void {
  const text = input.value;
  const cut = text.lastIndexOf(',') + 1;
  const head = text.slice(0, cut);
  const tail = text.slice(cut).trim().toLowerCase();
  const matches = keys.filter((k) => k.startsWith(tail)).slice(0, 60);
  replace(list, ...matches.map((k) => h('option', { value: `${head}${k}` })));
}

export const flowsPage: Page = {
  title: 'Flows',
  nav: 'Flows',
  mount(root, params) {
    const keys = h('input', {
      name: 'keys',
      list: 'flow-keys',
      placeholder: 'ipsource,ipdestination',
      spellcheck: 'false',
      autocomplete: 'off',
    });
    const keyList = h('datalist', { id: 'flow-keys' });
    const value = h('input', { name: 'value', list: 'flow-values', spellcheck: 'false', style: 'width:7em' });
    const valueList = h(
      'datalist',
      { id: 'flow-values' },
      h('option', { value: 'bps' }, 'bits per second'),
      h('option', { value: 'Bps' }, 'bytes per second'),
      h('option', { value: 'fps' }, 'frames per second'),
    );
    const filter = h('input', {
      name: 'filter',
      placeholder: 'e.g. ipprotocol=6&tcpdestinationport=443',
      spellcheck: 'false',
    });
    const agg = h(
      'select',
      { name: 'aggMode' },
      ...['max', 'sum', 'edge', 'core'].map((m) => h('option', { value: m }, m)),
    );
    const top = h('input', { name: 'maxFlows', type: 'number', min: 1, max: 100, style: 'width:5em' });
    const run = h('button', { type: 'submit', class: 'primary' }, 'Watch');
    const clear = h('button', { type: 'button' }, 'Clear filter');
    const form = h(
      'form',
      { class: 'controls' },
      h('label', { class: 'grow' }, 'keys', keys),
      h('label', {}, 'value', value),
      h('label', { class: 'grow' }, 'filter', filter),
      h('label', {}, 'aggregate', agg),
      h('label', {}, 'top', top),
      h('div', { class: 'buttons' }, run, clear),
      keyList,
      valueList,
    );
    const status = h('div', { class: 'status-line' }, 'Define keys and press Watch.');
    const trendPanel = h(
      'section',
      { class: 'panel', 'data-title': 'Trend' },
      h('h3', {}, 'Top flows over time'),
    );
    const tablePanel = h(
      'section',
      { class: 'panel', 'data-title': 'Top flows' },
      h('h3', {}, 'Top flows now'),
    );
    root.append(
      h('h2', {}, 'Flow browser'),
      form,
      status,
      h('div', { class: 'grid' }, trendPanel, tablePanel),
    );

    keys.value = params.get('keys') ?? 'ipsource,ipdestination';
    value.value = params.get('value') ?? 'bps';
    filter.value = params.get('filter') ?? '';
    agg.value = params.get('aggMode') ?? 'max';
    top.value = params.get('maxFlows') ?? '10';

    let flowKeys: string[] = [];
    void getJson<Record<string, number>>('/flowkeys/json')
      .then((k) => {
        flowKeys = Object.keys(k).sort();
        keySuggestions(keys, keyList, flowKeys);
      })
      .catch(() => {});
    keys.addEventListener('input', () => keySuggestions(keys, keyList, flowKeys));

    const watch = new FlowWatch('browse');
    let trend: TopTrend | undefined;
    const table = new TopTable(
      (names, values) => {
        const terms = names.map((n, i) => `${n}=${values[i]}`);
        const have = filter.value.trim();
        filter.value = have === '' ? terms.join('&') : `${have}&${terms.join('&')}`;
        void start();
      },
      (k) => trend?.colourOf(k),
    );
    tablePanel.appendChild(table.el);
    let stopPoll: () => void = () => {};

    const start = async () => {
      stopPoll();
      const spec: WatchSpec = {
        keys: keys.value.trim(),
        value: value.value.trim() || 'bps',
        filter: filter.value.trim(),
        aggMode: agg.value,
        maxFlows: Math.max(1, Math.min(100, Number(top.value) || 10)),
      };
      if (spec.keys === '') {
        setText(status, 'Give at least one key.');
        return;
      }
      const q = new URLSearchParams({ keys: spec.keys, value: spec.value });
      if (spec.filter) q.set('filter', spec.filter);
      if (spec.aggMode !== 'max') q.set('aggMode', spec.aggMode ?? '');
      if (spec.maxFlows !== 10) q.set('maxFlows', String(spec.maxFlows));
      setParams('flows', q);
      const m = measure(spec.value);
      trend?.destroy();
      trend = new TopTrend(trendPanel, m.format, Math.min(10, spec.maxFlows));
      try {
        await watch.define(spec);
      } catch (err) {
        setText(status, `The flow was refused: ${(err as Error).message}`);
        status.classList.add('error');
        table.set(spec.keys, [], m.format, 'no flow defined');
        return;
      }
      status.classList.remove('error');
      setText(status, `Watching flow ${watch.name} (${m.unit}); it is deleted when you leave this page.`);
      const current = trend;
      stopPoll = poll(1000, async (signal) => {
        try {
          const rows = await watch.read(signal);
          current.add(Date.now(), rows);
          table.set(spec.keys, rows, m.format);
          setText(
            status,
            `Watching flow ${watch.name}: ${rows.length} flows (${m.unit}), updated ${new Date().toLocaleTimeString()}.`,
          );
        } catch (err) {
          if (aborted(err)) return;
          setText(status, `Cannot read the flow: ${(err as Error).message}`);
        }
      });
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void start();
    });
    clear.addEventListener('click', () => {
      filter.value = '';
      void start();
    });
    void start();

    return () => {
      stopPoll();
      trend?.destroy();
      watch.remove();
    };
  },
};
