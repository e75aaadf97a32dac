/**
 * Property tests: random and mutated capture files never throw, never hang, and every item stays
 * within the input. 52,000 runs in total.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readCapture } from './capture.js';
import { detectProtocol } from './detect.js';
import {
  buildUdpIpPacket,
  encapsulate,
  fragmentIpPacket,
  type LinkTypeName,
  msToTicks,
  type PcapFrame,
  pcapngBlock,
  pcapngEnhancedPacket,
  pcapngInterface,
  pcapngObsoletePacket,
  pcapngSectionHeader,
  pcapngSimplePacket,
  writePcap,
  writePcapng,
  writePcapRecords,
} from './pcap-writer.js';
import type { CaptureSummary, ReadCaptureOptions } from './types.js';

const T = 1_700_000_000_000;
const f = (i: number, over: Partial<PcapFrame> = {}): PcapFrame => ({
  timestamp: T + i,
  srcAddr: '192.0.2.1',
  srcPort: 1000 + i,
  dstAddr: '192.0.2.2',
  dstPort: 6343,
  payload: Buffer.alloc(20 + i * 7, i),
  ...over,
});
const v6 = { srcAddr: '2001:db8::1', dstAddr: '2001:db8::2' };

/** Valid captures covering every container and link-layer path, to mutate. */
function seeds(): Buffer[] {
  const bigV4 = f(1, { payload: Buffer.alloc(700, 1) });
  const bigV6 = f(2, { ...v6, payload: Buffer.alloc(900, 2) });
  const frags4 = fragmentIpPacket(buildUdpIpPacket(bigV4, { ipId: 5 }), 300, 5);
  const frags6 = fragmentIpPacket(buildUdpIpPacket(bigV6, { ipv6ExtHeaders: [60] }), 400, 6);
  const fragFile = writePcapRecords(
    [...frags4, ...frags6.reverse()].map((p, i) => ({ timestamp: T + i, data: encapsulate(p, 'ethernet') })),
    { linktype: 1 },
  );
  const lts: LinkTypeName[] = ['ethernet', 'sll', 'sll2', 'raw', 'null', 'loop'];
  const perLink = lts.map((lt, i) =>
    writePcap([f(1), f(2, v6)], { linktype: lt, bigEndian: i % 2 === 1, nanosecond: i % 3 === 0 }),
  );
  const eth = (fr: PcapFrame): Buffer => encapsulate(buildUdpIpPacket(fr), 'ethernet');
  const ng = Buffer.concat([
    pcapngSectionHeader(),
    pcapngInterface(1, { tsresol: 9, snaplen: 200 }),
    pcapngInterface(101, { tsresol: 0x80 | 20, tsoffsetSeconds: -5 }),
    pcapngEnhancedPacket(0, msToTicks(T, 9), eth(f(1))),
    pcapngBlock(0x40000bad, Buffer.alloc(9, 7)),
    pcapngEnhancedPacket(1, msToTicks(T, 0x80 | 20), buildUdpIpPacket(f(3, v6), { ipv6ExtHeaders: [0, 51] })),
    pcapngSimplePacket(eth(f(2))),
    pcapngObsoletePacket(1, 1n, buildUdpIpPacket(f(4))),
    pcapngSectionHeader(true),
    pcapngInterface(113, { bigEndian: true }),
    pcapngEnhancedPacket(
      0,
      5n,
      encapsulate(buildUdpIpPacket(f(5)), 'sll', { vlan: [3, 4] }),
      undefined,
      true,
    ),
  ]);
  const ip = buildUdpIpPacket(f(6));
  const ethType = (t: number, body: Uint8Array): Buffer => {
    const h = Buffer.alloc(14);
    h.writeUInt16BE(t, 12);
    return Buffer.concat([h, body]);
  };
  const encaps = writePcapRecords(
    [
      ethType(0x8847, Buffer.concat([Buffer.from([0, 1, 0, 64, 0, 2, 1, 64]), ip])),
      ethType(0x8864, Buffer.concat([Buffer.from([0x11, 0, 0, 1, 0, 0, 0, 0x21]), ip])),
      ethType(8 + ip.length, Buffer.concat([Buffer.from([0xaa, 0xaa, 3, 0, 0, 0, 8, 0]), ip])),
    ].map((data, i) => ({ timestamp: T + i, data })),
    { linktype: 1 },
  );
  return [
    encaps,
    writePcap([f(1), f(2), f(3)], { vlan: 10 }),
    writePcap([f(1, v6), f(2)], { ipv6ExtHeaders: [0, 43, 60, 51], linktype: 'sll2', bigEndian: true }),
    writePcap([bigV4, bigV6], { mtu: 256, snaplen: 400 }),
    fragFile,
    ng,
    writePcapng([f(1), bigV6], { bigEndian: true, mtu: 300, tsresol: 3 }),
    ...perLink,
  ];
}

