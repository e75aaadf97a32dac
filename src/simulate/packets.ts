/**
 * Builds the leading bytes of realistic frames (Ethernet, VLAN, IPv4/IPv6,
 * TCP/UDP, RoCEv2 BTH and its extended headers) as an sFlow agent would sample
 * them. Only what a sampled header can hold is built: payload bytes are zero.
 */
import { parseIPv4Bytes, parseIPv6Bytes, parseMacBytes } from '../common/xdr.js';

export interface FrameSpec {
  srcMac: string;
  dstMac: string;
  vlan?: number;
  /** Source and destination: IPv6 when they contain ':'. */
  src: string;
  dst: string;
  /** IP protocol: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6. */
  protocol: number;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  dscp?: number;
  ecn?: number;
  ttl?: number;
  /** Bytes of the whole frame on the wire, excluding the FCS. */
  frameLength: number;
  /** RoCEv2 transport headers, placed after UDP (the destination port should be 4791). */
  roce?: RoceSpec;
  /**
   * Makes the packet an IP fragment: IPv4 flags and fragment offset, or an IPv6
   * Fragment extension header. Fragments after the first (offset > 0) carry no
   * transport header.
   */
  fragment?: FragmentSpec;
  /** ICMP / ICMPv6 type and code (default: echo request, code 0). */
  icmpType?: number;
  icmpCode?: number;
}

export interface FragmentSpec {
  /** Offset of this fragment's data in 8-byte units. */
  offset: number;
  /** More fragments follow (the MF / M flag). */
  more: boolean;
  /** Identification shared by the fragments of one datagram. */
  id?: number;
}

export interface RoceSpec {
  opcode: number;
  destQp: number;
  psn: number;
  ackReq?: boolean;
  solicited?: boolean;
  becn?: boolean;
  pkey?: number;
  /** RETH DMA length, for opcodes that carry a RETH. */
  dmaLength?: number;
  /** AETH syndrome, for opcodes that carry an AETH. */
  syndrome?: number;
  msn?: number;
  /** DETH, for UD opcodes. */
  qkey?: number;
  srcQp?: number;
  immediate?: number;
}

/** Parsed addresses by parser and text: simulators build millions of frames from a few thousand addresses. */
const parsed = new Map<(text: string) => Uint8Array, Map<string, Uint8Array>>();

function addressBytes(text: string, parse: (t: string) => Uint8Array): Uint8Array {
  let cache = parsed.get(parse);
  if (cache === undefined) {
    cache = new Map();
    parsed.set(parse, cache);
  }
  let b = cache.get(text);
  if (b === undefined) {
    b = parse(text);
    if (cache.size >= 100_000) cache.clear();
    cache.set(text, b);
  }
  return b;
}

const RETH_OPS = new Set([0x06, 0x0a, 0x0b, 0x0c]);
const AETH_OPS = new Set([0x0d, 0x0f, 0x10, 0x11, 0x12]);
const IMM_OPS = new Set([0x03, 0x05, 0x09, 0x0b]);

/** Size of the RoCE headers (BTH + extended headers) for an opcode. */
export function roceHeaderLength(opcode: number): number {
  if (opcode === 0x81) return 12 + 16;
  const transport = opcode >> 5;
  const op = opcode & 0x1f;
  let n = 12;
  if (transport === 3) n += 8; // DETH on every UD packet
  if (transport !== 3 && RETH_OPS.has(op)) n += 16;
  if (transport !== 3 && AETH_OPS.has(op)) n += 4;
  if (IMM_OPS.has(op)) n += 4;
  return n;
}

/** The shortest frame (without FCS) that holds every header of `spec`. */
export function minimumFrameLength(spec: FrameSpec): number {
  const l2 = 14 + (spec.vlan === undefined ? 0 : 4);
  const v6 = spec.src.includes(':');
  const l3 = (v6 ? 40 : 20) + (v6 && spec.fragment !== undefined ? 8 : 0);
  if (spec.fragment !== undefined && spec.fragment.offset > 0) return l2 + l3 + 8;
  let l4 = 8;
  if (spec.protocol === 6) l4 = 20;
  else if (spec.protocol === 17 && spec.roce !== undefined) l4 = 8 + roceHeaderLength(spec.roce.opcode);
  return l2 + l3 + l4;
}

