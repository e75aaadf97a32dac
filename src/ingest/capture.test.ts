import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  type CaptureFileResult,
  collectCapture,
  detectCaptureFormat,
  readCapture,
  readCaptureFile,
} from './capture.js';
import {
  buildUdpIpPacket,
  encapsulate,
  internetChecksum,
  type PcapFrame,
  writePcap,
  writePcapRecords,
} from './pcap-writer.js';
import type { CapturedDatagram, CaptureItem, CaptureSkip } from './types.js';

const T0 = 1_700_000_000_123.456;

function frame(i: number, over: Partial<PcapFrame> = {}): PcapFrame {
  return {
    timestamp: T0 + i * 1000,
    srcAddr: '192.0.2.1',
    srcPort: 40000 + i,
    dstAddr: '198.51.100.7',
    dstPort: 6343,
    payload: Buffer.from(`payload-${i}-${'x'.repeat(i * 3)}`),
    ...over,
  };
}

function read(data: Uint8Array, name = 'test.pcap'): CaptureFileResult {
  return collectCapture(data, name);
}
function datagrams(items: CaptureItem[]): CapturedDatagram[] {
  return items.filter((i): i is CapturedDatagram => i.kind === 'datagram');
}
function skips(items: CaptureItem[]): CaptureSkip[] {
  return items.filter((i): i is CaptureSkip => i.kind === 'skip');
}
function assertClose(actual: number, expected: number, eps: number, msg?: string): void {
  assert.ok(Math.abs(actual - expected) <= eps, `${msg ?? ''} ${actual} != ${expected} (±${eps})`);
}

/** An IPv4 packet with another protocol number (fixed header checksum). */
function ipv4WithProtocol(proto: number, body = 20): Buffer {
  const p = buildUdpIpPacket(frame(0, { payload: new Uint8Array(body) }));
  p[9] = proto;
  p.writeUInt16BE(0, 10);
  p.writeUInt16BE(internetChecksum(p.subarray(0, 20)), 10);
  return p;
}

function ethernet(etherType: number, body: Uint8Array): Buffer {
  const h = Buffer.alloc(14);
  h.writeUInt16BE(etherType, 12);
  return Buffer.concat([h, body]);
}

function records(frames: Uint8Array[], linktype: number, bigEndian = false): Buffer {
  return writePcapRecords(
    frames.map((data, i) => ({ timestamp: T0 + i, data })),
    { linktype, bigEndian },
  );
}

