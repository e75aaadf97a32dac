import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CaptureFileResult, collectCapture } from './capture.js';
import {
  buildUdpIpPacket,
  encapsulate,
  msToTicks,
  type PcapFrame,
  pcapngBlock,
  pcapngEnhancedPacket,
  pcapngInterface,
  pcapngObsoletePacket,
  pcapngOptions,
  pcapngSectionHeader,
  pcapngSimplePacket,
  writePcapng,
} from './pcap-writer.js';
import type { CapturedDatagram, CaptureItem, CaptureSkip } from './types.js';

const TS = 1_700_000_000_250.5; // .5 ms: representable exactly at µs resolution

function frame(i: number, over: Partial<PcapFrame> = {}): PcapFrame {
  return {
    timestamp: TS + i,
    srcAddr: '10.0.0.1',
    srcPort: 1000 + i,
    dstAddr: '10.0.0.2',
    dstPort: 2055,
    payload: Buffer.from(`pcapng payload ${i}`),
    ...over,
  };
}
const eth = (f: PcapFrame): Buffer => encapsulate(buildUdpIpPacket(f), 'ethernet');

function read(b: Buffer): CaptureFileResult {
  return collectCapture(b, 'x.pcapng');
}
const dgs = (items: CaptureItem[]): CapturedDatagram[] =>
  items.filter((i): i is CapturedDatagram => i.kind === 'datagram');
const sks = (items: CaptureItem[]): CaptureSkip[] => items.filter((i): i is CaptureSkip => i.kind === 'skip');
function assertClose(a: number, b: number, eps: number, msg = ''): void {
  assert.ok(Math.abs(a - b) <= eps, `${msg}: ${a} != ${b} ±${eps}`);
}

