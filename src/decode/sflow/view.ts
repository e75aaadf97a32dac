/**
 * The JSON view of a decoded sFlow datagram, as printed by `flowlens decode`
 * (schema in docs/decode-json.md). Sampled headers get their bytes as hex and,
 * unless raw output is asked for, the sFlow-RT keys the dissector finds.
 */
import { toHex } from '../../common/addr.js';
import { dissect, Packet } from '../packet/dissect.js';
import { packetKeys } from '../packet/keys.js';
import { sampleKeys } from './keys.js';
import { type FlowRecord, SampledHeader, type SflowDatagram, type SflowSample } from './types.js';

export interface ViewOptions {
  /** Wire structures only: no dissected keys. */
  raw?: boolean;
}

const scratch = new Packet();

export function sflowView(d: SflowDatagram, options: ViewOptions = {}): Record<string, unknown> {
  return { ...d, samples: d.samples.map((s) => sampleView(d, s, options)) };
}

function sampleView(d: SflowDatagram, s: SflowSample, options: ViewOptions): Record<string, unknown> {
  if (!('records' in s)) return { ...s };
  const out: Record<string, unknown> = { ...s, records: s.records.map((r) => recordView(r, options)) };
  // Discard and flow samples carry keys of their own besides those of the packet.
  if (
    options.raw !== true &&
    (s.type === 'flow_sample' || s.type === 'flow_sample_expanded' || s.type === 'discarded_packet')
  ) {
    out.keys = sampleKeys(d, s);
  }
  return out;
}

function recordView(r: FlowRecord, options: ViewOptions): Record<string, unknown> {
  if (!(r instanceof SampledHeader)) return { ...r };
  const view: Record<string, unknown> = {
    format: r.format,
    name: r.name,
    headerProtocol: r.headerProtocol,
    frameLength: r.frameLength,
    stripped: r.stripped,
    headerLength: r.headerLength,
    header: toHex(r.buffer, r.headerOffset, r.headerOffset + r.headerLength),
  };
  if (options.raw !== true) {
    view.keys = packetKeys(dissect(r.buffer, r.headerOffset, r.headerLength, r.headerProtocol, scratch));
  }
  return view;
}
