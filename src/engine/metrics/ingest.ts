/**
 * Wiring: the counter and custom-metric samples of a decoded datagram go
 * through the deriver into the store.
 */
import type { SflowDatagram } from '../../decode/sflow/types.js';
import type { CounterDeriver } from './derive.js';
import type { MetricStore } from './store.js';

/** Stores the metrics of every counters and rtmetric sample of `d`; returns how many samples gave metrics. */
export function ingestDatagram(
  d: SflowDatagram,
  deriver: CounterDeriver,
  store: MetricStore,
  nowMs: number,
): number {
  let n = 0;
  for (const s of d.samples) {
    if (s.type === 'counters_sample' || s.type === 'counters_sample_expanded') {
      const input = { agent: d.agent, sample: s, timeMs: nowMs, uptimeMs: d.uptime };
      if (deriver.deriveTo(input, (ds) => store.counterUpdate(d.agent, ds, nowMs)) === undefined) continue;
      n++;
    } else if (s.type === 'rtmetric') {
      store.ingest(deriver.deriveRtMetric(d.agent, s, nowMs));
      n++;
    }
  }
  return n;
}
