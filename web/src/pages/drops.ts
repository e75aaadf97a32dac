/**
 * Drops browser: packets the network discarded (sFlow dropped-packet
 * notifications), through three temporary `dropped: true` flows: why
 * (reason), where (reason, agent, input port) and who is affected (reason
 * and packet keys, source and destination by default). Rates are summed over
 * data sources, since every drop is reported once.
 */
import { aborted, poll } from '../api.js';
import { h, setText } from '../dom.js';
import { pps } from '../format.js';
import { type FlowRow, FlowWatch, TopTable, TopTrend, type WatchSpec } from './flow-watch.js';
import { type Page, setParams } from './page.js';

export const dropsPage: Page = {
  title: 'Drops',
  nav: 'Drops',
  mount(root, params) {
    const who = h('input', { name: 'who', spellcheck: 'false', placeholder: 'ipsource,ipdestination' });
    const filter = h('input', { name: 'filter', spellcheck: 'false', placeholder: 'e.g. agent=192.0.2.1' });
    const apply = h('button', { type: 'submit', class: 'primary' }, 'Apply');
    const form = h(
      'form',
      { class: 'controls' },
      h('label', { class: 'grow' }, 'who: packet keys', who),
      h('label', { class: 'grow' }, 'filter', filter),
      h('div', { class: 'buttons' }, apply),
    );
    who.value = params.get('who') ?? 'ipsource,ipdestination';
    filter.value = params.get('filter') ?? '';
    const status = h('div', { class: 'status-line' });
    const reasonsPanel = h(
      'section',
      { class: 'panel', 'data-title': 'Reasons' },
      h('h3', {}, 'Drop reasons over time'),
    );
    const reasonsTable = new TopTable(undefined, (k) => trend.colourOf(k));
    const nowPanel = h(
      'section',
      { class: 'panel', 'data-title': 'Reasons now' },
      h('h3', {}, 'Why: drop reasons now'),
      reasonsTable.el,
    );
    const whereTable = new TopTable((names, values) => addFilter(names, values));
    const wherePanel = h(
      'section',
      { class: 'panel', 'data-title': 'Where' },
      h('h3', {}, 'Where: reason, switch and input port'),
      whereTable.el,
    );
    const whoTable = new TopTable((names, values) => addFilter(names, values));
    const whoPanel = h(
      'section',
      { class: 'panel', 'data-title': 'Who' },
      h('h3', {}, 'Who is affected'),
      whoTable.el,
    );
    root.append(
      h('h2', {}, 'Dropped packets'),
      form,
      status,
      h('div', { class: 'grid two' }, reasonsPanel, nowPanel, wherePanel, whoPanel),
    );
    const trend = new TopTrend(reasonsPanel, pps, 5);

    const watches = {
      why: new FlowWatch('browse'),
      where: new FlowWatch('browse'),
      who: new FlowWatch('browse'),
    };
    let stop: () => void = () => {};

    const addFilter = (names: string[], values: string[]) => {
      const terms = names.map((n, i) => `${n}=${values[i]}`).join('&');
      filter.value = filter.value.trim() === '' ? terms : `${filter.value.trim()}&${terms}`;
      void start();
    };

    const start = async () => {
      stop();
      const f = filter.value.trim();
      const whoKeys = who.value.trim() || 'ipsource,ipdestination';
      const q = new URLSearchParams();
      if (whoKeys !== 'ipsource,ipdestination') q.set('who', whoKeys);
      if (f !== '') q.set('filter', f);
      setParams('drops', q);
      const base = { value: 'fps', dropped: true, aggMode: 'sum', minValue: 0, filter: f };
      const specs: Record<keyof typeof watches, WatchSpec> = {
        why: { ...base, keys: 'reason', maxFlows: 10 },
        where: { ...base, keys: 'reason,agent,inputifindex', maxFlows: 20 },
        who: { ...base, keys: `reason,${whoKeys}`, maxFlows: 20 },
      };
      try {
        await Promise.all(
          Object.entries(specs).map(([k, s]) => watches[k as keyof typeof watches].define(s)),
        );
      } catch (err) {
        setText(status, `The drop flows were refused: ${(err as Error).message}`);
        status.classList.add('error');
        return;
      }
      status.classList.remove('error');
      trend.reset();
      stop = poll(1000, async (signal) => {
        try {
          const [why, where, whom] = await Promise.all([
            watches.why.read(signal),
            watches.where.read(signal),
            watches.who.read(signal),
          ]);
          trend.add(Date.now(), why);
          const none = 'no drops reported';
          reasonsTable.set(specs.why.keys, why, pps, none);
          whereTable.set(specs.where.keys, where, pps, none);
          whoTable.set(specs.who.keys, whom, pps, none);
          const total = why.reduce((s: number, r: FlowRow) => s + r.value, 0);
          setText(
            status,
            why.length === 0
              ? 'No dropped packets reported (agents send them as sFlow discard samples).'
              : `${pps(total)} dropped, ${why.length} reasons · updated ${new Date().toLocaleTimeString()}`,
          );
        } catch (err) {
          if (aborted(err)) return;
          setText(status, `Cannot read the drop flows: ${(err as Error).message}`);
        }
      });
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void start();
    });
    void start();

    return () => {
      stop();
      trend.destroy();
      for (const w of Object.values(watches)) w.remove();
    };
  },
};
