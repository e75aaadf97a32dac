// Sampled packet header dissector (sFlow sampled_header, IPFIX dataLinkFrameSection).
//
// One pass over the layers records layer offsets and the few numbers needed to walk
// the stack. Every other field (addresses, flags, names, ...) is read lazily from the
// buffer by the key getters in keys.ts, only when a flow asks for it.
//
// Robustness contract: dissect() never throws, never reads outside
// [offset, offset + length) and every loop is bounded. A layer is recorded only when
// its fixed header is complete; truncation simply stops the walk there.
//
// The Packet keeps a reference to the caller's buffer: read keys before the buffer
// is reused.

import {
  ETH_AETH,
  ETH_ATOMIC,
  ETH_ATOMICACK,
  ETH_DETH,
  ETH_IETH,
  ETH_IMM,
  ETH_RDETH,
  ETH_RETH,
  ETH_XRCETH,
  OPCODE_HEADERS,
  SIZE_AETH,
  SIZE_ATOMIC,
  SIZE_ATOMICACK,
  SIZE_BTH,
  SIZE_DETH,
  SIZE_IETH,
  SIZE_IMM,
  SIZE_RDETH,
  SIZE_RETH,
  SIZE_XRCETH,
} from './roce.js';

/** sFlow header_protocol values handled by the dissector (see protocols.md 1.7). */
export const HEADER_ETHERNET = 1;
export const HEADER_IPV4 = 11;
export const HEADER_IPV6 = 12;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MC = 0x8848;
export const ETHERTYPE_TEB = 0x6558;

export const UDP_PORT_VXLAN = 4789;
export const UDP_PORT_ROCEV2 = 4791;
export const UDP_PORT_GENEVE = 6081;

// Layer codes recorded in Packet.layers; LAYER_NAMES gives the sFlow-RT `stack` tokens.
export const L_ETH = 0;
export const L_Q = 1;
export const L_MPLS = 2;
export const L_LLC = 3;
export const L_ARP = 4;
export const L_IP = 5;
export const L_IP6 = 6;
export const L_TCP = 7;
export const L_UDP = 8;
export const L_ICMP = 9;
export const L_ICMP6 = 10;
export const L_VXLAN = 11;
export const L_GENEVE = 12;
export const L_IBBT = 13;
export const L_IGMP = 14;
export const L_GRE = 15;
export const L_ESP = 16;
export const L_AH = 17;
export const L_SCTP = 18;

export const LAYER_NAMES: readonly string[] = [
  'eth',
  'q',
  'mpls',
  'llc',
  'arp',
  'ip',
  'ip6',
  'tcp',
  'udp',
  'icmp',
  'icmp6',
  'vxlan',
  'geneve',
  'ibbt',
  'igmp',
  'gre',
  'esp',
  'ah',
  'sctp',
];

/** Bounds that keep every walk finite and cheap regardless of input. */
export const MAX_LAYERS = 32;
export const MAX_TUNNEL_DEPTH = 3;
export const MAX_VLAN_TAGS = 8;
export const MAX_MPLS_LABELS = 16;
export const MAX_IP6_EXT_HEADERS = 8;

const EMPTY = new Uint8Array(0);

/**
 * Result of dissect(). All offsets are absolute indexes into `buf`; -1 means the
 * layer is absent (or truncated). Reusable: pass it back as `into` to avoid allocation.
 */
export class Packet {
  /** Buffer holding the sampled header (not copied). */
  buf: Uint8Array = EMPTY;
  /** Absolute offset of the start of the outermost sampled header (ip_offset / ibbt_offset are relative to it). */
  base = 0;
  /** Absolute offset where this (possibly inner) packet starts. */
  start = 0;
  /** Exclusive end of readable bytes. */
  end = 0;
  /** sFlow header_protocol this packet was dissected as. */
  headerProtocol = -1;
  /** Tunnel depth: 0 = outer packet, 1 = first inner packet (".1" keys), ... */
  depth = 0;

  /** Layer codes (L_*) in order, including the layers of inner packets. */
  readonly layers: Uint8Array = new Uint8Array(MAX_LAYERS);
  layerCount = 0;