describe('pcapng', () => {
  it('reads little- and big-endian sections', () => {
    for (const bigEndian of [false, true]) {
      const frames = [frame(1), frame(2)];
      const r = read(writePcapng(frames, { bigEndian }));
      assert.equal(r.format, 'pcapng');
      assert.equal(r.frames, 2);
      assert.deepEqual(r.linktypes, [1]);
      const out = dgs(r.items);
      assert.equal(out.length, 2, JSON.stringify(r.items));
      for (const [i, dg] of out.entries()) {
        assert.equal(dg.frame, i + 1);
        assert.equal(dg.interfaceId, 0);
        assert.equal(dg.timestamp, frames[i]!.timestamp);
        assert.deepEqual(dg.payload, Buffer.from(frames[i]!.payload));
        assert.equal(dg.srcPort, frames[i]!.srcPort);
      }
    }
  });

  it('honours if_tsresol (powers of 10 and of 2) and if_tsoffset', () => {
    const t = 1_700_000_000_123 + 0.456789;
    const cases: [number, number][] = [
      [9, 0.0003], // ns (float ms cannot hold more)
      [6, 0.0005], // µs
      [3, 0.5], // ms
      [0, 500], // s
      [0x80 | 10, 1], // 1/1024 s
      [0x80 | 30, 0.0003], // 2^-30 s
    ];
    for (const [res, eps] of cases) {
      for (const bigEndian of [false, true]) {
        const [dg] = dgs(read(writePcapng([frame(0, { timestamp: t })], { tsresol: res, bigEndian })).items);
        assert.ok(dg, `tsresol ${res}`);
        assertClose(dg.timestamp, t, eps, `tsresol ${res} be=${bigEndian}`);
      }
    }
    for (const bigEndian of [false, true]) {
      const file = Buffer.concat([
        pcapngSectionHeader(bigEndian),
        pcapngInterface(1, { bigEndian, tsresol: 3, tsoffsetSeconds: 1_000_000_000 }),
        pcapngEnhancedPacket(0, 2500n, eth(frame(0)), undefined, bigEndian),
      ]);
      assert.equal(dgs(read(file).items)[0]!.timestamp, 1_000_000_002_500);
    }
  });

  it('reads multiple interfaces with different link types', () => {
    const f4 = frame(1);
    const f6 = frame(2, { srcAddr: 'fe80::1', dstAddr: 'fe80::2' });
    const file = Buffer.concat([
      pcapngSectionHeader(),
      pcapngInterface(1),
      pcapngInterface(101, { tsresol: 9 }),
      pcapngInterface(276),
      pcapngEnhancedPacket(1, msToTicks(f6.timestamp, 9), buildUdpIpPacket(f6)),
      pcapngEnhancedPacket(0, msToTicks(f4.timestamp), eth(f4)),
      pcapngEnhancedPacket(2, msToTicks(f4.timestamp), encapsulate(buildUdpIpPacket(f4), 'sll2')),
      pcapngEnhancedPacket(3, 0n, eth(f4)),
    ]);
    const r = read(file);
    assert.deepEqual(r.linktypes, [1, 101, 276]);
    assert.deepEqual(
      r.items.map((i) => (i.kind === 'datagram' ? [i.frame, i.interfaceId, i.srcAddr] : [i.frame, i.reason])),
      [
        [1, 1, 'fe80::1'],
        [2, 0, '10.0.0.1'],
        [3, 2, '10.0.0.1'],
        [4, 'unknown-interface'],
      ],
    );
    assertClose(dgs(r.items)[0]!.timestamp, f6.timestamp, 0.0003);
  });

  it('reads Simple Packet Blocks (snaplen clamp, no timestamp) and obsolete Packet Blocks', () => {
    const f = frame(3, { payload: Buffer.alloc(200, 9) });
    const frameBytes = eth(f);
    const file = Buffer.concat([
      pcapngSectionHeader(true),
      pcapngInterface(1, { bigEndian: true, snaplen: 14 + 28 + 50 }),
      pcapngSimplePacket(frameBytes.subarray(0, 14 + 28 + 50), frameBytes.length, true),
      pcapngSimplePacket(eth(frame(4)), undefined, true),
      pcapngObsoletePacket(0, msToTicks(f.timestamp), eth(f), undefined, true),
    ]);
    const r = read(file);
    const out = dgs(r.items);
    assert.equal(out.length, 3, JSON.stringify(r.items));
    assert.equal(out[0]!.timestamp, 0);
    assert.equal(out[0]!.truncated, true);
    assert.equal(out[0]!.payload.length, 50);
    assert.deepEqual(out[1]!.payload, Buffer.from(frame(4).payload));
    assert.equal(out[2]!.timestamp, f.timestamp);
    assert.deepEqual(out[2]!.payload, f.payload);
    // SPB before any IDB
    const orphan = Buffer.concat([pcapngSectionHeader(), pcapngSimplePacket(eth(f))]);
    assert.deepEqual(
      read(orphan).items.map((i) => (i as CaptureSkip).reason),
      ['unknown-interface'],
    );
  });

  it('skips unknown and metadata blocks by length', () => {
    const nrb = pcapngBlock(4, Buffer.from([1, 0, 8, 0, 10, 0, 0, 1, 0x61, 0x62, 0x63, 0, 0, 0, 0, 0]));
    const isb = pcapngBlock(5, Buffer.alloc(12));
    const custom = pcapngBlock(0x40000bad, Buffer.from('custom data with pen'));
    const unknown = pcapngBlock(0x12345678, Buffer.alloc(3));
    const file = Buffer.concat([
      pcapngSectionHeader(),
      nrb,
      pcapngInterface(1),
      custom,
      pcapngEnhancedPacket(0, msToTicks(TS), eth(frame(0))),
      isb,
      unknown,
      pcapngEnhancedPacket(0, msToTicks(TS), eth(frame(1))),
    ]);
    const r = read(file);
    assert.equal(r.skips, 0);
    assert.deepEqual(
      dgs(r.items).map((d) => d.frame),
      [1, 2],
    );
  });

  it('reads several sections with different byte orders; interfaces are per section', () => {
    const file = Buffer.concat([
      pcapngSectionHeader(false),
      pcapngInterface(101),
      pcapngInterface(1),
      pcapngEnhancedPacket(1, msToTicks(TS), eth(frame(1))),
      pcapngSectionHeader(true),
      pcapngInterface(1, { bigEndian: true, tsresol: 9 }),
      pcapngEnhancedPacket(0, msToTicks(TS + 5, 9), eth(frame(2)), undefined, true),
      pcapngEnhancedPacket(1, msToTicks(TS), eth(frame(3)), undefined, true), // interface 1 was section 1's
      pcapngSectionHeader(false),
      pcapngInterface(1),
      pcapngEnhancedPacket(0, msToTicks(TS), eth(frame(4))),
    ]);
    const r = read(file);
    assert.equal(r.frames, 4);
    assert.deepEqual(
      r.items.map((i) => (i.kind === 'datagram' ? [i.frame, i.srcPort] : [i.frame, i.reason])),
      [
        [1, 1001],
        [2, 1002],
        [3, 'unknown-interface'],
        [4, 1004],
      ],
    );
    assertClose(dgs(r.items)[1]!.timestamp, TS + 5, 0.0003);
  });

  it('reports bad block lengths and resynchronises on the next section', () => {
    const good = Buffer.concat([
      pcapngSectionHeader(),
      pcapngInterface(1),
      pcapngEnhancedPacket(0, 0n, eth(frame(1))),
    ]);
    const bad = pcapngEnhancedPacket(0, 0n, eth(frame(2)));
    bad.writeUInt32LE(bad.length + 2, 4); // not a multiple of 4
    const file = Buffer.concat([good, bad, Buffer.alloc(10, 0x55), good]);
    const r = read(file);
    assert.deepEqual(
      r.items.map((i) => (i.kind === 'datagram' ? [i.frame, i.srcPort] : [i.reason, i.offset])),
      [
        [1, 1001],
        ['bad-block-length', good.length],
        [2, 1001],
      ],
    );
    // no later section: reading stops after the report
    const tail = read(Buffer.concat([good, bad]));
    assert.deepEqual(
      tail.items.map((i) => (i.kind === 'skip' ? i.reason : i.kind)),
      ['datagram', 'bad-block-length'],
    );
  });

  it('skips a block whose trailing length does not match', () => {
    const bad = pcapngEnhancedPacket(0, 0n, eth(frame(2)));
    bad.writeUInt32LE(4, bad.length - 4);
    const file = Buffer.concat([
      pcapngSectionHeader(),
      pcapngInterface(1),
      bad,
      pcapngEnhancedPacket(0, 0n, eth(frame(3))),
    ]);
    const r = read(file);
    assert.deepEqual(
      r.items.map((i) => (i.kind === 'datagram' ? i.srcPort : i.reason)),
      ['block-length-mismatch', 1003],
    );
  });

  it('salvages a final packet block cut by the end of the file', () => {
    const f = frame(1, { payload: Buffer.alloc(300, 3) });
    const whole = Buffer.concat([
      pcapngSectionHeader(),
      pcapngInterface(1),
      pcapngEnhancedPacket(0, 0n, eth(f)),
    ]);
    const r = read(whole.subarray(0, whole.length - 106));
    const [dg] = dgs(r.items);
    assert.equal(dg!.truncated, true);
    assert.equal(dg!.payload.length, 200);
    assert.deepEqual(
      sks(r.items).map((s) => s.reason),
      ['truncated-block'],
    );
    // cut inside the fixed EPB header, or inside the IDB, or with < 12 bytes left
    for (const cut of [whole.length - eth(f).length - 20, 28 + 10, 28 + 20 + 5]) {
      const rr = read(whole.subarray(0, cut));
      assert.equal(dgs(rr.items).length, 0);
      assert.equal(sks(rr.items).at(-1)!.reason, 'truncated-block', `cut ${cut}`);
    }
  });

  it('skips sections with an unsupported major version', () => {
    const file = Buffer.concat([
      pcapngSectionHeader(false, [2, 0]),
      pcapngInterface(1),
      pcapngEnhancedPacket(0, 0n, eth(frame(1))),
      pcapngSectionHeader(false, [1, 2]),
      pcapngInterface(1),
      pcapngEnhancedPacket(0, 0n, eth(frame(2))),
    ]);
    const r = read(file);
    assert.deepEqual(
      r.items.map((i) => (i.kind === 'datagram' ? i.srcPort : i.reason)),
      ['unsupported-pcapng-version', 1002],
    );
  });

  it('rejects a captured length larger than the block and bad section headers', () => {
    const epb = pcapngEnhancedPacket(0, 0n, eth(frame(1)));
    epb.writeUInt32LE(5000, 20);
    const r = read(Buffer.concat([pcapngSectionHeader(), pcapngInterface(1), epb]));
    assert.deepEqual(
      r.items.map((i) => [i.frame, (i as CaptureSkip).reason]),
      [[1, 'bad-captured-length']],
    );
    const shb = pcapngSectionHeader();
    shb.writeUInt32LE(0xdeadbeef, 8);
    assert.deepEqual(
      read(Buffer.concat([shb, pcapngInterface(1)])).items.map((i) => (i as CaptureSkip).reason),
      ['bad-section-header'],
    );
    assert.deepEqual(
      read(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 0, 0])).items.map((i) => (i as CaptureSkip).reason),
      ['truncated-block'],
    );
  });

  it('ignores malformed IDB options', () => {
    const fixed = Buffer.alloc(8);
    fixed.writeUInt16LE(1, 0);
    const opts = pcapngOptions([{ code: 9, value: Uint8Array.of(9) }]);
    opts.writeUInt16LE(400, 2); // option length beyond the block
    const idb = pcapngBlock(1, Buffer.concat([fixed, opts]));
    const file = Buffer.concat([
      pcapngSectionHeader(),
      idb,
      pcapngEnhancedPacket(0, msToTicks(TS), eth(frame(0))),
    ]);
    const [dg] = dgs(read(file).items);
    assert.equal(dg!.timestamp, TS, 'default µs resolution kept');
  });
});
