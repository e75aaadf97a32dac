/**
 * Capture writers for tests, replay fixtures and benchmarks: UDP datagrams -> IPv4/IPv6 packets
 * (correct IP and UDP checksums, optional fragmentation) -> link-layer frames -> pcap or pcapng.
 *
 * Unlike the readers, these throw (RangeError) on invalid input such as a bad address.
 */
import { parseIpAddress } from './bytes.js';

export interface PcapFrame {
  /** ms since the epoch (float). */
  timestamp: number;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  payload: Uint8Array;
}

export type LinkTypeName = 'ethernet' | 'raw' | 'sll' | 'sll2' | 'null' | 'loop' | 'ipv4' | 'ipv6';

export const LINKTYPE_NUMBERS: Readonly<Record<LinkTypeName, number>> = {
  null: 0,
  ethernet: 1,
  raw: 101,
  loop: 108,
  sll: 113,
  ipv4: 228,
  ipv6: 229,
  sll2: 276,
};

export interface IpPacketOptions {
  /** IPv4 identification / IPv6 fragment identification (default 1). */
  ipId?: number;
  ttl?: number;
  /** IPv4 options bytes (padded with zeros to a multiple of 4, at most 40). */
  ipv4Options?: Uint8Array;
  /** IPv6 extension headers to insert before UDP, by type: 0, 43, 60 (8 bytes each) or 51 (AH, 16). */
  ipv6ExtHeaders?: number[];
  /** Write this UDP checksum instead of the computed one (0 = none, allowed for IPv4). */
  udpChecksum?: number;
}

export interface WriteOptions extends IpPacketOptions {
  /** pcap: nanosecond-resolution magic 0xa1b23c4d. */
  nanosecond?: boolean;
  linktype?: LinkTypeName;
  /** 802.1Q tag(s), outermost first. Several tags: outer TPID 0x88a8, inner 0x8100. Ethernet and
   *  SLL/SLL2 (as protocol 0x8100 followed by the tag). */
  vlan?: number | number[];
  /** Write the file in big-endian byte order (pcap header/records, pcapng section). */
  bigEndian?: boolean;
  /** Cut each record to this many bytes (original length is kept), as a capture snaplen would. */
  snaplen?: number;
  /** Fragment IP packets larger than this MTU (IP packet size, >= 68 IPv4 / >= 1280 IPv6 is
   *  realistic; any value leaving >= 8 payload bytes per fragment works). */
  mtu?: number;
}

export interface PcapngWriteOptions extends Omit<WriteOptions, 'nanosecond'> {
  /** Raw if_tsresol byte (default: option omitted = microseconds). 9 = ns, 0x80 | n = 2^-n s. */
  tsresol?: number;
}

/** Write a classic pcap file holding one frame per datagram (more if fragmented). */
export function writePcap(frames: PcapFrame[], opts: WriteOptions = {}): Buffer {
  const lt = opts.linktype ?? 'ethernet';
  const records: PcapRecord[] = [];
  for (const f of frames) {
    for (const pkt of buildIpPackets(f, opts)) {
      records.push({ timestamp: f.timestamp, data: encapsulate(pkt, lt, opts) });
    }
  }
  return writePcapRecords(records, {
    linktype: LINKTYPE_NUMBERS[lt],
    nanosecond: opts.nanosecond ?? false,
    bigEndian: opts.bigEndian ?? false,
    snaplen: opts.snaplen ?? 0,
  });
}

/** Write a pcapng file: one section, one interface, one EPB per frame (more if fragmented). */
export function writePcapng(frames: PcapFrame[], opts: PcapngWriteOptions = {}): Buffer {
  const lt = opts.linktype ?? 'ethernet';
  const be = opts.bigEndian ?? false;
  const blocks: Buffer[] = [pcapngSectionHeader(be)];
  blocks.push(
    pcapngInterface(LINKTYPE_NUMBERS[lt], {
      bigEndian: be,
      snaplen: opts.snaplen ?? 0,
      ...(opts.tsresol !== undefined ? { tsresol: opts.tsresol } : {}),
    }),
  );
  const res = opts.tsresol ?? 6;
  for (const f of frames) {
    for (const pkt of buildIpPackets(f, opts)) {
      const frame = encapsulate(pkt, lt, opts);
      const cap = opts.snaplen && opts.snaplen < frame.length ? frame.subarray(0, opts.snaplen) : frame;
      blocks.push(pcapngEnhancedPacket(0, msToTicks(f.timestamp, res), cap, frame.length, be));
    }
  }
  return Buffer.concat(blocks);
}

