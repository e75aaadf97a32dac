/**
 * Link layer -> IP -> UDP decoding of one captured frame, with IPv4/IPv6 fragment reassembly.
 *
 * All parsing works on absolute indices into the file buffer (`d`, `start`, `end`), so payloads are
 * zero-copy subarrays and skip offsets are file offsets. Every read is preceded by a bounds check
 * against `end` (the captured bytes of the frame); nothing here throws on malformed input.
 */
import { formatIPv4, formatIPv6 } from '../common/addr.js';
import { u16be, u32, u32be } from './bytes.js';
import type { CapturedDatagram, CaptureItem, CaptureSkip, ReadCaptureOptions, SkipReason } from './types.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Link types {@link PacketDecoder} understands. 12 and 14 are the BSD/OpenBSD DLT_RAW values that
 *  some old writers put in files instead of 101. */
export const SUPPORTED_LINKTYPES: readonly number[] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const MAX_LINK_TAGS = 8; // VLAN tags + LLC/SNAP headers followed before giving up
const MAX_MPLS_LABELS = 16;
const MAX_IPV6_EXT_HEADERS = 32;
const MAX_IP_DATAGRAM = 65535;

interface Piece {
  off: number;
  data: Buffer;
}

interface Reassembly {
  v6: boolean;
  src: string;
  dst: string;
  /** IPv4: protocol; IPv6: Next Header of the fragmentable part. */
  nh: number;
  pieces: Piece[];
  received: number;
  /** Total reassembled length, -1 until the last fragment is seen. */
  total: number;
  firstFrame: number;
  firstOffset: number;
  lastTs: number;
}

/**
 * Decodes frames into {@link CaptureItem}s pushed to `out`. One instance per capture file: it holds
 * the fragment reassembly state. Call {@link finish} at the end of the file.
 */
export class PacketDecoder {
  private readonly reasm = new Map<string, Reassembly>();
  private reasmBytes = 0;
  private readonly maxReassemblies: number;
  private readonly maxReassemblyBytes: number;
  private readonly timeoutMs: number;
  private readonly maxFragments: number;

  // per-frame context
  private frame = 0;
  private ts = 0;
  private le = true;
  private cut = false;
  private ifid: number | undefined = undefined;
  /** While decoding a reassembled buffer, skips report this file offset instead. */
  private offsetOverride = -1;

  constructor(
    private readonly out: CaptureItem[],
    opts: ReadCaptureOptions = {},
  ) {
    this.maxReassemblies = Math.max(1, opts.maxReassemblies ?? 1024);
    this.maxReassemblyBytes = Math.max(1, opts.maxReassemblyBytes ?? 16 * 1024 * 1024);
    this.timeoutMs = opts.reassemblyTimeoutMs ?? 30_000;
    this.maxFragments = Math.max(2, opts.maxFragmentsPerDatagram ?? 256);
  }

  /**
   * Decode one frame occupying `d[start, end)`.
   * @param le byte order of the capture's writer (only used by LINKTYPE_NULL)
   * @param cut the frame was captured short (snaplen) or the file ended inside it
   */
  decode(
    linktype: number,
    d: Buffer,
    start: number,
    end: number,
    frame: number,
    ts: number,
    le: boolean,
    cut: boolean,
    ifid?: number,
  ): undefined {
    this.frame = frame;
    this.ts = ts;
    this.le = le;
    this.cut = cut;
    this.ifid = ifid;
    this.offsetOverride = -1;
    if (this.timeoutMs > 0 && this.reasm.size > 0) this.expire();

    switch (linktype) {
      case LINKTYPE_ETHERNET:
        if (end - start < 14) return this.skip('truncated', start, 'ethernet header');
        return this.etherType(d, u16be(d, start + 12), start + 14, end, true);
      case LINKTYPE_LINUX_SLL:
        if (end - start < 16) return this.skip('truncated', start, 'linux sll header');
        return this.etherType(d, u16be(d, start + 14), start + 16, end, false);
      case LINKTYPE_LINUX_SLL2:
        if (end - start < 20) return this.skip('truncated', start, 'linux sll2 header');
        return this.etherType(d, u16be(d, start), start + 20, end, false);
      case LINKTYPE_RAW:
      case 12:
      case 14:
        return this.rawIp(d, start, end);
      case LINKTYPE_IPV4:
        return this.ipv4(d, start, end);
      case LINKTYPE_IPV6:
        return this.ipv6(d, start, end);
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP:
        return this.nullLoop(linktype, d, start, end);
      default:
        return this.skip('unsupported-linktype', start, `linktype ${linktype}`);
    }
  }