  ethOff = -1;
  /** Offset of the first 802.1Q/802.1ad TPID; tags are contiguous 4-byte entries. */
  vlanOff = -1;
  vlanCount = 0;
  /** Last EtherType read (after VLAN tags); -1 for 802.3 length frames or no Ethernet. */
  ethType = -1;
  mplsOff = -1;
  mplsCount = 0;
  arpOff = -1;

  /** IPv4 header offset and header length (IHL * 4). */
  ipOff = -1;
  ipHdrLen = 0;
  ip6Off = -1;
  /** IPv6 Fragment extension header offset. */
  ip6FragOff = -1;
  /** IPv4 protocol, or IPv6 final next header after extension headers. */
  ipProto = -1;

  tcpOff = -1;
  udpOff = -1;
  icmpOff = -1;
  icmp6Off = -1;
  /** IPv4 header embedded in an ICMP destination unreachable message. */
  icmpIpOff = -1;
  /** First 4 bytes (ports) of the transport header embedded in an ICMP error. */
  icmpL4Off = -1;

  vxlanOff = -1;
  geneveOff = -1;

  /** RoCEv2 Base Transport Header and extended transport headers. */
  bthOff = -1;
  rdethOff = -1;
  dethOff = -1;
  xrcethOff = -1;
  rethOff = -1;
  atomicEthOff = -1;
  aethOff = -1;
  atomicAckOff = -1;
  immOff = -1;
  iethOff = -1;

  /** Decapsulated packet (VXLAN, GENEVE, IP-in-IP); valid only when hasInner. */
  inner: Packet | null = null;
  hasInner = false;

  /** Lazily computed text, cleared by dissect(). */
  stackText: string | undefined = undefined;
  ip6SrcText: string | undefined = undefined;
  ip6DstText: string | undefined = undefined;

  /** Clear every field for a new dissection. */
  reset(
    buf: Uint8Array,
    base: number,
    start: number,
    end: number,
    headerProtocol: number,
    depth: number,
  ): void {
    this.buf = buf;
    this.base = base;
    this.start = start;
    this.end = end;
    this.headerProtocol = headerProtocol;
    this.depth = depth;
    this.layerCount = 0;
    this.ethOff = -1;
    this.vlanOff = -1;
    this.vlanCount = 0;
    this.ethType = -1;
    this.mplsOff = -1;
    this.mplsCount = 0;
    this.arpOff = -1;
    this.ipOff = -1;
    this.ipHdrLen = 0;
    this.ip6Off = -1;
    this.ip6FragOff = -1;
    this.ipProto = -1;
    this.tcpOff = -1;
    this.udpOff = -1;
    this.icmpOff = -1;
    this.icmp6Off = -1;
    this.icmpIpOff = -1;
    this.icmpL4Off = -1;
    this.vxlanOff = -1;
    this.geneveOff = -1;
    this.bthOff = -1;
    this.rdethOff = -1;
    this.dethOff = -1;
    this.xrcethOff = -1;
    this.rethOff = -1;
    this.atomicEthOff = -1;
    this.aethOff = -1;
    this.atomicAckOff = -1;
    this.immOff = -1;
    this.iethOff = -1;
    this.hasInner = false;
    this.stackText = undefined;
    this.ip6SrcText = undefined;
    this.ip6DstText = undefined;
  }

  /** The decoded inner packet, or null. */
  innerPacket(): Packet | null {
    return this.hasInner ? this.inner : null;
  }

  /** sFlow-RT `stack` text, e.g. 'eth.q.ip.udp.ibbt'; '' when nothing was decoded. */
  stack(): string {
    let s = this.stackText;
    if (s === undefined) {
      s = stackText(this.layers, this.layerCount);
      this.stackText = s;
    }
    return s;
  }
}

// Stack strings repeat heavily in real traffic: intern them by a numeric signature of
// the layer codes (base 32, exact for up to 10 layers) instead of rebuilding each time.
const STACK_CACHE_MAX = 4096;
const stackCache = new Map<number, string>();

