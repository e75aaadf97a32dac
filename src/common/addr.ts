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

export function formatIPv4(b: Uint8Array, p: number): string {
  return `${DEC[b[p]]}.${DEC[b[p + 1]]}.${DEC[b[p + 2]]}.${DEC[b[p + 3]]}`;
}

/** IPv6 text in the RFC 5952 canonical form (lowercase, longest zero run compressed). */
export function formatIPv6(b: Uint8Array, p: number): string {
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

/** Bytes as a lowercase hex string. */
export function toHex(b: Uint8Array, start = 0, end = b.length): string {
  let out = '';
  for (let i = start; i < end; i++) out += HEX2[b[i]];
  return out;
}
