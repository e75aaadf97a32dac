import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  bth,
  cat,
  eth,
  ipv4,
  ipv6,
  MAC_A,
  MAC_B,
  reth,
  tcp,
  udp,
  vxlan,
  zeros,
} from './build.test-helper.js';
import { dissect, HEADER_ETHERNET, Packet } from './dissect.js';
import { DSCP_NAMES, formatIPv4, formatIPv6, formatMac } from './format.js';
import { keyGetter, PACKET_KEY_ALIASES, PACKET_KEY_NAMES, packetKeys } from './keys.js';
import { OPCODE_NAMES, TRANSPORT_NAMES } from './roce.js';

/** Packet keys documented for sFlow-RT (sflow-rt-reference.md 2.3) that come from the packet header. */
const SFLOW_RT_NAMES = [
  'stack',
  'ip_offset',
  'ibbt_offset',
  'macsource',
  'macdestination',
  'ethernetprotocol',
  'isunicast',
  'ismulticast',
  'isbroadcast',
  'vlan',
  'priority',
  'ipsource',
  'ipdestination',
  'ipprotocol',
  'ipbytes',
  'iptos',
  'ipdscp',
  'ipdscpname',
  'ipecn',
  'ipttl',
  'ipflags',
  'ipfragoffset',
  'ip6source',
  'ip6destination',
  'ip6nexthdr',
  'ip6bytes',
  'ip6tos',
  'ip6dscp',
  'ip6dscpname',
  'ip6ecn',
  'ip6flowlabel',
  'ip6fragm',
  'ip6fragoffset',
  'tcpsourceport',
  'tcpdestinationport',
  'tcpflags',
  'udpsourceport',
  'udpdestinationport',
  'icmptype',
  'icmpcode',
  'icmpseqno',
  'icmp6type',
  'icmpunreachableport',
  'icmpunreachableprotocol',
  'icmpunreachablehost',
  'icmpunreachablenet',
  'arpoperation',
  'arpipsender',
  'arpiptarget',
  'vni',
  'vxlanvni',
  'genevevni',
  'ibbtopcode',
  'ibbtopname',
  'ibbtoptransport',
  'ibbttver',
  'ibbtack',
  'ibbtdestqp',
  'ibbtse',
  'ibbtm',
  'ibbtrdmalen',
  'ibbtaethack',
];

const ROCE_WRITE = eth(
  MAC_B,
  MAC_A,
  0x0800,
  ipv4(
    { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 3 },
    udp(1, 4791, bth({ opcode: 6, destQp: 7, psn: 8 }, reth(0, 0, 1, 2))),
  ),
);

function dissected(bytes: number[]): Packet {
  return dissect(Uint8Array.from(bytes), 0, bytes.length, HEADER_ETHERNET);
}

test('PACKET_KEY_NAMES covers every sFlow-RT packet key name, without duplicates', () => {
  assert.equal(new Set(PACKET_KEY_NAMES).size, PACKET_KEY_NAMES.length);
  for (const name of SFLOW_RT_NAMES) assert.ok(PACKET_KEY_NAMES.includes(name), name);
  for (const name of PACKET_KEY_NAMES) {
    assert.match(name, /^[a-z0-9_]+$/);
    assert.equal(typeof keyGetter(name), 'function', name);
  }
  assert.ok(Object.isFrozen(PACKET_KEY_NAMES));
});

test('keyGetter: inner suffixes, unknown names, caching, aliases', () => {
  const g = keyGetter('ipsource');
  assert.ok(g);
  assert.equal(keyGetter('ipsource'), g);
  assert.equal(typeof keyGetter('ipsource.1'), 'function');
  assert.equal(typeof keyGetter('ip_offset.2'), 'function');
  assert.equal(typeof keyGetter('ibbt_offset.3'), 'function');
  for (const bad of [
    '',
    '.',
    '.1',
    'ipsource.',
    'ipsource.0',
    'ipsource.4',
    'ipsource.10',
    'ipsource.1.1',
    'ipsource.x',
    'bytes',
    'agent',
    'IPSOURCE',
    'nosuchkey.1',
    'toString',
    '__proto__',
    'constructor',
  ]) {
    assert.equal(keyGetter(bad), undefined, bad);
  }
  for (const [alias, target] of Object.entries(PACKET_KEY_ALIASES)) {
    assert.ok(!PACKET_KEY_NAMES.includes(alias));
    const p = dissected(ROCE_WRITE);
    assert.equal(keyGetter(alias)!(p), keyGetter(target)!(p));
  }
  assert.equal(keyGetter('ibbtdestinationqp')!(dissected(ROCE_WRITE)), 7);
});

