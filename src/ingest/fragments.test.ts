import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectCapture } from './capture.js';
import {
  buildUdpIpPacket,
  encapsulate,
  fragmentIpPacket,
  internetChecksum,
  type PcapFrame,
  writePcapRecords,
} from './pcap-writer.js';
import type { CapturedDatagram, CaptureItem, CaptureSkip, ReadCaptureOptions } from './types.js';

const T0 = 1_700_000_000_000;

function bigFrame(size: number, over: Partial<PcapFrame> = {}): PcapFrame {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 7 + 3) & 0xff;
  return {
    timestamp: T0,
    srcAddr: '192.0.2.10',
    srcPort: 2055,
    dstAddr: '192.0.2.20',
    dstPort: 4739,
    payload,
    ...over,
  };
}

const V6 = { srcAddr: '2001:db8::10', dstAddr: '2001:db8::20' };

/** Frames as an ethernet pcap, timestamps T0 + i ms (or as given). */
function pcapOf(packets: Uint8Array[], times?: number[]): Buffer {
  return writePcapRecords(
    packets.map((p, i) => ({ timestamp: times?.[i] ?? T0 + i, data: encapsulate(p, 'ethernet') })),
    { linktype: 1 },
  );
}

function run(packets: Uint8Array[], opts: ReadCaptureOptions = {}, times?: number[]): CaptureItem[] {
  return collectCapture(pcapOf(packets, times), 'frag.pcap', opts).items;
}
const dgs = (items: CaptureItem[]): CapturedDatagram[] =>
  items.filter((i): i is CapturedDatagram => i.kind === 'datagram');
const sks = (items: CaptureItem[]): CaptureSkip[] => items.filter((i): i is CaptureSkip => i.kind === 'skip');

function fragments(f: PcapFrame, mtu: number, id = 77, ext?: number[]): Buffer[] {
  const pkt = buildUdpIpPacket(f, { ipId: id, ...(ext ? { ipv6ExtHeaders: ext } : {}) });
  return fragmentIpPacket(pkt, mtu, id);
}