function stackText(layers: Uint8Array, n: number): string {
  let sig = 0;
  if (n <= 10) {
    for (let i = 0; i < n; i++) sig = sig * 32 + layers[i]! + 1;
    const hit = stackCache.get(sig);
    if (hit !== undefined) return hit;
  }
  let s = '';
  for (let i = 0; i < n; i++) {
    if (i > 0) s += '.';
    s += LAYER_NAMES[layers[i]!]!;
  }
  if (n <= 10 && stackCache.size < STACK_CACHE_MAX) stackCache.set(sig, s);
  return s;
}

function push(p: Packet, layer: number): void {
  if (p.layerCount < MAX_LAYERS) p.layers[p.layerCount++] = layer;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/**
 * Dissect `length` bytes of `buf` starting at `offset`, as sFlow header_protocol
 * `headerProtocol` (1 Ethernet, 11 IPv4, 12 IPv6; anything else yields an empty packet).
 * Never throws; invalid arguments also yield an empty packet.
 */
export function dissect(
  buf: Uint8Array,
  offset: number,
  length: number,
  headerProtocol: number,
  into?: Packet,
): Packet {
  const p = into ?? new Packet();
  const proto = Number.isSafeInteger(headerProtocol) && headerProtocol >= 0 ? headerProtocol : -1;
  const bufLen = buf instanceof Uint8Array ? buf.length : 0;
  const ok =
    bufLen > 0 &&
    Number.isSafeInteger(offset) &&
    Number.isSafeInteger(length) &&
    offset >= 0 &&
    length > 0 &&
    offset < bufLen;
  if (!ok) {
    p.reset(buf instanceof Uint8Array ? buf : EMPTY, 0, 0, 0, proto, 0);
    return p;
  }
  const end = Math.min(offset + length, bufLen);
  p.reset(buf, offset, offset, end, proto, 0);
  dissectAs(p, proto, offset);
  return p;
}

function dissectAs(p: Packet, headerProtocol: number, off: number): void {
  switch (headerProtocol) {
    case HEADER_ETHERNET:
      ethernet(p, off);
      break;
    case HEADER_IPV4:
      ipv4(p, off);
      break;
    case HEADER_IPV6:
      ipv6(p, off);
      break;
    default:
      break;
  }
}

function ethernet(p: Packet, off: number): void {
  const b = p.buf;
  const end = p.end;
  if (off + 14 > end) return;
  p.ethOff = off;
  push(p, L_ETH);
  let c = off + 12; // offset of the (next) EtherType / TPID field
  let type = u16(b, c);
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    // TPID(2) TCI(2) then the next EtherType(2) must all be present.
    if (p.vlanCount >= MAX_VLAN_TAGS || c + 6 > end) return; // EtherType unknown
    if (p.vlanCount === 0) p.vlanOff = c;
    p.vlanCount++;
    push(p, L_Q);
    c += 4;
    type = u16(b, c);
  }
  const l3 = c + 2;
  if (type < 0x0600) {
    // IEEE 802.3 length field: LLC/SNAP payload, no L3 decode.
    if (l3 + 3 <= end) push(p, L_LLC);
    return;
  }
  p.ethType = type;
  switch (type) {
    case ETHERTYPE_IPV4:
      ipv4(p, l3);
      break;
    case ETHERTYPE_IPV6:
      ipv6(p, l3);
      break;
    case ETHERTYPE_ARP:
      arp(p, l3);
      break;
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MC:
      mpls(p, l3);
      break;
    default:
      break;
  }
}

function arp(p: Packet, off: number): void {
  // Fixed part: htype(2) ptype(2) hlen(1) plen(1) oper(2).
  if (off + 8 > p.end) return;
  p.arpOff = off;
  push(p, L_ARP);
}