type Mutation =
  | { op: 'set'; pos: number; val: number }
  | { op: 'u32'; pos: number; val: number; le: boolean }
  | { op: 'u16'; pos: number; val: number }
  | { op: 'cut'; pos: number }
  | { op: 'insert'; pos: number; bytes: Uint8Array }
  | { op: 'delete'; pos: number; len: number }
  | { op: 'copy'; from: number; to: number; len: number };

const interesting32 = [
  0, 1, 4, 8, 11, 12, 16, 28, 31, 32, 0x7fffffff, 0x80000000, 0xffffffff, 65535, 65536, 0x0a0d0d0a,
];
const interesting16 = [0, 1, 5, 8, 17, 44, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x2000, 0x3fff, 0xffff, 0x1fff];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), pos: fc.nat(), val: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    op: fc.constant('u32' as const),
    pos: fc.nat(),
    val: fc.oneof(fc.constantFrom(...interesting32), fc.nat()),
    le: fc.boolean(),
  }),
  fc.record({ op: fc.constant('u16' as const), pos: fc.nat(), val: fc.constantFrom(...interesting16) }),
  fc.record({ op: fc.constant('cut' as const), pos: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), pos: fc.nat(), bytes: fc.uint8Array({ maxLength: 24 }) }),
  fc.record({ op: fc.constant('delete' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    op: fc.constant('copy' as const),
    from: fc.nat(),
    to: fc.nat(),
    len: fc.integer({ min: 1, max: 128 }),
  }),
);

function mutate(seed: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const m of muts) {
    if (b.length === 0) break;
    switch (m.op) {
      case 'set':
        b[m.pos % b.length] = m.val;
        break;
      case 'u32': {
        const p = m.pos % b.length;
        if (p + 4 <= b.length) {
          if (m.le) b.writeUInt32LE(m.val >>> 0, p);
          else b.writeUInt32BE(m.val >>> 0, p);
        }
        break;
      }
      case 'u16': {
        const p = m.pos % b.length;
        if (p + 2 <= b.length) b.writeUInt16BE(m.val, p);
        break;
      }
      case 'cut':
        b = b.subarray(0, m.pos % (b.length + 1));
        break;
      case 'insert': {
        const p = m.pos % (b.length + 1);
        b = Buffer.concat([b.subarray(0, p), m.bytes, b.subarray(p)]);
        break;
      }
      case 'delete': {
        const p = m.pos % b.length;
        b = Buffer.concat([b.subarray(0, p), b.subarray(p + m.len)]);
        break;
      }
      case 'copy': {
        const from = m.from % b.length;
        const chunk = Buffer.from(b.subarray(from, from + m.len));
        const to = m.to % (b.length + 1);
        b = Buffer.concat([b.subarray(0, to), chunk, b.subarray(to)]);
        break;
      }
    }
  }
  return b;
}

const limitsArb: fc.Arbitrary<ReadCaptureOptions> = fc.record(
  {
    maxReassemblies: fc.integer({ min: 1, max: 4 }),
    maxReassemblyBytes: fc.integer({ min: 1, max: 4000 }),
    reassemblyTimeoutMs: fc.integer({ min: 0, max: 100 }),
    maxFragmentsPerDatagram: fc.integer({ min: 2, max: 8 }),
  },
  { requiredKeys: [] },
);

let slowest = 0;

/** Read fully and check the invariants; returns nothing, throws on violation. */
function check(data: Buffer, name: string, opts: ReadCaptureOptions = {}): void {
  const t0 = performance.now();
  const it = readCapture(data, name, opts);
  let n = 0;
  let maxFrame = 0;
  let summary: CaptureSummary | undefined;
  for (;;) {
    const r = it.next();
    if (r.done) {
      summary = r.value;
      break;
    }
    n++;
    // Every frame consumes >= 12 bytes of input and yields at most 3 items (eviction, result,
    // file-cut note); file-level skips are a handful. A bound that still catches runaway loops:
    if (n > data.length + 16) assert.fail(`too many items (${n}) for ${data.length} bytes`);
    const item = r.value;
    assert.ok(Number.isInteger(item.frame) && item.frame >= 0);
    if (item.frame > maxFrame) maxFrame = item.frame;
    if (item.kind === 'datagram') {
      assert.ok(item.payload.length <= data.length, 'payload larger than the file');
      assert.ok(Buffer.isBuffer(item.payload));
      assert.ok(Number.isFinite(item.timestamp), 'timestamp finite');
      assert.ok(item.srcPort >= 0 && item.srcPort <= 65535 && item.dstPort >= 0 && item.dstPort <= 65535);
      assert.ok(item.frame >= 1);
    } else {
      assert.ok(item.offset >= 0 && item.offset <= data.length, `offset ${item.offset} of ${data.length}`);
      assert.equal(typeof item.reason, 'string');
    }
  }
  assert.ok(summary.frames >= maxFrame, 'summary frames');
  assert.equal(summary.datagrams + summary.skips, n);
  const ms = performance.now() - t0;
  if (ms > slowest) slowest = ms;
}

