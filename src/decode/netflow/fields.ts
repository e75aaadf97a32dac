/**
 * Field value readers. A template's fields are compiled once into a "kind"
 * per field (see template.ts); decoding a record is then a switch on the kind
 * with the bytes read straight from the message buffer.
 *
 * Callers guarantee `p + len <= buf.length`; nothing here reads past it.
 */
import { isUtf8 } from 'node:buffer';
import { formatMac, toHex } from '../../common/addr.js';
import { formatIPv4, formatIPv6 } from '../packet/format.js';
import type { IeDataType } from './ies.js';
import type { FieldValue } from './types.js';

// Field kinds. K_SKIP is a zero-length field; the list kinds are decoded by the record decoder.
export const K_SKIP = 0;
export const K_UINT = 1;
export const K_INT = 2;
export const K_FLOAT = 3;
export const K_BOOL = 4;
export const K_MAC = 5;
export const K_IP4 = 6;
export const K_IP6 = 7;
export const K_STRING = 8;
export const K_OCTETS = 9;
export const K_SECONDS = 10;
export const K_MILLIS = 11;
export const K_MICROS = 12;
export const K_NANOS = 13;
export const K_BASIC_LIST = 14;
export const K_SUB_TEMPLATE_LIST = 15;
export const K_SUB_TEMPLATE_MULTI_LIST = 16;

/** Template field length meaning "variable length" (IPFIX, and H3C's NetFlow v9). */
export const VARLEN = 65535;

/** The kind a field of this type and template length decodes as. Lengths that do not fit the type decode as hex. */
export function fieldKind(type: IeDataType, length: number): number {
  if (length === 0) return K_SKIP;
  const v = length === VARLEN;
  switch (type) {
    case 'unsigned8':
    case 'unsigned16':
    case 'unsigned32':
    case 'unsigned64':
      return v || length <= 8 ? K_UINT : K_OCTETS;
    case 'signed8':
    case 'signed16':
    case 'signed32':
    case 'signed64':
      return v || length <= 8 ? K_INT : K_OCTETS;
    case 'float32':
    case 'float64':
      return v || length === 4 || length === 8 ? K_FLOAT : K_OCTETS;
    case 'boolean':
      return v || length === 1 ? K_BOOL : K_OCTETS;
    case 'macAddress':
      return v || length === 6 ? K_MAC : K_OCTETS;
    case 'ipv4Address':
      return v || length === 4 ? K_IP4 : K_OCTETS;
    case 'ipv6Address':
      return v || length === 16 ? K_IP6 : K_OCTETS;
    case 'string':
      return K_STRING;
    case 'dateTimeSeconds':
      return v || length <= 8 ? K_SECONDS : K_OCTETS;
    case 'dateTimeMilliseconds':
      return v || length <= 8 ? K_MILLIS : K_OCTETS;
    case 'dateTimeMicroseconds':
      return v || length === 8 ? K_MICROS : K_OCTETS;
    case 'dateTimeNanoseconds':
      return v || length === 8 ? K_NANOS : K_OCTETS;
    case 'basicList':
      return K_BASIC_LIST;
    case 'subTemplateList':
      return K_SUB_TEMPLATE_LIST;
    case 'subTemplateMultiList':
      return K_SUB_TEMPLATE_MULTI_LIST;
    default:
      return K_OCTETS;
  }
}

const TWO_32 = 4294967296;
/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;

export function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

export function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Unsigned big-endian integer of 1-8 bytes: a number when exact, a bigint above 2^53-1. */
export function uintN(b: Uint8Array, p: number, len: number): number | bigint {
  switch (len) {
    case 1:
      return b[p]!;
    case 2:
      return (b[p]! << 8) | b[p + 1]!;
    case 4:
      return u32(b, p);
    case 8: {
      const hi = u32(b, p);
      const lo = u32(b, p + 4);
      return hi < 0x200000 ? hi * TWO_32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
    }
  }
  if (len <= 6) {
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + b[p + i]!;
    return v;
  }
  // 7 bytes: the top byte decides whether it fits in 53 bits.
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(b[p + i]!);
  return v <= 9007199254740991n ? Number(v) : v;
}

