/**
 * XDR (RFC 4506) cursor over a Buffer, as used by sFlow.
 *
 * Reads never throw: reading past `end` sets `overrun`, parks the cursor at
 * `end` and returns a zero value. Decoders check `overrun` once per structure
 * instead of guarding every field, which keeps the per-packet path free of
 * exceptions and branches that would otherwise dominate decode time.
 */
import { formatIPv4, formatIPv6, formatMac } from './addr.js';
import { ByteWriter } from './byte-writer.js';

/** An unsigned 64-bit value: a number when exact, a bigint above 2^53-1. */
export type U64 = number | bigint;

const TWO_32 = 4294967296;

/**
 * `n` rounded up to a multiple of 4. Lengths come off the wire as u32, so the
 * usual `(n + 3) & ~3` would turn lengths of 2^31 and more negative.
 */
export function padTo4(n: number): number {
  return n + ((4 - (n & 3)) & 3);
}
const f32Scratch = new Float32Array(1);
const f32Bits = new Uint32Array(f32Scratch.buffer);
const f64Scratch = new Float64Array(1);
const f64Bits = new Uint32Array(f64Scratch.buffer);
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class XdrReader {
  buf: Buffer;
  pos: number;
  end: number;
  /** Offset at which the first read ran past `end`, or -1. */
  overrunAt = -1;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Points the reader at a new range; lets hot paths reuse one reader instead of allocating. */
  reset(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.overrunAt = -1;
    return this;
  }

  get overrun(): boolean {
    return this.overrunAt >= 0;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  /** Marks an overrun when fewer than `n` bytes remain; returns true if the read may go ahead. */
  private take(n: number): boolean {
    if (this.pos + n <= this.end) return true;
    if (this.overrunAt < 0) this.overrunAt = this.pos;
    this.pos = this.end;
    return false;
  }

  u32(): number {
    const p = this.pos;
    if (p + 4 > this.end) {
      this.take(4);
      return 0;
    }
    this.pos = p + 4;
    const b = this.buf;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  i32(): number {
    return this.u32() | 0;
  }

  u64(): U64 {
    const hi = this.u32();
    const lo = this.u32();
    if (hi < 0x200000) return hi * TWO_32 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** u64 as a double; exact up to 2^53, rounded above (for rates and arithmetic). */
  u64n(): number {
    const hi = this.u32();
    return hi * TWO_32 + this.u32();
  }

  f32(): number {
    f32Bits[0] = this.u32();
    return f32Scratch[0];
  }

  f64(): number {
    const hi = this.u32();
    const lo = this.u32();
    if (littleEndianHost) {
      f64Bits[1] = hi;
      f64Bits[0] = lo;
    } else {
      f64Bits[0] = hi;
      f64Bits[1] = lo;
    }
    return f64Scratch[0];
  }

  skip(n: number): void {
    if (this.take(n)) this.pos += n;
  }

  /** Skips `n` bytes plus XDR padding to a multiple of 4. */
  skipPadded(n: number): void {
    this.skip(padTo4(n));
  }

  /** Fixed-length opaque of `n` bytes (padded to 4), as a view into the buffer. */
  fixedOpaque(n: number): Buffer {
    const p = this.pos;
    const padded = padTo4(n);
    if (n < 0 || !this.take(padded)) return this.buf.subarray(0, 0);
    this.pos = p + padded;
    return this.buf.subarray(p, p + n);
  }

  /** Variable-length opaque<>: u32 length, bytes, padding. */
  opaque(): Buffer {
    return this.fixedOpaque(this.u32());
  }

  /** Variable-length string<>: decoded as UTF-8 (sFlow strings are ASCII or UTF-8). */
  string(): string {
    const n = this.u32();
    const p = this.pos;
    const padded = padTo4(n);
    if (!this.take(padded)) return '';
    this.pos = p + padded;
    return this.buf.toString('utf8', p, p + n);
  }

  ip4(): string {
    const p = this.pos;
    if (!this.take(4)) return '';
    this.pos = p + 4;
    return formatIPv4(this.buf, p);
  }

  ip6(): string {
    const p = this.pos;
    if (!this.take(16)) return '';
    this.pos = p + 16;
    return formatIPv6(this.buf, p);
  }

  /** A MAC address: opaque[6], which XDR pads to 8 bytes. */
  mac(): string {
    const p = this.pos;
    if (!this.take(8)) return '';
    this.pos = p + 8;
    return formatMac(this.buf, p);
  }
}

/** Growable XDR writer. Used by the encoder (tests, simulator, host agent), not the receive path. */
export class XdrWriter extends ByteWriter {
  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: U64): this {
    this.ensure(8);
    let big = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
    if (big < 0n) big = 0n;
    if (big > 0xffffffffffffffffn) big = 0xffffffffffffffffn;
    this.buf.writeBigUInt64BE(big, this.pos);
    this.pos += 8;
    return this;
  }

  f32(v: number): this {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** Fixed-length opaque: exactly `n` bytes (zero-filled or cut), then padding. */
  fixedOpaque(bytes: Uint8Array, n = bytes.length): this {
    const padded = padTo4(n);
    this.ensure(padded);
    this.buf.fill(0, this.pos, this.pos + padded);
    this.buf.set(bytes.subarray(0, n), this.pos);
    this.pos += padded;
    return this;
  }

  opaque(bytes: Uint8Array): this {
    this.u32(bytes.length);
    return this.fixedOpaque(bytes);
  }

  string(s: string): this {
    return this.opaque(Buffer.from(s, 'utf8'));
  }

  ip4(addr: string): this {
    return this.fixedOpaque(parseIPv4Bytes(addr), 4);
  }

  ip6(addr: string): this {
    return this.fixedOpaque(parseIPv6Bytes(addr), 16);
  }

  mac(addr: string): this {
    return this.fixedOpaque(parseMacBytes(addr), 6);
  }

  /** Reserves a u32 to be filled in later (XDR lengths written after their body). */
  placeholder(): number {
    const at = this.pos;
    this.u32(0);
    return at;
  }
}

export function parseIPv4Bytes(addr: string): Uint8Array {
  const out = new Uint8Array(4);
  const parts = addr.split('.');
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i] ?? 0) & 0xff;
  return out;
}

export function parseIPv6Bytes(addr: string): Uint8Array {
  const out = new Uint8Array(16);
  let text = addr;
  // An embedded dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) > 0) {
    const v4 = parseIPv4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  for (let i = 0; i < 8; i++) {
    const g = Number.parseInt(groups[i] ?? '0', 16) || 0;
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  }
  return out;
}

export function parseMacBytes(addr: string): Uint8Array {
  const hex = addr.replace(/[^0-9a-fA-F]/g, '').padEnd(12, '0');
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