describe('fuzz: capture input never throws or hangs', () => {
  const corpus = seeds();

  it('seed corpus reads cleanly', () => {
    for (const s of corpus) {
      const items = [...readCapture(s, 'seed.pcap')];
      assert.ok(items.some((i) => i.kind === 'datagram'));
    }
  });

  it('mutated valid captures (30,000 runs)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: corpus.length - 1 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        fc.option(limitsArb, { nil: undefined }),
        (idx, muts, limits) => {
          check(mutate(corpus[idx]!, muts), 'fuzz.pcap', limits ?? {});
        },
      ),
      { numRuns: 30_000, seed: 0x5eed },
    );
  });

  it('random bytes behind capture magics (10,000 runs)', () => {
    const prefixes = [
      [0xd4, 0xc3, 0xb2, 0xa1],
      [0xa1, 0xb2, 0xc3, 0xd4],
      [0x4d, 0x3c, 0xb2, 0xa1],
      [0xa1, 0xb2, 0x3c, 0x4d],
      [0x34, 0xcd, 0xb2, 0xa1],
      [0x0a, 0x0d, 0x0d, 0x0a],
      [0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0],
      [0x1f, 0x8b, 0x08],
      [],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 700 }), (prefix, rest) => {
        check(Buffer.concat([Buffer.from(prefix), rest]), 'random.bin');
      }),
      { numRuns: 10_000, seed: 42 },
    );
  });

  it('random link-layer frames for every link type (10,000 runs)', () => {
    const linktypes = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];
    const template = (fr: PcapFrame, lt: LinkTypeName): Buffer =>
      encapsulate(buildUdpIpPacket(fr, fr.srcAddr.includes(':') ? { ipv6ExtHeaders: [0] } : {}), lt);
    const bases = [
      template(f(1), 'ethernet'),
      template(f(2, v6), 'ethernet'),
      template(f(3), 'raw'),
      template(f(4, v6), 'raw'),
      ...fragmentIpPacket(buildUdpIpPacket(f(9, { payload: Buffer.alloc(100) })), 60, 3),
      ...fragmentIpPacket(buildUdpIpPacket(f(9, { ...v6, payload: Buffer.alloc(100) })), 80, 3),
    ];
    const frameArb = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      fc
        .tuple(
          fc.nat({ max: bases.length - 1 }),
          fc.array(fc.tuple(fc.nat({ max: 80 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
          fc.nat({ max: 200 }),
        )
        .map(([i, flips, cut]) => {
          const b = Buffer.from(bases[i]!);
          for (const [p, v] of flips) if (p < b.length) b[p] = v;
          return b.subarray(0, Math.max(cut, 0));
        }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...linktypes),
        fc.array(frameArb, { maxLength: 8 }),
        fc.boolean(),
        (linktype, frames, bigEndian) => {
          const file = writePcapRecords(
            frames.map((data, i) => ({ timestamp: T + i * 10_000, data })),
            { linktype, bigEndian },
          );
          check(file, 'frames.pcap', { maxReassemblies: 2 });
        },
      ),
      { numRuns: 10_000, seed: 7 },
    );
  });

  it('detectProtocol on random payloads (2,000 runs)', () => {
    const kinds = new Set(['sflow5', 'ipfix', 'netflow9', 'netflow5', 'unknown']);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.tuple(fc.constantFrom(0, 5, 9, 10), fc.uint8Array({ maxLength: 1600 })).map(([v, rest]) => {
            const b = Buffer.concat([Buffer.alloc(2), rest]);
            b.writeUInt16BE(v, 0);
            return b;
          }),
        ),
        (p) => {
          assert.ok(kinds.has(detectProtocol(p)));
        },
      ),
      { numRuns: 2_000, seed: 3 },
    );
  });

  it('no single input took long', (t) => {
    t.diagnostic(`slowest input: ${slowest.toFixed(2)} ms`);
    assert.ok(slowest < 3000, `${slowest} ms`);
  });
});