// ------------------------------------------------------------------ IP / UDP

/** The IP packet(s) for one datagram: one, or several fragments when `opts.mtu` requires it. */
export function buildIpPackets(f: PcapFrame, opts: WriteOptions = {}): Buffer[] {
  const pkt = buildUdpIpPacket(f, opts);
  if (opts.mtu !== undefined && pkt.length > opts.mtu) return fragmentIpPacket(pkt, opts.mtu, opts.ipId ?? 1);
  return [pkt];
}

/** An IPv4 or IPv6 packet (family chosen by the addresses) carrying one UDP datagram. */
export function buildUdpIpPacket(f: PcapFrame, opts: IpPacketOptions = {}): Buffer {
  const src = parseIpAddress(f.srcAddr);
  const dst = parseIpAddress(f.dstAddr);
  if (!src) throw new RangeError(`bad source address ${f.srcAddr}`);
  if (!dst) throw new RangeError(`bad destination address ${f.dstAddr}`);
  if (src.version !== dst.version) throw new RangeError('source and destination address families differ');
  checkPort(f.srcPort);
  checkPort(f.dstPort);
  const udpLen = 8 + f.payload.length;
  if (udpLen > 65535) throw new RangeError(`payload of ${f.payload.length} bytes does not fit in UDP`);
  const udp = Buffer.alloc(udpLen);
  udp.writeUInt16BE(f.srcPort, 0);
  udp.writeUInt16BE(f.dstPort, 2);
  udp.writeUInt16BE(udpLen, 4);
  udp.set(f.payload, 8);
  const ck = udpChecksum(src.bytes, dst.bytes, udp);
  udp.writeUInt16BE(opts.udpChecksum ?? ck, 6);

  if (src.version === 4) {
    const optLen = opts.ipv4Options ? (opts.ipv4Options.length + 3) & ~3 : 0;
    if (optLen > 40) throw new RangeError('ipv4 options longer than 40 bytes');
    const ihl = 20 + optLen;
    const total = ihl + udpLen;
    if (total > 65535) throw new RangeError(`payload of ${f.payload.length} bytes does not fit in IPv4`);
    const ip = Buffer.alloc(total);
    ip[0] = 0x40 | (ihl / 4);
    ip.writeUInt16BE(total, 2);
    ip.writeUInt16BE((opts.ipId ?? 1) & 0xffff, 4);
    ip[8] = opts.ttl ?? 64;
    ip[9] = 17;
    ip.set(src.bytes, 12);
    ip.set(dst.bytes, 16);
    if (opts.ipv4Options) ip.set(opts.ipv4Options, 20);
    ip.writeUInt16BE(internetChecksum(ip.subarray(0, ihl)), 10);
    ip.set(udp, ihl);
    return ip;
  }

  const ext: Buffer[] = [];
  const types = opts.ipv6ExtHeaders ?? [];
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    const next = i + 1 < types.length ? types[i + 1]! : 17;
    if (t === 51) {
      // AH: 12-byte fixed part + 4-byte ICV; length field = (16 / 4) - 2
      const h = Buffer.alloc(16);
      h[0] = next;
      h[1] = 2;
      h.writeUInt32BE(0x100, 4); // SPI
      h.writeUInt32BE(1, 8); // sequence
      ext.push(h);
    } else if (t === 0 || t === 60 || t === 43) {
      const h = Buffer.alloc(8);
      h[0] = next;
      h[1] = 0;
      if (t === 43) {
        h[2] = 4; // routing type 4 (segment routing header), segments left 0
      } else {
        h[2] = 1; // PadN option covering the remaining 4 bytes
        h[3] = 4;
      }
      ext.push(h);
    } else {
      throw new RangeError(`unsupported ipv6 extension header ${t} in writer`);
    }
  }
  const extBuf = Buffer.concat(ext);
  const plen = extBuf.length + udpLen;
  if (plen > 65535) throw new RangeError(`payload of ${f.payload.length} bytes does not fit in IPv6`);
  const ip = Buffer.alloc(40 + plen);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(plen, 4);
  ip[6] = types.length > 0 ? types[0]! : 17;
  ip[7] = opts.ttl ?? 64;
  ip.set(src.bytes, 8);
  ip.set(dst.bytes, 24);
  ip.set(extBuf, 40);
  ip.set(udp, 40 + extBuf.length);
  return ip;
}

