// Test-only helpers that assemble packet headers byte by byte (no checksums).
// Each builder takes its payload and fills length fields from it, so packets nest:
//   eth(MAC_A, MAC_B, 0x0800, ipv4({ src, dst, proto: 17 }, udp(1, 2, payload)))

export type Bytes = number[];

export function cat(...parts: (Bytes | Uint8Array)[]): Bytes {
  const out: number[] = [];
  for (const part of parts) for (const x of part) out.push(x & 0xff);
  return out;
}

export function u8(...values: number[]): Bytes {
  return values.map((v) => v & 0xff);
}
export function be16(v: number): Bytes {
  return [(v >>> 8) & 0xff, v & 0xff];
}
export function be24(v: number): Bytes {
  return [(v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
export function be32(v: number): Bytes {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
export function zeros(n: number): Bytes {
  return new Array<number>(n).fill(0);
}

/** '00:11:22:aa:bb:cc' -> 6 bytes. */
export function mac(text: string): Bytes {
  return text.split(':').map((h) => Number.parseInt(h, 16));
}

/** '10.0.0.1' -> 4 bytes. */
export function ip4(text: string): Bytes {
  return text.split('.').map((d) => Number(d));
}

/** IPv6 text (with optional '::', no embedded IPv4) -> 16 bytes. */
export function ip6(text: string): Bytes {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (s: string | undefined): number[] =>
    s ? s.split(':').map((g) => Number.parseInt(g, 16)) : [];
  const h = parse(head);
  const t = parse(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return groups.flatMap((g) => be16(g));
}

export interface VlanTag {
  tpid?: number;
  vid: number;
  pcp?: number;
  dei?: boolean;
}

/** Ethernet II header (with optional 802.1Q/802.1ad tags) + payload. */
export function eth(dst: string, src: string, type: number, payload: Bytes, tags: VlanTag[] = []): Bytes {
  const tagBytes = tags.flatMap((t) =>
    cat(be16(t.tpid ?? 0x8100), be16(((t.pcp ?? 0) << 13) | (t.dei ? 0x1000 : 0) | (t.vid & 0x0fff))),
  );
  return cat(mac(dst), mac(src), tagBytes, be16(type), payload);
}

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  tos?: number;
  ttl?: number;
  id?: number;
  /** 3 flag bits: 4 = reserved, 2 = DF, 1 = MF. */
  flags?: number;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  /** Option bytes (padded to a multiple of 4 by the caller). */
  options?: Bytes;
  /** Override the total length field. */
  totalLength?: number;
}

export function ipv4(o: Ipv4Options, payload: Bytes): Bytes {
  const opts = o.options ?? [];
  const hlen = 20 + opts.length;
  return cat(
    u8(0x40 | (hlen >> 2), o.tos ?? 0),
    be16(o.totalLength ?? hlen + payload.length),
    be16(o.id ?? 0x1234),
    be16(((o.flags ?? 0) << 13) | (o.fragOffset ?? 0)),
    u8(o.ttl ?? 64, o.proto),
    be16(0), // checksum (not checked)
    ip4(o.src),
    ip4(o.dst),
    opts,
    payload,
  );
}

export interface Ipv6Options {
  src: string;
  dst: string;
  nextHeader: number;
  trafficClass?: number;
  flowLabel?: number;
  hopLimit?: number;
  payloadLength?: number;
}

export function ipv6(o: Ipv6Options, payload: Bytes): Bytes {
  const tc = o.trafficClass ?? 0;
  const fl = o.flowLabel ?? 0;
  return cat(
    be32(((6 << 28) | (tc << 20) | fl) >>> 0),
    be16(o.payloadLength ?? payload.length),
    u8(o.nextHeader, o.hopLimit ?? 64),
    ip6(o.src),
    ip6(o.dst),
    payload,
  );
}

/** IPv6 hop-by-hop / routing / destination options header padded to `len8` 8-byte units. */
export function ip6OptionsHeader(nextHeader: number, len8: number, payload: Bytes): Bytes {
  return cat(u8(nextHeader, len8 - 1), zeros(len8 * 8 - 2), payload);
}

/** IPv6 fragment header: offset in 8-byte units, M flag. */
export function ip6Fragment(
  nextHeader: number,
  fragOffset: number,
  more: boolean,
  id: number,
  payload: Bytes,
): Bytes {
  return cat(u8(nextHeader, 0), be16((fragOffset << 3) | (more ? 1 : 0)), be32(id), payload);
}

export function udp(sport: number, dport: number, payload: Bytes, length?: number): Bytes {
  return cat(be16(sport), be16(dport), be16(length ?? 8 + payload.length), be16(0), payload);
}

export interface TcpOptions {
  sport: number;
  dport: number;
  /** 9 bits: NS CWR ECE URG ACK PSH RST SYN FIN. */
  flags?: number;
  window?: number;
  seq?: number;
  ack?: number;
}

export function tcp(o: TcpOptions, payload: Bytes = []): Bytes {
  const flags = o.flags ?? 0;
  return cat(
    be16(o.sport),
    be16(o.dport),
    be32(o.seq ?? 1000),
    be32(o.ack ?? 0),
    u8((5 << 4) | ((flags >> 8) & 1), flags & 0xff),
    be16(o.window ?? 8192),
    be16(0),
    be16(0),
    payload,
  );
}

export function icmp(type: number, code: number, rest: Bytes, payload: Bytes = []): Bytes {
  return cat(u8(type, code), be16(0), rest, payload);
}

export function mplsLabel(label: number, tc: number, bottom: boolean, ttl: number): Bytes {
  return be32(((label << 12) | (tc << 9) | (bottom ? 0x100 : 0) | ttl) >>> 0);
}

export function vxlan(vni: number, payload: Bytes): Bytes {
  return cat(u8(0x08, 0, 0, 0), be24(vni), u8(0), payload);
}

/** GENEVE header; `options` must be a multiple of 4 bytes. */
export function geneve(vni: number, protocol: number, options: Bytes, payload: Bytes): Bytes {
  return cat(u8(options.length >> 2, 0), be16(protocol), be24(vni), u8(0), options, payload);
}

export interface BthOptions {
  opcode: number;
  se?: boolean;
  m?: boolean;
  padCnt?: number;
  tver?: number;
  pkey?: number;
  fecn?: boolean;
  becn?: boolean;
  destQp: number;
  ackReq?: boolean;
  psn: number;
}

/** RoCEv2 Base Transport Header (12 bytes) + extended headers/payload. */
export function bth(o: BthOptions, payload: Bytes = []): Bytes {
  return cat(
    u8(o.opcode, (o.se ? 0x80 : 0) | (o.m ? 0x40 : 0) | ((o.padCnt ?? 0) << 4) | (o.tver ?? 0)),
    be16(o.pkey ?? 0xffff),
    u8((o.fecn ? 0x80 : 0) | (o.becn ? 0x40 : 0)),
    be24(o.destQp),
    u8(o.ackReq ? 0x80 : 0),
    be24(o.psn),
    payload,
  );
}

/** RETH: 64-bit VA (as two 32-bit halves), R_Key, DMA length. */
export function reth(vaHigh: number, vaLow: number, rkey: number, dmaLen: number): Bytes {
  return cat(be32(vaHigh), be32(vaLow), be32(rkey), be32(dmaLen));
}
export function aeth(syndrome: number, msn: number): Bytes {
  return cat(u8(syndrome), be24(msn));
}
export function deth(qkey: number, srcQp: number): Bytes {
  return cat(be32(qkey), u8(0), be24(srcQp));
}

export const MAC_A = '02:00:00:00:00:0a';
export const MAC_B = '02:00:00:00:00:0b';

/** Copy into a Uint8Array placed at `pad` bytes inside a larger buffer of 0xEE filler. */
export function embed(bytes: Bytes, pad = 0, tail = 0): Uint8Array {
  const out = new Uint8Array(pad + bytes.length + tail).fill(0xee);
  out.set(bytes, pad);
  return out;
}