  /** Report every reassembly still incomplete (end of file). */
  finish(): undefined {
    for (const r of this.reasm.values()) {
      const total = r.total >= 0 ? String(r.total) : '?';
      this.push(
        r.firstFrame,
        'incomplete-fragments',
        r.firstOffset,
        `${r.received} of ${total} bytes in ${r.pieces.length} fragment(s) from ${r.src} to ${r.dst}`,
      );
    }
    this.reasm.clear();
    this.reasmBytes = 0;
  }

  // ---------------------------------------------------------------- link layer

  private etherType(d: Buffer, type: number, off: number, end: number, ethernet: boolean): undefined {
    for (let tags = 0; ; tags++) {
      if (type === ETHERTYPE_IPV4) return this.ipv4(d, off, end);
      if (type === ETHERTYPE_IPV6) return this.ipv6(d, off, end);
      if (tags >= MAX_LINK_TAGS) return this.skip('not-ip', off, 'too many VLAN/LLC headers');
      if (type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200 || type === 0x9300) {
        if (end - off < 4) return this.skip('truncated', off, 'vlan tag');
        type = u16be(d, off + 2);
        off += 4;
        continue;
      }
      if (type === 0x8847 || type === 0x8848) return this.mpls(d, off, end);
      if (type === 0x8864) {
        // PPPoE session: 6-byte PPPoE header, then the 2-byte PPP protocol.
        if (end - off < 8) return this.skip('truncated', off, 'pppoe header');
        const ppp = u16be(d, off + 6);
        if (ppp === 0x0021) return this.ipv4(d, off + 8, end);
        if (ppp === 0x0057) return this.ipv6(d, off + 8, end);
        return this.skip('not-ip', off, `ppp protocol 0x${hex(ppp, 4)}`);
      }
      // Ethernet: < 0x0600 is an 802.3 length followed by LLC. Linux SLL: 0x0004 means 802.2 LLC.
      if ((ethernet && type < 0x0600) || (!ethernet && type === 0x0004)) {
        if (end - off >= 8 && d[off] === 0xaa && d[off + 1] === 0xaa && d[off + 2] === 0x03) {
          if (d[off + 3] !== 0 || d[off + 4] !== 0 || d[off + 5] !== 0) {
            return this.skip('not-ip', off, 'llc/snap with non-zero oui');
          }
          type = u16be(d, off + 6);
          off += 8;
          continue;
        }
        return this.skip('not-ip', off, 'llc');
      }
      return this.skip('not-ip', off, `ethertype 0x${hex(type, 4)}`);
    }
  }

  private mpls(d: Buffer, off: number, end: number): undefined {
    for (let i = 0; i < MAX_MPLS_LABELS; i++) {
      if (end - off < 4) return this.skip('truncated', off, 'mpls label');
      const bottom = (d[off + 2]! & 0x01) !== 0;
      off += 4;
      if (bottom) {
        if (off >= end) return this.skip('truncated', off, 'mpls payload');
        const v = d[off]! >> 4;
        if (v === 4) return this.ipv4(d, off, end);
        if (v === 6) return this.ipv6(d, off, end);
        return this.skip('not-ip', off, 'mpls payload is not ip');
      }
    }
    return this.skip('not-ip', off, 'mpls label stack too deep');
  }

  private rawIp(d: Buffer, start: number, end: number): undefined {
    if (start >= end) return this.skip('truncated', start, 'empty frame');
    const v = d[start]! >> 4;
    if (v === 4) return this.ipv4(d, start, end);
    if (v === 6) return this.ipv6(d, start, end);
    return this.skip('bad-ip-header', start, `ip version ${v}`);
  }

  private nullLoop(linktype: number, d: Buffer, start: number, end: number): undefined {
    if (end - start < 4) return this.skip('truncated', start, 'null/loopback header');
    // NULL: address family in the capturing host's byte order (= the file's byte order);
    // LOOP: network byte order. Fall back to the other order for writers that got it wrong.
    const primaryLe = linktype === LINKTYPE_NULL ? this.le : false;
    let af = u32(d, start, primaryLe);
    if (!knownAf(af)) {
      const alt = u32(d, start, !primaryLe);
      if (knownAf(alt)) af = alt;
    }
    if (af === 2) return this.ipv4(d, start + 4, end);
    if (af === 24 || af === 28 || af === 30) return this.ipv6(d, start + 4, end);
    return this.skip('not-ip', start, `address family ${af}`);
  }

