/**
 * The engine's view of an IPFIX / NetFlow data record: its sFlow-RT keys
 * (computed by the decoder), its byte and packet counts, and the exporter's
 * sampling rate, so flows defined for sFlow measure flow exports the same way.
 */

import type { ExportRecord } from '../decode/netflow/types.js';
import type { KeyValue } from '../decode/packet/keys.js';
import { GetterTable, SampleView, sampleFieldGetter } from './sample.js';
import type { SourceRegistry } from './sources.js';

function resolve(name: string): (v: ExportRecordView) => KeyValue | undefined {
  return sampleFieldGetter(name) ?? ((v) => v.keys[name]);
}

const GETTERS = new GetterTable(resolve);
const NONE: Record<string, KeyValue> = {};

export class ExportRecordView extends SampleView {
  keys: Record<string, KeyValue> = NONE;

  constructor(private readonly sources: SourceRegistry) {
    super();
  }

  /** Points the view at a data record; false for records with nothing to count (options, no keys). */
  reset(exporter: string, record: ExportRecord, timeMs: number): boolean {
    if (record.options || record.keys === undefined) return false;
    const k = record.keys;
    this.keys = k;
    this.agent = exporter;
    this.timeMs = timeMs;
    // The ingress interface plays the part of sFlow's data source.
    const ifIndex = k.inputifindex ?? 0;
    this.sourceId =
      typeof ifIndex === 'number'
        ? this.sources.byIndex(exporter, 0, ifIndex, timeMs)
        : this.sources.id(exporter, ifIndex, timeMs);
    this.dataSource = this.sources.dataSourceOf(this.sourceId);
    const rate = Number(k.samplingrate ?? 1);
    this.samplingRate = rate > 0 ? rate : 1;
    this.bytes = Number(k.bytes ?? 0);
    this.frames = Number(k.frames ?? 1);
    this.dropped = false;
    return true;
  }

  key(id: number): KeyValue | undefined {
    return GETTERS.get(id)(this);
  }
}
