import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIPv6 } from '../common/addr.js';
import { parseIpAddress } from './bytes.js';
import {
  buildUdpIpPacket,
  encapsulate,
  fragmentIpPacket,
  msToTicks,
  type PcapFrame,
  pcapngBlock,
  writePcap,
  writePcapng,
} from './pcap-writer.js';

const frame4: PcapFrame = {
  timestamp: 1_700_000_000_123.456,
  srcAddr: '192.0.2.1',
  srcPort: 50000,
  dstAddr: '198.51.100.7',
  dstPort: 6343,
  payload: Buffer.from('hello sflow!!'), // odd length: exercises checksum padding
};
const frame6: PcapFrame = {
  ...frame4,
  srcAddr: '2001:db8::1',
  dstAddr: '2001:db8:0:1::ff',
  dstPort: 4739,
};

/** Independent ones'-complement sum (folded, not inverted). */
function onesSum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i += 2) sum += (p[i]! << 8) | (i + 1 < p.length ? p[i + 1]! : 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, udpLen: number): Buffer {
  const tail = Buffer.alloc(src.length === 4 ? 4 : 8);
  if (src.length === 4) {
    tail[1] = 17;
    tail.writeUInt16BE(udpLen, 2);
  } else {
    tail.writeUInt32BE(udpLen, 0);
    tail[7] = 17;
  }
  return Buffer.concat([src, dst, tail]);
}

describe('pcap-writer: IP/UDP packets', () => {
  it('builds an IPv4/UDP packet with valid header and UDP checksums', () => {
    const p = buildUdpIpPacket(frame4, { ipId: 0x1234 });
    assert.equal(p[0], 0x45);
    assert.equal(p.readUInt16BE(2), 20 + 8 + 13);
    assert.equal(p.readUInt16BE(4), 0x1234);
    assert.equal(p[9], 17);
    assert.equal(onesSum(p.subarray(0, 20)), 0xffff, 'IPv4 header checksum');
    const udp = p.subarray(20);
    assert.equal(udp.readUInt16BE(0), 50000);
    assert.equal(udp.readUInt16BE(2), 6343);
    assert.equal(udp.readUInt16BE(4), 21);
    assert.notEqual(udp.readUInt16BE(6), 0);
    assert.equal(onesSum(pseudoHeader(p.subarray(12, 16), p.subarray(16, 20), udp.length), udp), 0xffff);
    assert.deepEqual(udp.subarray(8), Buffer.from('hello sflow!!'));
  });

  it('builds an IPv6/UDP packet with a valid UDP checksum', () => {
    const p = buildUdpIpPacket(frame6);
    assert.equal(p[0]! >> 4, 6);
    assert.equal(p.readUInt16BE(4), 8 + 13);
    assert.equal(p[6], 17);
    assert.equal(formatIPv6(p, 8), '2001:db8::1');
    assert.equal(formatIPv6(p, 24), '2001:db8:0:1::ff');
    const udp = p.subarray(40);
    assert.equal(onesSum(pseudoHeader(p.subarray(8, 24), p.subarray(24, 40), udp.length), udp), 0xffff);
  });

  it('inserts IPv6 extension headers and IPv4 options', () => {
    const p6 = buildUdpIpPacket(frame6, { ipv6ExtHeaders: [0, 43, 60, 51] });
    assert.equal(p6[6], 0);
    assert.equal(p6.readUInt16BE(4), 8 + 8 + 8 + 16 + 8 + 13);
    assert.equal(p6[40], 43);
    assert.equal(p6[48], 60);
    assert.equal(p6[56], 51);
    assert.equal(p6[64], 17);
    assert.equal(p6[65], 2, 'AH payload length');
    const p4 = buildUdpIpPacket(frame4, { ipv4Options: Uint8Array.of(1, 1, 1) });
    assert.equal(p4[0], 0x46);
    assert.equal(onesSum(p4.subarray(0, 24)), 0xffff);
  });

  it('rejects bad input', () => {
    assert.throws(() => buildUdpIpPacket({ ...frame4, dstAddr: '2001:db8::1' }), RangeError);
    assert.throws(() => buildUdpIpPacket({ ...frame4, srcAddr: '300.1.1.1' }), RangeError);
    assert.throws(() => buildUdpIpPacket({ ...frame4, srcPort: 70000 }), RangeError);
    assert.throws(() => buildUdpIpPacket({ ...frame4, payload: new Uint8Array(65508) }), RangeError);
  });

  it('fragments IPv4 packets on 8-byte boundaries with valid checksums', () => {
    const p = buildUdpIpPacket({ ...frame4, payload: new Uint8Array(3000).fill(7) }, { ipId: 99 });
    const frags = fragmentIpPacket(p, 1500, 99);
    assert.equal(frags.length, 3);
    let total = 0;
    for (const [i, f] of frags.entries()) {
      assert.ok(f.length <= 1500);
      assert.equal(onesSum(f.subarray(0, 20)), 0xffff);
      assert.equal(f.readUInt16BE(4), 99);
      const fo = f.readUInt16BE(6);
      assert.equal((fo & 0x1fff) * 8, total);
      assert.equal((fo & 0x2000) !== 0, i < 2);
      total += f.length - 20;
    }
    assert.equal(total, p.length - 20);
  });

  it('fragments IPv6 packets with a Fragment header', () => {
    const p = buildUdpIpPacket({ ...frame6, payload: new Uint8Array(3000) }, { ipv6ExtHeaders: [60] });
    const frags = fragmentIpPacket(p, 1280, 0xdeadbeef);
    assert.equal(frags.length, 3);
    for (const [i, f] of frags.entries()) {
      assert.ok(f.length <= 1280);
      assert.equal(f[6], 44);
      assert.equal(f[40], 60, 'next header of the fragmentable part');
      assert.equal(f.readUInt32BE(44), 0xdeadbeef);
      assert.equal((f.readUInt16BE(42) & 1) === 1, i < 2);
    }
  });
});