  // ---------------------------------------------------------------- IP

  private ipv4(d: Buffer, off: number, end: number): undefined {
    if (end - off < 20) return this.skip('truncated', off, 'ipv4 header');
    const vihl = d[off]!;
    if (vihl >> 4 !== 4) return this.skip('bad-ip-header', off, `ip version ${vihl >> 4} in ipv4 frame`);
    const ihl = (vihl & 0x0f) * 4;
    if (ihl < 20) return this.skip('bad-ip-header', off, `ipv4 header length ${ihl}`);
    if (end - off < ihl) return this.skip('truncated', off, 'ipv4 options');
    const totalLen = u16be(d, off + 2);
    let declEnd: number;
    if (totalLen === 0) {
      // Captured with TSO/GSO: the length was never filled in. Trust the capture.
      declEnd = this.cut ? off + MAX_IP_DATAGRAM : end;
    } else {
      if (totalLen < ihl) return this.skip('bad-ip-header', off, `ipv4 total length ${totalLen} < ${ihl}`);
      declEnd = off + totalLen;
    }
    const availEnd = Math.min(declEnd, end);
    const proto = d[off + 9]!;
    if (proto !== 17) return this.skip('not-udp', off, `ip protocol ${proto}`);
    const src = formatIPv4(d, off + 12);
    const dst = formatIPv4(d, off + 16);
    const frag = u16be(d, off + 6);
    const more = (frag & 0x2000) !== 0;
    const fragOff = (frag & 0x1fff) * 8;
    if (more || fragOff !== 0) {
      if (availEnd < declEnd) return this.skip('truncated-fragment', off, 'fragment captured short');
      const key = `4|${src}|${dst}|${u16be(d, off + 4)}|${proto}`;
      return this.fragment(false, key, src, dst, proto, fragOff, more, d.subarray(off + ihl, declEnd), off);
    }
    return this.udp(d, off + ihl, declEnd, availEnd, src, dst, false, 0);
  }

  private ipv6(d: Buffer, off: number, end: number): undefined {
    if (end - off < 40) return this.skip('truncated', off, 'ipv6 header');
    const v = d[off]! >> 4;
    if (v !== 6) return this.skip('bad-ip-header', off, `ip version ${v} in ipv6 frame`);
    const plen = u16be(d, off + 4);
    // Payload length 0: jumbogram (RFC 2675) or TSO capture; trust the capture.
    const declEnd = plen === 0 ? (this.cut ? off + 40 + MAX_IP_DATAGRAM : end) : off + 40 + plen;
    const availEnd = Math.min(declEnd, end);
    return this.ipv6Chain(d, d[off + 6]!, off + 40, declEnd, availEnd, off, null, null, 0);
  }

