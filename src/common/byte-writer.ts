/**
 * A growable big-endian byte writer: the base of the encoders (sFlow's XDR,
 * IPFIX / NetFlow), which run in tests, simulators and the host agent, never
 * on the receive path.
 */
export class ByteWriter {
  protected buf: Buffer;
  protected pos = 0;

  constructor(initialSize = 1500) {
    this.buf = Buffer.alloc(Math.max(16, initialSize));
  }

  get length(): number {
    return this.pos;
  }

  /** Makes room for `n` more bytes. */
  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Writes a u16 at an earlier offset (lengths known only at the end); throws RangeError above 65535. */
  patchU16(at: number, v: number): void {
    if (v > 0xffff) throw new RangeError(`length ${v} does not fit in 16 bits`);
    this.buf.writeUInt16BE(v, at);
  }

  /** Writes a u32 at an earlier offset. */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  /** The bytes written so far (a copy, so the writer may be reused). */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