test('getters agree with packetKeys for every name and depth', () => {
  const inner = eth(
    MAC_A,
    MAC_B,
    0x0800,
    ipv4({ src: '192.168.0.1', dst: '192.168.0.2', proto: 6 }, tcp({ sport: 1, dport: 2 })),
  );
  const pkt = eth(
    MAC_B,
    MAC_A,
    0x86dd,
    ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 17 }, udp(3, 4789, vxlan(99, inner))),
  );
  const p = dissected(pkt);
  const all = packetKeys(p);
  for (const suffix of ['', '.1', '.2']) {
    for (const name of PACKET_KEY_NAMES) {
      assert.equal(keyGetter(name + suffix)!(p), all[name + suffix], name + suffix);
    }
  }
  assert.equal(all['ipsource.1'], '192.168.0.1');
  assert.equal(all.ipsource, undefined);
  assert.equal(Object.keys(all).filter((k) => k.endsWith('.2')).length, 0);
});

test('selective extraction: a 5-tuple only reads its own fields', () => {
  const names = ['ipsource', 'ipdestination', 'ipprotocol', 'tcpsourceport', 'tcpdestinationport'];
  const getters = names.map((n) => keyGetter(n)!);
  const pkt = eth(
    MAC_B,
    MAC_A,
    0x0800,
    ipv4({ src: '8.8.4.4', dst: '1.0.0.1', proto: 6 }, tcp({ sport: 53, dport: 40000 })),
  );
  const p = dissected(pkt);
  assert.deepEqual(
    getters.map((g) => g(p)),
    ['8.8.4.4', '1.0.0.1', 6, 53, 40000],
  );
  // Lazily computed text is not produced unless asked for.
  assert.equal(p.stackText, undefined);
  assert.equal(keyGetter('stack')!(p), 'eth.ip.tcp');
  assert.equal(p.stackText, 'eth.ip.tcp');
});

test('sFlow-RT filter idioms evaluate as in ai-metrics / ddos-protect', () => {
  const p = dissected(ROCE_WRITE);
  const k = (name: string) => String(keyGetter(name)!(p));
  // ai_ecn: ibbt_offset!=null&(ipecn=11|ip6ecn=11)
  assert.notEqual(keyGetter('ibbt_offset')!(p), undefined);
  assert.equal(k('ipecn'), '11');
  // suffix:stack:.:1=ibbt
  assert.equal(k('stack').split('.').at(-1), 'ibbt');
  // concat:\::ibbtoptransport:ibbtopname
  assert.equal(`${k('ibbtoptransport')}:${k('ibbtopname')}`, 'RC:RDMA_WRITE_FIRST');
  // tcpflags~.......1. matches SYN
  const syn = dissected(
    eth(
      MAC_B,
      MAC_A,
      0x0800,
      ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, tcp({ sport: 1, dport: 2, flags: 0x002 })),
    ),
  );
  assert.match(String(keyGetter('tcpflags')!(syn)), /^.......1.$/);
  assert.doesNotMatch(String(keyGetter('tcpflags')!(syn)), /^....1..1.$/);
});

test('formatIPv6 matches WHATWG URL serialization (RFC 5952 compression) on random addresses', () => {
  // Bias groups towards zero so that runs of zeros are common.
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
      const bytes = new Uint8Array(16);
      groups.forEach((g, i) => {
        bytes[2 * i] = g >> 8;
        bytes[2 * i + 1] = g & 0xff;
      });
      const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
      const text = formatIPv6(bytes, 0);
      if (mapped) {
        assert.equal(text, `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`);
      } else {
        const reference = new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname;
        assert.equal(`[${text}]`, reference);
      }
    }),
    { numRuns: 5000 },
  );
  const b = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => Number.parseInt(h, 16)));
  assert.equal(formatIPv6(b('20010db8000000000000000000000001'), 0), '2001:db8::1');
  assert.equal(formatIPv6(b('20010db8000000010000000000000001'), 0), '2001:db8:0:1::1');
  assert.equal(formatIPv6(b('20010db8000100000001000000000001'), 0), '2001:db8:1:0:1::1');
  assert.equal(formatIPv6(b('20010db80000000100000000000000ff'), 0), '2001:db8:0:1::ff');
  assert.equal(formatIPv6(b('20010db8aaaabbbbccccddddeeee0001'), 0), '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1');
  assert.equal(formatIPv6(b('20010db8000012340000000000000000'), 0), '2001:db8:0:1234::');
  assert.equal(formatIPv6(b('00000000000000000000000000000000'), 0), '::');
  assert.equal(formatIPv6(b('00000000000000000000ffffc0000201'), 0), '::ffff:192.0.2.1');
});