  /**
   * Walk IPv6 extension headers from `p` (Next Header `nh`) to UDP.
   * `ipOff` locates the fixed header for the addresses when `src`/`dst` are null.
   * `fragments` > 0 means `d` is a reassembled fragmentable part.
   */
  private ipv6Chain(
    d: Buffer,
    nh: number,
    p: number,
    declEnd: number,
    availEnd: number,
    ipOff: number,
    src: string | null,
    dst: string | null,
    fragments: number,
  ): undefined {
    for (let n = 0; ; n++) {
      if (nh === 17) {
        return this.udp(
          d,
          p,
          declEnd,
          availEnd,
          src ?? formatIPv6(d, ipOff + 8),
          dst ?? formatIPv6(d, ipOff + 24),
          true,
          fragments,
        );
      }
      if (n >= MAX_IPV6_EXT_HEADERS) return this.skip('bad-ip-header', p, 'too many ipv6 extension headers');
      switch (nh) {
        case 0: // hop-by-hop options
        case 43: // routing
        case 60: // destination options
        case 51: // authentication header (length in 4-byte units, minus 2)
        case 135: // mobility
        case 139: // HIP
        case 140: {
          // shim6
          if (availEnd - p < 2) return this.shortOrBad(p, availEnd, declEnd, 'ipv6 extension header');
          const len = nh === 51 ? (d[p + 1]! + 2) * 4 : (d[p + 1]! + 1) * 8;
          if (p + len > availEnd) return this.shortOrBad(p, availEnd, declEnd, 'ipv6 extension header');
          nh = d[p]!;
          p += len;
          continue;
        }
        case 44: {
          if (availEnd - p < 8) return this.shortOrBad(p, availEnd, declEnd, 'ipv6 fragment header');
          if (fragments > 0) return this.skip('bad-fragment', p, 'nested ipv6 fragment header');
          const next = d[p]!;
          const fo = u16be(d, p + 2);
          const fragOff = fo & 0xfff8;
          const more = (fo & 1) !== 0;
          const id = u32be(d, p + 4);
          p += 8;
          if (fragOff === 0 && !more) {
            nh = next; // atomic fragment (RFC 6946): not really fragmented
            continue;
          }
          if (!mayLeadToUdp(next)) return this.skip('not-udp', p, `ip protocol ${next} (fragment)`);
          if (availEnd < declEnd) return this.skip('truncated-fragment', ipOff, 'fragment captured short');
          const s = src ?? formatIPv6(d, ipOff + 8);
          const t = dst ?? formatIPv6(d, ipOff + 24);
          const key = `6|${s}|${t}|${id}|${next}`;
          return this.fragment(true, key, s, t, next, fragOff, more, d.subarray(p, declEnd), ipOff);
        }
        case 59:
          return this.skip('not-udp', p, 'ipv6 no next header');
        default:
          return this.skip('not-udp', p, `ip protocol ${nh}`);
      }
    }
  }

  private shortOrBad(p: number, availEnd: number, declEnd: number, what: string): undefined {
    return this.skip(availEnd < declEnd ? 'truncated' : 'bad-ip-header', p, what);
  }

  // ---------------------------------------------------------------- UDP

  private udp(
    d: Buffer,
    p: number,
    declEnd: number,
    availEnd: number,
    src: string,
    dst: string,
    v6: boolean,
    fragments: number,
  ): undefined {
    if (availEnd - p < 8) {
      return this.skip(availEnd < declEnd ? 'truncated' : 'bad-udp-length', p, 'udp header');
    }
    const srcPort = u16be(d, p);
    const dstPort = u16be(d, p + 2);
    let ulen = u16be(d, p + 4);
    if (ulen === 0 && v6) ulen = declEnd - p; // jumbogram (RFC 2675)
    if (ulen < 8) return this.skip('bad-udp-length', p, `udp length ${ulen}`);
    const udpEnd = p + ulen;
    if (udpEnd > declEnd) {
      return this.skip('bad-udp-length', p, `udp length ${ulen} > ip payload ${declEnd - p}`);
    }
    let payload: Buffer;
    let truncated = false;
    if (udpEnd > availEnd) {
      if (availEnd <= p + 8) return this.skip('truncated', p, 'no udp payload captured');
      payload = d.subarray(p + 8, availEnd);
      truncated = true;
    } else {
      payload = d.subarray(p + 8, udpEnd);
    }
    const dg: CapturedDatagram = {
      kind: 'datagram',
      frame: this.frame,
      timestamp: this.ts,
      srcAddr: src,
      srcPort,
      dstAddr: dst,
      dstPort,
      payload,
    };
    if (truncated) dg.truncated = true;
    if (fragments > 0) dg.fragments = fragments;
    if (this.ifid !== undefined) dg.interfaceId = this.ifid;
    this.out.push(dg);
  }

  // ---------------------------------------------------------------- fragments

