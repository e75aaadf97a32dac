/**
 * Capture file input: classic pcap (both byte orders, µs/ns, Kuznetzov "modified" pcap), pcapng
 * (any number of sections in either byte order, multiple interfaces, EPB/SPB/obsolete PB), optionally
 * gzip-compressed, or a raw file holding one UDP payload.
 *
 * Never throws on malformed input: problems are reported as {@link CaptureSkip} items and reading
 * continues where the format allows it. Every loop advances through the buffer, so reading ends.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { u16, u32 } from './bytes.js';
import { PacketDecoder } from './packet.js';
import type {
  CaptureFormat,
  CaptureItem,
  CaptureSkip,
  CaptureSummary,
  ReadCaptureOptions,
  SkipReason,
} from './types.js';

export type {
  CapturedDatagram,
  CaptureFormat,
  CaptureItem,
  CaptureSkip,
  CaptureSummary,
  ReadCaptureOptions,
  SkipReason,
} from './types.js';

/** Largest decompressed size accepted for a gzip-compressed capture. */
const MAX_GUNZIP_BYTES = 1024 * 1024 * 1024;

/** File name endings that promise a capture; such a file with no capture magic is not a payload. */
const CAPTURE_EXTENSIONS = /\.(pcap|pcapng|cap|ntar|dmp|pcap\.gz|pcapng\.gz)$/i;

export type DetectedFileFormat = CaptureFormat | 'gzip';

/** Identify the container from the first bytes. Anything unrecognised is 'raw'. */
export function detectCaptureFormat(data: Uint8Array): DetectedFileFormat {
  if (data.length >= 4) {
    const m = u32(data, 0, false);
    if (
      m === 0xa1b2c3d4 ||
      m === 0xd4c3b2a1 ||
      m === 0xa1b23c4d ||
      m === 0x4d3cb2a1 ||
      m === 0xa1b2cd34 ||
      m === 0x34cdb2a1
    ) {
      return 'pcap';
    }
    if (m === 0x0a0d0d0a) return 'pcapng';
  }
  if (data.length >= 3 && data[0] === 0x1f && data[1] === 0x8b && data[2] === 0x08) return 'gzip';
  return 'raw';
}

/**
 * Read every UDP datagram from a capture (or the single payload of a raw file).
 *
 * Yields datagrams and skips in file order, except that a datagram reassembled from IP fragments is
 * yielded at the fragment that completes it, fragments held for reassembly yield nothing, and
 * reassemblies still incomplete at the end are reported as skips after the last frame.
 *
 * The generator's return value is a {@link CaptureSummary}.
 *
 * @param fileName used only to refuse to treat a corrupt `.pcap`/`.pcapng`/`.cap` file as a raw
 *   payload (it yields an 'unrecognized-capture-magic' skip instead).
 */