/** Deterministic shuffle. */
function shuffled<T>(a: T[], seed: number): T[] {
  const out = [...a];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('IPv4 fragment reassembly', () => {
  it('reassembles fragments in order', () => {
    const f = bigFrame(3000);
    const frags = fragments(f, 1500);
    assert.equal(frags.length, 3);
    const items = run(frags);
    assert.equal(items.length, 1, JSON.stringify(sks(items)));
    const dg = dgs(items)[0]!;
    assert.deepEqual(dg.payload, f.payload);
    assert.equal(dg.fragments, 3);
    assert.equal(dg.frame, 3, 'reported at the completing frame');
    assert.equal(dg.timestamp, T0 + 2);
    assert.equal(dg.srcAddr, '192.0.2.10');
    assert.equal(dg.dstPort, 4739);
  });

  it('reassembles fragments out of order and reversed', () => {
    const f = bigFrame(9000);
    const frags = fragments(f, 576);
    for (const order of [[...frags].reverse(), shuffled(frags, 1), shuffled(frags, 2)]) {
      const items = run(order);
      assert.equal(items.length, 1);
      assert.deepEqual(dgs(items)[0]!.payload, f.payload);
      assert.equal(dgs(items)[0]!.fragments, frags.length);
    }
  });

  it('keeps interleaved datagrams apart by (src, dst, id, proto)', () => {
    const a = bigFrame(2000);
    const b = bigFrame(2500, { payload: Buffer.alloc(2500, 0xbb) });
    const c = bigFrame(2000, { srcAddr: '192.0.2.11', payload: Buffer.alloc(2000, 0xcc) });
    const fa = fragments(a, 1000, 1);
    const fb = fragments(b, 1000, 2);
    const fc = fragments(c, 1000, 1); // same id as a, different source
    const interleaved = [fa[0]!, fb[0]!, fc[0]!, fb[1]!, fa[1]!, fc[1]!, fc[2]!, fa[2]!, fb[2]!];
    const out = dgs(run(interleaved));
    assert.deepEqual(
      out.map((d) => [d.frame, d.payload[0]]),
      [
        [7, 0xcc],
        [8, a.payload[0]],
        [9, 0xbb],
      ],
    );
    assert.deepEqual(out[1]!.payload, a.payload);
  });

  it('ignores exact duplicates, reporting them', () => {
    const f = bigFrame(3000);
    const frags = fragments(f, 1500);
    const items = run([frags[0]!, frags[0]!, frags[1]!, frags[2]!]);
    assert.deepEqual(
      items.map((i) => (i.kind === 'skip' ? i.reason : i.kind)),
      ['duplicate-fragment', 'datagram'],
    );
    assert.deepEqual(dgs(items)[0]!.payload, f.payload);
  });

  it('drops a datagram with overlapping fragments', () => {
    const f = bigFrame(3000);
    const frags = fragments(f, 1500);
    const overlapping = Buffer.from(frags[1]!);
    overlapping.writeUInt16BE(0x2000 | ((overlapping.readUInt16BE(6) & 0x1fff) - 1), 6);
    overlapping.writeUInt16BE(0, 10);
    overlapping.writeUInt16BE(internetChecksum(overlapping.subarray(0, 20)), 10);
    const items = run([frags[0]!, overlapping, frags[2]!]);
    assert.equal(dgs(items).length, 0);
    assert.deepEqual(
      sks(items).map((s) => [s.frame, s.reason]),
      [
        [2, 'fragment-overlap'],
        [3, 'incomplete-fragments'],
      ],
    );
  });

  it('reports incomplete datagrams at the end, at their first fragment', () => {
    const f = bigFrame(3000);
    const frags = fragments(f, 1500);
    const other = bigFrame(100);
    const whole = buildUdpIpPacket(other);
    const items = run([frags[0]!, whole, frags[2]!]);
    assert.deepEqual(
      items.map((i) => [i.kind, i.frame, i.kind === 'skip' ? i.reason : '']),
      [
        ['datagram', 2, ''],
        ['skip', 1, 'incomplete-fragments'],
      ],
    );
    const s = sks(items)[0]!;
    assert.equal(s.offset, 24 + 16 + 14, 'offset of the first fragment IP header');
    assert.match(s.detail ?? '', /1528 of 3008 bytes in 2 fragment/);
  });

  it('skips non-UDP fragments immediately and checks fragment sizes', () => {
    const f = bigFrame(3000);
    const frags = fragments(f, 1500);
    const tcp = Buffer.from(frags[0]!);
    tcp[9] = 6;
    const odd = Buffer.from(frags[0]!.subarray(0, frags[0]!.length - 3));
    odd.writeUInt16BE(odd.length, 2);
    const items = run([tcp, odd]);
    assert.deepEqual(
      sks(items).map((s) => s.reason),
      ['not-udp', 'bad-fragment'],
    );
  });

  it('skips fragments cut by the snaplen', () => {
    const f = bigFrame(3000);
    const frags = fragments(f, 1500);
    const file = writePcapRecords(
      frags.map((p, i) => ({ timestamp: T0 + i, data: encapsulate(p, 'ethernet') })),
      { linktype: 1, snaplen: 1000 },
    );
    const items = collectCapture(file, 'x.pcap').items;
    assert.deepEqual(
      sks(items).map((s) => s.reason),
      ['truncated-fragment', 'truncated-fragment', 'incomplete-fragments'],
    );
  });

  it('bounds memory: evicts the least recently active reassembly', () => {
    const frs = [1, 2, 3].map((id) => fragments(bigFrame(2000), 1000, id));
    const items = run([frs[0]![0]!, frs[1]![0]!, frs[2]![0]!, frs[2]![1]!, frs[2]![2]!], {
      maxReassemblies: 2,
    });
    assert.deepEqual(
      items.map((i) => [i.kind, i.frame, i.kind === 'skip' ? i.reason : '']),
      [
        ['skip', 1, 'reassembly-evicted'],
        ['datagram', 5, ''],
        ['skip', 2, 'incomplete-fragments'],
      ],
    );
    const byBytes = run([frs[0]![0]!, frs[1]![0]!], { maxReassemblyBytes: 1500 });
    assert.deepEqual(
      byBytes.map((i) => [i.frame, (i as CaptureSkip).reason]),
      [
        [1, 'reassembly-evicted'],
        [2, 'incomplete-fragments'],
      ],
    );
    const many = fragments(bigFrame(3000), 100);
    const capped = run(many, { maxFragmentsPerDatagram: 10 });
    assert.equal(dgs(capped).length, 0);
    assert.equal(sks(capped)[0]!.reason, 'bad-fragment');
  });

  it('times out reassemblies idle for too long (capture time)', () => {
    const a = fragments(bigFrame(2000), 1000, 1);
    const items = run([a[0]!, a[1]!, a[2]!], {}, [T0, T0 + 31_000, T0 + 31_001]);
    assert.deepEqual(
      items.map((i) => [i.frame, i.kind === 'skip' ? i.reason : i.kind]),
      [
        [1, 'reassembly-timeout'],
        [2, 'incomplete-fragments'],
      ],
    );
    const off = run([a[0]!, a[1]!, a[2]!], { reassemblyTimeoutMs: 0 }, [T0, T0 + 31_000, T0 + 31_001]);
    assert.equal(dgs(off).length, 1);
  });
});

describe('IPv6 fragment reassembly', () => {
  it('reassembles in order and out of order', () => {
    const f = bigFrame(5000, V6);
    const frags = fragments(f, 1280, 0x01020304);
    assert.equal(frags.length, 5);
    for (const order of [frags, [...frags].reverse(), shuffled(frags, 3)]) {
      const items = run(order);
      assert.equal(items.length, 1, JSON.stringify(sks(items)));
      const dg = dgs(items)[0]!;
      assert.deepEqual(dg.payload, f.payload);
      assert.equal(dg.fragments, 5);
      assert.equal(dg.srcAddr, '2001:db8::10');
      assert.equal(dg.dstAddr, '2001:db8::20');
    }
  });

  it('walks extension headers inside the fragmentable part', () => {
    const f = bigFrame(4000, V6);
    const frags = fragments(f, 1280, 5, [60, 51]);
    const items = run(shuffled(frags, 9));
    assert.deepEqual(dgs(items)[0]?.payload, f.payload);
  });

  it('handles a large IPFIX-sized datagram and hop-by-hop before the fragment header', () => {
    const f = bigFrame(60_000, V6);
    const frags = fragments(f, 1500, 42);
    // put a hop-by-hop header in the unfragmentable part of every fragment
    const withHbh = frags.map((p) => {
      const hbh = Buffer.from([44, 0, 1, 4, 0, 0, 0, 0]);
      const out = Buffer.concat([p.subarray(0, 40), hbh, p.subarray(40)]);
      out[6] = 0;
      out.writeUInt16BE(out.length - 40, 4);
      return out;
    });
    const items = run(shuffled(withHbh, 4));
    assert.equal(items.length, 1);
    assert.deepEqual(dgs(items)[0]!.payload, f.payload);
  });

  it('treats atomic fragments as unfragmented and skips non-UDP fragments', () => {
    const f = bigFrame(100, V6);
    const p = buildUdpIpPacket(f);
    const atomic = Buffer.concat([p.subarray(0, 40), Buffer.from([17, 0, 0, 0, 0, 0, 0, 9]), p.subarray(40)]);
    atomic[6] = 44;
    atomic.writeUInt16BE(atomic.length - 40, 4);
    const tcpFrag = fragments(bigFrame(3000, V6), 1280)[0]!;
    tcpFrag[40] = 6;
    const items = run([atomic, tcpFrag]);
    assert.equal(dgs(items).length, 1);
    assert.deepEqual(dgs(items)[0]!.payload, f.payload);
    assert.deepEqual(
      sks(items).map((s) => [s.reason, s.detail]),
      [['not-udp', 'ip protocol 6 (fragment)']],
    );
  });
});
