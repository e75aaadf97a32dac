/**
 * Events: threshold events as they happen, streamed from /events/sse (the
 * last hundred first, from /events/json), and the thresholds that raise
 * them, with a form to add one.
 */

import type { ThresholdEvent } from '../../../src/engine/threshold-event.js';
import { aborted, del, getJson, poll, putJson } from '../api.js';
import { h, replace, setText } from '../dom.js';
import { clock, si } from '../format.js';
import type { Page } from './page.js';

interface Threshold {
  metric: string;
  value: number;
  byFlow?: boolean;
  timeout?: number;
  filter?: Record<string, string[]>;
}

const KEEP = 300;

export const eventsPage: Page = {
  title: 'Events',
  nav: 'Events',
  mount(root) {
    const status = h('div', { class: 'status-line' }, 'connecting…');
    const body = h('tbody');
    const table = h(
      'table',
      { class: 'events' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'time'),
          h('th', {}, 'threshold'),
          h('th', {}, 'metric'),
          h('th', {}, 'agent'),
          h('th', {}, 'data source'),
          h('th', {}, 'flow'),
          h('th', { class: 'num' }, 'value'),
          h('th', { class: 'num' }, 'threshold'),
        ),
      ),
      body,
    );
    const empty = h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'no events yet'));
    body.appendChild(empty);

    const name = h('input', {
      name: 'name',
      placeholder: 'big_flows',
      size: 12,
      required: true,
      pattern: '[A-Za-z0-9_.\\-]{1,128}',
    });
    const metric = h('input', {
      name: 'metric',
      placeholder: 'flow or metric name',
      size: 14,
      required: true,
    });
    const value = h('input', {
      name: 'value',
      type: 'number',
      step: 'any',
      placeholder: 'value',
      style: 'width:9em',
      required: true,
    });
    const byFlow = h('input', { name: 'byFlow', type: 'checkbox' });
    const add = h('button', { type: 'submit', class: 'primary' }, 'Add');
    const formStatus = h('span', { class: 'hint' });
    const form = h(
      'form',
      { class: 'controls' },
      h('label', {}, 'name', name),
      h('label', {}, 'metric', metric),
      h('label', {}, 'value', value),
      h('label', {}, 'per flow', byFlow),
      h('div', { class: 'buttons' }, add),
      formStatus,
    );
    const thresholdsBody = h('tbody');
    root.append(
      h('h2', {}, 'Events'),
      status,
      h(
        'section',
        { class: 'panel', 'data-title': 'Events' },
        h('h3', {}, 'Threshold events (live)'),
        h('div', { class: 'table-wrap' }, table),
      ),
      h(
        'section',
        { class: 'panel', style: 'margin-top:12px', 'data-title': 'Thresholds' },
        h('h3', {}, 'Thresholds'),
        form,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, 'name'),
                h('th', {}, 'metric'),
                h('th', { class: 'num' }, 'value'),
                h('th', {}, 'per flow'),
                h('th', {}),
              ),
            ),
            thresholdsBody,
          ),
        ),
      ),
    );

    let shown = 0;
    const seen = new Set<number>();
    const row = (e: ThresholdEvent, fresh: boolean) =>
      h(
        'tr',
        { class: fresh ? 'fresh' : '', 'data-event': e.eventID },
        h('td', {}, clock(e.timestamp)),
        h('td', {}, e.thresholdID),
        h('td', {}, e.metric),
        h('td', {}, e.agent),
        h('td', {}, e.dataSource),
        h('td', {}, e.flowKey ?? ''),
        h('td', { class: 'num' }, si(e.value)),
        h('td', { class: 'num' }, si(e.threshold)),
      );
    /** Adds events (newest last in `list`) at the top, keeping the newest KEEP rows. */
    const addEvents = (list: ThresholdEvent[], fresh: boolean) => {
      const news = list.filter((e) => !seen.has(e.eventID)).slice(-KEEP);
      if (news.length === 0) return;
      for (const e of news) seen.add(e.eventID);
      if (seen.size > KEEP * 4) {
        const keep = [...seen].slice(-KEEP * 2);
        seen.clear();
        for (const id of keep) seen.add(id);
      }
      if (shown === 0) empty.remove();
      const frag = document.createDocumentFragment();
      for (let i = news.length - 1; i >= 0; i--) frag.appendChild(row(news[i], fresh));
      body.insertBefore(frag, body.firstChild);
      shown += news.length;
      while (shown > KEEP && body.lastChild !== null) {
        body.removeChild(body.lastChild);
        shown--;
      }
    };
    // A busy threshold can fire thousands of events a second: rows are added in batches.
    const pending: ThresholdEvent[] = [];
    let flushTimer: number | undefined;
    let received = 0;
    const since = Date.now();
    const flush = () => {
      flushTimer = undefined;
      addEvents(pending.splice(0), true);
      const secs = Math.max(1, (Date.now() - since) / 1000);
      setText(
        status,
        `live: ${received} events received (${(received / secs).toFixed(1)}/s), the newest ${Math.min(shown, KEEP)} shown`,
      );
    };

    let source: EventSource | undefined;
    let closed = false;
    const ctl = new AbortController();
    const open = (after: number | undefined) => {
      if (closed) return;
      source = new EventSource(`/events/sse${after === undefined ? '' : `?eventID=${after}`}`);
      source.addEventListener('open', () => setText(status, 'live: events appear as thresholds are crossed'));
      source.addEventListener('event', (m) => {
        try {
          pending.push(JSON.parse((m as MessageEvent<string>).data) as ThresholdEvent);
          received++;
        } catch {
          // A malformed record is skipped; the stream goes on.
        }
        flushTimer ??= window.setTimeout(flush, 250);
      });
      // EventSource reconnects by itself (sending Last-Event-ID); just say so meanwhile.
      source.addEventListener('error', () => {
        if (!closed) setText(status, 'reconnecting to the event stream…');
      });
    };
    void getJson<ThresholdEvent[]>('/events/json?maxEvents=100', ctl.signal)
      .then((list) => {
        addEvents([...list].reverse(), false);
        open(list.length > 0 ? Math.max(...list.map((e) => e.eventID)) : undefined);
      })
      .catch((err) => {
        if (aborted(err)) return;
        setText(status, `cannot read events: ${(err as Error).message}`);
        open(undefined);
      });

    const listThresholds = async (signal?: AbortSignal) => {
      const all = await getJson<Record<string, Threshold>>('/threshold/json', signal);
      const rows = Object.entries(all).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      replace(
        thresholdsBody,
        ...rows.map(([n, t]) => {
          const remove = h('button', { type: 'button', title: `delete threshold ${n}` }, 'Delete');
          remove.addEventListener('click', async () => {
            try {
              await del(`/threshold/${encodeURIComponent(n)}/json`);
              await listThresholds();
            } catch (err) {
              setText(formStatus, (err as Error).message);
            }
          });
          return h(
            'tr',
            {},
            h('td', {}, n),
            h('td', {}, t.metric),
            h('td', { class: 'num' }, si(t.value)),
            h('td', {}, t.byFlow ? 'yes' : ''),
            h('td', {}, remove),
          );
        }),
      );
      if (rows.length === 0)
        replace(thresholdsBody, h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'no thresholds')));
    };
    const stopThresholds = poll(5000, async (signal) => {
      try {
        await listThresholds(signal);
      } catch (err) {
        if (!aborted(err)) setText(formStatus, `cannot list thresholds: ${(err as Error).message}`);
      }
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await putJson(`/threshold/${encodeURIComponent(name.value.trim())}/json`, {
          metric: metric.value.trim(),
          value: Number(value.value),
          byFlow: byFlow.checked,
        });
        setText(formStatus, `threshold ${name.value.trim()} set`);
        await listThresholds();
      } catch (err) {
        setText(formStatus, `refused: ${(err as Error).message}`);
      }
    });

    return () => {
      closed = true;
      ctl.abort();
      if (flushTimer !== undefined) clearTimeout(flushTimer);
      source?.close();
      stopThresholds();
    };
  },
};