/**
 * Split an IPv4 or IPv6 packet into fragments of at most `mtu` bytes. IPv6: the Fragment header is
 * inserted right after the fixed header (extension headers of the original, if any, become part of
 * the fragmentable part). Returns the fragments in order.
 */
export function fragmentIpPacket(packet: Uint8Array, mtu: number, id = 1): Buffer[] {
  const p = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  const v = p[0]! >> 4;
  const out: Buffer[] = [];
  if (v === 4) {
    const ihl = (p[0]! & 0x0f) * 4;
    const body = p.subarray(ihl);
    const chunk = Math.floor((mtu - ihl) / 8) * 8;
    if (chunk < 8) throw new RangeError(`mtu ${mtu} too small`);
    for (let off = 0; off < body.length; off += chunk) {
      const part = body.subarray(off, Math.min(body.length, off + chunk));
      const more = off + part.length < body.length;
      const f = Buffer.alloc(ihl + part.length);
      p.copy(f, 0, 0, ihl);
      f.writeUInt16BE(ihl + part.length, 2);
      f.writeUInt16BE(id & 0xffff, 4);
      f.writeUInt16BE((more ? 0x2000 : 0) | (off / 8), 6);
      f.writeUInt16BE(0, 10);
      f.writeUInt16BE(internetChecksum(f.subarray(0, ihl)), 10);
      part.copy(f, ihl);
      out.push(f);
    }
    return out;
  }
  if (v === 6) {
    const body = p.subarray(40);
    const chunk = Math.floor((mtu - 48) / 8) * 8;
    if (chunk < 8) throw new RangeError(`mtu ${mtu} too small`);
    for (let off = 0; off < body.length; off += chunk) {
      const part = body.subarray(off, Math.min(body.length, off + chunk));
      const more = off + part.length < body.length;
      const f = Buffer.alloc(48 + part.length);
      p.copy(f, 0, 0, 40);
      f.writeUInt16BE(8 + part.length, 4);
      f[6] = 44;
      f[40] = p[6]!;
      f[41] = 0;
      f.writeUInt16BE(off | (more ? 1 : 0), 42);
      f.writeUInt32BE(id >>> 0, 44);
      part.copy(f, 48);
      out.push(f);
    }
    return out;
  }
  throw new RangeError(`not an IP packet (version ${v})`);
}

/** Wrap an IP packet in the link-layer header of `linktype`. */
export function encapsulate(
  ipPacket: Uint8Array,
  linktype: LinkTypeName,
  opts: { vlan?: number | number[]; bigEndian?: boolean } = {},
): Buffer {
  const v = ipPacket[0]! >> 4;
  const etherType = v === 6 ? 0x86dd : 0x0800;
  const tags = opts.vlan === undefined ? [] : Array.isArray(opts.vlan) ? opts.vlan : [opts.vlan];
  // Each tag: TCI, then the type that follows (the first TPID is in the link header itself).
  const tagBytes = (): Buffer => {
    const b = Buffer.alloc(tags.length * 4);
    for (let i = 0; i < tags.length; i++) {
      b.writeUInt16BE(tags[i]! & 0x0fff, i * 4);
      b.writeUInt16BE(i + 1 < tags.length ? 0x8100 : etherType, i * 4 + 2);
    }
    return b;
  };
  const outerType = tags.length === 0 ? etherType : tags.length > 1 ? 0x88a8 : 0x8100;
  switch (linktype) {
    case 'ethernet': {
      const h = Buffer.alloc(14);
      h.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], 0);
      h.writeUInt16BE(outerType, 12);
      return Buffer.concat([h, tagBytes(), ipPacket]);
    }
    case 'sll': {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(0, 0); // packet type: to us
      h.writeUInt16BE(1, 2); // ARPHRD_ETHER
      h.writeUInt16BE(6, 4);
      h.set([0x02, 0, 0, 0, 0, 0x01], 6);
      h.writeUInt16BE(outerType, 14);
      return Buffer.concat([h, tagBytes(), ipPacket]);
    }
    case 'sll2': {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(outerType, 0);
      h.writeUInt32BE(1, 4); // interface index
      h.writeUInt16BE(1, 8); // ARPHRD_ETHER
      h[10] = 0;
      h[11] = 6;
      h.set([0x02, 0, 0, 0, 0, 0x01], 12);
      return Buffer.concat([h, tagBytes(), ipPacket]);
    }
    case 'null': {
      const h = Buffer.alloc(4);
      const af = v === 6 ? 30 : 2;
      if (opts.bigEndian) h.writeUInt32BE(af, 0);
      else h.writeUInt32LE(af, 0);
      return Buffer.concat([h, ipPacket]);
    }
    case 'loop': {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(v === 6 ? 30 : 2, 0);
      return Buffer.concat([h, ipPacket]);
    }
    case 'raw':
    case 'ipv4':
    case 'ipv6':
      return Buffer.from(ipPacket);
  }
}