describe('pcap-writer: link layers and files', () => {
  it('writes ethernet, VLAN and QinQ headers', () => {
    const ip = buildUdpIpPacket(frame4);
    assert.equal(encapsulate(ip, 'ethernet').readUInt16BE(12), 0x0800);
    const one = encapsulate(ip, 'ethernet', { vlan: 100 });
    assert.equal(one.readUInt16BE(12), 0x8100);
    assert.equal(one.readUInt16BE(14), 100);
    assert.equal(one.readUInt16BE(16), 0x0800);
    const two = encapsulate(ip, 'ethernet', { vlan: [10, 20] });
    assert.equal(two.readUInt16BE(12), 0x88a8);
    assert.equal(two.readUInt16BE(16), 0x8100);
    assert.equal(two.readUInt16BE(18), 20);
    assert.equal(two.readUInt16BE(20), 0x0800);
    assert.equal(encapsulate(buildUdpIpPacket(frame6), 'sll').readUInt16BE(14), 0x86dd);
    assert.equal(encapsulate(ip, 'sll2').readUInt16BE(0), 0x0800);
    assert.equal(encapsulate(ip, 'null', { bigEndian: true }).readUInt32BE(0), 2);
    assert.equal(encapsulate(buildUdpIpPacket(frame6), 'null').readUInt32LE(0), 30);
  });

  it('writes pcap headers in both byte orders and resolutions', () => {
    const le = writePcap([frame4]);
    assert.equal(le.readUInt32LE(0), 0xa1b2c3d4);
    assert.equal(le.readUInt32LE(20), 1);
    assert.equal(le.readUInt32LE(24), 1_700_000_000);
    assert.equal(le.readUInt32LE(28), 123_456);
    const beNs = writePcap([frame4], { bigEndian: true, nanosecond: true, linktype: 'sll' });
    assert.equal(beNs.readUInt32BE(0), 0xa1b23c4d);
    assert.equal(beNs.readUInt32BE(20), 113);
    assert.equal(Math.abs(beNs.readUInt32BE(28) - 123_456_000) < 1000, true);
    const snap = writePcap([{ ...frame4, payload: new Uint8Array(500) }], { snaplen: 100 });
    assert.equal(snap.readUInt32LE(32), 100);
    assert.equal(snap.readUInt32LE(36), 14 + 28 + 500);
  });

  it('writes pcapng blocks padded to 4 bytes with matching lengths', () => {
    const b = pcapngBlock(0x1234, Uint8Array.of(1, 2, 3, 4, 5));
    assert.equal(b.length, 20);
    assert.equal(b.readUInt32LE(4), 20);
    assert.equal(b.readUInt32LE(16), 20);
    const file = writePcapng([frame4], { bigEndian: true, tsresol: 9 });
    assert.equal(file.readUInt32BE(8), 0x1a2b3c4d);
    assert.equal(msToTicks(1500, 9), 1_500_000_000n);
    assert.equal(msToTicks(1500, 0x80 | 10), 1536n);
  });
});

describe('address text', () => {
  it('formats IPv6 per RFC 5952', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // longest run wins
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // leftmost of equal runs
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['FE80::ABCD', 'fe80::abcd'],
    ];
    for (const [input, want] of cases) {
      const p = parseIpAddress(input);
      assert.ok(p && p.version === 6, input);
      assert.equal(formatIPv6(p.bytes, 0), want, input);
    }
  });

  it('rejects malformed addresses', () => {
    for (const bad of ['1.2.3', '1.2.3.256', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '', '::1.2.3']) {
      assert.equal(parseIpAddress(bad), null, bad);
    }
  });
});
