// Text formatters for packet key values. All of them read bytes straight from the
// sampled header; callers guarantee that the bytes are inside the dissected range.
// Tables are built once at module load so that the hot path only indexes arrays.

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

// Address text is shared with the rest of flowlens (sFlow records, capture input).
export { formatIPv4, formatIPv6, formatMacCompact as formatMac } from '../../common/addr.js';

import { toHex } from '../../common/addr.js';

/** '0x' + 16 lower-case hex digits of the 8 bytes at `off` (used for 64-bit virtual addresses). */
export function formatHex64(b: Uint8Array, off: number): string {
  return `0x${toHex(b, off, off + 8)}`;
}
