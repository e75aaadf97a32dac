// Property tests: the dissector must survive any input. For every input we check that
//  - dissect() and every key getter (all names, all inner depths) never throw;
//  - every value is a non-negative integer or a non-empty clean string;
//  - the result does not depend on bytes outside [offset, offset+length): dissecting the
//    slice embedded in random garbage gives exactly the same keys as dissecting a copy.
// fast-check runs total: 40,000 + 45,000 + 25,000 = 110,000, plus exhaustive sweeps over the seed corpus.

import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  aeth,
  type Bytes,
  be16,
  be32,
  bth,
  cat,
  deth,
  eth,
  geneve,
  icmp,
  ip6Fragment,
  ip6OptionsHeader,
  ipv4,
  ipv6,
  MAC_A,
  MAC_B,
  mplsLabel,
  reth,
  tcp,
  u8,
  udp,
  vxlan,
  zeros,
} from './build.test-helper.js';
import { dissect, HEADER_ETHERNET, HEADER_IPV4, HEADER_IPV6, Packet } from './dissect.js';
import { type KeyGetter, type KeyValue, keyGetter, PACKET_KEY_NAMES, packetKeys } from './keys.js';

const PROTOCOLS = [HEADER_ETHERNET, HEADER_IPV4, HEADER_IPV6, 0, 2, 13, 15, 18, 0x7fffffff];

const ALL_GETTERS: [string, KeyGetter][] = [];
for (const suffix of ['', '.1', '.2', '.3']) {
  for (const name of PACKET_KEY_NAMES) ALL_GETTERS.push([name + suffix, keyGetter(name + suffix)!]);
}

const reused = new Packet();

function checkValue(name: string, v: KeyValue | undefined): void {
  if (v === undefined) return;
  if (typeof v === 'number') {
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `${name}=${v}`);
  } else {
    assert.equal(typeof v, 'string', name);
    assert.ok(v.length > 0 && !v.includes('undefined') && !v.includes('NaN'), `${name}=${v}`);
  }
}

/** Dissect `data` as-is and embedded at `pad` in a garbage-filled buffer; both must agree. */
function check(data: Uint8Array, proto: number, pad: number, garbage: number): void {
  const alone = packetKeys(dissect(data, 0, data.length, proto));
  const big = new Uint8Array(pad + data.length + 64).fill(garbage);
  big.set(data, pad);
  const p = dissect(big, pad, data.length, proto, reused);
  for (const [name, g] of ALL_GETTERS) {
    const v = g(p);
    checkValue(name, v);
    assert.equal(v, alone[name], name);
  }
  assert.deepEqual(packetKeys(p), alone);
}

// A corpus of valid packets exercising every layer, used as mutation seeds.
function corpus(): { bytes: Bytes; proto: number }[] {
  const v4 = (proto: number, payload: Bytes, extra: Partial<Parameters<typeof ipv4>[0]> = {}) =>
    ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto, ...extra }, payload);
  const v6 = (nextHeader: number, payload: Bytes, trafficClass = 0) =>
    ipv6({ src: '2001:db8::1', dst: 'fe80::2', nextHeader, trafficClass }, payload);
  const roce = (b: Bytes) => udp(49152, 4791, b);
  const list: { bytes: Bytes; proto: number }[] = [
    { bytes: eth(MAC_B, MAC_A, 0x0800, v4(6, tcp({ sport: 1, dport: 2, flags: 0x1ff }))), proto: 1 },
    {
      bytes: eth(MAC_B, MAC_A, 0x0800, v4(17, udp(1, 2, zeros(20)), { options: [1, 1, 1, 0], flags: 1 })),
      proto: 1,
    },
    {
      bytes: eth(MAC_B, MAC_A, 0x86dd, v6(17, udp(5, 6, [])), [
        { tpid: 0x88a8, vid: 1 },
        { tpid: 0x9100, vid: 2 },
        { vid: 3 },
      ]),
      proto: 1,
    },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x8847,
        cat(mplsLabel(1, 1, false, 1), mplsLabel(2, 2, true, 2), v4(1, icmp(8, 0, zeros(4)))),
      ),
      proto: 1,
    },
    { bytes: eth(MAC_B, MAC_A, 0x0806, cat(be16(1), be16(0x800), u8(6, 4), be16(2), zeros(20))), proto: 1 },
    { bytes: cat(eth(MAC_B, MAC_A, 0x0030, []), u8(0xaa, 0xaa, 3), zeros(20)), proto: 1 },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x86dd,
        v6(0, ip6OptionsHeader(44, 1, ip6Fragment(17, 0, true, 5, udp(1, 2, [])))),
      ),
      proto: 1,
    },
    {
      bytes: v6(
        43,
        ip6OptionsHeader(
          60,
          2,
          ip6OptionsHeader(51, 1, cat(u8(6, 1), zeros(10), tcp({ sport: 1, dport: 2 }))),
        ),
      ),
      proto: 12,
    },
    {
      bytes: eth(MAC_B, MAC_A, 0x0800, v4(1, icmp(3, 3, zeros(4), v4(17, udp(7, 53, [])).slice(0, 28)))),
      proto: 1,
    },
    {
      bytes: v4(17, udp(1, 4789, vxlan(1, eth(MAC_A, MAC_B, 0x86dd, v6(58, icmp(128, 0, zeros(4))))))),
      proto: 11,
    },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x0800,
        v4(
          17,
          udp(
            1,
            6081,
            geneve(2, 0x6558, zeros(8), eth(MAC_A, MAC_B, 0x0800, v4(6, tcp({ sport: 3, dport: 4 })))),
          ),
        ),
      ),
      proto: 1,
    },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x0800,
        v4(
          17,
          udp(
            1,
            4789,
            vxlan(
              1,
              eth(
                MAC_A,
                MAC_B,
                0x0800,
                v4(
                  17,
                  udp(
                    1,
                    4789,
                    vxlan(2, eth(MAC_A, MAC_B, 0x0800, v4(4, v4(6, tcp({ sport: 9, dport: 9 }))))),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
      proto: 1,
    },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x0800,
        v4(17, roce(bth({ opcode: 0x06, destQp: 1, psn: 2 }, reth(1, 2, 3, 4))), { tos: 3 }),
      ),
      proto: 1,
    },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x0800,
        v4(17, roce(bth({ opcode: 0x81, becn: true, destQp: 1, psn: 0 }, zeros(16)))),
      ),
      proto: 1,
    },
    {
      bytes: eth(MAC_B, MAC_A, 0x0800, v4(17, roce(bth({ opcode: 0x11, destQp: 1, psn: 2 }, aeth(0x60, 3))))),
      proto: 1,
    },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x0800,
        v4(17, roce(bth({ opcode: 0x12, destQp: 1, psn: 2 }, cat(aeth(0, 3), zeros(8))))),
      ),
      proto: 1,
    },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x0800,
        v4(17, roce(bth({ opcode: 0x54, destQp: 1, psn: 2 }, cat(be32(1), deth(2, 3), zeros(8))))),
      ),
      proto: 1,
    },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x0800,
        v4(17, roce(bth({ opcode: 0xb3, destQp: 1, psn: 2 }, cat(be32(1), zeros(28))))),
      ),
      proto: 1,
    },
    {
      bytes: eth(
        MAC_B,
        MAC_A,
        0x86dd,
        v6(17, roce(bth({ opcode: 0x65, destQp: 1, psn: 2 }, cat(deth(1, 2), be32(3)))), 1),
      ),
      proto: 1,
    },
  ];
  return list;
}