/**
 * The first `maxBytes` bytes of the frame described by `spec`. A frame length
 * shorter than the headers is raised to `minimumFrameLength(spec)`.
 */
export function buildFrame(input: FrameSpec, maxBytes = 128): Buffer {
  const spec = { ...input, frameLength: Math.max(input.frameLength, minimumFrameLength(input)) };
  // Only the first maxBytes are returned; the margin leaves room for every header.
  const b = Buffer.alloc(Math.min(spec.frameLength, maxBytes) + 256);
  let p = 0;
  b.set(addressBytes(spec.dstMac, parseMacBytes), 0);
  b.set(addressBytes(spec.srcMac, parseMacBytes), 6);
  p = 12;
  if (spec.vlan !== undefined) {
    b.writeUInt16BE(0x8100, p);
    b.writeUInt16BE(spec.vlan & 0xfff, p + 2);
    p += 4;
  }
  const v6 = spec.src.includes(':');
  b.writeUInt16BE(v6 ? 0x86dd : 0x0800, p);
  p += 2;
  const ipStart = p;
  const frag = spec.fragment;
  const fragHeader = v6 && frag !== undefined ? 8 : 0;
  const ipPayload = spec.frameLength - ipStart - (v6 ? 40 : 20) - fragHeader;
  const tos = (((spec.dscp ?? 0) & 0x3f) << 2) | ((spec.ecn ?? 0) & 3);
  if (v6) {
    b.writeUInt32BE(((6 << 28) | (tos << 20) | 0x12345) >>> 0, p);
    b.writeUInt16BE(Math.max(ipPayload + fragHeader, 0), p + 4);
    b[p + 6] = frag === undefined ? spec.protocol : 44;
    b[p + 7] = spec.ttl ?? 64;
    b.set(addressBytes(spec.src, parseIPv6Bytes), p + 8);
    b.set(addressBytes(spec.dst, parseIPv6Bytes), p + 24);
    p += 40;
    if (frag !== undefined) {
      b[p] = spec.protocol;
      b.writeUInt16BE(((frag.offset & 0x1fff) << 3) | (frag.more ? 1 : 0), p + 2);
      b.writeUInt32BE((frag.id ?? 0x1c46) >>> 0, p + 4);
      p += 8;
    }
  } else {
    b[p] = 0x45;
    b[p + 1] = tos;
    b.writeUInt16BE(spec.frameLength - ipStart, p + 2);
    b.writeUInt16BE((frag?.id ?? 0x1c46) & 0xffff, p + 4);
    // DF unless it is a fragment: MF and the offset in 8-byte units.
    const flags = frag === undefined ? 0x4000 : (frag.more ? 0x2000 : 0) | (frag.offset & 0x1fff);
    b.writeUInt16BE(flags, p + 6);
    b[p + 8] = spec.ttl ?? 64;
    b[p + 9] = spec.protocol;
    b.set(addressBytes(spec.src, parseIPv4Bytes), p + 12);
    b.set(addressBytes(spec.dst, parseIPv4Bytes), p + 16);
    b.writeUInt16BE(ipv4Checksum(b, p), p + 10);
    p += 20;
  }
  if (frag !== undefined && frag.offset > 0) {
    // Later fragments: payload only.
    p += 8;
  } else if (spec.protocol === 6) {
    b.writeUInt16BE(spec.srcPort ?? 0, p);
    b.writeUInt16BE(spec.dstPort ?? 0, p + 2);
    b.writeUInt32BE(0x01020304, p + 4);
    b.writeUInt32BE(0x0a0b0c0d, p + 8);
    b[p + 12] = 5 << 4;
    b[p + 13] = (spec.tcpFlags ?? 0x10) & 0xff;
    b.writeUInt16BE(65535, p + 14);
    p += 20;
  } else if (spec.protocol === 17) {
    b.writeUInt16BE(spec.srcPort ?? 0, p);
    b.writeUInt16BE(spec.dstPort ?? 0, p + 2);
    b.writeUInt16BE(Math.max(ipPayload, 8), p + 4);
    if (spec.roce !== undefined) writeRoce(b, p + 8, spec.roce);
    p += 8 + (spec.roce === undefined ? 0 : roceHeaderLength(spec.roce.opcode));
  } else if (spec.protocol === 1 || spec.protocol === 58) {
    b[p] = spec.icmpType ?? (spec.protocol === 1 ? 8 : 128); // echo request by default
    b[p + 1] = spec.icmpCode ?? 0;
    p += 8;
  }
  const end = Math.min(maxBytes, Math.max(spec.frameLength, p));
  // A RoCEv2 frame that fits in the sampled header whole (ACK, CNP, READ Request) ends with its ICRC.
  if (spec.roce !== undefined && spec.protocol === 17 && spec.frameLength <= end) {
    b.writeUInt32LE(roceIcrc(b.subarray(0, spec.frameLength), ipStart), spec.frameLength - 4);
  }
  return b.subarray(0, end);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib) of `data`, continuing from `crc`. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * The RoCEv2 invariant CRC of a whole frame (its last 4 bytes are the ICRC
 * itself and are not covered): CRC-32 over 8 bytes of ones standing for the
 * LRH, then the IP header with its variant fields set to ones (IPv4 TOS, TTL
 * and checksum; IPv6 traffic class, flow label and hop limit), the UDP header
 * with the checksum set to ones, the BTH with its byte 4 set to ones, and the
 * rest of the packet. The frame stores it least significant byte first.
 */