function mpls(p: Packet, off: number): void {
  const b = p.buf;
  const end = p.end;
  let c = off;
  for (;;) {
    if (c + 4 > end) return;
    if (p.mplsCount === 0) {
      p.mplsOff = c;
      push(p, L_MPLS);
    }
    p.mplsCount++;
    const bottom = (b[c + 2]! & 1) === 1;
    c += 4;
    if (bottom) break;
    if (p.mplsCount >= MAX_MPLS_LABELS) return;
  }
  if (c >= end) return;
  // No protocol field after the label stack: guess from the IP version nibble.
  const version = b[c]! >> 4;
  if (version === 4) ipv4(p, c);
  else if (version === 6) ipv6(p, c);
}

function ipv4(p: Packet, off: number): void {
  const b = p.buf;
  const end = p.end;
  if (off + 20 > end) return;
  const vihl = b[off]!;
  const ihl = (vihl & 0x0f) << 2;
  if (vihl >> 4 !== 4 || ihl < 20) return;
  p.ipOff = off;
  p.ipHdrLen = ihl;
  const proto = b[off + 9]!;
  p.ipProto = proto;
  push(p, L_IP);
  if (off + ihl > end) return; // options truncated
  // Non-first fragments carry no transport header.
  if (((b[off + 6]! & 0x1f) | b[off + 7]!) !== 0) return;
  transport(p, proto, off + ihl);
}

function ipv6(p: Packet, off: number): void {
  const b = p.buf;
  const end = p.end;
  if (off + 40 > end) return;
  if (b[off]! >> 4 !== 6) return;
  p.ip6Off = off;
  push(p, L_IP6);
  let nh = b[off + 6]!;
  let c = off + 40;
  // Walk extension headers; ipProto is set only once the upper-layer protocol is known.
  for (let i = 0; i <= MAX_IP6_EXT_HEADERS; i++) {
    if (nh !== 0 && nh !== 43 && nh !== 60 && nh !== 51 && nh !== 44) {
      p.ipProto = nh;
      transport(p, nh, c);
      return;
    }
    // Every extension header is at least 8 bytes; stop if it is truncated or too many.
    if (c + 8 > end || i === MAX_IP6_EXT_HEADERS) return;
    const next = b[c]!;
    if (nh === 44) {
      // Fragment header.
      p.ip6FragOff = c;
      if ((u16(b, c + 2) & 0xfff8) !== 0) {
        // Non-first fragment: protocol known, but no transport header here.
        p.ipProto = next;
        return;
      }
      c += 8;
    } else if (nh === 51) {
      c += (b[c + 1]! + 2) << 2; // authentication header: 4-byte units, minus 2
    } else {
      c += (b[c + 1]! + 1) << 3; // hop-by-hop (0), routing (43), destination options (60)
    }
    nh = next;
  }
}

function transport(p: Packet, proto: number, off: number): void {
  const b = p.buf;
  const end = p.end;
  switch (proto) {
    case 6: // TCP
      if (off + 20 <= end) {
        p.tcpOff = off;
        push(p, L_TCP);
      }
      return;
    case 17: // UDP
      if (off + 8 <= end) {
        p.udpOff = off;
        push(p, L_UDP);
        udpPayload(p, u16(b, off + 2), off + 8);
      }
      return;
    case 1: // ICMP
      if (off + 8 <= end) {
        p.icmpOff = off;
        push(p, L_ICMP);
        if (b[off] === 3) icmpEmbedded(p, off + 8);
      }
      return;
    case 58: // ICMPv6
      if (off + 4 <= end) {
        p.icmp6Off = off;
        push(p, L_ICMP6);
      }
      return;
    case 2:
      if (off + 8 <= end) push(p, L_IGMP);
      return;
    case 47:
      if (off + 4 <= end) push(p, L_GRE);
      return;
    case 50:
      if (off + 8 <= end) push(p, L_ESP);
      return;
    case 51:
      if (off + 12 <= end) push(p, L_AH);
      return;
    case 132:
      if (off + 12 <= end) push(p, L_SCTP);
      return;
    case 4: // IPv4 in IP
      tunnel(p, HEADER_IPV4, off);
      return;
    case 41: // IPv6 in IP
      tunnel(p, HEADER_IPV6, off);
      return;
    default:
      return;
  }
}