  private fragment(
    v6: boolean,
    key: string,
    src: string,
    dst: string,
    nh: number,
    fragOff: number,
    more: boolean,
    data: Buffer,
    ipOff: number,
  ): undefined {
    const len = data.length;
    if (more && (len === 0 || len % 8 !== 0)) {
      return this.skip('bad-fragment', ipOff, `non-final fragment length ${len} is not a multiple of 8`);
    }
    const end = fragOff + len;
    if (end > MAX_IP_DATAGRAM) return this.skip('bad-fragment', ipOff, `fragment ends at ${end} > 65535`);

    let r = this.reasm.get(key);
    if (r) {
      if (!more && r.total >= 0 && r.total !== end) {
        return this.drop(key, r, ipOff, `conflicting last fragments (${r.total} vs ${end} bytes)`);
      }
      const total = more ? r.total : end;
      if (total >= 0 && end > total) return this.drop(key, r, ipOff, 'fragment beyond the last fragment');
      for (const p of r.pieces) {
        const pend = p.off + p.data.length;
        if (fragOff < pend && p.off < end) {
          if (p.off === fragOff && p.data.length === len) {
            return this.skip('duplicate-fragment', ipOff, `offset ${fragOff}, ${len} bytes`);
          }
          return this.drop(key, r, ipOff, `overlapping fragments at offset ${fragOff}`);
        }
        if (total >= 0 && pend > total) return this.drop(key, r, ipOff, 'fragment beyond the last fragment');
      }
      if (r.pieces.length >= this.maxFragments) {
        return this.drop(key, r, ipOff, `more than ${this.maxFragments} fragments`, 'bad-fragment');
      }
      r.total = total;
      // Keep the map in least-recently-active order for eviction and timeouts.
      this.reasm.delete(key);
      this.reasm.set(key, r);
    } else {
      r = {
        v6,
        src,
        dst,
        nh,
        pieces: [],
        received: 0,
        total: more ? -1 : end,
        firstFrame: this.frame,
        firstOffset: ipOff,
        lastTs: this.ts,
      };
      this.reasm.set(key, r);
    }
    r.pieces.push({ off: fragOff, data });
    r.received += len;
    r.lastTs = this.ts;
    this.reasmBytes += len;

    if (r.total >= 0 && r.received === r.total) {
      // No overlaps and nothing beyond total, so received === total means full coverage.
      this.reasm.delete(key);
      this.reasmBytes -= r.received;
      const buf = Buffer.allocUnsafe(r.total);
      for (const p of r.pieces) buf.set(p.data, p.off);
      const n = r.pieces.length;
      this.offsetOverride = ipOff;
      if (v6) this.ipv6Chain(buf, r.nh, 0, buf.length, buf.length, -1, src, dst, n);
      else this.udp(buf, 0, buf.length, buf.length, src, dst, false, n);
      this.offsetOverride = -1;
      return;
    }
    this.enforceLimits();
  }

  private drop(key: string, r: Reassembly, ipOff: number, why: string, reason?: SkipReason): undefined {
    this.reasm.delete(key);
    this.reasmBytes -= r.received;
    this.skip(
      reason ?? 'fragment-overlap',
      ipOff,
      `${why}; dropped datagram with ${r.pieces.length} earlier fragment(s) from frame ${r.firstFrame}`,
    );
  }

  private enforceLimits(): undefined {
    for (const [key, r] of this.reasm) {
      if (this.reasm.size <= this.maxReassemblies && this.reasmBytes <= this.maxReassemblyBytes) break;
      this.reasm.delete(key);
      this.reasmBytes -= r.received;
      this.push(
        r.firstFrame,
        'reassembly-evicted',
        r.firstOffset,
        `reassembly limits reached; ${r.pieces.length} fragment(s) dropped`,
      );
    }
  }

  private expire(): undefined {
    for (const [key, r] of this.reasm) {
      if (!(this.ts - r.lastTs > this.timeoutMs)) break;
      this.reasm.delete(key);
      this.reasmBytes -= r.received;
      this.push(
        r.firstFrame,
        'reassembly-timeout',
        r.firstOffset,
        `no fragment for ${Math.round(this.ts - r.lastTs)} ms; ${r.pieces.length} fragment(s) dropped`,
      );
    }
  }

  // ---------------------------------------------------------------- output

  private skip(reason: SkipReason, offset: number, detail?: string): undefined {
    this.push(this.frame, reason, this.offsetOverride >= 0 ? this.offsetOverride : offset, detail);
  }

  private push(frame: number, reason: SkipReason, offset: number, detail?: string): undefined {
    const s: CaptureSkip = { kind: 'skip', frame, reason, offset };
    if (detail !== undefined) s.detail = detail;
    this.out.push(s);
  }
}

function knownAf(af: number): boolean {
  return af === 2 || af === 24 || af === 28 || af === 30;
}

/** Next Header values that can precede UDP in an IPv6 fragmentable part. */
function mayLeadToUdp(nh: number): boolean {
  return (
    nh === 17 || nh === 60 || nh === 43 || nh === 51 || nh === 0 || nh === 135 || nh === 139 || nh === 140
  );
}

export function hex(v: number, width: number): string {
  return v.toString(16).padStart(width, '0');
}