export function roceIcrc(frame: Uint8Array, ipOffset: number): number {
  const masked = Buffer.from(frame.subarray(ipOffset, frame.length - 4));
  const v6 = masked[0] >> 4 === 6;
  const ipLength = v6 ? 40 : (masked[0] & 0x0f) * 4;
  if (v6) {
    masked[0] |= 0x0f; // traffic class, low nibble of byte 0 ...
    masked[1] = 0xff; // ... rest of the traffic class and the flow label
    masked[2] = 0xff;
    masked[3] = 0xff;
    masked[7] = 0xff; // hop limit
  } else {
    masked[1] = 0xff; // TOS
    masked[8] = 0xff; // TTL
    masked[10] = 0xff; // header checksum
    masked[11] = 0xff;
  }
  masked[ipLength + 6] = 0xff; // UDP checksum
  masked[ipLength + 7] = 0xff;
  masked[ipLength + 8 + 4] = 0xff; // BTH byte 4 (FECN, BECN, reserved)
  return crc32(masked, crc32(Buffer.alloc(8, 0xff)));
}

function writeRoce(b: Buffer, p: number, r: RoceSpec): void {
  b[p] = r.opcode;
  b[p + 1] = r.solicited === true ? 0x80 : 0;
  b.writeUInt16BE(r.pkey ?? 0xffff, p + 2);
  b[p + 4] = r.becn === true ? 0x40 : 0;
  b.writeUIntBE(r.destQp & 0xffffff, p + 5, 3);
  b[p + 8] = r.ackReq === true ? 0x80 : 0;
  b.writeUIntBE(r.psn & 0xffffff, p + 9, 3);
  let q = p + 12;
  if (r.opcode === 0x81) return; // CNP: 16 reserved bytes, already zero
  const transport = r.opcode >> 5;
  const op = r.opcode & 0x1f;
  if (transport === 3) {
    b.writeUInt32BE((r.qkey ?? 0x11111111) >>> 0, q);
    b.writeUIntBE((r.srcQp ?? 1) & 0xffffff, q + 5, 3);
    q += 8;
  }
  if (transport !== 3 && RETH_OPS.has(op)) {
    b.writeBigUInt64BE(0x7f0000001000n, q);
    b.writeUInt32BE(0x1234, q + 8);
    b.writeUInt32BE((r.dmaLength ?? 0) >>> 0, q + 12);
    q += 16;
  }
  if (transport !== 3 && AETH_OPS.has(op)) {
    b[q] = r.syndrome ?? 0x1f;
    b.writeUIntBE((r.msn ?? 0) & 0xffffff, q + 1, 3);
    q += 4;
  }
  if (IMM_OPS.has(op)) b.writeUInt32BE((r.immediate ?? 0) >>> 0, q);
}

export function ipv4Checksum(b: Uint8Array, p: number): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) if (i !== 10) sum += (b[p + i] << 8) | b[p + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