export function* readCapture(
  data: Uint8Array,
  fileName = '',
  options: ReadCaptureOptions = {},
): Generator<CaptureItem, CaptureSummary, undefined> {
  let buf = toBuffer(data);
  const summary: CaptureSummary = {
    format: 'raw',
    gzip: false,
    frames: 0,
    datagrams: 0,
    skips: 0,
    linktypes: [],
  };
  const count = (item: CaptureItem): CaptureItem => {
    if (item.kind === 'datagram') summary.datagrams++;
    else summary.skips++;
    return item;
  };

  let fmt = detectCaptureFormat(buf);
  if (fmt === 'gzip') {
    summary.gzip = true;
    let inflated: Buffer | null = null;
    let why = '';
    try {
      inflated = gunzipSync(buf, { maxOutputLength: MAX_GUNZIP_BYTES });
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    if (inflated === null) {
      yield count(fileSkip('bad-gzip', 0, why));
      return summary;
    }
    buf = inflated;
    fmt = detectCaptureFormat(buf);
    if (fmt !== 'pcap' && fmt !== 'pcapng') {
      yield count(fileSkip('unrecognized-capture-magic', 0, 'gzip content is not a pcap or pcapng capture'));
      return summary;
    }
  }

  if (fmt === 'raw') {
    if (CAPTURE_EXTENSIONS.test(fileName)) {
      const magic = buf.subarray(0, 4).toString('hex');
      yield count(
        fileSkip('unrecognized-capture-magic', 0, `no pcap/pcapng magic (starts ${magic || 'empty'})`),
      );
      return summary;
    }
    if (buf.length === 0) {
      yield count(fileSkip('empty-file', 0));
      return summary;
    }
    summary.frames = 1;
    yield count({
      kind: 'datagram',
      frame: 1,
      timestamp: 0,
      srcAddr: '',
      srcPort: 0,
      dstAddr: '',
      dstPort: 0,
      payload: buf,
    });
    return summary;
  }

  summary.format = fmt;
  const out: CaptureItem[] = [];
  const decoder = new PacketDecoder(out, options);
  const frames =
    fmt === 'pcap' ? readPcap(buf, decoder, out, summary) : readPcapng(buf, decoder, out, summary);
  for (const item of frames) yield count(item);
  decoder.finish();
  for (const item of out) yield count(item);
  out.length = 0;
  return summary;
}

/** Everything read from one capture file. */
export interface CaptureFileResult extends CaptureSummary {
  path: string;
  datagrams: number;
  items: CaptureItem[];
}

/** Read a capture file fully. Rejects only when the file cannot be read (I/O error). */
export async function readCaptureFile(
  path: string,
  options: ReadCaptureOptions = {},
): Promise<CaptureFileResult> {
  const data = await readFile(path);
  return collectCapture(data, path, options);
}

/** Run {@link readCapture} to the end, collecting the items and the summary. */
export function collectCapture(
  data: Uint8Array,
  fileName = '',
  options: ReadCaptureOptions = {},
): CaptureFileResult {
  const items: CaptureItem[] = [];
  const it = readCapture(data, fileName, options);
  for (;;) {
    const r = it.next();
    if (r.done) return { ...r.value, path: fileName, items };
    items.push(r.value);
  }
}

// ------------------------------------------------------------------ classic pcap

function* readPcap(
  d: Buffer,
  decoder: PacketDecoder,
  out: CaptureItem[],
  summary: CaptureSummary,
): Generator<CaptureItem, void, undefined> {
  const magicBe = u32(d, 0, false);
  const le = magicBe === 0xd4c3b2a1 || magicBe === 0x4d3cb2a1 || magicBe === 0x34cdb2a1;
  const m = u32(d, 0, le);
  const nano = m === 0xa1b23c4d;
  const recHdr = m === 0xa1b2cd34 ? 24 : 16; // "modified" pcap adds ifindex, protocol, pkt_type
  if (d.length < 24) {
    yield fileSkip('truncated-file-header', 0, `${d.length} of 24 bytes`);
    return;
  }
  // Lower 16 bits: link type; upper bits: FCS length information (ignored, IP lengths bound us).
  const linktype = u32(d, 20, le) & 0xffff;
  summary.linktypes.push(linktype);
  const fracDiv = nano ? 1e6 : 1e3;

  let off = 24;
  let frame = 0;
  while (off < d.length) {
    if (d.length - off < recHdr) {
      yield fileSkip('truncated-record', off, `record header cut after ${d.length - off} bytes`);
      return;
    }
    const sec = u32(d, off, le);
    const frac = u32(d, off + 4, le);
    const incl = u32(d, off + 8, le);
    const orig = u32(d, off + 12, le);
    frame++;
    summary.frames = frame;
    const start = off + recHdr;
    const avail = d.length - start;
    const capLen = Math.min(incl, avail);
    decoder.decode(
      linktype,
      d,
      start,
      start + capLen,
      frame,
      sec * 1000 + frac / fracDiv,
      le,
      capLen < incl || orig > incl,
    );
    for (const item of out) yield item;
    out.length = 0;
    if (capLen < incl) {
      yield {
        kind: 'skip',
        frame,
        reason: 'truncated-record',
        offset: off,
        detail: `file ends after ${capLen} of ${incl} bytes`,
      };
    }
    off = start + incl; // beyond d.length when the file is cut short: the loop ends
  }
}

// ------------------------------------------------------------------ pcapng

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 1;
const BT_PB = 2; // obsolete Packet Block
const BT_SPB = 3;
const BT_EPB = 6;
const SHB_BYTES = Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]);

interface Interface {
  linktype: number;
  snaplen: number;
  /** ms = ticks / tickDiv * tickMul + offsetMs */
  tickDiv: number;
  tickMul: number;
  offsetMs: number;
}

interface Section {
  le: boolean;
  /** false for a major version this reader does not understand: its blocks are skipped. */
  readable: boolean;
  interfaces: Interface[];
}