/** Signed big-endian integer of 1-8 bytes (two's complement). */
function intN(b: Uint8Array, p: number, len: number): number | bigint {
  if (len <= 6) {
    const u = uintN(b, p, len) as number;
    const half = 2 ** (8 * len - 1);
    return u >= half ? u - 2 * half : u;
  }
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(b[p + i]!);
  const bits = BigInt(8 * len);
  if (v >= 1n << (bits - 1n)) v -= 1n << bits;
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Any counter value as a double (bigints above 2^53 round). */
export function toNumber(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

/** NTP timestamp (RFC 5905 era handling: seconds below 2^31 are in era 1, after 2036) as Unix ms. */
function ntpToMs(sec: number, frac: number): number {
  const s = sec < 0x80000000 ? sec + TWO_32 : sec;
  return (s - NTP_UNIX_OFFSET) * 1000 + frac / 4294967.296;
}

function asciiOnly(b: Uint8Array, p: number, end: number): boolean {
  for (let i = p; i < end; i++) if (b[i]! >= 0x80) return false;
  return true;
}

/**
 * The value of one field. Returns undefined when the value must be dropped: an
 * ill-formed UTF-8 string (RFC 7011 §6.1.6). Lengths that do not fit the kind
 * (possible with variable-length fields) yield hex.
 */
export function readValue(buf: Buffer, p: number, len: number, kind: number): FieldValue | undefined {
  switch (kind) {
    case K_UINT:
      return len >= 1 && len <= 8 ? uintN(buf, p, len) : toHex(buf, p, p + len);
    case K_INT:
      return len >= 1 && len <= 8 ? intN(buf, p, len) : toHex(buf, p, p + len);
    case K_FLOAT:
      if (len === 4) return buf.readFloatBE(p);
      if (len === 8) return buf.readDoubleBE(p);
      return toHex(buf, p, p + len);
    case K_BOOL:
      if (len !== 1) return toHex(buf, p, p + len);
      // RFC 7011 §6.1.5: 1 is true, 2 is false; anything else is kept as the number.
      return buf[p] === 1 ? true : buf[p] === 2 ? false : buf[p]!;
    case K_MAC:
      return len === 6 ? formatMac(buf, p) : toHex(buf, p, p + len);
    case K_IP4:
      return len === 4 ? formatIPv4(buf, p) : toHex(buf, p, p + len);
    case K_IP6:
      return len === 16 ? formatIPv6(buf, p) : toHex(buf, p, p + len);
    case K_STRING: {
      // Fixed-length string fields are often NUL padded: the text ends at the first NUL.
      let end = p;
      const max = p + len;
      while (end < max && buf[end] !== 0) end++;
      if (!asciiOnly(buf, p, end) && !isUtf8(buf.subarray(p, end))) return undefined;
      return buf.toString('utf8', p, end);
    }
    case K_SECONDS: {
      if (len < 1 || len > 8) return toHex(buf, p, p + len);
      const s = uintN(buf, p, len);
      return Number(s) * 1000;
    }
    case K_MILLIS: {
      if (len < 1 || len > 8) return toHex(buf, p, p + len);
      return Number(uintN(buf, p, len));
    }
    case K_MICROS:
      if (len !== 8) return toHex(buf, p, p + len);
      // RFC 7011 §6.1.9: the low 11 bits of the fraction are ignored for microseconds.
      return ntpToMs(u32(buf, p), (u32(buf, p + 4) & 0xfffff800) >>> 0);
    case K_NANOS:
      if (len !== 8) return toHex(buf, p, p + len);
      return ntpToMs(u32(buf, p), u32(buf, p + 4));
    default:
      return toHex(buf, p, p + len);
  }
}

/** RFC 6313 structured data semantics. */
export const LIST_SEMANTICS: Readonly<Record<number, string>> = {
  0: 'noneOf',
  1: 'exactlyOneOf',
  2: 'oneOrMoreOf',
  3: 'allOf',
  4: 'ordered',
  255: 'undefined',
};

export function semanticName(v: number): string | number {
  return LIST_SEMANTICS[v] ?? v;
}
