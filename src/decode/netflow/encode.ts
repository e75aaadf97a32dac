/**
 * IPFIX / NetFlow v9 / NetFlow v5 message builder, for tests, simulators and
 * load generators. It is the decoder's mirror: values are given as the
 * decoder outputs them (addresses as text, MACs as "aa:bb:..", octet arrays
 * as hex or bytes, every dateTime as ms since the epoch), and encoded by the
 * IE's type and the template's field length.
 *
 *   const tpl = { id: 256, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 1, length: 8 }] };
 *   const msg = encodeIpfix({ observationDomain: 1, sequence: 0, exportTime: 1700000000,
 *     sets: [{ type: 'template', templates: [tpl] }, { type: 'data', template: tpl, records: [['10.0.0.1', '10.0.0.2', 1500]] }] });
 *
 * `ExportBuilder` adds what an exporter keeps between messages: the sequence
 * number and the templates to refresh.
 *
 * Like the pcap writer, the builder throws RangeError on arguments it cannot
 * encode (a set or message longer than 65535 bytes); it is not a receive path.
 */
import { ByteWriter } from '../../common/byte-writer.js';
import { parseIPv4Bytes, parseIPv6Bytes, parseMacBytes } from '../../common/xdr.js';
import { type IeDataType, lookupIe } from './ies.js';

/** Template field length meaning "variable length". */
export const VARIABLE_LENGTH = 65535;

export interface TemplateFieldDef {
  /** IE number (without the enterprise bit). */
  id: number;
  /** Field length; VARIABLE_LENGTH (65535) for a variable-length field. */
  length: number;
  /** Private Enterprise Number (IPFIX only); 0 or absent for IANA IEs. */
  pen?: number;
}

export interface TemplateDef {
  /** Template ID, >= 256. */
  id: number;
  fields: TemplateFieldDef[];
  /** Options template: the first `scopeCount` fields are the scope (must be > 0 for IPFIX). */
  scopeCount?: number;
}

/** A field value: number/bigint for numbers and times (ms), text for addresses and strings, bytes or hex for octets. */
export type EncodeValue = number | bigint | string | boolean | Uint8Array;

export type ExportSet =
  /** Template records (IPFIX set 2, v9 FlowSet 0). */
  | { type: 'template'; templates: TemplateDef[]; padding?: number }
  /** Options template records (IPFIX set 3, v9 FlowSet 1). */
  | { type: 'options-template'; templates: TemplateDef[]; padding?: number }
  /** IPFIX withdrawals: field count 0 records. ID 2 (data) or 3 (options) withdraws all. */
  | { type: 'withdraw'; ids: number[]; options?: boolean }
  /** Data records of `template`, values in template field order. */
  | { type: 'data'; template: TemplateDef; records: EncodeValue[][]; padding?: number; longVarlen?: boolean }
  /** Any set, as bytes (set header added). */
  | { type: 'raw'; setId: number; body: Uint8Array };

export interface IpfixMessageInput {
  /** UNIX seconds. Default 0. */
  exportTime?: number;
  sequence?: number;
  observationDomain?: number;
  sets: ExportSet[];
}

export interface Netflow9PacketInput {
  /** ms since boot. */
  sysUptime?: number;
  /** UNIX seconds. */
  unixSecs?: number;
  sequence?: number;
  sourceId?: number;
  /** Header count; default: template + options template + data records. */
  count?: number;
  sets: ExportSet[];
}

export interface Netflow5Record {
  srcAddr?: string;
  dstAddr?: string;
  nextHop?: string;
  input?: number;
  output?: number;
  packets?: number;
  octets?: number;
  /** sysUptime ms at the first / last packet. */
  first?: number;
  last?: number;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  protocol?: number;
  tos?: number;
  srcAs?: number;
  dstAs?: number;
  srcMask?: number;
  dstMask?: number;
}

export interface Netflow5PacketInput {
  sysUptime?: number;
  unixSecs?: number;
  unixNsecs?: number;
  sequence?: number;
  engineType?: number;
  engineId?: number;
  /** Sampling interval (low 14 bits) and mode (top 2 bits). */
  samplingInterval?: number;
  samplingMode?: number;
  records: Netflow5Record[];
  /** Header count; default records.length. */
  count?: number;
}

const NTP_UNIX_OFFSET = 2208988800;

/** Big-endian two's complement of `v` in `len` bytes (values wider than `len` keep their low bytes). */
function intBytes(v: number | bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let big = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number.isFinite(v) ? v : 0));
  if (big < 0n) big += 1n << BigInt(8 * len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(big & 0xffn);
    big >>= 8n;
  }
  return out;
}

