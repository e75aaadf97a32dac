/**
 * Per-record scratch: the value, byte offset and length of each role's field
 * (roles.ts) in the record being decoded. One instance is reused for every
 * record; a generation counter makes "clear" O(1).
 */
import { NUM_ROLES } from './roles.js';
import type { FieldValue } from './types.js';

export class Slots {
  readonly values: (FieldValue | undefined)[] = new Array<FieldValue | undefined>(NUM_ROLES).fill(undefined);
  readonly pos = new Int32Array(NUM_ROLES);
  readonly len = new Int32Array(NUM_ROLES);
  private readonly gens = new Uint32Array(NUM_ROLES);
  private gen = 1;
  /** The buffer the positions refer to. */
  buf: Buffer = Buffer.alloc(0);

  reset(buf: Buffer): void {
    this.buf = buf;
    this.gen++;
    if (this.gen === 0xffffffff) {
      this.gens.fill(0);
      this.gen = 1;
    }
  }

  set(role: number, v: FieldValue, p: number, len: number): void {
    this.gens[role] = this.gen;
    this.values[role] = v;
    this.pos[role] = p;
    this.len[role] = len;
  }

  has(role: number): boolean {
    return this.gens[role] === this.gen;
  }

  get(role: number): FieldValue | undefined {
    return this.gens[role] === this.gen ? this.values[role] : undefined;
  }

  /** The role's value as a number (bigints rounded), or undefined. */
  num(role: number): number | undefined {
    if (this.gens[role] !== this.gen) return undefined;
    const v = this.values[role];
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return undefined;
  }

  str(role: number): string | undefined {
    if (this.gens[role] !== this.gen) return undefined;
    const v = this.values[role];
    return typeof v === 'string' ? v : undefined;
  }
}