// ------------------------------------------------------------------ pcap

export interface PcapRecord {
  timestamp: number;
  data: Uint8Array;
  /** Original length (default: data.length). */
  origLen?: number;
}

/** Write a classic pcap file from link-layer frames. */
export function writePcapRecords(
  records: PcapRecord[],
  opts: { linktype: number; nanosecond?: boolean; bigEndian?: boolean; snaplen?: number },
): Buffer {
  const be = opts.bigEndian ?? false;
  const nano = opts.nanosecond ?? false;
  const snap = opts.snaplen ?? 0;
  const parts: Buffer[] = [];
  const hdr = Buffer.alloc(24);
  w32(hdr, 0, nano ? 0xa1b23c4d : 0xa1b2c3d4, be);
  w16(hdr, 4, 2, be);
  w16(hdr, 6, 4, be);
  w32(hdr, 16, snap > 0 ? snap : 262144, be);
  w32(hdr, 20, opts.linktype, be);
  parts.push(hdr);
  for (const r of records) {
    const data = snap > 0 && r.data.length > snap ? r.data.subarray(0, snap) : r.data;
    const { sec, frac } = splitTimestamp(r.timestamp, nano ? 1e9 : 1e6);
    const rh = Buffer.alloc(16);
    w32(rh, 0, sec, be);
    w32(rh, 4, frac, be);
    w32(rh, 8, data.length, be);
    w32(rh, 12, r.origLen ?? r.data.length, be);
    parts.push(rh, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return Buffer.concat(parts);
}

// ------------------------------------------------------------------ pcapng blocks

/** One pcapng block: type, length, body padded to 4 bytes, length. */
export function pcapngBlock(type: number, body: Uint8Array, bigEndian = false): Buffer {
  const padded = (body.length + 3) & ~3;
  const b = Buffer.alloc(12 + padded);
  w32(b, 0, type, bigEndian);
  w32(b, 4, b.length, bigEndian);
  b.set(body, 8);
  w32(b, b.length - 4, b.length, bigEndian);
  return b;
}

/** Encode pcapng options (code, value) followed by opt_endofopt. */
export function pcapngOptions(options: { code: number; value: Uint8Array }[], bigEndian = false): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const o of options) {
    const h = Buffer.alloc(4 + ((o.value.length + 3) & ~3));
    w16(h, 0, o.code, bigEndian);
    w16(h, 2, o.value.length, bigEndian);
    h.set(o.value, 4);
    parts.push(h);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

export function pcapngSectionHeader(bigEndian = false, version: [number, number] = [1, 0]): Buffer {
  const body = Buffer.alloc(16);
  w32(body, 0, 0x1a2b3c4d, bigEndian);
  w16(body, 4, version[0], bigEndian);
  w16(body, 6, version[1], bigEndian);
  body.writeInt32BE(-1, 8); // section length unknown (all ones in either order)
  body.writeInt32BE(-1, 12);
  return pcapngBlock(0x0a0d0d0a, body, bigEndian);
}

export function pcapngInterface(
  linktype: number,
  opts: { bigEndian?: boolean; snaplen?: number; tsresol?: number; tsoffsetSeconds?: number } = {},
): Buffer {
  const be = opts.bigEndian ?? false;
  const fixed = Buffer.alloc(8);
  w16(fixed, 0, linktype, be);
  w32(fixed, 4, opts.snaplen ?? 0, be);
  const options: { code: number; value: Uint8Array }[] = [];
  if (opts.tsresol !== undefined) options.push({ code: 9, value: Uint8Array.of(opts.tsresol) });
  if (opts.tsoffsetSeconds !== undefined) {
    const v = Buffer.alloc(8);
    if (be) v.writeBigInt64BE(BigInt(opts.tsoffsetSeconds));
    else v.writeBigInt64LE(BigInt(opts.tsoffsetSeconds));
    options.push({ code: 14, value: v });
  }
  return pcapngBlock(1, Buffer.concat([fixed, pcapngOptions(options, be)]), be);
}

/** Enhanced Packet Block. `ticks` are in the interface's timestamp resolution. */
export function pcapngEnhancedPacket(
  interfaceId: number,
  ticks: bigint,
  data: Uint8Array,
  origLen = data.length,
  bigEndian = false,
): Buffer {
  const fixed = Buffer.alloc(20);
  w32(fixed, 0, interfaceId, bigEndian);
  w32(fixed, 4, Number((ticks >> 32n) & 0xffffffffn), bigEndian);
  w32(fixed, 8, Number(ticks & 0xffffffffn), bigEndian);
  w32(fixed, 12, data.length, bigEndian);
  w32(fixed, 16, origLen, bigEndian);
  return pcapngBlock(6, Buffer.concat([fixed, data]), bigEndian);
}

/** Simple Packet Block (interface 0, no timestamp). */
export function pcapngSimplePacket(data: Uint8Array, origLen = data.length, bigEndian = false): Buffer {
  const fixed = Buffer.alloc(4);
  w32(fixed, 0, origLen, bigEndian);
  return pcapngBlock(3, Buffer.concat([fixed, data]), bigEndian);
}

/** Obsolete Packet Block (type 2). */
export function pcapngObsoletePacket(
  interfaceId: number,
  ticks: bigint,
  data: Uint8Array,
  origLen = data.length,
  bigEndian = false,
): Buffer {
  const fixed = Buffer.alloc(20);
  w16(fixed, 0, interfaceId, bigEndian);
  w16(fixed, 2, 0, bigEndian); // drops count
  w32(fixed, 4, Number((ticks >> 32n) & 0xffffffffn), bigEndian);
  w32(fixed, 8, Number(ticks & 0xffffffffn), bigEndian);
  w32(fixed, 12, data.length, bigEndian);
  w32(fixed, 16, origLen, bigEndian);
  return pcapngBlock(2, Buffer.concat([fixed, data]), bigEndian);
}

/** ms since epoch -> ticks for a raw if_tsresol byte (6 = µs). */
export function msToTicks(ms: number, tsresol = 6): bigint {
  const unitsPerSec = tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
  const sec = Math.floor(ms / 1000);
  const fracSec = (ms - sec * 1000) / 1000;
  return BigInt(sec) * unitsPerSec + BigInt(Math.round(fracSec * Number(unitsPerSec)));
}

// ------------------------------------------------------------------ checksums & helpers

/** RFC 1071 Internet checksum of `data` (plus an optional initial partial sum). */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = data.length;
  for (let i = 0; i + 1 < n; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (n % 2 === 1) sum += data[n - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** UDP checksum with the IPv4 or IPv6 pseudo-header (0 is sent as 0xffff). */
export function udpChecksum(src: Uint8Array, dst: Uint8Array, udp: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < src.length; i += 2) sum += (src[i]! << 8) | src[i + 1]!;
  for (let i = 0; i < dst.length; i += 2) sum += (dst[i]! << 8) | dst[i + 1]!;
  sum += 17 + udp.length; // protocol + UDP length (upper-layer packet length for IPv6)
  // the checksum field itself counts as zero
  let body = 0;
  for (let i = 0; i + 1 < udp.length; i += 2) body += i === 6 ? 0 : (udp[i]! << 8) | udp[i + 1]!;
  if (udp.length % 2 === 1) body += udp[udp.length - 1]! << 8;
  const ck = internetChecksum(new Uint8Array(0), sum + body);
  return ck === 0 ? 0xffff : ck;
}

function splitTimestamp(ms: number, unitsPerSec: number): { sec: number; frac: number } {
  let sec = Math.floor(ms / 1000);
  let frac = Math.round(((ms - sec * 1000) / 1000) * unitsPerSec);
  if (frac >= unitsPerSec) {
    sec += 1;
    frac -= unitsPerSec;
  }
  return { sec: sec >>> 0, frac };
}

function checkPort(p: number): void {
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new RangeError(`bad port ${p}`);
}

function w16(b: Buffer, o: number, v: number, be: boolean): void {
  if (be) b.writeUInt16BE(v, o);
  else b.writeUInt16LE(v, o);
}

function w32(b: Buffer, o: number, v: number, be: boolean): void {
  if (be) b.writeUInt32BE(v >>> 0, o);
  else b.writeUInt32LE(v >>> 0, o);
}
