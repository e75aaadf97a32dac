/**
 * Address arithmetic for the traffic matrix: IPv4 and IPv6 addresses as
 * integers (BigInt, so the 128-bit space is exact) and the piecewise-linear
 * mapping of an address onto an axis position in [0, 1].
 *
 * An axis shows a range [start, end] of the address space in its centre and,
 * when `inset` > 0, squeezes everything below start into [0, inset) and
 * everything above end into (1 - inset, 1]:
 *
 *   v < start:  (v / start) * inset
 *   v > end:    (1 - inset) + ((v - end) / (MAX - end)) * inset
 *   otherwise:  ((v - start) / (end - start)) * (1 - 2 * inset) + inset
 *
 * where MAX is the largest address of the family (2^32 - 1 or 2^128 - 1).
 * With inset 0 addresses outside the range have no position.
 *
 * Differences are taken exactly in BigInt and only their ratio is converted
 * to a double, so a range of a few addresses deep inside the IPv6 space maps
 * as precisely as one in IPv4.
 *
 * This module has no Node dependencies: the web console imports it too, to
 * turn a dragged rectangle back into an address range.
 */

export type AddressFamily = 'ip' | 'ip6';

export const ADDRESS_MAX: Readonly<Record<AddressFamily, bigint>> = {
  ip: (1n << 32n) - 1n,
  ip6: (1n << 128n) - 1n,
};

/** The widest inset the matrix accepts (a fifth of each axis on either side). */
export const MAX_INSET = 0.2;

export interface Address {
  family: AddressFamily;
  value: bigint;
}

/** Dotted-quad IPv4 to an integer; undefined unless it is exactly four decimal octets. */
export function parseIPv4(text: string): bigint | undefined {
  const n = ipv4Number(text);
  return n === undefined ? undefined : BigInt(n);
}

/** Dotted-quad IPv4 to a plain number (the matrix's hot path avoids BigInt for IPv4). */
export function ipv4Number(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros ("010" is ambiguous between octal and decimal).
      if (digits > 0 && octet === 0) return undefined;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || dots !== 3) return undefined;
  return value * 256 + octet;
}

/** IPv6 text (RFC 4291 forms: '::' once, an IPv4 tail) to a 128-bit integer. */
export function parseIPv6(text: string): bigint | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const parts = text.split('::');
  if (parts.length > 2) return undefined;
  const groupsOf = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const fields = s.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (i === fields.length - 1 && f.includes('.')) {
        const v4 = ipv4Number(f);
        if (v4 === undefined) return undefined;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(f)) return undefined;
      out.push(Number.parseInt(f, 16));
    }
    return out;
  };
  const head = groupsOf(parts[0]);
  const tail = parts.length === 2 ? groupsOf(parts[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  let groups: number[];
  if (parts.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

export function parseAddress(text: string): Address | undefined {
  const t = text.trim();
  if (t.includes(':')) {
    const v = parseIPv6(t);
    return v === undefined ? undefined : { family: 'ip6', value: v };
  }
  const v = parseIPv4(t);
  return v === undefined ? undefined : { family: 'ip', value: v };
}

export function formatIPv4(value: bigint | number): string {
  const n = Number(value);
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as '::'. */
export function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  // IPv4-mapped addresses keep a dotted tail (RFC 5952 section 5), as flow keys print them.
  if (bestAt === 0 && bestLen === 5 && groups[5] === 0xffff)
    return `::ffff:${formatIPv4(value & 0xffffffffn)}`;
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

export function formatAddress(family: AddressFamily, value: bigint): string {
  return family === 'ip' ? formatIPv4(value) : formatIPv6(value);
}

/** One axis of the matrix in range mode. */
export interface AxisRange {
  family: AddressFamily;
  start: bigint;
  end: bigint;
  /** Share of the axis given to each border, 0 to MAX_INSET. */
  inset: number;
}

export class AddressRangeError extends Error {
  override name = 'AddressRangeError';
}

/** Checks an axis: start <= end within the family, inset within [0, MAX_INSET]. */
export function checkRange(r: AxisRange): AxisRange {
  const max = ADDRESS_MAX[r.family];
  if (r.start < 0n || r.start > max || r.end < 0n || r.end > max)
    throw new AddressRangeError('the range lies outside the address space');
  if (r.start > r.end) throw new AddressRangeError('the range must start at or below its end');
  if (!Number.isFinite(r.inset) || r.inset < 0 || r.inset > MAX_INSET)
    throw new AddressRangeError(`inset must be between 0 and ${MAX_INSET}`);
  return r;
}

/** a / b as a double for non-negative BigInts (b > 0): each is exact to 53 bits, so the ratio is too. */
function ratio(a: bigint, b: bigint): number {
  return Number(a) / Number(b);
}

/** Position in [0, 1] of an address on the axis, or undefined when it has none (outside, inset 0). */
export function position(r: AxisRange, v: bigint): number | undefined {
  if (v < r.start) {
    if (r.inset === 0) return undefined;
    return ratio(v, r.start) * r.inset;
  }
  if (v > r.end) {
    if (r.inset === 0) return undefined;
    return 1 - r.inset + ratio(v - r.end, ADDRESS_MAX[r.family] - r.end) * r.inset;
  }
  const span = r.end - r.start;
  const inner = span === 0n ? 0.5 : ratio(v - r.start, span);
  return inner * (1 - 2 * r.inset) + r.inset;
}

/**
 * The same mapping in plain doubles for IPv4 (exact: 32-bit integers are
 * exact doubles). `start`, `end` as numbers; avoids BigInt per flow.
 */
export function position4(start: number, end: number, inset: number, v: number): number | undefined {
  if (v < start) return inset === 0 ? undefined : (v / start) * inset;
  if (v > end) return inset === 0 ? undefined : 1 - inset + ((v - end) / (4294967295 - end)) * inset;
  const span = end - start;
  return (span === 0 ? 0.5 : (v - start) / span) * (1 - 2 * inset) + inset;
}

/** fraction * n for a fraction in [0, 1] and a non-negative BigInt n, to the nearest integer. */
function scaleBig(n: bigint, fraction: number): bigint {
  const f = Math.min(1, Math.max(0, fraction));
  const ONE = 1n << 53n;
  return (n * BigInt(Math.round(f * 2 ** 53)) + ONE / 2n) / ONE;
}

/**
 * The address at a position: the inverse of position(), for turning a zoom
 * rectangle into a new range. Positions in a border map back into the part
 * of the address space that border stands for.
 */
export function addressAt(r: AxisRange, p: number): bigint {
  const max = ADDRESS_MAX[r.family];
  const q = Math.min(1, Math.max(0, p));
  if (r.inset > 0 && q < r.inset) return scaleBig(r.start, q / r.inset);
  if (r.inset > 0 && q > 1 - r.inset) return r.end + scaleBig(max - r.end, (q - (1 - r.inset)) / r.inset);
  const inner = r.inset === 0 ? q : (q - r.inset) / (1 - 2 * r.inset);
  return r.start + scaleBig(r.end - r.start, inner);
}

/** The whole space of a family, the default range. */
export function fullRange(family: AddressFamily, inset = 0): AxisRange {
  return { family, start: 0n, end: ADDRESS_MAX[family], inset };
}