describe('classic pcap', () => {
  it('reads ethernet IPv4 datagrams with addresses, ports, timestamps (µs)', () => {
    const frames = [frame(1), frame(2), frame(3)];
    const file = writePcap(frames);
    const r = read(file);
    assert.equal(r.format, 'pcap');
    assert.equal(r.frames, 3);
    assert.deepEqual(r.linktypes, [1]);
    const dgs = datagrams(r.items);
    assert.equal(dgs.length, 3);
    for (const [i, dg] of dgs.entries()) {
      const f = frames[i]!;
      assert.equal(dg.kind, 'datagram');
      assert.equal(dg.frame, i + 1);
      assertClose(dg.timestamp, f.timestamp, 0.0005);
      assert.equal(dg.srcAddr, '192.0.2.1');
      assert.equal(dg.srcPort, f.srcPort);
      assert.equal(dg.dstAddr, '198.51.100.7');
      assert.equal(dg.dstPort, 6343);
      assert.deepEqual(dg.payload, Buffer.from(f.payload));
      assert.equal(dg.truncated, undefined);
      assert.equal(dg.fragments, undefined);
      // zero-copy: a view into the file buffer
      assert.equal(dg.payload.buffer, file.buffer);
    }
  });

  it('reads nanosecond and big-endian files', () => {
    const ts = 1_700_000_000_987 + 0.654321;
    for (const bigEndian of [false, true]) {
      for (const nanosecond of [false, true]) {
        const file = writePcap([frame(0, { timestamp: ts })], { bigEndian, nanosecond });
        const [dg] = datagrams(read(file).items);
        assert.ok(dg, `be=${bigEndian} ns=${nanosecond}`);
        assertClose(
          dg.timestamp,
          ts,
          nanosecond ? 0.000001 + 0.0003 : 0.0005,
          `be=${bigEndian} ns=${nanosecond}`,
        );
        assert.deepEqual(dg.payload, Buffer.from(frame(0).payload));
      }
    }
    // exact values
    const exact = writePcap([frame(0, { timestamp: 1_500_000_000_250 })], { nanosecond: true });
    assert.equal(datagrams(read(exact).items)[0]!.timestamp, 1_500_000_000_250);
  });

  it('reads IPv6 with canonical address text', () => {
    const file = writePcap([frame(1, { srcAddr: '2001:DB8:0:0::1', dstAddr: '2001:db8:1::a:0:0:1' })]);
    const [dg] = datagrams(read(file).items);
    assert.equal(dg!.srcAddr, '2001:db8::1');
    assert.equal(dg!.dstAddr, '2001:db8:1:0:a::1');
  });

  it('reads VLAN, QinQ and 0x9100 tags', () => {
    const f = frame(1);
    const one = datagrams(read(writePcap([f], { vlan: 42 })).items);
    const two = datagrams(read(writePcap([f], { vlan: [1, 2] })).items);
    assert.deepEqual(one[0]!.payload, Buffer.from(f.payload));
    assert.deepEqual(two[0]!.payload, Buffer.from(f.payload));
    const ip = buildUdpIpPacket(f);
    const tags = Buffer.from([0x00, 0x0a, 0x81, 0x00, 0x00, 0x0b, 0x08, 0x00]);
    const old = ethernet(0x9100, Buffer.concat([tags, ip]));
    const dgs = datagrams(read(records([old], 1)).items);
    assert.equal(dgs.length, 1);
    assert.deepEqual(dgs[0]!.payload, Buffer.from(f.payload));
  });

  it('reads MPLS, PPPoE and LLC/SNAP encapsulations', () => {
    const ip = buildUdpIpPacket(frame(1));
    const mpls = ethernet(0x8847, Buffer.concat([Buffer.from([0, 1, 0x00, 64, 0, 2, 0x01, 64]), ip]));
    const pppoe = ethernet(0x8864, Buffer.concat([Buffer.from([0x11, 0, 0, 1, 0, 0, 0x00, 0x21]), ip]));
    const snap = ethernet(
      8 + ip.length,
      Buffer.concat([Buffer.from([0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00]), ip]),
    );
    const r = read(records([mpls, pppoe, snap], 1));
    assert.equal(datagrams(r.items).length, 3, JSON.stringify(skips(r.items)));
  });

  it('reads Linux cooked SLL and SLL2 (with and without VLAN)', () => {
    for (const linktype of ['sll', 'sll2'] as const) {
      for (const vlan of [undefined, 7]) {
        const f = frame(2, { srcAddr: '2001:db8::2', dstAddr: '2001:db8::3' });
        const r = read(writePcap([f], { linktype, ...(vlan ? { vlan } : {}) }));
        assert.deepEqual(r.linktypes, [linktype === 'sll' ? 113 : 276]);
        const [dg] = datagrams(r.items);
        assert.ok(dg, `${linktype} vlan=${vlan}`);
        assert.equal(dg.srcAddr, '2001:db8::2');
        assert.deepEqual(dg.payload, Buffer.from(f.payload));
      }
    }
  });

  it('reads raw IP link types 101, 12, 14, 228, 229', () => {
    const v4 = buildUdpIpPacket(frame(1));
    const v6 = buildUdpIpPacket(frame(1, { srcAddr: '::1', dstAddr: '::2' }));
    for (const lt of [101, 12, 14]) {
      assert.equal(datagrams(read(records([v4, v6], lt)).items).length, 2, `linktype ${lt}`);
    }
    assert.equal(datagrams(read(records([v4], 228)).items).length, 1);
    assert.equal(datagrams(read(records([v6], 229)).items).length, 1);
    // 228 carrying IPv6 is wrong
    assert.equal(skips(read(records([v6], 228)).items)[0]!.reason, 'bad-ip-header');
    assert.equal(datagrams(read(writePcap([frame(1)], { linktype: 'raw' })).items).length, 1);
  });

  it('reads BSD null (host byte order) and loop (network byte order) link types', () => {
    const v4 = buildUdpIpPacket(frame(1));
    const v6 = buildUdpIpPacket(frame(1, { srcAddr: '::1', dstAddr: '::2' }));
    for (const bigEndian of [false, true]) {
      const frames: Buffer[] = [];
      for (const [af, ip] of [
        [2, v4],
        [24, v6],
        [28, v6],
        [30, v6],
      ] as const) {
        const h = Buffer.alloc(4);
        if (bigEndian) h.writeUInt32BE(af);
        else h.writeUInt32LE(af);
        frames.push(Buffer.concat([h, ip]));
      }
      const r = read(records(frames, 0, bigEndian));
      assert.equal(datagrams(r.items).length, 4, `bigEndian=${bigEndian}`);
    }
    // host order written "wrong" (BE value in an LE file) is still accepted
    const wrong = Buffer.concat([Buffer.from([0, 0, 0, 2]), v4]);
    assert.equal(datagrams(read(records([wrong], 0)).items).length, 1);
    const unknownAf = Buffer.concat([Buffer.from([7, 0, 0, 0]), v4]);
    assert.equal(skips(read(records([unknownAf], 0)).items)[0]!.reason, 'not-ip');
    assert.equal(datagrams(read(writePcap([frame(1)], { linktype: 'loop' })).items).length, 1);
    assert.equal(
      datagrams(read(writePcap([frame(1)], { linktype: 'null', bigEndian: true })).items).length,
      1,
    );
  });

  it('yields one skip per frame for an unsupported link type', () => {
    const r = read(records([Buffer.alloc(40), Buffer.alloc(40)], 147));
    assert.deepEqual(
      r.items.map((i) => [i.kind, i.frame, i.kind === 'skip' ? i.reason : '']),
      [
        ['skip', 1, 'unsupported-linktype'],
        ['skip', 2, 'unsupported-linktype'],
      ],
    );
    assert.equal((r.items[0] as CaptureSkip).offset, 24 + 16);
    assert.equal((r.items[0] as CaptureSkip).detail, 'linktype 147');
  });

  it('skips non-UDP frames with a reason', () => {
    const tcp = encapsulate(ipv4WithProtocol(6), 'ethernet');
    const icmp = encapsulate(ipv4WithProtocol(1), 'ethernet');
    const arp = ethernet(0x0806, Buffer.alloc(28));
    const icmp6 = buildUdpIpPacket(frame(0, { srcAddr: '::1', dstAddr: '::2' }));
    icmp6[6] = 58;
    const hbhIcmp6 = buildUdpIpPacket(frame(0, { srcAddr: '::1', dstAddr: '::2' }), { ipv6ExtHeaders: [0] });
    hbhIcmp6[40] = 58;
    const r = read(
      records(
        [tcp, icmp, arp, encapsulate(icmp6, 'ethernet'), encapsulate(hbhIcmp6, 'ethernet'), Buffer.alloc(5)],
        1,
      ),
    );
    const s = skips(r.items);
    assert.deepEqual(
      s.map((x) => [x.frame, x.reason, x.detail]),
      [
        [1, 'not-udp', 'ip protocol 6'],
        [2, 'not-udp', 'ip protocol 1'],
        [3, 'not-ip', 'ethertype 0x0806'],
        [4, 'not-udp', 'ip protocol 58'],
        [5, 'not-udp', 'ip protocol 58'],
        [6, 'truncated', 'ethernet header'],
      ],
    );
    assert.equal(s[0]!.offset, 24 + 16 + 14, 'offset of the IP header');
    assert.equal(r.datagrams, 0);
    assert.equal(r.skips, 6);
  });

  it('bounds the payload by IP and UDP lengths (ethernet padding, trailers)', () => {
    const tiny = frame(0, { payload: Buffer.from('ab') });
    const ip = buildUdpIpPacket(tiny);
    const padded = Buffer.concat([encapsulate(ip, 'ethernet'), Buffer.alloc(30, 0xee)]);
    const [dg] = datagrams(read(records([padded], 1)).items);
    assert.deepEqual(dg!.payload, Buffer.from('ab'));
    // UDP length shorter than the IP payload: trailing bytes inside IP are ignored
    const withTrailer = Buffer.concat([ip, Buffer.alloc(6, 0xee)]);
    withTrailer.writeUInt16BE(withTrailer.length, 2);
    withTrailer.writeUInt16BE(0, 10);
    withTrailer.writeUInt16BE(internetChecksum(withTrailer.subarray(0, 20)), 10);
    assert.deepEqual(datagrams(read(records([withTrailer], 101)).items)[0]!.payload, Buffer.from('ab'));
  });

  it('handles IPv4 options and total length 0 (TSO)', () => {
    const f = frame(3);
    const opt = buildUdpIpPacket(f, { ipv4Options: Uint8Array.of(0x94, 4, 0, 0, 1, 1, 1, 0) });
    assert.equal(opt[0], 0x47);
    assert.deepEqual(datagrams(read(records([opt], 101)).items)[0]!.payload, Buffer.from(f.payload));
    const tso = buildUdpIpPacket(f);
    tso.writeUInt16BE(0, 2);
    assert.deepEqual(datagrams(read(records([tso], 101)).items)[0]!.payload, Buffer.from(f.payload));
    const badIhl = buildUdpIpPacket(f);
    badIhl[0] = 0x44;
    assert.equal(skips(read(records([badIhl], 101)).items)[0]!.reason, 'bad-ip-header');
  });

  it('walks IPv6 extension headers 0/43/60/51 to UDP', () => {
    const f = frame(4, { srcAddr: '2001:db8::1', dstAddr: '2001:db8::2' });
    for (const chain of [[0], [43], [60], [51], [0, 43, 60, 51, 60]]) {
      const p = buildUdpIpPacket(f, { ipv6ExtHeaders: chain });
      const r = read(records([encapsulate(p, 'ethernet')], 1));
      const [dg] = datagrams(r.items);
      assert.ok(dg, `chain ${chain.join(',')}: ${JSON.stringify(r.items)}`);
      assert.deepEqual(dg.payload, Buffer.from(f.payload));
      assert.equal(dg.dstPort, 6343);
    }
    // header length running past the packet
    const bad = buildUdpIpPacket(f, { ipv6ExtHeaders: [60] });
    bad[41] = 200;
    assert.equal(skips(read(records([bad], 101)).items)[0]!.reason, 'bad-ip-header');
    const none = buildUdpIpPacket(f, { ipv6ExtHeaders: [60] });
    none[40] = 59;
    assert.equal(skips(read(records([none], 101)).items)[0]!.detail, 'ipv6 no next header');
  });

  it('validates the UDP length field', () => {
    const f = frame(1);
    const short = buildUdpIpPacket(f);
    short.writeUInt16BE(7, 24);
    const long = buildUdpIpPacket(f);
    long.writeUInt16BE(long.length, 24);
    const r = read(records([short, long], 101));
    assert.deepEqual(
      skips(r.items).map((s) => s.reason),
      ['bad-udp-length', 'bad-udp-length'],
    );
  });

  it('snaplen cuts: truncated payload flagged, header cuts skipped', () => {
    const f = frame(0, { payload: Buffer.alloc(400, 0x5a) });
    const cut = read(writePcap([f], { snaplen: 14 + 28 + 100 }));
    const [dg] = datagrams(cut.items);
    assert.equal(dg!.truncated, true);
    assert.equal(dg!.payload.length, 100);
    assert.deepEqual(dg!.payload, Buffer.alloc(100, 0x5a));
    const inUdp = read(writePcap([f], { snaplen: 14 + 20 + 4 }));
    assert.deepEqual(
      skips(inUdp.items).map((s) => [s.reason, s.detail]),
      [['truncated', 'udp header']],
    );
    const exactHeader = read(writePcap([f], { snaplen: 14 + 28 }));
    assert.equal(skips(exactHeader.items)[0]!.detail, 'no udp payload captured');
    const inIp = read(writePcap([f], { snaplen: 20 }));
    assert.deepEqual(
      skips(inIp.items).map((s) => [s.reason, s.detail]),
      [['truncated', 'ipv4 header']],
    );
  });

  it('salvages a file cut inside a record or a record header', () => {
    const file = writePcap([frame(1), frame(2, { payload: Buffer.alloc(300, 1) })]);
    const cut = file.subarray(0, file.length - 100);
    const r = read(cut);
    assert.equal(r.frames, 2);
    const dgs = datagrams(r.items);
    assert.equal(dgs.length, 2);
    assert.equal(dgs[1]!.truncated, true);
    assert.equal(dgs[1]!.payload.length, 200);
    assert.equal(skips(r.items)[0]!.reason, 'truncated-record');
    assert.equal(skips(r.items)[0]!.frame, 2);

    const firstLen = 24 + 16 + 14 + 28 + frame(1).payload.length;
    const r2 = read(file.subarray(0, firstLen + 10));
    assert.equal(r2.frames, 1);
    assert.deepEqual(
      r2.items.map((i) => (i.kind === 'skip' ? [i.reason, i.offset] : [i.kind, i.frame])),
      [
        ['datagram', 1],
        ['truncated-record', firstLen],
      ],
    );
    assert.deepEqual(
      read(file.subarray(0, 20)).items.map((i) => (i as CaptureSkip).reason),
      ['truncated-file-header'],
    );
    assert.deepEqual(read(file.subarray(0, 24)).items, []);
  });

  it('reads the "modified" pcap format (24-byte record headers)', () => {
    const ip = buildUdpIpPacket(frame(1));
    const hdr = Buffer.alloc(24);
    hdr.writeUInt32LE(0xa1b2cd34, 0);
    hdr.writeUInt16LE(2, 4);
    hdr.writeUInt16LE(4, 6);
    hdr.writeUInt32LE(65535, 16);
    hdr.writeUInt32LE(101, 20);
    const rec = Buffer.alloc(24);
    rec.writeUInt32LE(1_700_000_000, 0);
    rec.writeUInt32LE(5, 4);
    rec.writeUInt32LE(ip.length, 8);
    rec.writeUInt32LE(ip.length, 12);
    const [dg] = datagrams(read(Buffer.concat([hdr, rec, ip])).items);
    assert.equal(dg!.timestamp, 1_700_000_000_000.005);
    assert.deepEqual(dg!.payload, Buffer.from(frame(1).payload));
  });

  it('returns a summary from the generator', () => {
    const file = writePcap([frame(1), frame(2)]);
    const it = readCapture(file, 'x.pcap');
    let n = 0;
    let res = it.next();
    while (!res.done) {
      n++;
      res = it.next();
    }
    assert.equal(n, 2);
    assert.deepEqual(res.value, {
      format: 'pcap',
      gzip: false,
      frames: 2,
      datagrams: 2,
      skips: 0,
      linktypes: [1],
    });
  });
});

