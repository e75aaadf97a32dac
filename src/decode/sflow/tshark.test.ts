/**
 * Cross-check of the sFlow decoder against an independent decoder: Wireshark's
 * tshark (written against 4.0, Debian 12).
 *
 * Datagrams built by flowlens's encoder (the realistic BasicStream and random
 * fast-check datagrams) and the shared real captures go through tshark
 * (`-T json`), and every field tshark reports for the datagram, its samples
 * and their records is compared, exactly, with what `decodeSflow` makes of
 * the same bytes. The dissected inner packet of each sampled header is
 * compared with flowlens's packet keys.
 *
 * tshark's JSON repeats keys (several samples, records or AS numbers at one
 * level), so it is read with a small parser that keeps every entry in order.
 *
 * Where tshark 4.0 reads a field differently from the spec, the comparison
 * models tshark's reading and says so (search for "tshark 4.0"); the random
 * datagrams are restricted to structures tshark 4.0 decodes correctly
 * (it cannot skip records it does not know, so those are left out).
 *
 * Skips when tshark is not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatIPv6 } from '../../common/addr.js';
import { detectCaptureFormat, readCapture } from '../../ingest/capture.js';
import { detectProtocol } from '../../ingest/detect.js';
import { type PcapFrame, writePcap } from '../../ingest/pcap-writer.js';
import { BasicStream } from '../../simulate/basic.js';
import { buildFrame, type FrameSpec, minimumFrameLength } from '../../simulate/packets.js';
import { capturesDir } from '../../testing/captures.js';
import { dissect } from '../packet/dissect.js';
import { type KeyValue, packetKeys } from '../packet/keys.js';
import { counterLayout, decodeSflow, flowLayout } from './decode.js';
import type { DatagramInput, RecordInput, SampleInput } from './encode.js';
import { encodeSflow } from './encode.js';
import { dataFormat, encodeBody, type FieldRecord } from './struct.js';
import {
  type CounterRecord,
  type FlowRecord,
  SampledHeader,
  type SflowDatagram,
  type SflowInterface,
  type SflowSample,
} from './types.js';

// ------------------------------------------------------------------ tshark

const tsharkProbe = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const TSHARK_MISSING =
  tsharkProbe.error !== undefined || tsharkProbe.status !== 0
    ? 'tshark is not installed (apt-get install tshark) - skipping the Wireshark cross-check'
    : false;

/** Ordered JSON: objects and arrays become entry lists, so repeated keys all survive. */
type JValue = string | JEntry[];
type JEntry = [string, JValue];

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

function parseOrderedJson(text: string): JValue {
  let i = 0;
  const n = text.length;
  const skipWs = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
      i++;
    }
  };
  const readString = (): string => {
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) throw new SyntaxError('unterminated string in tshark JSON');
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c === 92) {
        out += text.slice(start, i);
        const e = text[i + 1];
        if (e === 'u') {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          out += ESCAPES[e] ?? e;
          i += 2;
        }
        start = i;
        continue;
      }
      i++;
    }
  };
  const literal = /[^\s,\]}]+/y;
  const readValue = (): JValue => {
    skipWs();
    const c = text[i];
    if (c === '{' || c === '[') {
      const isObject = c === '{';
      const close = isObject ? '}' : ']';
      i++;
      const entries: JEntry[] = [];
      skipWs();
      if (text[i] === close) {
        i++;
        return entries;
      }
      for (;;) {
        skipWs();
        let key = '';
        if (isObject) {
          key = readString();
          skipWs();
          if (text[i] !== ':') throw new SyntaxError(`expected ':' at ${i} in tshark JSON`);
          i++;
        }
        entries.push([key, readValue()]);
        skipWs();
        const sep = text[i++];
        if (sep === ',') continue;
        if (sep === close) return entries;
        throw new SyntaxError(`unexpected '${sep}' at ${i - 1} in tshark JSON`);
      }
    }
    if (c === '"') return readString();
    literal.lastIndex = i;
    const m = literal.exec(text);
    if (m === null) throw new SyntaxError(`unexpected input at ${i} in tshark JSON`);
    i += m[0].length;
    return m[0];
  };
  const v = readValue();
  skipWs();
  if (i !== n) throw new SyntaxError(`trailing input at ${i} in tshark JSON`);
  return v;
}

function entries(v: JValue | undefined, what: string): JEntry[] {
  if (v === undefined || typeof v === 'string') throw new Error(`tshark JSON: ${what} is not an object`);
  return v;
}

function child(node: JEntry[], key: string): JValue | undefined {
  for (const [k, v] of node) if (k === key) return v;
  return undefined;
}

function containsKey(node: JEntry[], key: string): boolean {
  for (const [k, v] of node) {
    if (k === key) return true;
    if (typeof v !== 'string' && containsKey(v, key)) return true;
  }
  return false;
}

interface TsharkFrame {
  /** The sflow layer, undefined when tshark did not dissect the frame as sFlow. */
  sflow: JEntry[] | undefined;
  malformed: boolean;
}

/** Runs tshark over a capture: frame number -> its sflow layer. */
function runTshark(file: string, extraPorts: number[] = []): Map<number, TsharkFrame> {
  const args = ['-n', '-r', file, '-T', 'json'];
  // The defaults, stated so that a user's preferences cannot change what is compared.
  args.push('-o', 'sflow.enable_dissection:TRUE', '-o', 'sflow.enable_analysis:FALSE');
  for (const p of extraPorts) args.push('-d', `udp.port==${p},sflow`);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  const frames = new Map<number, TsharkFrame>();
  for (const [, packet] of entries(parseOrderedJson(r.stdout), 'top level')) {
    const layers = entries(
      child(entries(child(entries(packet, 'packet'), '_source'), '_source'), 'layers'),
      'layers',
    );
    const frame = entries(child(layers, 'frame'), 'frame');
    const number = Number(child(frame, 'frame.number'));
    const sflow = child(layers, 'sflow');
    frames.set(number, {
      sflow: sflow === undefined ? undefined : entries(sflow, 'sflow'),
      malformed: containsKey(layers, '_ws.malformed'),
    });
  }
  return frames;
}

// ------------------------------------------------------------------ comparison

type Leaf = [string, string];

interface Tally {
  datagrams: number;
  samples: number;
  records: number;
  headers: number;
  /** Field values compared (sFlow fields and inner-packet keys). */
  fields: number;
  /** Records compared, by "flow 0:1001" / "counter 0:2". */
  formats: Map<string, number>;
  disagreements: string[];
}

function newTally(): Tally {
  return {
    datagrams: 0,
    samples: 0,
    records: 0,
    headers: 0,
    fields: 0,
    formats: new Map(),
    disagreements: [],
  };
}

function report(t: Tally, msg: string): void {
  if (t.disagreements.length < 50) t.disagreements.push(msg);
  else if (t.disagreements.length === 50) t.disagreements.push('... (more)');
}

/** Leaves of a tshark subtree in order; subtrees are flattened into their fields. */
function flatten(node: JEntry[], out: Leaf[] = []): Leaf[] {
  for (const [k, v] of node) {
    if (typeof v === 'string') out.push([k, v]);
    else if (k !== 'sflow_245.header_tree') flatten(v, out);
  }
  return out;
}

/** An sFlow sample or record subtree: tshark starts both with the enterprise field. */
function isTlvNode(v: JValue): v is JEntry[] {
  return typeof v !== 'string' && v.length > 0 && v[0][0] === 'sflow.enterprise';
}

