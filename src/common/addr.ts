/**
 * Address formatting straight from packet bytes, without intermediate arrays.
 * These run once per sampled address on the hot path.
 */

const HEX2: string[] = [];
const DEC: string[] = [];
for (let i = 0; i < 256; i++) {
  HEX2.push(i.toString(16).padStart(2, '0'));
  DEC.push(String(i));
}

// IPv4 text goes through a small direct-mapped cache keyed by the address:
// sampled traffic is dominated by a modest set of hosts, so most calls return
// an existing (already flattened and hashed) string, which also speeds up the
// Maps that use it as a key downstream.
const V4_CACHE_BITS = 12;
const v4Keys = new Int32Array(1 << V4_CACHE_BITS);
const v4Vals: (string | undefined)[] = new Array<string | undefined>(1 << V4_CACHE_BITS).fill(undefined);

export function formatIPv4(b: Uint8Array, p: number): string {
  const a0 = b[p];
  const a1 = b[p + 1];
  const a2 = b[p + 2];
  const a3 = b[p + 3];
  const key = (a0 << 24) | (a1 << 16) | (a2 << 8) | a3;
  const slot = Math.imul(key, 0x9e3779b1) >>> (32 - V4_CACHE_BITS);
  const hit = v4Vals[slot];
  if (hit !== undefined && v4Keys[slot] === key) return hit;
  // biome-ignore lint/style/useTemplate: plain concatenation measured faster on this hot path.
  const s = DEC[a0] + '.' + DEC[a1] + '.' + DEC[a2] + '.' + DEC[a3];
  v4Keys[slot] = key;
  v4Vals[slot] = s;
  return s;
}

// IPv6 text is cached the same way, keyed by the four 32-bit words of the address.
const V6_CACHE_BITS = 12;
const v6Keys = new Int32Array(4 << V6_CACHE_BITS);
const v6Vals: (string | undefined)[] = new Array<string | undefined>(1 << V6_CACHE_BITS).fill(undefined);

function word(b: Uint8Array, p: number): number {
  return (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
}

/** IPv6 text in the RFC 5952 canonical form (lowercase, longest zero run compressed). */
export function formatIPv6(b: Uint8Array, p: number): string {
  const w0 = word(b, p);
  const w1 = word(b, p + 4);
  const w2 = word(b, p + 8);
  const w3 = word(b, p + 12);
  const h = Math.imul(Math.imul(Math.imul(w0, 0x9e3779b1) ^ w1, 0x85ebca77) ^ w2, 0xc2b2ae3d) ^ w3;
  const slot = Math.imul(h, 0x27d4eb2f) >>> (32 - V6_CACHE_BITS);
  const k = slot * 4;
  const hit = v6Vals[slot];
  if (
    hit !== undefined &&
    v6Keys[k] === w0 &&
    v6Keys[k + 1] === w1 &&
    v6Keys[k + 2] === w2 &&
    v6Keys[k + 3] === w3
  )
    return hit;
  const s = ipv6Text(b, p);
  v6Keys[k] = w0;
  v6Keys[k + 1] = w1;
  v6Keys[k + 2] = w2;
  v6Keys[k + 3] = w3;
  v6Vals[slot] = s;
  return s;
}

function ipv6Text(b: Uint8Array, p: number): string {
  // Find the longest run (length >= 2) of zero 16-bit groups; the first wins a tie.
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const zero = b[p + i * 2] === 0 && b[p + i * 2 + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  // IPv4-mapped addresses (::ffff:a.b.c.d) keep their dotted tail, as RFC 5952 §5 recommends.
  if (bestStart === 0 && bestLen === 5 && b[p + 10] === 0xff && b[p + 11] === 0xff) {
    return `::ffff:${formatIPv4(b, p + 12)}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += ((b[p + i * 2] << 8) | b[p + i * 2 + 1]).toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

/** MAC address as lowercase colon-separated hex (00:11:22:33:44:55). */
export function formatMac(b: Uint8Array, p: number): string {
  return `${HEX2[b[p]]}:${HEX2[b[p + 1]]}:${HEX2[b[p + 2]]}:${HEX2[b[p + 3]]}:${HEX2[b[p + 4]]}:${HEX2[b[p + 5]]}`;
}

const HEX2_UPPER = HEX2.map((h) => h.toUpperCase());

/** MAC address as sFlow-RT writes it in flow keys: 12 uppercase hex digits, no separators. */
export function formatMacCompact(b: Uint8Array, p: number): string {
  return (
    HEX2_UPPER[b[p]] +
    HEX2_UPPER[b[p + 1]] +
    HEX2_UPPER[b[p + 2]] +
    HEX2_UPPER[b[p + 3]] +
    HEX2_UPPER[b[p + 4]] +
    HEX2_UPPER[b[p + 5]]
  );
}

/** Bytes as a lowercase hex string. */
export function toHex(b: Uint8Array, start = 0, end = b.length): string {
  let out = '';
  for (let i = start; i < end; i++) out += HEX2[b[i]];
  return out;
}