test('formatIPv4 cache returns correct text under collisions', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 50 }),
      (addrs) => {
        for (const a of [...addrs, ...addrs]) {
          const bytes = Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
          assert.equal(formatIPv4(bytes, 0), `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`);
        }
      },
    ),
    { numRuns: 2000 },
  );
  assert.equal(formatIPv4(Uint8Array.of(0, 0, 0, 0), 0), '0.0.0.0');
  assert.equal(formatIPv4(Uint8Array.of(255, 255, 255, 255), 0), '255.255.255.255');
});

test('formatMac: 12 upper-case hex digits, no separators', () => {
  assert.equal(
    formatMac(Uint8Array.of(0, 0x50, 0x56, 0x9c, 0x1b, 0xa3), 0),
    (0x0050569c1ba3).toString(16).toUpperCase().padStart(12, '0'),
  );
  assert.equal(formatMac(Uint8Array.of(9, 0xab, 0xcd, 0xef, 0, 1), 0), '09ABCDEF0001');
});

test('DSCP names (RFC 4594 / 5865 / 8622) and TCP/IP flag text', () => {
  const expected: Record<number, string> = {
    0: 'CS0',
    1: 'LE',
    8: 'CS1',
    10: 'AF11',
    12: 'AF12',
    14: 'AF13',
    16: 'CS2',
    18: 'AF21',
    20: 'AF22',
    22: 'AF23',
    24: 'CS3',
    26: 'AF31',
    28: 'AF32',
    30: 'AF33',
    32: 'CS4',
    34: 'AF41',
    36: 'AF42',
    38: 'AF43',
    40: 'CS5',
    44: 'VA',
    46: 'EF',
    48: 'CS6',
    56: 'CS7',
  };
  for (let d = 0; d < 64; d++) assert.equal(DSCP_NAMES[d], expected[d] ?? String(d), `dscp ${d}`);
  const p = dissected(
    eth(
      MAC_B,
      MAC_A,
      0x0800,
      ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, tos: (44 << 2) | 2 }, tcp({ sport: 1, dport: 2 })),
    ),
  );
  assert.equal(keyGetter('ipdscpname')!(p), 'VA');
  assert.equal(keyGetter('ipecn')!(p), '10');
});

test('RoCE opcode tables', () => {
  assert.equal(OPCODE_NAMES.length, 256);
  assert.equal(OPCODE_NAMES[0x00], 'SEND_FIRST');
  assert.equal(OPCODE_NAMES[0x03], 'SEND_LAST_WITH_IMMEDIATE');
  assert.equal(OPCODE_NAMES[0x05], 'SEND_ONLY_WITH_IMMEDIATE');
  assert.equal(OPCODE_NAMES[0x0c], 'RDMA_READ_REQUEST');
  assert.equal(OPCODE_NAMES[0x11], 'ACK');
  assert.equal(OPCODE_NAMES[0x2c], 'UNKNOWN'); // UC has no RDMA READ
  assert.equal(OPCODE_NAMES[0x44], 'SEND_ONLY');
  assert.equal(OPCODE_NAMES[0x60], 'UNKNOWN'); // UD only has SEND Only (+Imm)
  assert.equal(OPCODE_NAMES[0x64], 'SEND_ONLY');
  assert.equal(OPCODE_NAMES[0x80], 'UNKNOWN');
  assert.equal(OPCODE_NAMES[0x81], 'CNP');
  assert.equal(OPCODE_NAMES[0xb1], 'ACK');
  assert.deepEqual(TRANSPORT_NAMES.slice(0, 6), ['RC', 'UC', 'RD', 'UD', 'CNP', 'XRC']);
});

test('absent layers give undefined, never placeholder values', () => {
  const p = dissected(cat(eth(MAC_B, MAC_A, 0x9000, zeros(40))));
  for (const name of PACKET_KEY_NAMES) {
    const v = keyGetter(name)!(p);
    if (
      [
        'headerprotocol',
        'stack',
        'macsource',
        'macdestination',
        'ethernetprotocol',
        'isunicast',
        'ismulticast',
        'isbroadcast',
      ].includes(name)
    ) {
      assert.notEqual(v, undefined, name);
    } else {
      assert.equal(v, undefined, name);
    }
  }
  const empty = new Packet();
  for (const name of PACKET_KEY_NAMES) assert.equal(keyGetter(name)!(empty), undefined, name);
  assert.deepEqual(packetKeys(empty), {});
});