function naturalLength(type: IeDataType): number {
  switch (type) {
    case 'unsigned8':
    case 'signed8':
    case 'boolean':
      return 1;
    case 'unsigned16':
    case 'signed16':
      return 2;
    case 'unsigned32':
    case 'signed32':
    case 'float32':
    case 'dateTimeSeconds':
    case 'ipv4Address':
      return 4;
    case 'macAddress':
      return 6;
    case 'ipv6Address':
      return 16;
    default:
      return 8;
  }
}

function hexBytes(s: string): Uint8Array {
  const clean = s.length % 2 === 0 ? s : `0${s}`;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16) || 0;
  return out;
}

/** The bytes of one value for an IE of `type`; `length` < 0 = variable length (natural size for numbers). */
export function encodeValue(value: EncodeValue, type: IeDataType, length: number): Uint8Array {
  const varlen = length < 0 || length === VARIABLE_LENGTH;
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) {
    bytes = value;
  } else if (typeof value === 'boolean') {
    bytes = Uint8Array.of(value ? 1 : 2);
  } else if (typeof value === 'string') {
    switch (type) {
      case 'ipv4Address':
        bytes = parseIPv4Bytes(value);
        break;
      case 'ipv6Address':
        bytes = parseIPv6Bytes(value);
        break;
      case 'macAddress':
        bytes = parseMacBytes(value);
        break;
      case 'string':
        bytes = Buffer.from(value, 'utf8');
        break;
      default:
        bytes = hexBytes(value);
    }
  } else {
    const n = varlen ? naturalLength(type) : length;
    switch (type) {
      case 'float32':
      case 'float64': {
        const b = Buffer.alloc(n === 4 ? 4 : 8);
        if (n === 4) b.writeFloatBE(Number(value));
        else b.writeDoubleBE(Number(value));
        bytes = b;
        break;
      }
      case 'dateTimeSeconds':
        bytes = intBytes(Math.floor(Number(value) / 1000), n);
        break;
      case 'dateTimeMicroseconds':
      case 'dateTimeNanoseconds': {
        const ms = Number(value);
        const sec = Math.floor(ms / 1000);
        const frac = Math.round(((ms - sec * 1000) / 1000) * 4294967296);
        const b = Buffer.alloc(8);
        b.writeUInt32BE((sec + NTP_UNIX_OFFSET) % 4294967296, 0);
        b.writeUInt32BE(Math.min(frac, 0xffffffff), 4);
        bytes = b;
        break;
      }
      default:
        bytes = intBytes(value, n);
    }
  }
  if (varlen) return bytes;
  if (bytes.length === length) return bytes;
  // Fixed length: pad (strings and octets with zeros at the end) or cut.
  const out = new Uint8Array(length);
  out.set(bytes.subarray(0, length));
  return out;
}

/** Writes a variable-length prefix (RFC 7011 §7): 1 byte below 255, else 255 and a u16; `long` forces the 3-byte form. */
function writeVarlenPrefix(w: ByteWriter, n: number, long = false): void {
  if (n < 255 && !long) w.u8(n);
  else w.u8(255).u16(n);
}

function writeRecord(
  w: ByteWriter,
  template: TemplateDef,
  values: EncodeValue[],
  netflow9: boolean,
  longVarlen = false,
): void {
  template.fields.forEach((f, i) => {
    const ie = lookupIe(f.id, f.pen ?? 0, netflow9);
    const v = values[i] ?? 0;
    if (f.length === VARIABLE_LENGTH) {
      const b = encodeValue(v, ie.type, -1);
      writeVarlenPrefix(w, b.length, longVarlen);
      w.bytes(b);
    } else if (f.length > 0) {
      w.bytes(encodeValue(v, ie.type, f.length));
    }
  });
}

/** The bytes of one record of `template` (useful to build sub-template lists by hand). */
export function encodeRecord(template: TemplateDef, values: EncodeValue[], netflow9 = false): Uint8Array {
  const w = new ByteWriter(64);
  writeRecord(w, template, values, netflow9);
  return w.finish();
}

/** RFC 6313 list semantics. */
export const SEMANTIC = {
  noneOf: 0,
  exactlyOneOf: 1,
  oneOrMoreOf: 2,
  allOf: 3,
  ordered: 4,
  undefined: 255,
} as const;