describe('raw payload files and container detection', () => {
  it('treats an unrecognised file as one UDP payload', () => {
    const payload = Buffer.from([0, 0, 0, 5, 0, 0, 0, 1, 1, 2, 3, 4]);
    const r = read(payload, 'sample.bin');
    assert.equal(r.format, 'raw');
    assert.equal(r.frames, 1);
    assert.deepEqual(r.items, [
      { kind: 'datagram', frame: 1, timestamp: 0, srcAddr: '', srcPort: 0, dstAddr: '', dstPort: 0, payload },
    ]);
    assert.equal((r.items[0] as CapturedDatagram).payload, payload);
    // accepts a plain Uint8Array too
    assert.equal(datagrams(read(new Uint8Array([1, 2, 3]), 'x.dat').items)[0]!.payload.length, 3);
  });

  it('reports empty files and corrupt .pcap/.pcapng files instead of decoding them as payloads', () => {
    assert.deepEqual(read(Buffer.alloc(0), 'a.bin').items, [
      { kind: 'skip', frame: 0, reason: 'empty-file', offset: 0 },
    ]);
    for (const name of ['a.pcap', 'b.PCAPNG', 'c.cap', 'd.pcap.gz']) {
      const s = read(Buffer.from('garbage!'), name).items;
      assert.equal(s.length, 1);
      assert.equal((s[0] as CaptureSkip).reason, 'unrecognized-capture-magic', name);
    }
  });

  it('detects container formats', () => {
    assert.equal(detectCaptureFormat(writePcap([frame(1)])), 'pcap');
    assert.equal(detectCaptureFormat(writePcap([frame(1)], { bigEndian: true, nanosecond: true })), 'pcap');
    assert.equal(detectCaptureFormat(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a])), 'pcapng');
    assert.equal(detectCaptureFormat(gzipSync(Buffer.from('x'))), 'gzip');
    assert.equal(detectCaptureFormat(Buffer.from([0, 10, 0, 16])), 'raw');
    assert.equal(detectCaptureFormat(new Uint8Array(0)), 'raw');
  });

  it('reads gzip-compressed captures', () => {
    const file = writePcap([frame(1), frame(2)]);
    const r = read(gzipSync(file), 'x.pcap.gz');
    assert.equal(r.gzip, true);
    assert.equal(r.format, 'pcap');
    assert.deepEqual(
      datagrams(r.items).map((d) => d.payload.toString()),
      [frame(1), frame(2)].map((f) => Buffer.from(f.payload).toString()),
    );
    const broken = gzipSync(file).subarray(0, 30);
    assert.equal((read(broken, 'x.pcap.gz').items[0] as CaptureSkip).reason, 'bad-gzip');
    const notCapture = read(gzipSync(Buffer.from('hello')), 'x.gz');
    assert.equal((notCapture.items[0] as CaptureSkip).reason, 'unrecognized-capture-magic');
  });

  it('readCaptureFile reads from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowlens-ingest-'));
    try {
      const p = join(dir, 'two.pcap');
      await writeFile(p, writePcap([frame(1), frame(2)]));
      const r = await readCaptureFile(p);
      assert.equal(r.path, p);
      assert.equal(r.frames, 2);
      assert.equal(r.datagrams, 2);
      assert.equal(datagrams(r.items)[1]!.srcPort, 40002);
      await assert.rejects(readCaptureFile(join(dir, 'missing.pcap')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
