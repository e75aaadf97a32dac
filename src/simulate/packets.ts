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
  const l3 = spec.src.includes(':') ? 40 : 20;
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
  // Room for every header even when the stated frame is shorter than its headers.
  const b = Buffer.alloc(spec.frameLength + 256);
  let p = 0;
  b.set(parseMacBytes(spec.dstMac), 0);
  b.set(parseMacBytes(spec.srcMac), 6);
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
  const ipPayload = spec.frameLength - ipStart - (v6 ? 40 : 20);
  const tos = (((spec.dscp ?? 0) & 0x3f) << 2) | ((spec.ecn ?? 0) & 3);
  if (v6) {
    b.writeUInt32BE(((6 << 28) | (tos << 20) | 0x12345) >>> 0, p);
    b.writeUInt16BE(Math.max(ipPayload, 0), p + 4);
    b[p + 6] = spec.protocol;
    b[p + 7] = spec.ttl ?? 64;
    b.set(parseIPv6Bytes(spec.src), p + 8);
    b.set(parseIPv6Bytes(spec.dst), p + 24);
    p += 40;
  } else {
    b[p] = 0x45;
    b[p + 1] = tos;
    b.writeUInt16BE(spec.frameLength - ipStart, p + 2);
    b.writeUInt16BE(0x1c46, p + 4);
    b.writeUInt16BE(0x4000, p + 6); // DF
    b[p + 8] = spec.ttl ?? 64;
    b[p + 9] = spec.protocol;
    b.set(parseIPv4Bytes(spec.src), p + 12);
    b.set(parseIPv4Bytes(spec.dst), p + 16);
    b.writeUInt16BE(ipv4Checksum(b, p), p + 10);
    p += 20;
  }
  if (spec.protocol === 6) {
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
    b[p] = spec.protocol === 1 ? 8 : 128; // echo request
    p += 8;
  }
  return b.subarray(0, Math.min(maxBytes, Math.max(spec.frameLength, p)));
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