/** A basicList value (IE 291 or any basicList-typed IE). */
export function encodeBasicList(
  semantic: number,
  element: TemplateFieldDef,
  values: EncodeValue[],
): Uint8Array {
  const w = new ByteWriter(64);
  const pen = element.pen ?? 0;
  w.u8(semantic)
    .u16(pen !== 0 ? element.id | 0x8000 : element.id)
    .u16(element.length);
  if (pen !== 0) w.u32(pen);
  const type = lookupIe(element.id, pen).type;
  for (const v of values) {
    if (element.length === VARIABLE_LENGTH) {
      const b = encodeValue(v, type, -1);
      writeVarlenPrefix(w, b.length);
      w.bytes(b);
    } else {
      w.bytes(encodeValue(v, type, element.length));
    }
  }
  return w.finish();
}

/** A subTemplateList value (IE 292): records of a template the receiver already knows. */
export function encodeSubTemplateList(
  semantic: number,
  template: TemplateDef,
  records: EncodeValue[][],
): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(semantic).u16(template.id);
  for (const r of records) writeRecord(w, template, r, false);
  return w.finish();
}

/** A subTemplateMultiList value (IE 293). */
export function encodeSubTemplateMultiList(
  semantic: number,
  lists: { template: TemplateDef; records: EncodeValue[][] }[],
): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(semantic);
  for (const l of lists) {
    const at = w.length;
    w.u16(l.template.id).u16(0);
    for (const r of l.records) writeRecord(w, l.template, r, false);
    w.patchU16(at + 2, w.length - at);
  }
  return w.finish();
}

function writeTemplateRecord(w: ByteWriter, t: TemplateDef, options: boolean, netflow9: boolean): void {
  const scope = options ? (t.scopeCount ?? 1) : 0;
  if (netflow9) {
    if (options)
      w.u16(t.id)
        .u16(scope * 4)
        .u16((t.fields.length - scope) * 4);
    else w.u16(t.id).u16(t.fields.length);
    for (const f of t.fields) w.u16(f.id).u16(f.length);
    return;
  }
  w.u16(t.id).u16(t.fields.length);
  if (options) w.u16(scope);
  for (const f of t.fields) {
    const pen = f.pen ?? 0;
    w.u16(pen !== 0 ? f.id | 0x8000 : f.id).u16(f.length);
    if (pen !== 0) w.u32(pen);
  }
}

/** Writes the sets; returns the number of records (template, options template and data) written. */
function writeSets(
  w: ByteWriter,
  sets: ExportSet[],
  netflow9: boolean,
): { records: number; dataRecords: number } {
  let records = 0;
  let dataRecords = 0;
  for (const s of sets) {
    const at = w.length;
    switch (s.type) {
      case 'template':
      case 'options-template': {
        const options = s.type === 'options-template';
        w.u16(netflow9 ? (options ? 1 : 0) : options ? 3 : 2).u16(0);
        for (const t of s.templates) writeTemplateRecord(w, t, options, netflow9);
        records += s.templates.length;
        w.zeros(s.padding ?? 0);
        break;
      }
      case 'withdraw':
        w.u16(s.options ? 3 : 2).u16(0);
        for (const id of s.ids) w.u16(id).u16(0);
        break;
      case 'data':
        w.u16(s.template.id).u16(0);
        for (const r of s.records) writeRecord(w, s.template, r, netflow9, s.longVarlen);
        records += s.records.length;
        dataRecords += s.records.length;
        w.zeros(s.padding ?? 0);
        break;
      case 'raw':
        w.u16(s.setId).u16(0).bytes(s.body);
        break;
    }
    w.patchU16(at + 2, w.length - at);
  }
  return { records, dataRecords };
}

/** One IPFIX message (RFC 7011). */
export function encodeIpfix(input: IpfixMessageInput): Buffer {
  const w = new ByteWriter();
  w.u16(10)
    .u16(0)
    .u32(input.exportTime ?? 0)
    .u32(input.sequence ?? 0)
    .u32(input.observationDomain ?? 0);
  writeSets(w, input.sets, false);
  w.patchU16(2, w.length);
  return w.finish();
}

/** One NetFlow v9 export packet (RFC 3954). */
export function encodeNetflow9(input: Netflow9PacketInput): Buffer {
  const w = new ByteWriter();
  w.u16(9)
    .u16(0)
    .u32(input.sysUptime ?? 0)
    .u32(input.unixSecs ?? 0)
    .u32(input.sequence ?? 0)
    .u32(input.sourceId ?? 0);
  const { records } = writeSets(w, input.sets, true);
  w.patchU16(2, input.count ?? records);
  return w.finish();
}

