// Flow keys of a dissected packet, under sFlow-RT's key names (docs/packet-keys.md).
//
// Each key is a small getter that reads its bytes from the buffer on demand, so a
// flow definition only pays for the keys it uses. Resolve getters once with
// keyGetter() (at flow definition time) and call them per packet.

import type { Packet } from './dissect.js';
import {
  bool,
  DSCP_NAMES,
  ECN_TEXT,
  formatHex64,
  formatIPv4,
  formatIPv6,
  formatMac,
  IPFLAGS_TEXT,
  TCPFLAGS_TEXT,
} from './format.js';
import { AETH_TYPE_NAMES, OPCODE_NAMES, TRANSPORT_NAMES } from './roce.js';

export type KeyValue = string | number;
/** Returns the key's value, or undefined when the key is not present in this packet. */
export type KeyGetter = (p: Packet) => KeyValue | undefined;

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function u24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}
function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

// --- helpers shared by several keys --------------------------------------------------

function ip6TrafficClass(p: Packet): number {
  const b = p.buf;
  const o = p.ip6Off;
  return ((b[o]! & 0x0f) << 4) | (b[o + 1]! >> 4);
}

/** ARP addresses are only decoded for Ethernet/IPv4 ARP (hlen 6, plen 4) with all 28 bytes present. */
function arpAddrs(p: Packet): number {
  const o = p.arpOff;
  if (o < 0 || o + 28 > p.end) return -1;
  const b = p.buf;
  return b[o + 4] === 6 && b[o + 5] === 4 ? o : -1;
}

/** Offset of the ICMP header when it is a destination unreachable (type 3) with the given code. */
function icmpUnreachable(p: Packet, code: number): number {
  const o = p.icmpOff;
  if (o < 0 || p.icmpIpOff < 0) return -1;
  const b = p.buf;
  return b[o] === 3 && b[o + 1] === code ? o : -1;
}

function aethType(p: Packet): number {
  return (p.buf[p.aethOff]! >> 5) & 3;
}

// --- key table ----------------------------------------------------------------------
// Order matters only for packetKeys() output (roughly outer to inner layer).