function icmpEmbedded(p: Packet, off: number): void {
  // Destination unreachable: original IPv4 header + at least 8 bytes of its payload.
  const b = p.buf;
  const end = p.end;
  if (off + 20 > end) return;
  const vihl = b[off]!;
  const ihl = (vihl & 0x0f) << 2;
  if (vihl >> 4 !== 4 || ihl < 20) return;
  p.icmpIpOff = off;
  if (off + ihl + 4 <= end) p.icmpL4Off = off + ihl;
}

function udpPayload(p: Packet, dstPort: number, off: number): void {
  const b = p.buf;
  const end = p.end;
  switch (dstPort) {
    case UDP_PORT_ROCEV2:
      bth(p, off);
      return;
    case UDP_PORT_VXLAN:
      if (off + 8 > end) return;
      p.vxlanOff = off;
      push(p, L_VXLAN);
      tunnel(p, HEADER_ETHERNET, off + 8);
      return;
    case UDP_PORT_GENEVE: {
      if (off + 8 > end) return;
      p.geneveOff = off;
      push(p, L_GENEVE);
      const inner = off + 8 + ((b[off]! & 0x3f) << 2);
      const proto = u16(b, off + 2);
      if (proto === ETHERTYPE_TEB) tunnel(p, HEADER_ETHERNET, inner);
      else if (proto === ETHERTYPE_IPV4) tunnel(p, HEADER_IPV4, inner);
      else if (proto === ETHERTYPE_IPV6) tunnel(p, HEADER_IPV6, inner);
      return;
    }
    default:
      return;
  }
}

function bth(p: Packet, off: number): void {
  const end = p.end;
  if (off + SIZE_BTH > end) return;
  p.bthOff = off;
  push(p, L_IBBT);
  const h = OPCODE_HEADERS[p.buf[off]!]!;
  if (h === 0) return;
  let c = off + SIZE_BTH;
  // Extended transport headers, in wire order.
  if (h & ETH_RDETH) {
    if (c + SIZE_RDETH > end) return;
    p.rdethOff = c;
    c += SIZE_RDETH;
  }
  if (h & ETH_DETH) {
    if (c + SIZE_DETH > end) return;
    p.dethOff = c;
    c += SIZE_DETH;
  }
  if (h & ETH_XRCETH) {
    if (c + SIZE_XRCETH > end) return;
    p.xrcethOff = c;
    c += SIZE_XRCETH;
  }
  if (h & ETH_RETH) {
    if (c + SIZE_RETH > end) return;
    p.rethOff = c;
    c += SIZE_RETH;
  }
  if (h & ETH_ATOMIC) {
    if (c + SIZE_ATOMIC > end) return;
    p.atomicEthOff = c;
    c += SIZE_ATOMIC;
  }
  if (h & ETH_AETH) {
    if (c + SIZE_AETH > end) return;
    p.aethOff = c;
    c += SIZE_AETH;
  }
  if (h & ETH_ATOMICACK) {
    if (c + SIZE_ATOMICACK > end) return;
    p.atomicAckOff = c;
    c += SIZE_ATOMICACK;
  }
  if (h & ETH_IMM) {
    if (c + SIZE_IMM > end) return;
    p.immOff = c;
    c += SIZE_IMM;
  }
  if (h & ETH_IETH) {
    if (c + SIZE_IETH > end) return;
    p.iethOff = c;
  }
}

/** Decode an encapsulated packet into p.inner (reused) and append its layers to p's stack. */
function tunnel(p: Packet, headerProtocol: number, off: number): void {
  if (p.depth >= MAX_TUNNEL_DEPTH || off >= p.end) return;
  let q = p.inner;
  if (q === null) {
    q = new Packet();
    p.inner = q;
  }
  q.reset(p.buf, p.base, off, p.end, headerProtocol, p.depth + 1);
  dissectAs(q, headerProtocol, off);
  const n = q.layerCount;
  if (n === 0) return;
  p.hasInner = true;
  for (let i = 0; i < n; i++) push(p, q.layers[i]!);
}