function* readPcapng(
  d: Buffer,
  decoder: PacketDecoder,
  out: CaptureItem[],
  summary: CaptureSummary,
): Generator<CaptureItem, void, undefined> {
  let section: Section | null = null;
  let off = 0;
  let frame = 0;
  const len = d.length;

  while (off < len) {
    if (len - off < 12) {
      yield fileSkip('truncated-block', off, `${len - off} trailing bytes`);
      return;
    }
    const isShb = d[off] === 0x0a && d[off + 1] === 0x0d && d[off + 2] === 0x0d && d[off + 3] === 0x0a;
    let le: boolean;
    if (isShb) {
      const bom = u32(d, off + 8, false);
      if (bom === 0x1a2b3c4d) le = false;
      else if (bom === 0x4d3c2b1a) le = true;
      else {
        yield fileSkip('bad-section-header', off, `byte-order magic 0x${bom.toString(16)}`);
        const next = resync(d, off + 4);
        if (next < 0) return;
        off = next;
        continue;
      }
    } else if (section === null) {
      yield fileSkip('bad-section-header', off, 'block outside a section');
      const next = resync(d, off + 4);
      if (next < 0) return;
      off = next;
      continue;
    } else {
      le = section.le;
    }

    const type = isShb ? BT_SHB : u32(d, off, le);
    const blen = u32(d, off + 4, le);
    if (blen < 12 || blen % 4 !== 0 || (isShb && blen < 28)) {
      yield fileSkip('bad-block-length', off, `block type 0x${type.toString(16)} length ${blen}`);
      const next = resync(d, off + 4);
      if (next < 0) return;
      off = next;
      continue;
    }

    if (off + blen > len) {
      // Last block cut short. Salvage the packet if its fixed header is there.
      if (section?.readable && !isShb && (type === BT_EPB || type === BT_PB || type === BT_SPB)) {
        frame++;
        summary.frames = frame;
        packetBlock(d, off, len - off + 4, type, section, frame, decoder, out, true);
        for (const item of out) yield item;
        out.length = 0;
        yield {
          kind: 'skip',
          frame,
          reason: 'truncated-block',
          offset: off,
          detail: `file ends inside the block: ${len - off} of ${blen} bytes`,
        };
      } else {
        yield fileSkip(
          'truncated-block',
          off,
          `block type 0x${type.toString(16)} needs ${blen} bytes, ${len - off} left`,
        );
      }
      return;
    }

    if (u32(d, off + blen - 4, le) !== blen) {
      yield fileSkip('block-length-mismatch', off, `leading ${blen}, trailing ${u32(d, off + blen - 4, le)}`);
      off += blen;
      continue;
    }

    if (isShb) {
      const major = u16(d, off + 12, le);
      const minor = u16(d, off + 14, le);
      section = { le, readable: major === 1, interfaces: [] };
      if (major !== 1) {
        yield fileSkip('unsupported-pcapng-version', off, `version ${major}.${minor}; section skipped`);
      }
    } else if (section?.readable) {
      if (type === BT_IDB) {
        if (blen < 20) {
          yield fileSkip('bad-block', off, `interface description block length ${blen}`);
          // Keep interface numbering aligned with the writer's.
          section.interfaces.push(interfaceFromIdb(d, off, 0, section.le));
        } else {
          const iface = interfaceFromIdb(d, off, blen, section.le);
          section.interfaces.push(iface);
          if (!summary.linktypes.includes(iface.linktype)) summary.linktypes.push(iface.linktype);
        }
      } else if (type === BT_EPB || type === BT_PB || type === BT_SPB) {
        frame++;
        summary.frames = frame;
        packetBlock(d, off, blen, type, section, frame, decoder, out, false);
        for (const item of out) yield item;
        out.length = 0;
      }
      // Other blocks (NRB, ISB, DSB, custom, journal, unknown): skipped by length.
    }
    off += blen;
  }
}

/**
 * Decode a packet block at `off`. `blen` is the block length, or for a block cut by the end of the
 * file, the bytes available plus 4 (so that `off + blen - 4` is the end of the data either way).
 */