const ENTRIES: [string, KeyGetter][] = [
  // Meta
  ['headerprotocol', (p) => (p.headerProtocol >= 0 ? p.headerProtocol : undefined)],
  ['stack', (p) => (p.layerCount > 0 ? p.stack() : undefined)],

  // Ethernet / VLAN / MPLS
  ['macsource', (p) => (p.ethOff >= 0 ? formatMac(p.buf, p.ethOff + 6) : undefined)],
  ['macdestination', (p) => (p.ethOff >= 0 ? formatMac(p.buf, p.ethOff) : undefined)],
  ['ethernetprotocol', (p) => (p.ethType >= 0 ? p.ethType : undefined)],
  ['isunicast', (p) => (p.ethOff >= 0 ? bool((p.buf[p.ethOff]! & 1) === 0) : undefined)],
  ['ismulticast', (p) => (p.ethOff >= 0 ? bool((p.buf[p.ethOff]! & 1) === 1 && !isBroadcast(p)) : undefined)],
  ['isbroadcast', (p) => (p.ethOff >= 0 ? bool(isBroadcast(p)) : undefined)],
  ['vlan', (p) => (p.vlanCount > 0 ? u16(p.buf, p.vlanOff + 2) & 0x0fff : undefined)],
  ['priority', (p) => (p.vlanCount > 0 ? p.buf[p.vlanOff + 2]! >> 5 : undefined)],
  [
    'vlanstack',
    (p) => {
      const n = p.vlanCount;
      if (n === 0) return undefined;
      let s = '';
      for (let i = 0; i < n; i++) {
        if (i > 0) s += '.';
        s += u16(p.buf, p.vlanOff + 4 * i + 2) & 0x0fff;
      }
      return s;
    },
  ],
  ['mplslabel', (p) => (p.mplsCount > 0 ? mplsLabel(p.buf, p.mplsOff) : undefined)],
  ['mplstc', (p) => (p.mplsCount > 0 ? (p.buf[p.mplsOff + 2]! >> 1) & 7 : undefined)],
  ['mplsttl', (p) => (p.mplsCount > 0 ? p.buf[p.mplsOff + 3]! : undefined)],
  [
    'mplslabelstack',
    (p) => {
      const n = p.mplsCount;
      if (n === 0) return undefined;
      let s = '';
      for (let i = 0; i < n; i++) {
        if (i > 0) s += '.';
        s += mplsLabel(p.buf, p.mplsOff + 4 * i);
      }
      return s;
    },
  ],

  // ARP
  ['arpoperation', (p) => (p.arpOff >= 0 ? u16(p.buf, p.arpOff + 6) : undefined)],
  [
    'arpmacsender',
    (p) => {
      const o = arpAddrs(p);
      return o < 0 ? undefined : formatMac(p.buf, o + 8);
    },
  ],
  [
    'arpipsender',
    (p) => {
      const o = arpAddrs(p);
      return o < 0 ? undefined : formatIPv4(p.buf, o + 14);
    },
  ],
  [
    'arpmactarget',
    (p) => {
      const o = arpAddrs(p);
      return o < 0 ? undefined : formatMac(p.buf, o + 18);
    },
  ],
  [
    'arpiptarget',
    (p) => {
      const o = arpAddrs(p);
      return o < 0 ? undefined : formatIPv4(p.buf, o + 24);
    },
  ],

  // IP (either version)
  ['ip_offset', (p) => (p.ipOff >= 0 ? p.ipOff - p.base : p.ip6Off >= 0 ? p.ip6Off - p.base : undefined)],

  // IPv4
  ['ipsource', (p) => (p.ipOff >= 0 ? formatIPv4(p.buf, p.ipOff + 12) : undefined)],
  ['ipdestination', (p) => (p.ipOff >= 0 ? formatIPv4(p.buf, p.ipOff + 16) : undefined)],
  ['ipprotocol', (p) => (p.ipOff >= 0 ? p.buf[p.ipOff + 9]! : undefined)],
  ['ipbytes', (p) => (p.ipOff >= 0 ? u16(p.buf, p.ipOff + 2) : undefined)],
  ['iptos', (p) => (p.ipOff >= 0 ? p.buf[p.ipOff + 1]! : undefined)],
  ['ipdscp', (p) => (p.ipOff >= 0 ? p.buf[p.ipOff + 1]! >> 2 : undefined)],
  ['ipdscpname', (p) => (p.ipOff >= 0 ? DSCP_NAMES[p.buf[p.ipOff + 1]! >> 2] : undefined)],
  ['ipecn', (p) => (p.ipOff >= 0 ? ECN_TEXT[p.buf[p.ipOff + 1]! & 3] : undefined)],
  ['ipttl', (p) => (p.ipOff >= 0 ? p.buf[p.ipOff + 8]! : undefined)],
  ['ipid', (p) => (p.ipOff >= 0 ? u16(p.buf, p.ipOff + 4) : undefined)],
  ['ipflags', (p) => (p.ipOff >= 0 ? IPFLAGS_TEXT[p.buf[p.ipOff + 6]! >> 5] : undefined)],
  ['ipfragoffset', (p) => (p.ipOff >= 0 ? u16(p.buf, p.ipOff + 6) & 0x1fff : undefined)],

  // IPv6
  [
    'ip6source',
    (p) => {
      if (p.ip6Off < 0) return undefined;
      let s = p.ip6SrcText;
      if (s === undefined) {
        s = formatIPv6(p.buf, p.ip6Off + 8);
        p.ip6SrcText = s;
      }
      return s;
    },
  ],
  [
    'ip6destination',
    (p) => {
      if (p.ip6Off < 0) return undefined;
      let s = p.ip6DstText;
      if (s === undefined) {
        s = formatIPv6(p.buf, p.ip6Off + 24);
        p.ip6DstText = s;
      }
      return s;
    },
  ],
  ['ip6nexthdr', (p) => (p.ip6Off >= 0 && p.ipProto >= 0 ? p.ipProto : undefined)],
  ['ip6bytes', (p) => (p.ip6Off >= 0 ? u16(p.buf, p.ip6Off + 4) + 40 : undefined)],
  ['ip6tos', (p) => (p.ip6Off >= 0 ? ip6TrafficClass(p) : undefined)],
  ['ip6dscp', (p) => (p.ip6Off >= 0 ? ip6TrafficClass(p) >> 2 : undefined)],
  ['ip6dscpname', (p) => (p.ip6Off >= 0 ? DSCP_NAMES[ip6TrafficClass(p) >> 2] : undefined)],
  ['ip6ecn', (p) => (p.ip6Off >= 0 ? ECN_TEXT[ip6TrafficClass(p) & 3] : undefined)],
  [
    'ip6flowlabel',
    (p) => (p.ip6Off >= 0 ? ((p.buf[p.ip6Off + 1]! & 0x0f) << 16) | u16(p.buf, p.ip6Off + 2) : undefined),
  ],
  ['ip6ttl', (p) => (p.ip6Off >= 0 ? p.buf[p.ip6Off + 7]! : undefined)],
  ['ip6fragm', (p) => (p.ip6FragOff >= 0 ? bool((p.buf[p.ip6FragOff + 3]! & 1) === 1) : undefined)],
  ['ip6fragoffset', (p) => (p.ip6FragOff >= 0 ? u16(p.buf, p.ip6FragOff + 2) >> 3 : undefined)],

  // TCP
  ['tcpsourceport', (p) => (p.tcpOff >= 0 ? u16(p.buf, p.tcpOff) : undefined)],
  ['tcpdestinationport', (p) => (p.tcpOff >= 0 ? u16(p.buf, p.tcpOff + 2) : undefined)],
  [
    'tcpflags',
    (p) =>
      p.tcpOff >= 0 ? TCPFLAGS_TEXT[((p.buf[p.tcpOff + 12]! & 1) << 8) | p.buf[p.tcpOff + 13]!] : undefined,
  ],
  ['tcpwindow', (p) => (p.tcpOff >= 0 ? u16(p.buf, p.tcpOff + 14) : undefined)],

  // UDP
  ['udpsourceport', (p) => (p.udpOff >= 0 ? u16(p.buf, p.udpOff) : undefined)],
  ['udpdestinationport', (p) => (p.udpOff >= 0 ? u16(p.buf, p.udpOff + 2) : undefined)],
  ['udpbytes', (p) => (p.udpOff >= 0 ? u16(p.buf, p.udpOff + 4) : undefined)],

  // ICMP
  ['icmptype', (p) => (p.icmpOff >= 0 ? p.buf[p.icmpOff]! : undefined)],
  ['icmpcode', (p) => (p.icmpOff >= 0 ? p.buf[p.icmpOff + 1]! : undefined)],
  [
    'icmpseqno',
    (p) => {
      const o = p.icmpOff;
      if (o < 0) return undefined;
      const type = p.buf[o]!;
      return type === 0 || type === 8 ? u16(p.buf, o + 6) : undefined;
    },
  ],
  [
    'icmpunreachablenet',
    (p) => (icmpUnreachable(p, 0) >= 0 ? formatIPv4(p.buf, p.icmpIpOff + 16) : undefined),
  ],
  [
    'icmpunreachablehost',
    (p) => (icmpUnreachable(p, 1) >= 0 ? formatIPv4(p.buf, p.icmpIpOff + 16) : undefined),
  ],
  ['icmpunreachableprotocol', (p) => (icmpUnreachable(p, 2) >= 0 ? p.buf[p.icmpIpOff + 9]! : undefined)],
  [
    'icmpunreachableport',
    (p) => {
      if (icmpUnreachable(p, 3) < 0 || p.icmpL4Off < 0) return undefined;
      const proto = p.buf[p.icmpIpOff + 9]!;
      return proto === 6 || proto === 17 || proto === 132 ? u16(p.buf, p.icmpL4Off + 2) : undefined;
    },
  ],

  // ICMPv6
  ['icmp6type', (p) => (p.icmp6Off >= 0 ? p.buf[p.icmp6Off]! : undefined)],
  ['icmp6code', (p) => (p.icmp6Off >= 0 ? p.buf[p.icmp6Off + 1]! : undefined)],

  // Tunnels
  [
    'vni',
    (p) =>
      p.vxlanOff >= 0
        ? u24(p.buf, p.vxlanOff + 4)
        : p.geneveOff >= 0
          ? u24(p.buf, p.geneveOff + 4)
          : undefined,
  ],
  ['vxlanvni', (p) => (p.vxlanOff >= 0 ? u24(p.buf, p.vxlanOff + 4) : undefined)],
  ['genevevni', (p) => (p.geneveOff >= 0 ? u24(p.buf, p.geneveOff + 4) : undefined)],

  // RoCEv2 Base Transport Header
  ['ibbt_offset', (p) => (p.bthOff >= 0 ? p.bthOff - p.base : undefined)],
  ['ibbtopcode', (p) => (p.bthOff >= 0 ? p.buf[p.bthOff]! : undefined)],
  ['ibbtopname', (p) => (p.bthOff >= 0 ? OPCODE_NAMES[p.buf[p.bthOff]!] : undefined)],
  ['ibbtoptransport', (p) => (p.bthOff >= 0 ? TRANSPORT_NAMES[p.buf[p.bthOff]! >> 5] : undefined)],
  ['ibbtse', (p) => (p.bthOff >= 0 ? bool((p.buf[p.bthOff + 1]! & 0x80) !== 0) : undefined)],
  ['ibbtm', (p) => (p.bthOff >= 0 ? bool((p.buf[p.bthOff + 1]! & 0x40) !== 0) : undefined)],
  ['ibbtpadcnt', (p) => (p.bthOff >= 0 ? (p.buf[p.bthOff + 1]! >> 4) & 3 : undefined)],
  ['ibbttver', (p) => (p.bthOff >= 0 ? p.buf[p.bthOff + 1]! & 0x0f : undefined)],
  ['ibbtpkey', (p) => (p.bthOff >= 0 ? u16(p.buf, p.bthOff + 2) : undefined)],
  ['ibbtfecn', (p) => (p.bthOff >= 0 ? bool((p.buf[p.bthOff + 4]! & 0x80) !== 0) : undefined)],
  ['ibbtbecn', (p) => (p.bthOff >= 0 ? bool((p.buf[p.bthOff + 4]! & 0x40) !== 0) : undefined)],
  ['ibbtdestqp', (p) => (p.bthOff >= 0 ? u24(p.buf, p.bthOff + 5) : undefined)],
  ['ibbtack', (p) => (p.bthOff >= 0 ? bool((p.buf[p.bthOff + 8]! & 0x80) !== 0) : undefined)],
  ['ibbtpsn', (p) => (p.bthOff >= 0 ? u24(p.buf, p.bthOff + 9) : undefined)],

  // RoCEv2 extended transport headers
  ['ibbtrethva', (p) => (p.rethOff >= 0 ? formatHex64(p.buf, p.rethOff) : undefined)],
  ['ibbtrkey', (p) => (p.rethOff >= 0 ? u32(p.buf, p.rethOff + 8) : undefined)],
  ['ibbtrdmalen', (p) => (p.rethOff >= 0 ? u32(p.buf, p.rethOff + 12) : undefined)],
  ['ibbtaethsyndrome', (p) => (p.aethOff >= 0 ? p.buf[p.aethOff]! : undefined)],
  ['ibbtaethtype', (p) => (p.aethOff >= 0 ? AETH_TYPE_NAMES[aethType(p)] : undefined)],
  ['ibbtaethack', (p) => (p.aethOff >= 0 && aethType(p) === 0 ? p.buf[p.aethOff]! & 0x1f : undefined)],
  ['ibbtaethrnrtimer', (p) => (p.aethOff >= 0 && aethType(p) === 1 ? p.buf[p.aethOff]! & 0x1f : undefined)],
  ['ibbtaethnak', (p) => (p.aethOff >= 0 && aethType(p) === 3 ? p.buf[p.aethOff]! & 0x1f : undefined)],
  ['ibbtaethmsn', (p) => (p.aethOff >= 0 ? u24(p.buf, p.aethOff + 1) : undefined)],
  ['ibbtdethqkey', (p) => (p.dethOff >= 0 ? u32(p.buf, p.dethOff) : undefined)],
  ['ibbtdethsrcqp', (p) => (p.dethOff >= 0 ? u24(p.buf, p.dethOff + 5) : undefined)],
  ['ibbtimmdt', (p) => (p.immOff >= 0 ? u32(p.buf, p.immOff) : undefined)],
  ['ibbtiethrkey', (p) => (p.iethOff >= 0 ? u32(p.buf, p.iethOff) : undefined)],
];