function compareLeaves(t: Tally, where: string, actual: Leaf[], expected: Leaf[]): void {
  t.fields += expected.length;
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a === undefined || e === undefined || a[0] !== e[0] || a[1] !== e[1]) {
      const show = (l: Leaf | undefined) =>
        l === undefined ? '(nothing)' : `${l[0]}=${JSON.stringify(l[1])}`;
      report(t, `${where}: field ${i}: tshark ${show(a)}, flowlens ${show(e)}`);
      return;
    }
  }
}

const hex = (v: number, digits: number): string => `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;
const colonHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
const bit = (v: number, mask: number): string => ((v & mask) !== 0 ? '1' : '0');
const padTo4 = (n: number): number => (n + 3) & ~3;

function addressLeaves(value: unknown, v4: string, v6: string): Leaf[] {
  const a = String(value);
  if (a === '') return []; // address type 0 (unknown): tshark shows nothing
  return [[a.includes(':') ? v6 : v4, a]];
}

function str(rec: FieldRecord, field: string): string {
  return String(rec[field]);
}

/** Fields that map one to one: [flowlens field, tshark field]. */
type Simple = readonly (readonly [string, string])[];

const DOT3 = [
  'AlignmentErrors',
  'FCSErrors',
  'SingleCollisionFrames',
  'MultipleCollisionFrames',
  'SQETestErrors',
  'DeferredTransmissions',
  'LateCollisions',
  'ExcessiveCollisions',
  'InternalMacTransmitErrors',
  'CarrierSenseErrors',
  'FrameTooLongs',
  'InternalMacReceiveErrors',
  'SymbolErrors',
].map((n) => [`dot3Stats${n}`, `sflow_245.dot3Stats${n}`] as const);

const DOT5 = [
  'LineErrors',
  'BurstErrors',
  'ACErrors',
  'AbortTransErrors',
  'InternalErrors',
  'LostFrameErrors',
  'ReceiveCongestions',
  'FrameCopiedErrors',
  'TokenErrors',
  'SoftErrors',
  'HardErrors',
  'SignalLoss',
  'TransmitBeacons',
  'Recoverys',
  'LobeWires',
  'Removes',
  'Singles',
  'FreqErrors',
].map((n) => [`dot5Stats${n}`, `sflow_245.dot5Stats${n === 'Recoverys' ? 'Recoveries' : n}`] as const);

const DOT12 = [
  'InHighPriorityFrames',
  'InHighPriorityOctets',
  'InNormPriorityFrames',
  'InNormPriorityOctets',
  'InIPMErrors',
  'InOversizeFrameErrors',
  'InDataErrors',
  'InNullAddressedFrames',
  'OutHighPriorityFrames',
  'OutHighPriorityOctets',
  'TransitionIntoTrainings',
  'HCInHighPriorityOctets',
  'HCInNormPriorityOctets',
  'HCOutHighPriorityOctets',
].map((n) => [`dot12${n}`, `sflow_245.dot12${n}`] as const);

const DOT11 = [
  'TransmittedFragmentCount',
  'MulticastTransmittedFrameCount',
  'FailedCount',
  'RetryCount',
  'MultipleRetryCount',
  'FrameDuplicateCount',
  'RTSSuccessCount',
  'RTSFailureCount',
  'ACKFailureCount',
  'ReceivedFragmentCount',
  'MulticastReceivedFrameCount',
  'FCSErrorCount',
  'TransmittedFrameCount',
  'WEPUndecryptableCount',
  'QoSDiscardedFragmentCount',
  'AssociatedStationCount',
  'QoSCFPollsReceivedCount',
  'QoSCFPollsUnusedCount',
  'QoSCFPollsUnusableCount',
  'QoSCFPollsLostCount',
].map((n) => [`dot11${n}`, `sflow_5.dot11${n}`] as const);

const SIMPLE_COUNTERS: Record<string, Simple> = {
  '0:2': DOT3,
  '0:3': DOT5,
  '0:4': DOT12,
  '0:5': [
    ['vlanId', 'sflow_245.vlan_id'],
    ['octets', 'sflow_245.octets'],
    ['ucastPkts', 'sflow_245.ucastPkts'],
    ['multicastPkts', 'sflow_245.multicastPkts'],
    ['broadcastPkts', 'sflow_245.broadcastPkts'],
    ['discards', 'sflow_245.discards'],
  ],
  '0:6': DOT11,
  '0:1002': [
    ['elapsedTime', 'sflow_5.elapsed_time'],
    ['onChannelTime', 'sflow_5.on_channel_time'],
    ['onChannelBusyTime', 'sflow_5.channel_busy_time'],
  ],
};

const SIMPLE_FLOWS: Record<string, Simple> = {
  '0:2': [
    ['length', 'sflow_245.ethernet.length'],
    ['srcMac', 'sflow_245.ethernet.source_mac_address'],
    ['dstMac', 'sflow_245.ethernet.destination_mac_address'],
    ['type', 'sflow_245.ethernet.packet_type'],
  ],
  '0:1001': [
    ['srcVlan', 'sflow_245.vlan.in'],
    ['srcPriority', 'sflow_245.pri.in'],
    ['dstVlan', 'sflow_245.vlan.out'],
    ['dstPriority', 'sflow_245.pri.out'],
  ],
  '0:1011': [['mplsFecAddrPrefixLength', 'sflow_5.extended_mpls.fec_address_prefix_length']],
  '0:1014': [
    ['ssid', 'sflow_5.extended_80211.rx.ssid'],
    ['bssid', 'sflow_5.extended_80211.rx.bssid'],
    ['version', 'sflow_5.extended_80211.rx.version'],
    ['channel', 'sflow_5.extended_80211.rx.channel'],
    ['speed', 'sflow_5.extended_80211.rx.speed'],
    ['rsni', 'sflow_5.extended_80211.rx.rsni'],
    ['rcpi', 'sflow_5.extended_80211.rx.rcpi'],
    ['packetDurationUs', 'sflow_5.extended_80211.rx.packet_duration'],
  ],
};

/** Records with strings: tshark shows each string's byte length, then the string. */
const STRING_FLOWS: Record<string, readonly (readonly [string, string, string?])[]> = {
  '0:1004': [
    ['srcCharset', 'sflow_5.extended_user.source_character_set'],
    ['srcUser', 'sflow_5.extended_user.source_user', 'sflow_5.extended_user.source_user_string_length'],
    ['dstCharset', 'sflow_5.extended_user.destination_character_set'],
    [
      'dstUser',
      'sflow_5.extended_user.destination_user',
      'sflow_5.extended_user.destination_user_string_length',
    ],
  ],
  '0:1005': [
    ['direction', 'sflow_5.extended_url.direction'],
    ['url', 'sflow_5.extended_url.url', 'sflow_5.extended_url.url_length'],
    ['host', 'sflow_5.extended_url.host', 'sflow_5.extended_url.host_length'],
  ],
  '0:1008': [
    ['tunnelLspName', 'sflow_5.extended_mpls_tunnel.tunnel_name', 'sflow_5.extended_mpls_tunnel.name_length'],
    ['tunnelId', 'sflow_5.extended_mpls_tunnel.id'],
    ['tunnelCos', 'sflow_5.extended_mpls_tunnel.cos_value'],
  ],
  '0:1009': [
    [
      'vcInstanceName',
      'sflow_5.extended_mpls_vc.vc_instance_name',
      'sflow_5.extended_mpls_vc.instance_name_length',
    ],
    ['vllVcId', 'sflow_5.extended_mpls_vc.id'],
    ['vcLabelCos', 'sflow_5.extended_mpls_vc.label_cos_value'],
  ],
  '0:1010': [
    ['mplsFTNDescr', 'sflow_5.extended_mpls.ftn_description', 'sflow_5.extended_mpls.ftn_description_length'],
    ['mplsFTNMask', 'sflow_5.extended_mpls.ftn_mask'],
  ],
};

/** Record formats tshark 4.0 dissects; it shows only format and length for the others. */
const TSHARK_FLOW_FORMATS = new Set([
  '0:1',
  '0:2',
  '0:3',
  '0:4',
  ...Array.from({ length: 15 }, (_, i) => `0:${1001 + i}`),
]);
const TSHARK_COUNTER_FORMATS = new Set(['0:1', '0:2', '0:3', '0:4', '0:5', '0:6', '0:7', '0:1001', '0:1002']);

function simple(rec: FieldRecord, map: Simple): Leaf[] {
  return map.map(([field, name]) => [name, str(rec, field)]);
}

/** tshark 4.0 shows the TCP flag bits of the most significant byte of the u32 tcp_flags. */
function sampledIpFlags(tcpFlags: number): Leaf[] {
  const b = tcpFlags >>> 24;
  const names = ['cwr', 'ece', 'urg', 'ack', 'psh', 'rst', 'syn', 'fin'];
  return names.map((n, i) => [`sflow_245.ip.tcp_flag.${n}`, bit(b, 0x80 >> i)]);
}

function recordLength(r: FlowRecord | CounterRecord, context: 'flow' | 'counter'): number {
  if (r instanceof SampledHeader) return 16 + padTo4(r.headerLength);
  // Unknown and damaged records keep their length; known ones are sized by re-encoding them.
  if ('error' in r || !('name' in r)) return (r as { length: number }).length;
  const [ent, fmt] = r.format.split(':').map(Number);
  const layout = context === 'flow' ? flowLayout(dataFormat(ent, fmt)) : counterLayout(dataFormat(ent, fmt));
  if (layout === undefined) throw new Error(`no layout for ${r.format}`);
  return encodeBody(layout, r as FieldRecord).length;
}

function recordPrefix(r: FlowRecord | CounterRecord, context: 'flow' | 'counter'): Leaf[] {
  const [ent, fmt] = r.format.split(':');
  return [
    ['sflow.enterprise', ent],
    [context === 'flow' ? 'sflow_245.flow_record_format' : 'sflow_245.counters_record_format', fmt],
    ['sflow_5.flow_data_length', String(recordLength(r, context))],
  ];
}

function expectedFlowRecord(r: FlowRecord): Leaf[] {
  const out = recordPrefix(r, 'flow');
  if (!TSHARK_FLOW_FORMATS.has(r.format) || 'error' in r || !('name' in r)) return out;
  if (r instanceof SampledHeader) {
    out.push(
      ['sflow_245.header_protocol', String(r.headerProtocol)],
      ['sflow_245.header.frame_length', String(r.frameLength)],
      ['sflow_245.header.payload_stripped', String(r.stripped)],
      ['sflow_245.header.sampled_header_length', String(r.headerLength)],
    );
    // tshark 4.0 shows the header with its XDR padding (to a multiple of 4 bytes).
    const padded = r.buffer.subarray(r.headerOffset, r.headerOffset + padTo4(r.headerLength));
    if (r.headerLength > 0) out.push(['sflow_245.header', colonHex(padded)]);
    return out;
  }
  const rec = r as FieldRecord;
  const s = SIMPLE_FLOWS[r.format];
  if (s !== undefined) return [...out, ...simple(rec, s)];
  const strings = STRING_FLOWS[r.format];
  if (strings !== undefined) {
    for (const [field, name, lengthName] of strings) {
      if (lengthName !== undefined) out.push([lengthName, String(Buffer.byteLength(str(rec, field)))]);
      out.push([name, str(rec, field)]);
    }
    return out;
  }
  switch (r.format) {
    case '0:3':
    case '0:4': {
      const v6 = r.format === '0:4';
      out.push(
        ['sflow_245.ip.length', str(rec, 'length')],
        ['sflow.ip_protocol', str(rec, 'protocol')],
        [v6 ? 'sflow_245.ipv6_src' : 'sflow_245.ipv4_src', str(rec, 'srcIp')],
        [v6 ? 'sflow_245.ipv6_dst' : 'sflow_245.ipv4_dst', str(rec, 'dstIp')],
        ['sflow_245.ip.source_port', str(rec, 'srcPort')],
        ['sflow.ip.destination_port', str(rec, 'dstPort')],
        ...sampledIpFlags(Number(rec.tcpFlags)),
      );
      if (v6) {
        out.push(['sflow_245.ipv6_priority', str(rec, 'priority')]);
      } else {
        // tshark 4.0 reads the ToS bits from the most significant byte of the u32 tos, too.
        const tos = Number(rec.tos) >>> 24;
        out.push(
          ['sflow_245.ipv4_precedence_type', String(tos >> 5)],
          ['sflow_245.ipv4_delay', bit(tos, 0x10)],
          ['sflow_245.ipv4_throughput', bit(tos, 0x08)],
          ['sflow_245.ipv4_reliability', bit(tos, 0x04)],
          ['sflow_245.ipv4_cost', bit(tos, 0x02)],
        );
      }
      return out;
    }
    case '0:1002':
      out.push(
        ...addressLeaves(rec.nextHop, 'sflow_245.nexthop', 'sflow_245.nexthop.v6'),
        ['sflow_245.nexthop.src_mask', str(rec, 'srcMaskLen')],
        ['sflow_245.nexthop.dst_mask', str(rec, 'dstMaskLen')],
      );
      return out;
    case '0:1003': {
      out.push(
        ...addressLeaves(rec.nextHop, 'sflow_245.nexthop', 'sflow_245.nexthop.v6'),
        ['sflow_245.as', str(rec, 'as')],
        ['sflow_245.srcAS', str(rec, 'srcAs')],
        ['sflow_245.peerAS', str(rec, 'srcPeerAs')],
      );
      const path = rec.dstAsPath as FieldRecord[];
      out.push(['sflow_245.dstASentries', String(path.length)]);
      for (const seg of path) {
        out.push(['sflow.as_type', str(seg, 'type')]);
        for (const asn of seg.asns as number[]) out.push(['sflow_245.dstAS', String(asn)]);
      }
      const communities = rec.communities as number[];
      out.push(['sflow_245.communityEntries', String(communities.length)]);
      // tshark 4.0 labels each community with the dstAS field.
      for (const c of communities) out.push(['sflow_245.dstAS', String(c)]);
      out.push(['sflow_245.localpref', str(rec, 'localPref')]);
      return out;
    }
    case '0:1006': {
      out.push(...addressLeaves(rec.nextHop, 'sflow_245.nexthop', 'sflow_245.nexthop.v6'));
      for (const dir of ['in', 'out'] as const) {
        const stack = rec[`${dir}Stack`] as number[];
        out.push([`sflow_245.extended_mpls.${dir}_label_stack_entries`, String(stack.length)]);
        for (const label of stack) out.push([`sflow_245.extended_mpls.${dir}_label`, String(label)]);
      }
      return out;
    }
    case '0:1007':
      out.push(
        ...addressLeaves(rec.srcAddress, 'sflow_245.ipv4_src', 'sflow_245.ipv6_src'),
        ...addressLeaves(rec.dstAddress, 'sflow_245.ipv4_dst', 'sflow_245.ipv6_dst'),
      );
      return out;
    case '0:1012': {
      const stack = rec.stack as number[];
      out.push(['sflow_5.extended_vlan_tunnel.number_of_layers', String(stack.length)]);
      for (const v of stack) out.push(['sflow_5.extended_vlan_tunnel.tpid_tci_pair', String(v)]);
      return out;
    }
    case '0:1013': {
      // cipher_suite is an OUI (3 bytes) and a suite type (1 byte).
      const suite = Number(rec.cipherSuite);
      const data = Buffer.from(str(rec, 'data'), 'hex');
      out.push(
        ['sflow_5.extended_80211.oui', hex(suite >>> 8, 6)],
        ['sflow_5.extended_80211.suite_type', String(suite & 0xff)],
        ['sflow_5.extended_80211.payload_length', String(data.length)],
      );
      out.push(['sflow_5.extended_80211.payload', colonHex(data)]);
      return out;
    }
    case '0:1015': {
      // tshark 4.0 shows `transmissions` as retransmissions: n - 1 for n > 1, else n itself.
      const n = Number(rec.transmissions);
      out.push(
        ['sflow_5.extended_80211.tx.ssid', str(rec, 'ssid')],
        ['sflow_5.extended_80211.tx.bssid', str(rec, 'bssid')],
        ['sflow_5.extended_80211.tx.version', str(rec, 'version')],
        ['sflow_5.extended_80211.tx.retransmissions', String(n > 1 ? n - 1 : n)],
        ['sflow_5.extended_80211.tx.packet_duration', str(rec, 'packetDurationUs')],
        ['sflow_5.extended_80211.tx.retransmission_duration', str(rec, 'retransDurationUs')],
        ['sflow_5.extended_80211.tx.channel', str(rec, 'channel')],
        ['sflow_5.extended_80211.tx.speed', str(rec, 'speed')],
        ['sflow_5.extended_80211.tx.power', str(rec, 'powerMw')],
      );
      return out;
    }
  }
  throw new Error(`no tshark expectation for flow record ${r.format}`);
}

function expectedCounterRecord(r: CounterRecord): Leaf[] {
  const out = recordPrefix(r, 'counter');
  if (!TSHARK_COUNTER_FORMATS.has(r.format) || 'error' in r || !('name' in r)) return out;
  const rec = r as FieldRecord;
  const s = SIMPLE_COUNTERS[r.format];
  if (s !== undefined) return [...out, ...simple(rec, s)];
  switch (r.format) {
    case '0:1': {
      const status = Number(rec.ifStatus);
      const L = (field: string, name: string): Leaf => [`sflow_245.${name}`, str(rec, field)];
      out.push(
        L('ifIndex', 'ifindex'),
        L('ifType', 'iftype'),
        L('ifSpeed', 'ifspeed'),
        L('ifDirection', 'ifdirection'),
        // ifStatus bit 0 = admin up, bit 1 = oper up
        ['sflow_245.ifadmin_status', bit(status, 1)],
        ['sflow_245.ifoper_status', bit(status, 2)],
        L('ifInOctets', 'ifinoct'),
        L('ifInUcastPkts', 'ifinpkt'),
        L('ifInMulticastPkts', 'ifinmcast'),
        L('ifInBroadcastPkts', 'ifinbcast'),
        L('ifInDiscards', 'ifindisc'),
        L('ifInErrors', 'ifinerr'),
        L('ifInUnknownProtos', 'ifinunk'),
        L('ifOutOctets', 'ifoutoct'),
        L('ifOutUcastPkts', 'ifoutpkt'),
        L('ifOutMulticastPkts', 'ifoutmcast'),
        L('ifOutBroadcastPkts', 'ifoutbcast'),
        L('ifOutDiscards', 'ifoutdisc'),
        L('ifOutErrors', 'ifouterr'),
        L('ifPromiscuousMode', 'ifpromisc'),
      );
      return out;
    }
    case '0:7': {
      const state = Number(rec.dot3adAggPortState);
      const P = 'sflow.lag_port.';
      out.push(
        [`${P}actor_system_id`, str(rec, 'dot3adAggPortActorSystemID')],
        [`${P}padding`, '00:00'], // XDR padding of the 6-byte MAC, zero as written by the encoder
        [`${P}partner_oper_system_id`, str(rec, 'dot3adAggPortPartnerOperSystemID')],
        [`${P}padding`, '00:00'],
        [`${P}attached_agg_id`, str(rec, 'dot3adAggPortAttachedAggID')],
        [`${P}state`, hex(state, 8)],
        // tshark 4.0 takes actorAdmin from the LAST byte of dot3adAggPortState (and partnerOper
        // from the first); sflow_lag.txt assigns byte 0 to actorAdmin. Each is shown as non-zero.
        [`${P}actor_admin_state`, bit(state, 0x000000ff)],
        [`${P}actor_oper_state`, bit(state, 0x0000ff00)],
        [`${P}partner_admin_state`, bit(state, 0x00ff0000)],
        [`${P}partner_oper_state`, bit(state, 0xff000000)],
        [`${P}lacpdus.rx`, str(rec, 'dot3adAggPortStatsLACPDUsRx')],
        [`${P}marker_pdus.rx`, str(rec, 'dot3adAggPortStatsMarkerPDUsRx')],
        [`${P}marker_response_pdus.rx`, str(rec, 'dot3adAggPortStatsMarkerResponsePDUsRx')],
        [`${P}unknown.rx`, str(rec, 'dot3adAggPortStatsUnknownRx')],
        [`${P}illegal.rx`, str(rec, 'dot3adAggPortStatsIllegalRx')],
        [`${P}lacpdus.tx`, str(rec, 'dot3adAggPortStatsLACPDUsTx')],
        [`${P}marker_pdus.tx`, str(rec, 'dot3adAggPortStatsMarkerPDUsTx')],
        [`${P}marker_response_pdus.tx`, str(rec, 'dot3adAggPortStatsMarkerResponsePDUsTx')],
      );
      return out;
    }
    case '0:1001':
      // Percentages are signed (-1 = unknown); tshark 4.0 shows them as unsigned 32-bit.
      out.push(
        ['sflow_5.cpu_5s', String(Number(rec.fiveSecCpu) >>> 0)],
        ['sflow_5.cpu_1m', String(Number(rec.oneMinCpu) >>> 0)],
        ['sflow_5.cpu_5m', String(Number(rec.fiveMinCpu) >>> 0)],
        ['sflow_5.total_memory', str(rec, 'totalMemory')],
        ['sflow_5.free_memory', str(rec, 'freeMemory')],
      );
      return out;
  }
  throw new Error(`no tshark expectation for counter record ${r.format}`);
}

const SAMPLE_HEADER_BYTES: Record<string, number> = {
  flow_sample: 32,
  flow_sample_expanded: 44,
  counters_sample: 12,
  counters_sample_expanded: 16,
  discarded_packet: 32,
};

function sampleLength(s: SflowSample): number {
  if (s.type === 'unknown' || s.type === 'error') return s.length;
  if (s.type === 'rtmetric' || s.type === 'rtflow') throw new Error(`cannot size a ${s.type} sample`);
  const context = s.type === 'counters_sample' || s.type === 'counters_sample_expanded' ? 'counter' : 'flow';
  let n = SAMPLE_HEADER_BYTES[s.type];
  for (const r of s.records) n += 8 + padTo4(recordLength(r, context));
  return n;
}

function compact(i: SflowInterface): number {
  return ((i.format << 30) | i.value) >>> 0;
}

function expectedSample(s: SflowSample): Leaf[] {
  const [ent, fmt] = s.format.split(':');
  const out: Leaf[] = [
    ['sflow.enterprise', ent],
    ['sflow_245.sampletype', fmt],
    ['sflow_5.sample_length', String(sampleLength(s))],
  ];
  const F = 'sflow.flow_sample.';
  const C = 'sflow.counters_sample.';
  switch (s.type) {
    case 'flow_sample':
      out.push(
        [`${F}sequence_number`, String(s.sequence)],
        [`${F}source_id_class`, String(s.sourceIdType)],
        [`${F}index`, String(s.sourceIdIndex)],
        [`${F}sampling_rate`, String(s.samplingRate)],
        [`${F}sample_pool`, String(s.samplePool)],
        [`${F}dropped_packets`, String(s.drops)],
        // tshark 4.0 shows the compact input interface as the whole u32 (format bits included).
        [`${F}input_interface`, String(compact(s.input))],
        [`${F}output_interface`, hex(compact(s.output), 8)],
        [`${F}output_interface_format`, String(s.output.format)],
        [`${F}output_interface_value`, String(s.output.value)],
        [`${F}flow_record`, String(s.records.length)],
      );
      return out;
    case 'flow_sample_expanded':
      out.push(
        [`${F}sequence_number`, String(s.sequence)],
        [`${F}source_id_type`, String(s.sourceIdType)],
        [`${F}source_id_index`, String(s.sourceIdIndex)],
        [`${F}sampling_rate`, String(s.samplingRate)],
        [`${F}sample_pool`, String(s.samplePool)],
        [`${F}dropped_packets`, String(s.drops)],
        [`${F}input_interface_format`, String(s.input.format)],
        [`${F}input_interface_value`, String(s.input.value)],
        // tshark 4.0 masks the expanded output format with 0x7fffffff (the spec has a full u32).
        [`${F}output_interface.format`, String(s.output.format & 0x7fffffff)],
        [`${F}output_interface_value`, String(s.output.value)],
        [`${F}flow_record`, String(s.records.length)],
      );
      return out;
    case 'counters_sample':
    case 'counters_sample_expanded':
      out.push(
        [`${C}sequence_number`, String(s.sequence)],
        [`${C}source_id_type`, String(s.sourceIdType)],
        [`${C}source_id_index`, String(s.sourceIdIndex)],
        [`${C}counters_records`, String(s.records.length)],
      );
      return out;
    default:
      // tshark 4.0 knows no other sample type: it shows the type and length and skips it.
      return out;
  }
}

// ---- inner packet of a sampled header

/** tshark layer name -> flowlens `stack` token. */
const LAYER_TOKENS: Record<string, string> = {
  eth: 'eth',
  vlan: 'q',
  mpls: 'mpls',
  llc: 'llc',
  arp: 'arp',
  ip: 'ip',
  ipv6: 'ip6',
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmp',
  icmpv6: 'icmp6',
  igmp: 'igmp',
  gre: 'gre',
  esp: 'esp',
  ah: 'ah',
  sctp: 'sctp',
};

type Conv = (s: string) => KeyValue;
const num: Conv = (s) => Number(s);
const text: Conv = (s) => s;
const macText: Conv = (s) => s.replace(/:/g, '').toUpperCase();
const bits =
  (n: number): Conv =>
  (s) =>
    Number(s).toString(2).padStart(n, '0');

/** [tshark layer, tshark field, flowlens packet key, conversion of tshark's text]. */
const INNER_FIELDS: readonly (readonly [string, string, string, Conv])[] = [
  ['eth', 'eth.src', 'macsource', macText],
  ['eth', 'eth.dst', 'macdestination', macText],
  ['vlan', 'vlan.id', 'vlan', num],
  ['vlan', 'vlan.priority', 'priority', num],
  ['ip', 'ip.src', 'ipsource', text],
  ['ip', 'ip.dst', 'ipdestination', text],
  ['ip', 'ip.proto', 'ipprotocol', num],
  ['ip', 'ip.len', 'ipbytes', num],
  ['ip', 'ip.dsfield', 'iptos', num],
  ['ip', 'ip.dsfield.dscp', 'ipdscp', num],
  ['ip', 'ip.dsfield.ecn', 'ipecn', bits(2)],
  ['ip', 'ip.ttl', 'ipttl', num],
  ['ip', 'ip.id', 'ipid', num],
  ['ip', 'ip.flags', 'ipflags', bits(3)],
  ['ip', 'ip.frag_offset', 'ipfragoffset', num],
  ['ipv6', 'ipv6.src', 'ip6source', text],
  ['ipv6', 'ipv6.dst', 'ip6destination', text],
  ['ipv6', 'ipv6.nxt', 'ip6nexthdr', num],
  ['ipv6', 'ipv6.plen', 'ip6bytes', (s) => Number(s) + 40],
  ['ipv6', 'ipv6.tclass', 'ip6tos', num],
  ['ipv6', 'ipv6.tclass.dscp', 'ip6dscp', num],
  ['ipv6', 'ipv6.tclass.ecn', 'ip6ecn', bits(2)],
  ['ipv6', 'ipv6.flow', 'ip6flowlabel', num],
  ['ipv6', 'ipv6.hlim', 'ip6ttl', num],
  ['tcp', 'tcp.srcport', 'tcpsourceport', num],
  ['tcp', 'tcp.dstport', 'tcpdestinationport', num],
  ['tcp', 'tcp.flags', 'tcpflags', bits(9)],
  ['tcp', 'tcp.window_size_value', 'tcpwindow', num],
  ['udp', 'udp.srcport', 'udpsourceport', num],
  ['udp', 'udp.dstport', 'udpdestinationport', num],
  ['udp', 'udp.length', 'udpbytes', num],
  ['icmp', 'icmp.type', 'icmptype', num],
  ['icmp', 'icmp.code', 'icmpcode', num],
  ['icmp', 'icmp.seq', 'icmpseqno', num],
  ['icmpv6', 'icmpv6.type', 'icmp6type', num],
  ['icmpv6', 'icmpv6.code', 'icmp6code', num],
];

const TRANSPORT = new Set(['tcp', 'udp', 'icmp', 'icmp6']);

/** First value of each field name in a layer subtree. */
function firstValues(node: JEntry[], out = new Map<string, string>()): Map<string, string> {
  for (const [k, v] of node) {
    if (typeof v === 'string') {
      if (!out.has(k)) out.set(k, v);
    } else if (k !== '_ws.expert') {
      firstValues(v, out);
    }
  }
  return out;
}

/**
 * Compares tshark's dissection of a sampled header with flowlens's packet keys.
 * tshark (with sflow.enable_analysis off, the default) stops at the transport
 * header, so only keys of the outer packet are compared; flowlens's `stack`
 * may go on past UDP (VXLAN, RoCEv2 BTH) where tshark stops.
 */
function compareInner(t: Tally, where: string, tree: JEntry[], h: SampledHeader): void {
  t.headers++;
  const keys = packetKeys(dissect(h.buffer, h.headerOffset, h.headerLength, h.headerProtocol));
  const layers = tree.filter((e): e is [string, JEntry[]] => typeof e[1] !== 'string');
  const tshark = new Map<string, KeyValue>();
  const tokens: string[] = [];
  const vlanIds: string[] = [];
  let ethertype: string | undefined;
  for (const [name, node] of layers) {
    if (name === 'data' || name === '_ws.malformed') continue;
    // Past the transport header tshark may go on by port (ssh, dns...): flowlens does not.
    if (tokens.length > 0 && TRANSPORT.has(tokens[tokens.length - 1])) break;
    tokens.push(LAYER_TOKENS[name] ?? name);
    const values = firstValues(node);
    if (name === 'eth') ethertype = values.get('eth.type');
    if (name === 'vlan') {
      vlanIds.push(values.get('vlan.id') ?? '?');
      ethertype = values.get('vlan.etype');
    }
    for (const [layer, field, key, conv] of INNER_FIELDS) {
      const v = values.get(field);
      if (layer === name && v !== undefined && !tshark.has(key)) tshark.set(key, conv(v));
    }
  }
  if (ethertype !== undefined) tshark.set('ethernetprotocol', Number(ethertype));
  if (vlanIds.length > 0) tshark.set('vlanstack', vlanIds.join('.'));
  const compared = new Set<string>(['ethernetprotocol', 'vlanstack', ...INNER_FIELDS.map((f) => f[2])]);
  for (const key of compared) {
    const a = tshark.get(key);
    const e = keys[key];
    if (a === undefined && e === undefined) continue;
    t.fields++;
    if (a !== e) report(t, `${where}: inner packet ${key}: tshark ${String(a)}, flowlens ${String(e)}`);
  }
  // Layer stack: tshark's layers are flowlens's, up to where tshark stops.
  t.fields++;
  const stack = typeof keys.stack === 'string' ? keys.stack.split('.') : [];
  const prefix = stack.slice(0, tokens.length);
  const rest = stack.slice(tokens.length);
  const stopsAtTransport = tokens.length > 0 && TRANSPORT.has(tokens[tokens.length - 1]);
  if (prefix.join('.') !== tokens.join('.') || (rest.length > 0 && !stopsAtTransport)) {
    report(t, `${where}: inner packet stack: tshark ${tokens.join('.')}, flowlens ${stack.join('.')}`);
  }
}

const TSHARK_SAMPLE_TYPES = new Set([
  'flow_sample',
  'flow_sample_expanded',
  'counters_sample',
  'counters_sample_expanded',
]);

function compareRecords(t: Tally, where: string, nodes: JEntry[][], s: SflowSample): void {
  // tshark 4.0 shows only the type and length of other samples (discarded_packet...).
  if (!('records' in s) || !TSHARK_SAMPLE_TYPES.has(s.type)) return;
  const context = s.type === 'counters_sample' || s.type === 'counters_sample_expanded' ? 'counter' : 'flow';
  if (nodes.length !== s.records.length) {
    report(t, `${where}: tshark shows ${nodes.length} records, flowlens ${s.records.length}`);
  }
  const n = Math.min(nodes.length, s.records.length);
  for (let i = 0; i < n; i++) {
    const r = s.records[i];
    const rw = `${where} record ${i} (${r.format})`;
    t.records++;
    t.formats.set(`${context} ${r.format}`, (t.formats.get(`${context} ${r.format}`) ?? 0) + 1);
    const expected =
      context === 'flow' ? expectedFlowRecord(r as FlowRecord) : expectedCounterRecord(r as CounterRecord);
    compareLeaves(t, rw, flatten(nodes[i]), expected);
    if (r instanceof SampledHeader) {
      const tree = child(nodes[i], 'sflow_245.header_tree');
      if (tree !== undefined && typeof tree !== 'string') compareInner(t, rw, tree, r);
      else if (r.headerLength > 0) report(t, `${rw}: tshark did not dissect the sampled header`);
    }
  }
}

/** Compares one datagram: tshark's sflow layer against flowlens's decoding. */
function compareDatagram(t: Tally, where: string, sflow: JEntry[], d: SflowDatagram): void {
  t.datagrams++;
  const v6 = d.agent.includes(':');
  const expected: Leaf[] = [
    ['sflow_245.version', '5'],
    ['sflow_245.agenttype', v6 ? '2' : '1'],
    [v6 ? 'sflow_245.agent.v6' : 'sflow_245.agent', d.agent],
    ['sflow_245.sub_agent_id', String(d.subAgentId)],
    ['sflow_245.sequence_number', String(d.sequence)],
    ['sflow_245.sysuptime', String(d.uptime)],
    ['sflow_245.numsamples', String(d.samples.length)],
  ];
  const header: Leaf[] = [];
  const samples: JEntry[][] = [];
  for (const [k, v] of sflow) {
    if (typeof v === 'string') header.push([k, v]);
    else if (isTlvNode(v)) samples.push(v);
    else flatten([[k, v]], header);
  }
  compareLeaves(t, `${where} header`, header, expected);
  if (samples.length !== d.samples.length) {
    report(t, `${where}: tshark shows ${samples.length} samples, flowlens ${d.samples.length}`);
  }
  const n = Math.min(samples.length, d.samples.length);
  for (let i = 0; i < n; i++) {
    const s = d.samples[i];
    const sw = `${where} sample ${i} (${s.type})`;
    t.samples++;
    const leaves: Leaf[] = [];
    const records: JEntry[][] = [];
    for (const [k, v] of samples[i]) {
      if (typeof v === 'string') leaves.push([k, v]);
      else if (isTlvNode(v)) records.push(v);
      else flatten([[k, v]], leaves);
    }
    compareLeaves(t, sw, leaves, expectedSample(s));
    compareRecords(t, sw, records, s);
  }
}

function decodeOk(buf: Buffer, where: string): SflowDatagram {
  const d = decodeSflow(buf);
  if (!('samples' in d)) assert.fail(`${where}: flowlens could not decode: ${JSON.stringify(d)}`);
  const errors = [d.error, ...d.samples.map((s) => ('error' in s ? s.error : undefined))].filter(
    (e) => e !== undefined,
  );
  assert.deepEqual(errors, [], `${where}: flowlens decode errors`);
  return d;
}

function summary(t: Tally): string {
  return (
    `${t.datagrams} datagrams, ${t.samples} samples, ${t.records} records ` +
    `(${t.headers} sampled headers), ${t.fields} field values compared`
  );
}

function assertAgreement(t: Tally): void {
  assert.deepEqual(t.disagreements, [], `tshark and flowlens disagree:\n${t.disagreements.join('\n')}`);
}

/** Writes datagrams to a pcap, runs tshark once and compares every datagram. */
function crossCheck(dir: string, name: string, buffers: Buffer[]): Tally {
  const frames: PcapFrame[] = buffers.map((payload, i) => ({
    timestamp: 1_700_000_000_000 + i,
    srcAddr: '192.0.2.200',
    srcPort: 50000,
    dstAddr: '192.0.2.250',
    dstPort: 6343,
    payload,
  }));
  const file = path.join(dir, `${name}.pcap`);
  writeFileSync(file, writePcap(frames));
  const result = runTshark(file);
  const t = newTally();
  for (let i = 0; i < buffers.length; i++) {
    const where = `${name} datagram ${i}`;
    const f = result.get(i + 1);
    if (f?.sflow === undefined) {
      report(t, `${where}: tshark did not dissect it as sFlow`);
      continue;
    }
    if (f.malformed) report(t, `${where}: tshark reports it Malformed`);
    compareDatagram(t, where, f.sflow, decodeOk(buffers[i], where));
  }
  return t;
}

/**
 * Runs tshark over a real capture and compares every sFlow datagram it does not
 * mark Malformed. A bare UDP payload file is wrapped in a pcap first.
 */
function crossCheckCapture(dir: string, file: string): { tally: Tally; malformed: number } {
  const name = path.basename(file);
  const data = readFileSync(file);
  const datagrams: { frame: number; dstPort: number; payload: Buffer }[] = [];
  for (const item of readCapture(data, file)) {
    if (item.kind === 'datagram' && detectProtocol(item.payload) === 'sflow5') datagrams.push(item);
  }
  let tsharkFile = file;
  if (detectCaptureFormat(data) === 'raw') {
    tsharkFile = path.join(dir, `${name}.pcap`);
    const frames = datagrams.map((d, i) => ({
      timestamp: i,
      srcAddr: '192.0.2.200',
      srcPort: 50000,
      dstAddr: '192.0.2.250',
      dstPort: 6343,
      payload: d.payload,
    }));
    writeFileSync(tsharkFile, writePcap(frames));
    datagrams.forEach((d, i) => {
      d.frame = i + 1;
      d.dstPort = 6343;
    });
  }
  const ports = new Set<number>();
  for (const d of datagrams) if (d.dstPort !== 6343) ports.add(d.dstPort);
  const result = runTshark(tsharkFile, [...ports]);
  const tally = newTally();
  let malformed = 0;
  for (const d of datagrams) {
    const where = `${name} frame ${d.frame}`;
    const f = result.get(d.frame);
    if (f?.sflow === undefined) report(tally, `${where}: tshark did not dissect it as sFlow`);
    else if (f.malformed) malformed++;
    else compareDatagram(tally, where, f.sflow, decodeOk(d.payload, where));
  }
  return { tally, malformed };
}

// ------------------------------------------------------------------ generators

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 255 });
const u64 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
  fc.constant(2n ** 64n - 1n),
);
const ip4 = fc.tuple(u8, u8, u8, u8).map((a) => a.join('.'));
/**
 * IPv6 addresses with zero runs of every length, as flowlens formats them.
 * Left out: IPv4-compatible addresses (::a.b.c.d with a non-zero 7th group),
 * which tshark writes in mixed notation (::1.2.3.4) and flowlens in hex
 * (::102:304); RFC 5952 recommends mixed notation only for well-known
 * prefixes, and ::/96 is deprecated, so this is notation, not a decoding error.
 */
const ip6 = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), u16), { minLength: 8, maxLength: 8 })
  .filter((g) => !(g.slice(0, 6).every((x) => x === 0) && g[6] !== 0))
  .map((groups) => {
    const b = Buffer.alloc(16);
    for (let i = 0; i < 8; i++) b.writeUInt16BE(groups[i], i * 2);
    return formatIPv6(b, 0);
  });
const address = fc.oneof(ip4, ip6, fc.constant(''));
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => colonHex(b));
/** Printable ASCII: tshark escapes control and non-ASCII characters when it shows strings. */
const printable = (maxLength: number) => fc.string({ unit: 'grapheme-ascii', maxLength });

const sampledHeader: fc.Arbitrary<RecordInput> = fc
  .record({
    v6: fc.boolean(),
    l2: fc.boolean(),
    l4: fc.constantFrom('tcp', 'udp', 'icmp'),
    vlan: fc.option(fc.integer({ min: 0, max: 4095 }), { nil: undefined }),
    srcMac: mac,
    dstMac: mac,
    src4: ip4,
    dst4: ip4,
    src6: ip6,
    dst6: ip6,
    srcPort: u16,
    dstPort: u16,
    tcpFlags: u8,
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    ttl: u8,
    wire: fc.integer({ min: 0, max: 9000 }),
    extra: fc.integer({ min: 0, max: 120 }),
    unsampled: fc.integer({ min: 0, max: 65535 }),
    stripped: fc.integer({ min: 0, max: 64 }),
  })
  .map((h) => {
    const spec: FrameSpec = {
      srcMac: h.srcMac,
      dstMac: h.dstMac,
      vlan: h.l2 ? h.vlan : undefined,
      src: h.v6 ? h.src6 : h.src4,
      dst: h.v6 ? h.dst6 : h.dst4,
      protocol: h.l4 === 'tcp' ? 6 : h.l4 === 'udp' ? 17 : h.v6 ? 58 : 1,
      srcPort: h.srcPort,
      dstPort: h.dstPort,
      tcpFlags: h.tcpFlags,
      dscp: h.dscp,
      ecn: h.ecn,
      ttl: h.ttl,
      frameLength: h.wire,
    };
    // Every header complete, then 0-120 bytes of payload (or less when the frame is shorter).
    const frame = buildFrame(spec, minimumFrameLength(spec) + h.extra);
    const l2 = 14 + (spec.vlan === undefined ? 0 : 4);
    const header = h.l2 ? frame : frame.subarray(l2);
    return {
      format: '0:1' as const,
      headerProtocol: h.l2 ? 1 : h.v6 ? 12 : 11,
      // A consistent record: the frame holds at least the sampled and the stripped bytes.
      // tshark 4.0 dissects only frame_length bytes of the header, and marks the whole
      // datagram Malformed when frame_length is in [2^31, 2^32 - 2] (it is taken as signed).
      frameLength: header.length + h.stripped + h.unsampled,
      stripped: h.stripped,
      header,
    };
  });

function layoutOf(format: string, context: 'flow' | 'counter') {
  const [ent, fmt] = format.split(':').map(Number);
  const l = context === 'flow' ? flowLayout(dataFormat(ent, fmt)) : counterLayout(dataFormat(ent, fmt));
  if (l === undefined) throw new Error(`no layout ${format}`);
  return l;
}

/** A record of a layout with random field values; `over` replaces the generator of some fields. */
function record(
  format: string,
  context: 'flow' | 'counter',
  over: Record<string, fc.Arbitrary<unknown>> = {},
): fc.Arbitrary<RecordInput> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of layoutOf(format, context).fields) {
    const given = over[f.name];
    if (given !== undefined) {
      shape[f.name] = given;
      continue;
    }
    switch (f.type) {
      case 'u32':
        shape[f.name] = u32;
        break;
      case 'i32':
        shape[f.name] = i32;
        break;
      case 'u64':
        shape[f.name] = u64;
        break;
      case 'ip4':
        shape[f.name] = ip4;
        break;
      case 'ip6':
        shape[f.name] = ip6;
        break;
      case 'address':
        shape[f.name] = address;
        break;
      case 'mac':
        shape[f.name] = mac;
        break;
      case 'string':
        shape[f.name] = printable(32);
        break;
      case 'opaque':
        shape[f.name] = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString('hex'));
        break;
      case 'u32[]':
        shape[f.name] = fc.array(u32, { maxLength: 6 });
        break;
      default:
        throw new Error(`no generator for ${format} field ${f.name} (${f.type})`);
    }
  }
  return fc.record(shape).map((v) => ({ ...(v as FieldRecord), format }));
}

const flowRecord: fc.Arbitrary<RecordInput> = fc.oneof(
  { weight: 6, arbitrary: sampledHeader },
  { weight: 3, arbitrary: record('0:1001', 'flow') },
  { weight: 3, arbitrary: record('0:1002', 'flow') },
  {
    weight: 3,
    arbitrary: record('0:1003', 'flow', {
      dstAsPath: fc.array(
        fc.record({ type: fc.oneof(fc.constantFrom(1, 2), u32), asns: fc.array(u32, { maxLength: 6 }) }),
        { maxLength: 4 },
      ),
      communities: fc.array(u32, { maxLength: 6 }),
    }),
  },
  { weight: 1, arbitrary: record('0:2', 'flow') },
  { weight: 1, arbitrary: record('0:3', 'flow') },
  { weight: 1, arbitrary: record('0:4', 'flow') },
  { weight: 1, arbitrary: record('0:1004', 'flow') },
  { weight: 1, arbitrary: record('0:1005', 'flow') },
  {
    weight: 1,
    // tshark 4.0 throws (Malformed) on an empty MPLS label stack, so the stacks are never empty.
    arbitrary: record('0:1006', 'flow', {
      inStack: fc.array(u32, { minLength: 1, maxLength: 6 }),
      outStack: fc.array(u32, { minLength: 1, maxLength: 6 }),
    }),
  },
  { weight: 1, arbitrary: record('0:1007', 'flow') },
  { weight: 1, arbitrary: record('0:1008', 'flow') },
  { weight: 1, arbitrary: record('0:1009', 'flow') },
  { weight: 1, arbitrary: record('0:1010', 'flow') },
  { weight: 1, arbitrary: record('0:1011', 'flow') },
  { weight: 1, arbitrary: record('0:1012', 'flow') },
  { weight: 1, arbitrary: record('0:1013', 'flow') },
  { weight: 1, arbitrary: record('0:1014', 'flow') },
  { weight: 1, arbitrary: record('0:1015', 'flow') },
);

const counterRecord: fc.Arbitrary<RecordInput> = fc.oneof(
  { weight: 4, arbitrary: record('0:1', 'counter') },
  { weight: 3, arbitrary: record('0:2', 'counter') },
  { weight: 3, arbitrary: record('0:1001', 'counter') },
  ...['0:3', '0:4', '0:5', '0:6', '0:7', '0:1002'].map((f) => ({
    weight: 1,
    arbitrary: record(f, 'counter'),
  })),
);

const compactIface = fc.record({
  format: fc.constantFrom(0, 1, 2),
  value: fc.oneof(fc.integer({ min: 0, max: 0x3fffffff }), fc.constant(0x3fffffff)),
});
const expandedIface = fc.record({ format: fc.oneof(fc.constantFrom(0, 1, 2), u32), value: u32 });

const sample: fc.Arbitrary<SampleInput> = fc.oneof(
  fc.record({
    type: fc.constant('flow_sample' as const),
    sequence: u32,
    sourceIdType: u8,
    sourceIdIndex: fc.integer({ min: 0, max: 0xffffff }),
    samplingRate: u32,
    samplePool: u32,
    drops: u32,
    input: compactIface,
    output: compactIface,
    records: fc.array(flowRecord, { maxLength: 5 }),
  }),
  fc.record({
    type: fc.constant('flow_sample_expanded' as const),
    sequence: u32,
    sourceIdType: u32,
    sourceIdIndex: u32,
    samplingRate: u32,
    samplePool: u32,
    drops: u32,
    input: expandedIface,
    output: expandedIface,
    records: fc.array(flowRecord, { maxLength: 5 }),
  }),
  fc.record({
    type: fc.constantFrom('counters_sample' as const),
    sequence: u32,
    sourceIdType: u8,
    sourceIdIndex: fc.integer({ min: 0, max: 0xffffff }),
    records: fc.array(counterRecord, { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constantFrom('counters_sample_expanded' as const),
    sequence: u32,
    sourceIdType: u32,
    sourceIdIndex: u32,
    records: fc.array(counterRecord, { maxLength: 4 }),
  }),
);

const datagram: fc.Arbitrary<DatagramInput> = fc.record({
  agent: fc.oneof(ip4, ip6),
  subAgentId: u32,
  sequence: u32,
  uptime: u32,
  samples: fc.array(sample, { maxLength: 6 }),
});

const GENERATED_FORMATS = new Set([
  ...['0:1', '0:2', '0:3', '0:4'].map((f) => `flow ${f}`),
  ...Array.from({ length: 15 }, (_, i) => `flow 0:${1001 + i}`),
  ...['0:1', '0:2', '0:3', '0:4', '0:5', '0:6', '0:7', '0:1001', '0:1002'].map((f) => `counter ${f}`),
]);

const SEED = Number(process.env.FLOWLENS_TSHARK_SEED ?? 20240611);

// ------------------------------------------------------------------ tests

test('sFlow decoding agrees with tshark field by field', { skip: TSHARK_MISSING }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flowlens-tshark-'));
  try {
    await t.test('realistic BasicStream datagrams (several seeds)', (tt) => {
      const buffers: Buffer[] = [];
      for (const [seed, counterShare] of [
        [1, 0.05],
        [7, 0.3],
        [42, 0.5],
      ] as const) {
        const stream = new BasicStream({ seed, counterShare, ipv6Share: 0.3 });
        for (let i = 0; i < 100; i++) buffers.push(stream.next());
      }
      const tally = crossCheck(dir, 'basic', buffers);
      tt.diagnostic(summary(tally));
      assert.equal(tally.datagrams, buffers.length);
      assertAgreement(tally);
    });

    await t.test('random datagrams of the structures tshark 4.0 decodes (fast-check)', (tt) => {
      const inputs = fc.sample(datagram, { numRuns: 300, seed: SEED });
      const buffers = inputs.map((d) => encodeSflow(d));
      const tally = crossCheck(dir, 'random', buffers);
      tt.diagnostic(`seed ${SEED} (FLOWLENS_TSHARK_SEED): ${summary(tally)}`);
      tt.diagnostic(`records: ${[...tally.formats].map(([f, n]) => `${f} x${n}`).join(', ')}`);
      assert.equal(tally.datagrams, buffers.length);
      const missing = [...GENERATED_FORMATS].filter((f) => !tally.formats.has(f));
      assert.deepEqual(missing, [], 'every generated record format is compared at least once');
      assertAgreement(tally);
    });

    const captures = capturesDir();
    await t.test('real captures', { skip: captures === undefined && 'no ../shared/captures' }, (tt) => {
      const cdir = captures as string;
      const names = readdirSync(cdir).filter(
        (f) => f.startsWith('sflow_') || f.startsWith('synthetic_sflow'),
      );
      assert.ok(names.length > 0, 'expected sflow_* captures');
      const total = newTally();
      for (const name of names) {
        const { tally, malformed } = crossCheckCapture(dir, path.join(cdir, name));
        tt.diagnostic(`${name}: ${summary(tally)}; ${malformed} datagrams tshark marks Malformed (skipped)`);
        for (const k of ['datagrams', 'samples', 'records', 'headers', 'fields'] as const)
          total[k] += tally[k];
        total.disagreements.push(...tally.disagreements);
      }
      tt.diagnostic(`all captures: ${summary(total)}`);
      assertAgreement(total);
    });
  } finally {
    // FLOWLENS_TSHARK_KEEP=1 keeps the pcaps for a look with tshark -V.
    if (process.env.FLOWLENS_TSHARK_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
    else t.diagnostic(`pcaps kept in ${dir}`);
  }
});