/** One NetFlow v5 export packet. */
export function encodeNetflow5(input: Netflow5PacketInput): Buffer {
  const w = new ByteWriter(24 + 48 * input.records.length);
  w.u16(5)
    .u16(input.count ?? input.records.length)
    .u32(input.sysUptime ?? 0)
    .u32(input.unixSecs ?? 0)
    .u32(input.unixNsecs ?? 0)
    .u32(input.sequence ?? 0)
    .u8(input.engineType ?? 0)
    .u8(input.engineId ?? 0)
    .u16(((input.samplingMode ?? 0) << 14) | ((input.samplingInterval ?? 0) & 0x3fff));
  for (const r of input.records) {
    w.bytes(parseIPv4Bytes(r.srcAddr ?? '0.0.0.0'))
      .bytes(parseIPv4Bytes(r.dstAddr ?? '0.0.0.0'))
      .bytes(parseIPv4Bytes(r.nextHop ?? '0.0.0.0'))
      .u16(r.input ?? 0)
      .u16(r.output ?? 0)
      .u32(r.packets ?? 0)
      .u32(r.octets ?? 0)
      .u32(r.first ?? 0)
      .u32(r.last ?? 0)
      .u16(r.srcPort ?? 0)
      .u16(r.dstPort ?? 0)
      .u8(0)
      .u8(r.tcpFlags ?? 0)
      .u8(r.protocol ?? 0)
      .u8(r.tos ?? 0)
      .u16(r.srcAs ?? 0)
      .u16(r.dstAs ?? 0)
      .u8(r.srcMask ?? 0)
      .u8(r.dstMask ?? 0)
      .u16(0);
  }
  return w.finish();
}

export interface ExportBuilderOptions {
  protocol: 'ipfix' | 'netflow9';
  /** Observation domain (IPFIX) or source ID (v9). */
  domain?: number;
  /** First sequence number. Default 0. */
  sequence?: number;
  /** Boot time of the simulated exporter, ms since the epoch (v9 sysUptime). Default: first message time. */
  bootTimeMs?: number;
}

/**
 * A simulated exporter: keeps the sequence number (IPFIX: data records, v9:
 * packets) and the templates, which `message()` can include (refresh).
 */
export class ExportBuilder {
  readonly protocol: 'ipfix' | 'netflow9';
  readonly domain: number;
  sequence: number;
  private bootTimeMs: number | undefined;
  private readonly templates = new Map<number, TemplateDef>();

  constructor(options: ExportBuilderOptions) {
    this.protocol = options.protocol;
    this.domain = options.domain ?? 0;
    this.sequence = options.sequence ?? 0;
    this.bootTimeMs = options.bootTimeMs;
  }

  /** Registers a template (data or options, by `scopeCount`); returns it for use in data sets. */
  define(t: TemplateDef): TemplateDef {
    this.templates.set(t.id, t);
    return t;
  }

  /** Template and options template sets for every registered template. */
  templateSets(): ExportSet[] {
    const data = [...this.templates.values()].filter((t) => !t.scopeCount);
    const options = [...this.templates.values()].filter((t) => (t.scopeCount ?? 0) > 0);
    const sets: ExportSet[] = [];
    if (data.length > 0) sets.push({ type: 'template', templates: data });
    if (options.length > 0) sets.push({ type: 'options-template', templates: options });
    return sets;
  }

  /**
   * One message at `nowMs` with the given sets (templates first when
   * `withTemplates`); advances the sequence number.
   */
  message(nowMs: number, sets: ExportSet[], withTemplates = false): Buffer {
    const all = withTemplates ? [...this.templateSets(), ...sets] : sets;
    const exportTime = Math.floor(nowMs / 1000);
    if (this.protocol === 'ipfix') {
      const buf = encodeIpfix({
        exportTime,
        sequence: this.sequence,
        observationDomain: this.domain,
        sets: all,
      });
      for (const s of all) if (s.type === 'data') this.sequence += s.records.length;
      this.sequence %= 4294967296;
      return buf;
    }
    if (this.bootTimeMs === undefined) this.bootTimeMs = nowMs;
    const buf = encodeNetflow9({
      sysUptime: Math.max(0, nowMs - this.bootTimeMs) % 4294967296,
      unixSecs: exportTime,
      sequence: this.sequence,
      sourceId: this.domain,
      sets: all,
    });
    this.sequence = (this.sequence + 1) % 4294967296;
    return buf;
  }
}
