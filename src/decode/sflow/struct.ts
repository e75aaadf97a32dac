/**
 * Declarative layouts for sFlow structures.
 *
 * Each flow and counter record is described once as a list of XDR fields; the
 * same description drives decoding, encoding, documentation and the fuzz and
 * round-trip tests, so the decoder and encoder cannot drift apart.
 */
import { toHex } from '../../common/addr.js';
import { type U64, type XdrReader, XdrWriter } from '../../common/xdr.js';

export type ScalarType =
  | 'u32'
  | 'i32'
  | 'u64'
  | 'f32'
  | 'f64'
  /** IPv4 address, 4 bytes, as dotted text. */
  | 'ip4'
  /** IPv6 address, 16 bytes, as RFC 5952 text. */
  | 'ip6'
  /** sFlow `address`: u32 type (0 unknown, 1 IPv4, 2 IPv6) then the bytes; text, '' when unknown. */
  | 'address'
  /** MAC address: opaque[6] padded to 8 bytes, as 00:11:22:33:44:55. */
  | 'mac'
  | 'string'
  /** Variable-length opaque<>, as lowercase hex. */
  | 'opaque'
  /** 16 bytes with no length prefix, as a UUID string (host_descr, as hsflowd encodes it). */
  | 'uuid'
  | 'u32[]'
  | 'i32[]'
  | 'mac[]';

export interface ScalarField {
  name: string;
  type: ScalarType;
  /**
   * Present only in newer versions of the structure: decoded when the record
   * still has bytes left, encoded when the value is defined.
   */
  optional?: boolean;
}

export interface StructArrayField {
  name: string;
  type: 'struct[]';
  of: readonly FieldSpec[];
  optional?: boolean;
}

export type FieldSpec = ScalarField | StructArrayField;

export type FieldValue = number | bigint | string | number[] | string[] | FieldRecord[];
export interface FieldRecord {
  [field: string]: FieldValue | undefined;
}

/** Largest element count accepted for any XDR array: bounds work on hostile lengths. */
const MAX_ARRAY = 1 << 16;

export function decodeFields(r: XdrReader, fields: readonly FieldSpec[], out: FieldRecord): void {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.optional === true && r.pos >= r.end) return;
    out[f.name] = f.type === 'struct[]' ? decodeStructArray(r, f.of) : decodeScalar(r, f.type);
    if (r.overrun) return;
  }
}

function decodeStructArray(r: XdrReader, of: readonly FieldSpec[]): FieldRecord[] {
  const n = r.u32();
  const items: FieldRecord[] = [];
  // Each element takes at least 4 bytes, so a count larger than that is inconsistent.
  if (n > MAX_ARRAY || n * 4 > r.remaining()) {
    if (n > 0) r.skip(r.remaining() + 1);
    return items;
  }
  for (let i = 0; i < n && !r.overrun; i++) {
    const item: FieldRecord = {};
    decodeFields(r, of, item);
    items.push(item);
  }
  return items;
}

function decodeScalar(r: XdrReader, type: ScalarType): FieldValue {
  switch (type) {
    case 'u32':
      return r.u32();
    case 'i32':
      return r.i32();
    case 'u64':
      return r.u64();
    case 'f32':
      return r.f32();
    case 'f64':
      return r.f64();
    case 'ip4':
      return r.ip4();
    case 'ip6':
      return r.ip6();
    case 'address':
      return decodeAddress(r);
    case 'mac':
      return r.mac();
    case 'string':
      return r.string();
    case 'opaque': {
      const b = r.opaque();
      return toHex(b);
    }
    case 'uuid':
      return formatUuid(r.fixedOpaque(16));
    case 'u32[]':
    case 'i32[]': {
      const n = r.u32();
      const out: number[] = [];
      if (n > MAX_ARRAY || n * 4 > r.remaining()) {
        if (n > 0) r.skip(r.remaining() + 1);
        return out;
      }
      if (type === 'u32[]') for (let i = 0; i < n; i++) out.push(r.u32());
      else for (let i = 0; i < n; i++) out.push(r.i32());
      return out;
    }
    case 'mac[]': {
      const n = r.u32();
      const out: string[] = [];
      if (n > MAX_ARRAY || n * 8 > r.remaining()) {
        if (n > 0) r.skip(r.remaining() + 1);
        return out;
      }
      for (let i = 0; i < n; i++) out.push(r.mac());
      return out;
    }
  }
}

/** sFlow address: type 1 IPv4, 2 IPv6, anything else unknown (''). */
export function decodeAddress(r: XdrReader): string {
  const type = r.u32();
  if (type === 1) return r.ip4();
  if (type === 2) return r.ip6();
  return '';
}

export function encodeAddress(w: XdrWriter, addr: string): void {
  if (addr === '') w.u32(0);
  else if (addr.includes(':')) w.u32(2).ip6(addr);
  else w.u32(1).ip4(addr);
}