const SEEDS = corpus();

test('fuzz: random bytes at every header protocol', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 160 }),
      fc.constantFrom(...PROTOCOLS),
      fc.nat(16),
      fc.integer({ min: 0, max: 255 }),
      (data, proto, pad, garbage) => {
        check(data, proto, pad, garbage);
      },
    ),
    { numRuns: 40_000 },
  );
});

test('fuzz: mutated and truncated valid packets', () => {
  const mutation = fc.record({ pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
  fc.assert(
    fc.property(
      fc.nat(SEEDS.length - 1),
      fc.array(mutation, { minLength: 0, maxLength: 6 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.oneof(fc.constant(-1), fc.constantFrom(...PROTOCOLS)),
      fc.nat(8),
      fc.integer({ min: 0, max: 255 }),
      (seed, mutations, cut, protoChoice, pad, garbage) => {
        const s = SEEDS[seed]!;
        const bytes = Uint8Array.from(s.bytes);
        for (const m of mutations) bytes[m.pos % bytes.length] = m.value;
        const len = cut === undefined ? bytes.length : cut % (bytes.length + 1);
        check(bytes.subarray(0, len), protoChoice < 0 ? s.proto : protoChoice, pad, garbage);
      },
    ),
    { numRuns: 45_000 },
  );
});

test('fuzz: structured headers with random interesting fields', () => {
  // Random Ethernet/IP/UDP skeletons steering into tunnels, RoCE and extension headers.
  const ethertype = fc.constantFrom(
    0x0800,
    0x86dd,
    0x8100,
    0x88a8,
    0x9100,
    0x8847,
    0x8848,
    0x0806,
    0x0010,
    0xffff,
  );
  const port = fc.constantFrom(4791, 4789, 6081, 53, 0);
  const l4 = fc.constantFrom(6, 17, 1, 58, 0, 43, 44, 60, 51, 50, 4, 41, 47, 2, 132, 59);
  fc.assert(
    fc.property(
      ethertype,
      l4,
      port,
      fc.uint8Array({ minLength: 0, maxLength: 120 }),
      fc.integer({ min: 0, max: 255 }),
      (type, proto, dport, tail, first) => {
        const t = Array.from(tail);
        const v4 = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', proto }, proto === 17 ? udp(1, dport, t) : t);
        const v6 = ipv6({ src: '::1', dst: '::2', nextHeader: proto }, proto === 17 ? udp(1, dport, t) : t);
        const payload = type === 0x86dd ? v6 : type === 0x0800 ? v4 : cat(u8(first, first), t);
        check(Uint8Array.from(eth(MAC_B, MAC_A, type, payload)), HEADER_ETHERNET, 3, 0xff);
        check(Uint8Array.from(v4), HEADER_IPV4, 0, 0);
        check(Uint8Array.from(v6), HEADER_IPV6, 1, 0x60);
      },
    ),
    { numRuns: 25_000 },
  );
});

test('exhaustive: every truncation length of every seed, several filler bytes', () => {
  for (const s of SEEDS) {
    const bytes = Uint8Array.from(s.bytes);
    for (let len = 0; len <= bytes.length; len++) {
      for (const garbage of [0x00, 0x01, 0x55, 0xaa, 0xff])
        check(bytes.subarray(0, len), s.proto, 2, garbage);
    }
  }
});

test('exhaustive: every byte position of every seed set to interesting values', () => {
  const values = [0x00, 0x01, 0x05, 0x08, 0x3f, 0x40, 0x45, 0x60, 0x7f, 0x80, 0xfe, 0xff];
  for (const s of SEEDS) {
    const bytes = Uint8Array.from(s.bytes);
    for (let pos = 0; pos < bytes.length; pos++) {
      const saved = bytes[pos]!;
      for (const v of values) {
        bytes[pos] = v;
        check(bytes, s.proto, 1, 0xee);
      }
      bytes[pos] = saved;
    }
  }
});
