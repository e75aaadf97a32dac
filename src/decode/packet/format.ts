// Text formatters for packet key values. All of them read bytes straight from the
// sampled header; callers guarantee that the bytes are inside the dissected range.
// Tables are built once at module load so that the hot path only indexes arrays.

/** Decimal text of 0..255. */
const DEC: string[] = [];
/** Upper-case two digit hex of 0..255 (sFlow-RT MAC format). */
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) {
  DEC.push(String(i));
  HEX2.push((i < 16 ? '0' : '') + i.toString(16).toUpperCase());
}

function binaryTable(bits: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < 1 << bits; i++) out.push(i.toString(2).padStart(bits, '0'));
  return out;
}

/** 2-char ECN strings: '00' Not-ECT, '01' ECT(1), '10' ECT(0), '11' CE. */
export const ECN_TEXT: readonly string[] = binaryTable(2);
/** 3-char IPv4 flag strings (reserved, DF, MF), MSB first: '001' = MF. */
export const IPFLAGS_TEXT: readonly string[] = binaryTable(3);
/** 9-char TCP flag strings NS CWR ECE URG ACK PSH RST SYN FIN, MSB first: SYN = '000000010'. */
export const TCPFLAGS_TEXT: readonly string[] = binaryTable(9);

/** Booleans are reported as the strings 'true' / 'false' like sFlow-RT. */
export function bool(v: boolean): string {
  return v ? 'true' : 'false';
}

/** DSCP code point names (RFC 2474 CS, RFC 2597 AF, RFC 3246 EF, RFC 5865 VA, RFC 8622 LE). */
export const DSCP_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (let i = 0; i < 64; i++) names.push(String(i));
  for (let c = 0; c < 8; c++) names[c << 3] = `CS${c}`;
  for (let cls = 1; cls <= 4; cls++) {
    for (let drop = 1; drop <= 3; drop++) names[(cls << 3) | (drop << 1)] = `AF${cls}${drop}`;
  }
  names[46] = 'EF';
  names[44] = 'VA';
  names[1] = 'LE';
  return names;
})();

// ---------------------------------------------------------------------------
// IPv4: a small direct-mapped cache keyed by the 32-bit address. Sampled traffic
// is dominated by a modest set of hosts, so most lookups return an existing
// (already flattened and hashed) string, which also speeds up downstream Maps.
const V4_CACHE_BITS = 12;
const V4_CACHE_SIZE = 1 << V4_CACHE_BITS;
const v4Keys = new Int32Array(V4_CACHE_SIZE);
const v4Vals: (string | undefined)[] = new Array<string | undefined>(V4_CACHE_SIZE).fill(undefined);

/** Dotted-quad text of the 4 bytes at `off`. */
export function formatIPv4(b: Uint8Array, off: number): string {
  const a0 = b[off]!;
  const a1 = b[off + 1]!;
  const a2 = b[off + 2]!;
  const a3 = b[off + 3]!;
  const key = (a0 << 24) | (a1 << 16) | (a2 << 8) | a3;
  const slot = Math.imul(key, 0x9e3779b1) >>> (32 - V4_CACHE_BITS);
  const hit = v4Vals[slot];
  if (hit !== undefined && v4Keys[slot] === key) return hit;
  // biome-ignore lint/style/useTemplate: plain concatenation measured faster on this hot path.
  const s = DEC[a0]! + '.' + DEC[a1]! + '.' + DEC[a2]! + '.' + DEC[a3]!;
  v4Keys[slot] = key;
  v4Vals[slot] = s;
  return s;
}

/** 12 upper-case hex digits, no separators (sFlow-RT format, e.g. '0050569C1BA3'). */
export function formatMac(b: Uint8Array, off: number): string {
  return (
    HEX2[b[off]!]! +
    HEX2[b[off + 1]!]! +
    HEX2[b[off + 2]!]! +
    HEX2[b[off + 3]!]! +
    HEX2[b[off + 4]!]! +
    HEX2[b[off + 5]!]!
  );
}

/** RFC 5952 text of the 16 bytes at `off` (lower case, longest zero run compressed, IPv4-mapped dotted). */
export function formatIPv6(b: Uint8Array, off: number): string {
  // Longest run of zero 16-bit groups (length >= 2, first one wins on ties).
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const zero = b[off + 2 * i] === 0 && b[off + 2 * i + 1] === 0;
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
  if (bestLen < 2) bestStart = -1;
  // IPv4-mapped (::ffff:a.b.c.d), RFC 5952 section 5.
  if (bestStart === 0 && bestLen === 5 && b[off + 10] === 0xff && b[off + 11] === 0xff) {
    return `::ffff:${formatIPv4(b, off + 12)}`;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && s.charCodeAt(s.length - 1) !== 58) s += ':';
    s += ((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!).toString(16);
  }
  return s;
}

/** '0x' + 16 lower-case hex digits of the 8 bytes at `off` (used for 64-bit virtual addresses). */
export function formatHex64(b: Uint8Array, off: number): string {
  let s = '0x';
  for (let i = 0; i < 8; i++) s += HEX2[b[off + i]!]!.toLowerCase();
  return s;
}