function isBroadcast(p: Packet): boolean {
  const b = p.buf;
  const o = p.ethOff;
  return (
    b[o] === 0xff &&
    b[o + 1] === 0xff &&
    b[o + 2] === 0xff &&
    b[o + 3] === 0xff &&
    b[o + 4] === 0xff &&
    b[o + 5] === 0xff
  );
}

function mplsLabel(b: Uint8Array, o: number): number {
  return (b[o]! << 12) | (b[o + 1]! << 4) | (b[o + 2]! >> 4);
}

/** Other spellings accepted by keyGetter(); not listed in PACKET_KEY_NAMES or packetKeys(). */
export const PACKET_KEY_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  // Spelling used by the sflow-rt/ai-monitor application.
  ibbtdestinationqp: 'ibbtdestqp',
});

const BASE = new Map<string, KeyGetter>(ENTRIES);
for (const [alias, target] of Object.entries(PACKET_KEY_ALIASES)) BASE.set(alias, BASE.get(target)!);

/** Every base key name supported (inner packets add the same names with a '.N' suffix). */
export const PACKET_KEY_NAMES: readonly string[] = Object.freeze(ENTRIES.map((e) => e[0]));

/** Highest '.N' suffix accepted (tunnel nesting decoded by the dissector). */
const MAX_SUFFIX = 3;

