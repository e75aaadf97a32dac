/**
 * Address groups (sFlow-RT /group/{name}/json): a group set maps labels to
 * CIDR lists, and `group:<key>:<set>` gives the label of the longest prefix
 * that holds the address. Lookups go through a bounded per-set cache, since
 * sampled traffic repeats addresses heavily.
 */
import { parseIPv4Bytes, parseIPv6Bytes } from '../common/xdr.js';

export type GroupSet = Record<string, string[]>;

export class GroupError extends Error {
  override name = 'GroupError';
}

interface Prefix {
  bits: number;
  /** Address bytes masked to `bits`, as hex. */
  key: string;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function addressBytes(text: string): Uint8Array | undefined {
  if (IPV4.test(text)) {
    if (text.split('.').some((o) => Number(o) > 255)) return undefined;
    return parseIPv4Bytes(text);
  }
  if (text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text)) return parseIPv6Bytes(text);
  return undefined;
}

function maskedKey(bytes: Uint8Array, bits: number): string {
  let key = '';
  const full = bits >> 3;
  for (let i = 0; i < full; i++) key += bytes[i].toString(16).padStart(2, '0');
  const rest = bits & 7;
  if (rest > 0) key += (bytes[full] & (0xff << (8 - rest)) & 0xff).toString(16).padStart(2, '0');
  return `${bytes.length}/${bits}/${key}`;
}

function parsePrefix(cidr: string): { bytes: Uint8Array; prefix: Prefix } {
  const [addr, len] = cidr.trim().split('/');
  const bytes = addressBytes(addr);
  if (bytes === undefined) throw new GroupError(`'${cidr}' is not an IPv4 or IPv6 address or prefix`);
  const max = bytes.length * 8;
  const bits = len === undefined ? max : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > max)
    throw new GroupError(`'${cidr}' has an invalid prefix length`);
  return { bytes, prefix: { bits, key: maskedKey(bytes, bits) } };
}

class CompiledSet {
  /** Label by masked prefix key. */
  private readonly labels = new Map<string, string>();
  /** Prefix lengths in use, longest first, per address size. */
  private readonly lengths4: number[];
  private readonly lengths6: number[];
  private readonly cache = new Map<string, string | null>();

  constructor(readonly definition: GroupSet) {
    const l4 = new Set<number>();
    const l6 = new Set<number>();
    for (const [label, cidrs] of Object.entries(definition)) {
      for (const cidr of cidrs) {
        const { bytes, prefix } = parsePrefix(cidr);
        this.labels.set(prefix.key, label);
        (bytes.length === 4 ? l4 : l6).add(prefix.bits);
      }
    }
    this.lengths4 = [...l4].sort((a, b) => b - a);
    this.lengths6 = [...l6].sort((a, b) => b - a);
  }

  lookup(address: string): string | undefined {
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached ?? undefined;
    const bytes = addressBytes(address);
    let found: string | undefined;
    if (bytes !== undefined) {
      for (const bits of bytes.length === 4 ? this.lengths4 : this.lengths6) {
        found = this.labels.get(maskedKey(bytes, bits));
        if (found !== undefined) break;
      }
    }
    if (this.cache.size >= 65536) this.cache.clear();
    this.cache.set(address, found ?? null);
    return found;
  }
}

export class Groups {
  private readonly sets = new Map<string, CompiledSet>();

  /** Validates and installs a group set; throws GroupError naming the bad entry. */
  set(name: string, definition: unknown): void {
    if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
      throw new GroupError('a group set is a JSON object of label: [CIDR, ...]');
    }
    const clean: GroupSet = {};
    for (const [label, cidrs] of Object.entries(definition as Record<string, unknown>)) {
      if (!Array.isArray(cidrs) || !cidrs.every((c) => typeof c === 'string')) {
        throw new GroupError(`group '${label}' must be a list of CIDR strings`);
      }
      clean[label] = cidrs;
    }
    this.sets.set(name, new CompiledSet(clean));
  }

  delete(name: string): boolean {
    return this.sets.delete(name);
  }

  get(name: string): GroupSet | undefined {
    return this.sets.get(name)?.definition;
  }

  names(): string[] {
    return [...this.sets.keys()];
  }

  get size(): number {
    return this.sets.size;
  }

  lookup(set: string, address: string): string | undefined {
    return this.sets.get(set)?.lookup(address);
  }
}