function packetBlock(
  d: Buffer,
  off: number,
  blen: number,
  type: number,
  section: Section,
  frame: number,
  decoder: PacketDecoder,
  out: CaptureItem[],
  fileCut: boolean,
): undefined {
  const le = section.le;
  const bodyEnd = off + blen - 4;
  const skip = (reason: SkipReason, detail: string): undefined => {
    out.push({ kind: 'skip', frame, reason, offset: off, detail });
  };
  if (type === BT_SPB) {
    if (blen < 16)
      return skip(fileCut ? 'truncated-block' : 'bad-block', `simple packet block length ${blen}`);
    const iface = section.interfaces[0];
    if (iface === undefined) return skip('unknown-interface', 'simple packet block before any interface');
    const orig = u32(d, off + 8, le);
    let cap = bodyEnd - (off + 12);
    if (orig < cap) cap = orig;
    if (iface.snaplen > 0 && iface.snaplen < cap) cap = iface.snaplen;
    decoder.decode(iface.linktype, d, off + 12, off + 12 + cap, frame, 0, le, fileCut || cap < orig, 0);
    return;
  }
  // EPB and PB share the layout after the interface ID (PB: u16 interface + u16 drops count).
  if (blen < 32) return skip(fileCut ? 'truncated-block' : 'bad-block', `packet block length ${blen}`);
  const ifid = type === BT_EPB ? u32(d, off + 8, le) : u16(d, off + 8, le);
  const iface = section.interfaces[ifid];
  if (iface === undefined) {
    return skip('unknown-interface', `interface ${ifid} of ${section.interfaces.length}`);
  }
  const tsHigh = u32(d, off + 12, le);
  const tsLow = u32(d, off + 16, le);
  const capLen = u32(d, off + 20, le);
  const origLen = u32(d, off + 24, le);
  const dataStart = off + 28;
  let dataEnd = dataStart + capLen;
  let cut = capLen < origLen;
  if (dataEnd > bodyEnd) {
    if (!fileCut) return skip('bad-captured-length', `captured length ${capLen} exceeds block`);
    dataEnd = bodyEnd;
    cut = true;
  }
  const ticks = tsHigh * 4294967296 + tsLow;
  const ts = (ticks / iface.tickDiv) * iface.tickMul + iface.offsetMs;
  decoder.decode(iface.linktype, d, dataStart, dataEnd, frame, ts, le, cut, ifid);
}

/** Parse an IDB (`blen` 0 = unusable body: defaults with linktype 0xffff, never decodable). */
function interfaceFromIdb(d: Buffer, off: number, blen: number, le: boolean): Interface {
  const iface: Interface = { linktype: 0xffff, snaplen: 0, tickDiv: 1000, tickMul: 1, offsetMs: 0 };
  if (blen < 20) return iface;
  iface.linktype = u16(d, off + 8, le);
  iface.snaplen = u32(d, off + 12, le);
  const end = off + blen - 4;
  let p = off + 16;
  while (end - p >= 4) {
    const code = u16(d, p, le);
    const olen = u16(d, p + 2, le);
    const v = p + 4;
    if (code === 0) break; // opt_endofopt
    if (v + olen > end) break; // option runs past the block: ignore the rest
    if (code === 9 && olen >= 1) {
      // if_tsresol: MSB clear -> 10^-n s, MSB set -> 2^-n s
      const r = d[v]!;
      if (r & 0x80) {
        iface.tickDiv = 2 ** (r & 0x7f);
        iface.tickMul = 1000;
      } else if (r >= 3) {
        iface.tickDiv = 10 ** (r - 3);
        iface.tickMul = 1;
      } else {
        iface.tickDiv = 1;
        iface.tickMul = 10 ** (3 - r);
      }
    } else if (code === 14 && olen >= 8) {
      // if_tsoffset: signed 64-bit seconds added to every timestamp
      const hi = u32(d, le ? v + 4 : v, le);
      const lo = u32(d, le ? v : v + 4, le);
      const signedHi = hi >= 0x80000000 ? hi - 4294967296 : hi;
      iface.offsetMs = (signedHi * 4294967296 + lo) * 1000;
    }
    p = v + ((olen + 3) & ~3);
  }
  return iface;
}

/** Offset of the next plausible Section Header Block at or after `from`, or -1. */
function resync(d: Buffer, from: number): number {
  let p = from;
  while (p < d.length) {
    const i = d.indexOf(SHB_BYTES, p);
    if (i < 0 || d.length - i < 12) return -1;
    const bom = u32(d, i + 8, false);
    if (bom === 0x1a2b3c4d || bom === 0x4d3c2b1a) return i;
    p = i + 1;
  }
  return -1;
}

// ------------------------------------------------------------------ helpers

function fileSkip(reason: SkipReason, offset: number, detail?: string): CaptureSkip {
  const s: CaptureSkip = { kind: 'skip', frame: 0, reason, offset };
  if (detail !== undefined && detail !== '') s.detail = detail;
  return s;
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