function innerAt(p: Packet, depth: number): Packet | null {
  let q: Packet | null = p;
  for (let i = 0; i < depth && q !== null; i++) q = q.hasInner ? q.inner : null;
  return q;
}

function withDepth(g: KeyGetter, depth: number): KeyGetter {
  if (depth === 1) {
    return (p) => {
      const q = p.hasInner ? p.inner : null;
      return q === null ? undefined : g(q);
    };
  }
  return (p) => {
    const q = innerAt(p, depth);
    return q === null ? undefined : g(q);
  };
}

const resolved = new Map<string, KeyGetter | undefined>();

/**
 * Getter for a packet key name such as 'ipsource' or 'ipsource.1' (the '.N' suffix
 * selects the N-th decapsulated inner packet). Returns undefined for names that are
 * not packet keys. Getters are cached: resolve once, call per packet.
 */
export function keyGetter(name: string): KeyGetter | undefined {
  if (resolved.has(name)) return resolved.get(name);
  let g = BASE.get(name);
  if (g === undefined) {
    const dot = name.lastIndexOf('.');
    if (dot > 0) {
      const suffix = name.slice(dot + 1);
      const depth = suffix.length === 1 ? suffix.charCodeAt(0) - 48 : -1;
      const base = BASE.get(name.slice(0, dot));
      if (base !== undefined && depth >= 1 && depth <= MAX_SUFFIX) g = withDepth(base, depth);
    }
  }
  if (resolved.size < 10_000) resolved.set(name, g);
  return g;
}

/** Every key present in the packet, including inner-packet keys with their '.N' suffix (for JSON output). */
export function packetKeys(p: Packet): Record<string, KeyValue> {
  const out: Record<string, KeyValue> = {};
  let q: Packet | null = p;
  let suffix = '';
  for (let depth = 0; q !== null && depth <= MAX_SUFFIX; depth++) {
    for (let i = 0; i < ENTRIES.length; i++) {
      const e = ENTRIES[i]!;
      const v = e[1](q);
      if (v !== undefined) out[e[0] + suffix] = v;
    }
    q = q.hasInner ? q.inner : null;
    suffix = `.${depth + 1}`;
  }
  return out;
}