function formatUuid(b: Uint8Array): string {
  const h = toHex(b).padEnd(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function encodeFields(w: XdrWriter, fields: readonly FieldSpec[], value: FieldRecord): void {
  for (const f of fields) {
    const v = value[f.name];
    if (v === undefined) {
      if (f.optional === true) return; // optional fields only ever form the tail
      encodeDefault(w, f);
      continue;
    }
    if (f.type === 'struct[]') {
      const items = v as FieldRecord[];
      w.u32(items.length);
      for (const item of items) encodeFields(w, f.of, item);
    } else {
      encodeScalar(w, f.type, v);
    }
  }
}

function encodeDefault(w: XdrWriter, f: FieldSpec): void {
  if (f.type === 'struct[]') {
    w.u32(0);
    return;
  }
  const zero: Record<ScalarType, FieldValue> = {
    u32: 0,
    i32: 0,
    u64: 0,
    f32: 0,
    f64: 0,
    ip4: '0.0.0.0',
    ip6: '::',
    address: '',
    mac: '00:00:00:00:00:00',
    string: '',
    opaque: '',
    uuid: '00000000-0000-0000-0000-000000000000',
    'u32[]': [],
    'i32[]': [],
    'mac[]': [],
  };
  encodeScalar(w, f.type, zero[f.type]);
}

function encodeScalar(w: XdrWriter, type: ScalarType, v: FieldValue): void {
  switch (type) {
    case 'u32':
      w.u32(Number(v));
      return;
    case 'i32':
      w.i32(Number(v));
      return;
    case 'u64':
      w.u64(v as U64);
      return;
    case 'f32':
      w.f32(Number(v));
      return;
    case 'f64':
      w.f64(Number(v));
      return;
    case 'ip4':
      w.ip4(String(v));
      return;
    case 'ip6':
      w.ip6(String(v));
      return;
    case 'address':
      encodeAddress(w, String(v));
      return;
    case 'mac':
      w.mac(String(v));
      return;
    case 'string':
      w.string(String(v));
      return;
    case 'opaque':
      w.opaque(Buffer.from(String(v), 'hex'));
      return;
    case 'uuid':
      w.fixedOpaque(Buffer.from(String(v).replace(/-/g, ''), 'hex'), 16);
      return;
    case 'u32[]':
    case 'i32[]': {
      const a = v as number[];
      w.u32(a.length);
      for (const x of a) type === 'u32[]' ? w.u32(x) : w.i32(x);
      return;
    }
    case 'mac[]': {
      const a = v as string[];
      w.u32(a.length);
      for (const x of a) w.mac(x);
      return;
    }
  }
}

/** A flow or counter record layout, keyed by (enterprise, format) within its context. */
export interface RecordLayout {
  enterprise: number;
  format: number;
  name: string;
  fields: readonly FieldSpec[];
  /** Where the layout comes from (spec document), for docs/. */
  doc?: string;
}

export function dataFormat(enterprise: number, format: number): number {
  return ((enterprise << 12) | format) >>> 0;
}

export function formatText(dataFormatValue: number): string {
  return `${dataFormatValue >>> 12}:${dataFormatValue & 0xfff}`;
}

/** Encodes one record body (without the TLV header) from its layout. */
export function encodeBody(layout: RecordLayout, value: FieldRecord): Buffer {
  const w = new XdrWriter(256);
  encodeFields(w, layout.fields, value);
  return w.finish();
}

/** Scalar types whose reader method has the same name on XdrReader. */
const DIRECT_READS: ReadonlySet<ScalarType> = new Set([
  'u32',
  'i32',
  'u64',
  'f32',
  'f64',
  'ip4',
  'ip6',
  'mac',
  'string',
]);

export type RecordDecoder = (r: XdrReader, format: string, name: string) => SflowRecordShape;
export interface SflowRecordShape extends FieldRecord {
  format: string;
  name: string;
}

/**
 * A decoder for one layout. Flat layouts (fixed scalar fields only, the common
 * case: extended_switch, if_counters, ...) are compiled into a function that
 * builds the record as a single object literal, so every record of a format
 * shares one hidden class and no per-field dispatch runs. Layouts with arrays,
 * optional tails or special types use the generic interpreter.
 */
export function compileRecordDecoder(layout: RecordLayout): RecordDecoder {
  const flat = layout.fields.every(
    (f) => f.optional !== true && f.type !== 'struct[]' && (DIRECT_READS.has(f.type) || f.type === 'address'),
  );
  if (!flat) {
    return (r, format, name) => {
      const rec: SflowRecordShape = { format, name };
      decodeFields(r, layout.fields, rec);
      return rec;
    };
  }
  const body = layout.fields
    .map((f) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) throw new Error(`bad field name ${f.name}`);
      const read = f.type === 'address' ? 'address(r)' : `r.${f.type}()`;
      return `${f.name}: ${read}`;
    })
    .join(', ');
  // The field names are identifiers from our own layout tables, checked above.
  const make = new Function('address', `return (r, format, name) => ({ format, name, ${body} });`) as (
    address: (r: XdrReader) => string,
  ) => RecordDecoder;
  return make(decodeAddress);
}
