/**
 * Test helper: decode IPFIX / NetFlow captures with flowlens and compute the
 * same aggregate facts the independent decoder wrote to
 * ../shared/captures/expected (see its README).
 */
import { readFileSync } from 'node:fs';
import { readCapture } from '../../ingest/capture.js';
import { detectProtocol } from '../../ingest/detect.js';
import type { FlowExportDecoder } from './decoder.js';
import type { ExportMessage } from './types.js';

export type Facts = Record<string, unknown>;

/** Raw payload files have no exporter address: every one uses this pseudo exporter, so template and data files share templates. */
export const FILE_EXPORTER = { address: 'file', port: 0 } as const;

function bump(facts: Facts, group: string, key: string | number, n = 1): void {
  if (facts[group] === undefined) facts[group] = {};
  const m = facts[group] as Record<string, number>;
  m[String(key)] = (m[String(key)] ?? 0) + n;
}

function inc(facts: Facts, key: string, n = 1): void {
  facts[key] = ((facts[key] as number | undefined) ?? 0) + n;
}

interface StatsSnapshot {
  data: number;
  template: number;
  optionsTemplate: number;
  withoutTemplate: number;
  padding: Map<number, number>;
  zeroFilled: number;
}

function snapshot(d: FlowExportDecoder): StatsSnapshot {
  const s = d.stats;
  return {
    data: s.sets.data,
    template: s.sets.template,
    optionsTemplate: s.sets.optionsTemplate,
    withoutTemplate: s.dataSetsWithoutTemplate,
    padding: new Map(s.paddingBytes),
    zeroFilled: s.zeroFilled,
  };
}

/** Every IPFIX / NetFlow message of a capture file (pcap, pcapng or raw payload), decoded with `decoder`. */
export function decodeExportFile(
  decoder: FlowExportDecoder,
  file: string,
  transport?: Facts,
): ExportMessage[] {
  const out: ExportMessage[] = [];
  const capture = readCapture(readFileSync(file), file);
  let udp = 0;
  const ports: Record<string, number> = {};
  for (let next = capture.next(); ; next = capture.next()) {
    if (next.done === true) {
      // Transport facts, for captures (raw payload files have none).
      if (transport !== undefined && next.value.format !== 'raw') {
        transport.frames = next.value.frames;
        transport.udp_packets = udp;
        transport.udp_dst_ports = ports;
      }
      break;
    }
    const item = next.value;
    if (item.kind !== 'datagram') continue;
    udp++;
    ports[item.dstPort] = (ports[item.dstPort] ?? 0) + 1;
    const protocol = detectProtocol(item.payload);
    if (protocol !== 'ipfix' && protocol !== 'netflow9' && protocol !== 'netflow5') continue;
    const exporter = item.srcAddr === '' ? FILE_EXPORTER : { address: item.srcAddr, port: item.srcPort };
    out.push(decoder.decode(item.payload, exporter, item.timestamp));
  }
  return out;
}

/**
 * Decodes one file with `decoder` (which may hold templates from earlier
 * files) and returns its messages and facts. Records decoded from held sets
 * (`deferred`) are counted apart, under `deferred_records`: the independent
 * decoder did not hold data, so its `data_records` are the others.
 */
export function exportFileFacts(
  decoder: FlowExportDecoder,
  file: string,
): { messages: ExportMessage[]; facts: Facts; errors: Record<string, number> } {
  const before = snapshot(decoder);
  const facts: Facts = {};
  const messages = decodeExportFile(decoder, file, facts);
  const after = snapshot(decoder);
  const errors: Record<string, number> = {};
  const counts = new Set<number>();
  for (const m of messages) {
    if (m.protocol === 'ipfix') inc(facts, 'ipfix_messages');
    else if (m.protocol === 'netflow9') inc(facts, 'nfv9_packets');
    else if (m.protocol === 'netflow5') inc(facts, 'nfv5_packets');
    if (m.protocol === 'netflow9' && m.count !== undefined) counts.add(m.count);
    if (m.protocol === 'ipfix') bump(facts, 'obs_domains', m.observationDomain ?? -1);
    if (m.protocol === 'netflow9') bump(facts, 'obs_domains', m.sourceId ?? -1);
    for (const r of m.records) {
      if (r.deferred) inc(facts, 'deferred_records');
      else if (m.protocol === 'netflow5') inc(facts, 'nfv5_records');
      else inc(facts, r.options ? 'options_data_records' : 'data_records');
    }
    for (const t of m.templates) {
      if (t.action === 'withdrawn' || t.action === 'withdraw-ignored') continue;
      if (t.options) {
        if (facts.options_templates === undefined) facts.options_templates = {};
        (facts.options_templates as Record<string, number[]>)[t.id] = [
          t.scopeCount,
          t.fields.length - t.scopeCount,
        ];
      } else {
        if (facts.templates === undefined) facts.templates = {};
        (facts.templates as Record<string, number>)[t.id] = t.fields.length;
      }
      for (const f of t.fields) {
        const key = `(${f.pen ?? 0}, ${f.id})`;
        if (!t.options) {
          bump(facts, 'ie_usage', key);
          if (f.pen !== undefined) bump(facts, 'enterprise_ies', key);
        }
        if (f.length === 65535) bump(facts, 'varlen_fields', key);
      }
    }
    for (const e of m.errors) errors[e.reason] = (errors[e.reason] ?? 0) + 1;
  }
  const sets: Record<string, number> = {};
  if (after.data > before.data) sets.data = after.data - before.data;
  if (after.optionsTemplate > before.optionsTemplate)
    sets['opt-tmpl'] = after.optionsTemplate - before.optionsTemplate;
  if (after.template > before.template) sets.tmpl = after.template - before.template;
  if (Object.keys(sets).length > 0) facts.set_ids_seen = sets;
  if (after.withoutTemplate > before.withoutTemplate)
    facts.data_sets_without_template = after.withoutTemplate - before.withoutTemplate;
  for (const [len, n] of after.padding) {
    const d = n - (before.padding.get(len) ?? 0);
    if (d > 0) bump(facts, 'set_padding_bytes', len, d);
  }
  if (after.zeroFilled > before.zeroFilled) facts.zero_or_bad_set_len = after.zeroFilled - before.zeroFilled;
  if (counts.size > 0) facts.nfv9_header_count_field = [...counts].sort((a, b) => a - b);
  return { messages, facts, errors };
}

/** Parses a `<group>_group.txt` expected file: [file relative to the captures dir, facts][]. */
export function parseGroupFile(text: string): [string, Facts][] {
  const out: [string, Facts][] = [];
  for (const part of text.split(/^=== /m)) {
    const nl = part.indexOf('\n');
    if (nl < 0) continue;
    const name = part.slice(0, nl).trim();
    if (name === '') continue;
    out.push([name, JSON.parse(part.slice(nl + 1)) as Facts]);
  }
  return out;
}

/** Facts of the expected files that describe the capture transport, not the export protocol. */
export const TRANSPORT_FACTS = ['frames', 'udp_packets', 'udp_dst_ports'];
