import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  aeth,
  type Bytes,
  be16,
  be32,
  bth,
  cat,
  deth,
  embed,
  eth,
  geneve,
  icmp,
  ip4,
  ip6Fragment,
  ip6OptionsHeader,
  ipv4,
  ipv6,
  MAC_A,
  MAC_B,
  mac,
  mplsLabel,
  reth,
  tcp,
  u8,
  udp,
  vxlan,
  zeros,
} from './build.test-helper.js';
import { dissect, HEADER_ETHERNET, HEADER_IPV4, HEADER_IPV6, Packet } from './dissect.js';
import { type KeyGetter, type KeyValue, keyGetter, packetKeys } from './keys.js';

const PAD = 5;
const TAIL = 7;

/** Dissect `bytes` placed inside a larger buffer (garbage before and after) and return every key. */
function keys(bytes: Bytes, proto = HEADER_ETHERNET, length = bytes.length): Record<string, KeyValue> {
  return packetKeys(dissect(embed(bytes, PAD, TAIL), PAD, length, proto));
}

const ETH_KEYS = {
  headerprotocol: 1,
  macsource: '02000000000A',
  macdestination: '02000000000B',
  isunicast: 'true',
  ismulticast: 'false',
  isbroadcast: 'false',
};

// --- Plain Ethernet / IPv4 / TCP ------------------------------------------------------

const TCP_SYN = eth(
  MAC_B,
  MAC_A,
  0x0800,
  ipv4(
    { src: '10.0.0.1', dst: '192.168.200.254', proto: 6, tos: 0xb8, ttl: 64, id: 0x1234, flags: 2 },
    tcp({ sport: 43210, dport: 443, flags: 0x002, window: 64240 }),
  ),
);

test('Ethernet IPv4 TCP SYN: every key', () => {
  assert.deepEqual(keys(TCP_SYN), {
    ...ETH_KEYS,
    stack: 'eth.ip.tcp',
    ethernetprotocol: 2048,
    ip_offset: 14,
    ipsource: '10.0.0.1',
    ipdestination: '192.168.200.254',
    ipprotocol: 6,
    ipbytes: 40,
    iptos: 184,
    ipdscp: 46,
    ipdscpname: 'EF',
    ipecn: '00',
    ipttl: 64,
    ipid: 0x1234,
    ipflags: '010',
    ipfragoffset: 0,
    tcpsourceport: 43210,
    tcpdestinationport: 443,
    tcpflags: '000000010',
    tcpwindow: 64240,
  });
});

test('TCP flags: all nine bits in sFlow-RT order (NS CWR ECE URG ACK PSH RST SYN FIN)', () => {
  const cases: [number, string][] = [
    [0x012, '000010010'], // SYN+ACK
    [0x001, '000000001'], // FIN
    [0x100, '100000000'], // NS
    [0x0c2, '011000010'], // CWR+ECE+SYN
    [0x1ff, '111111111'],
  ];
  for (const [flags, text] of cases) {
    const pkt = eth(
      MAC_B,
      MAC_A,
      0x0800,
      ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, tcp({ sport: 1, dport: 2, flags })),
    );
    assert.equal(keys(pkt).tcpflags, text, `flags 0x${flags.toString(16)}`);
  }
});

test('packet reuse: fields from a previous dissection never leak', () => {
  const p = new Packet();
  const roce = eth(
    MAC_B,
    MAC_A,
    0x0800,
    ipv4(
      { src: '1.1.1.1', dst: '2.2.2.2', proto: 17 },
      udp(1, 4791, bth({ opcode: 0x06, destQp: 1, psn: 1 }, reth(0, 0, 0, 1))),
    ),
  );
  dissect(embed(roce), 0, roce.length, 1, p);
  assert.equal(packetKeys(p).ibbtrdmalen, 1);
  const again = dissect(embed(TCP_SYN, PAD, TAIL), PAD, TCP_SYN.length, 1, p);
  assert.equal(again, p);
  assert.deepEqual(packetKeys(p), keys(TCP_SYN));
});

// --- VLAN / QinQ ----------------------------------------------------------------------

test('QinQ 802.1ad + 802.1Q, IPv6 UDP: vlan keys, traffic class, flow label, compressed addresses', () => {
  const pkt = eth(
    MAC_B,
    MAC_A,
    0x86dd,
    ipv6(
      {
        src: '2001:db8::1',
        dst: 'fe80::1:0:0:2',
        nextHeader: 17,
        trafficClass: (10 << 2) | 1,
        flowLabel: 0x12345,
        hopLimit: 63,
      },
      udp(5000, 53, [1, 2, 3, 4]),
    ),
    [
      { tpid: 0x88a8, vid: 100, pcp: 3 },
      { tpid: 0x8100, vid: 200, pcp: 5 },
    ],
  );
  assert.deepEqual(keys(pkt), {
    ...ETH_KEYS,
    stack: 'eth.q.q.ip6.udp',
    ethernetprotocol: 34525,
    vlan: 100,
    priority: 3,
    vlanstack: '100.200',
    ip_offset: 22,
    ip6source: '2001:db8::1',
    ip6destination: 'fe80::1:0:0:2',
    ip6nexthdr: 17,
    ip6bytes: 52,
    ip6tos: 41,
    ip6dscp: 10,
    ip6dscpname: 'AF11',
    ip6ecn: '01',
    ip6flowlabel: 0x12345,
    ip6ttl: 63,
    udpsourceport: 5000,
    udpdestinationport: 53,
    udpbytes: 12,
  });
});

test('QinQ with legacy 0x9100 outer tag and single 802.1Q tag', () => {
  const inner = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', proto: 17 }, udp(1, 2, []));
  const k = keys(
    eth(MAC_B, MAC_A, 0x0800, inner, [
      { tpid: 0x9100, vid: 10, pcp: 1 },
      { vid: 4094, pcp: 7 },
    ]),
  );
  assert.equal(k.stack, 'eth.q.q.ip.udp');
  assert.equal(k.vlan, 10);
  assert.equal(k.priority, 1);
  assert.equal(k.vlanstack, '10.4094');
  assert.equal(k.ip_offset, 22);
  const single = keys(eth(MAC_B, MAC_A, 0x0800, inner, [{ vid: 7, pcp: 6, dei: true }]));
  assert.equal(single.stack, 'eth.q.ip.udp');
  assert.equal(single.vlan, 7);
  assert.equal(single.priority, 6);
  assert.equal(single.vlanstack, '7');
  assert.equal(single.ethernetprotocol, 2048);
});

// --- MPLS -----------------------------------------------------------------------------

test('MPLS label stack then IPv4 ICMP echo (version nibble guess)', () => {
  const pkt = eth(
    MAC_B,
    MAC_A,
    0x8847,
    cat(
      mplsLabel(16, 0, false, 255),
      mplsLabel(1000, 5, true, 254),
      ipv4(
        { src: '172.16.0.1', dst: '172.16.0.2', proto: 1, ttl: 9 },
        icmp(8, 0, cat(be16(1), be16(7)), [0xaa, 0xbb]),
      ),
    ),
  );
  assert.deepEqual(keys(pkt), {
    ...ETH_KEYS,
    stack: 'eth.mpls.ip.icmp',
    ethernetprotocol: 34887,
    mplslabel: 16,
    mplstc: 0,
    mplsttl: 255,
    mplslabelstack: '16.1000',
    ip_offset: 22,
    ipsource: '172.16.0.1',
    ipdestination: '172.16.0.2',
    ipprotocol: 1,
    ipbytes: 30,
    iptos: 0,
    ipdscp: 0,
    ipdscpname: 'CS0',
    ipecn: '00',
    ipttl: 9,
    ipid: 0x1234,
    ipflags: '000',
    ipfragoffset: 0,
    icmptype: 8,
    icmpcode: 0,
    icmpseqno: 7,
  });
});

test('MPLS over IPv6 and MPLS with a non-IP payload', () => {
  const v6 = keys(
    eth(
      MAC_B,
      MAC_A,
      0x8848,
      cat(mplsLabel(3, 7, true, 1), ipv6({ src: '::1', dst: '::', nextHeader: 59 }, [])),
    ),
  );
  assert.equal(v6.stack, 'eth.mpls.ip6');
  assert.equal(v6.mplslabel, 3);
  assert.equal(v6.mplstc, 7);
  assert.equal(v6.ip6source, '::1');
  assert.equal(v6.ip6destination, '::');
  assert.equal(v6.ip6nexthdr, 59);
  const pw = keys(
    eth(MAC_B, MAC_A, 0x8847, cat(mplsLabel(20, 0, true, 64), zeros(4), eth(MAC_A, MAC_B, 0x0800, []))),
  );
  assert.equal(pw.stack, 'eth.mpls');
  assert.equal(pw.ipsource, undefined);
});

// --- IPv4 options and fragments -------------------------------------------------------

test('IPv4 options are skipped by IHL; first fragment still decodes UDP', () => {
  const pkt = eth(
    MAC_B,
    MAC_A,
    0x0800,
    ipv4(
      { src: '10.9.8.7', dst: '10.9.8.6', proto: 17, flags: 1, options: [0x94, 0x04, 0x00, 0x00], tos: 0x02 },
      udp(123, 123, zeros(48)),
    ),
  );
  const k = keys(pkt);
  assert.equal(k.stack, 'eth.ip.udp');
  assert.equal(k.ipflags, '001');
  assert.equal(k.ipfragoffset, 0);
  assert.equal(k.ipbytes, 24 + 8 + 48);
  assert.equal(k.ipecn, '10');
  assert.equal(k.udpsourceport, 123);
  assert.equal(k.udpbytes, 56);
});

test('IPv4 non-first fragment: no transport keys', () => {
  const pkt = eth(
    MAC_B,
    MAC_A,
    0x0800,
    ipv4({ src: '10.9.8.7', dst: '10.9.8.6', proto: 17, fragOffset: 185, id: 77 }, udp(123, 123, [])),
  );
  const k = keys(pkt);
  assert.equal(k.stack, 'eth.ip');
  assert.equal(k.ipfragoffset, 185);
  assert.equal(k.ipflags, '000');
  assert.equal(k.ipid, 77);
  assert.equal(k.ipprotocol, 17);
  assert.equal(k.udpsourceport, undefined);
});

test('IPv4 with bad version or IHL < 5 is not decoded', () => {
  const good = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, tcp({ sport: 1, dport: 2 }));
  const badIhl = [...good];
  badIhl[0] = 0x44;
  assert.equal(keys(eth(MAC_B, MAC_A, 0x0800, badIhl)).stack, 'eth');
  const badVersion = [...good];
  badVersion[0] = 0x65;
  assert.equal(keys(eth(MAC_B, MAC_A, 0x0800, badVersion)).stack, 'eth');
  assert.deepEqual(keys(badVersion, HEADER_IPV4), { headerprotocol: 11 });
});

// --- IPv6 extension headers -----------------------------------------------------------

test('IPv6 hop-by-hop + fragment (first) headers, then UDP', () => {
  const pkt = eth(
    MAC_B,
    MAC_A,
    0x86dd,
    ipv6(
      { src: '2001:db8:0:1::10', dst: 'ff02::1:ff00:10', nextHeader: 0 },
      ip6OptionsHeader(44, 1, ip6Fragment(17, 0, true, 0xdeadbeef, udp(546, 547, zeros(10)))),
    ),
  );
  const k = keys(pkt);
  assert.equal(k.stack, 'eth.ip6.udp');
  assert.equal(k.ip6nexthdr, 17);
  assert.equal(k.ip6fragm, 'true');
  assert.equal(k.ip6fragoffset, 0);
  assert.equal(k.ip6bytes, 40 + 8 + 8 + 18);
  assert.equal(k.ip6destination, 'ff02::1:ff00:10');
  assert.equal(k.udpsourceport, 546);
  assert.equal(k.udpdestinationport, 547);
});

test('IPv6 non-first fragment: protocol known, no transport header', () => {
  const pkt = ipv6(
    { src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 44 },
    ip6Fragment(6, 100, false, 1, tcp({ sport: 1, dport: 2 })),
  );
  const k = keys(pkt, HEADER_IPV6);
  assert.equal(k.stack, 'ip6');
  assert.equal(k.ip_offset, 0);
  assert.equal(k.ip6nexthdr, 6);
  assert.equal(k.ip6fragm, 'false');
  assert.equal(k.ip6fragoffset, 100);
  assert.equal(k.tcpsourceport, undefined);
});

test('IPv6 routing + destination options + AH chain, then TCP', () => {
  const ah = cat(u8(6, 4), zeros(2), be32(0x100), be32(1), zeros(12)); // payload len 4 -> (4+2)*4 = 24 bytes
  const pkt = ipv6(
    { src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 43 },
    ip6OptionsHeader(60, 3, ip6OptionsHeader(51, 1, cat(ah, tcp({ sport: 22, dport: 40000, flags: 0x018 })))),
  );
  const k = keys(pkt, HEADER_IPV6);
  assert.equal(k.stack, 'ip6.tcp');
  assert.equal(k.ip6nexthdr, 6);
  assert.equal(k.tcpsourceport, 22);
  assert.equal(k.tcpflags, '000011000');
  assert.equal(k.ip6fragm, undefined);
});

test('IPv6 extension header chain longer than the limit stops without ip6nexthdr', () => {
  let payload: Bytes = udp(1, 2, []);
  for (let i = 0; i < 12; i++) payload = ip6OptionsHeader(i === 0 ? 17 : 60, 1, payload);
  const k = keys(ipv6({ src: '::1', dst: '::2', nextHeader: 60 }, payload), HEADER_IPV6);
  assert.equal(k.stack, 'ip6');
  assert.equal(k.ip6nexthdr, undefined);
});

// --- ICMP -----------------------------------------------------------------------------

function unreachable(code: number): Bytes {
  const original = ipv4(
    { src: '10.0.0.1', dst: '198.51.100.7', proto: 17, ttl: 1 },
    udp(33000, 53, zeros(4)),
  );
  return eth(
    MAC_B,
    MAC_A,
    0x0800,
    ipv4(
      { src: '192.0.2.1', dst: '10.0.0.1', proto: 1, tos: 0xc0 },
      icmp(3, code, zeros(4), original.slice(0, 28)),
    ),
  );
}

test('ICMP port unreachable with embedded IPv4/UDP', () => {
  assert.deepEqual(keys(unreachable(3)), {
    ...ETH_KEYS,
    stack: 'eth.ip.icmp',
    ethernetprotocol: 2048,
    ip_offset: 14,
    ipsource: '192.0.2.1',
    ipdestination: '10.0.0.1',
    ipprotocol: 1,
    ipbytes: 56,
    iptos: 192,
    ipdscp: 48,
    ipdscpname: 'CS6',
    ipecn: '00',
    ipttl: 64,
    ipid: 0x1234,
    ipflags: '000',
    ipfragoffset: 0,
    icmptype: 3,
    icmpcode: 3,
    icmpunreachableport: 53,
  });
});

test('ICMP net / host / protocol unreachable', () => {
  const net = keys(unreachable(0));
  assert.equal(net.icmpunreachablenet, '198.51.100.7');
  assert.equal(net.icmpunreachablehost, undefined);
  assert.equal(net.icmpunreachableport, undefined);
  const host = keys(unreachable(1));
  assert.equal(host.icmpunreachablehost, '198.51.100.7');
  assert.equal(host.icmpunreachablenet, undefined);
  const proto = keys(unreachable(2));
  assert.equal(proto.icmpunreachableprotocol, 17);
  assert.equal(proto.icmpunreachablehost, undefined);
  // Embedded header cut short: code still known, no embedded keys.
  const cut = unreachable(3);
  const k = keys(cut, HEADER_ETHERNET, 14 + 20 + 8 + 10);
  assert.equal(k.icmpcode, 3);
  assert.equal(k.icmpunreachableport, undefined);
  // ICMP echo reply carries a sequence number; other types do not.
  const echo = keys(
    eth(
      MAC_B,
      MAC_A,
      0x0800,
      ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 1 }, icmp(0, 0, cat(be16(9), be16(65535)))),
    ),
  );
  assert.equal(echo.icmpseqno, 65535);
  assert.equal(keys(unreachable(3)).icmpseqno, undefined);
});

// --- Tunnels --------------------------------------------------------------------------

const INNER_MAC_SRC = '00:16:3e:aa:bb:cc';
const INNER_MAC_DST = '33:33:00:00:00:01';

const VXLAN_V6 = eth(
  MAC_B,
  MAC_A,
  0x0800,
  ipv4(
    { src: '10.1.1.1', dst: '10.1.1.2', proto: 17 },
    udp(
      49152,
      4789,
      vxlan(
        5000,
        eth(
          INNER_MAC_DST,
          INNER_MAC_SRC,
          0x86dd,
          ipv6(
            { src: 'fd00::1', dst: 'ff02::1', nextHeader: 58, hopLimit: 255 },
            icmp(128, 0, cat(be16(1), be16(2))),
          ),
        ),
      ),
    ),
  ),
);

test('VXLAN with inner Ethernet/IPv6/ICMPv6 exposes .1 keys', () => {
  const k = keys(VXLAN_V6);
  assert.equal(k.stack, 'eth.ip.udp.vxlan.eth.ip6.icmp6');
  assert.equal(k.vxlanvni, 5000);
  assert.equal(k.vni, 5000);
  assert.equal(k.genevevni, undefined);
  assert.equal(k.udpdestinationport, 4789);
  assert.equal(k.ipsource, '10.1.1.1');
  const inner = Object.fromEntries(Object.entries(k).filter(([name]) => name.endsWith('.1')));
  assert.deepEqual(inner, {
    'headerprotocol.1': 1,
    'stack.1': 'eth.ip6.icmp6',
    'macsource.1': '00163EAABBCC',
    'macdestination.1': '333300000001',
    'ethernetprotocol.1': 34525,
    'isunicast.1': 'false',
    'ismulticast.1': 'true',
    'isbroadcast.1': 'false',
    'ip_offset.1': 14 + 20 + 8 + 8 + 14,
    'ip6source.1': 'fd00::1',
    'ip6destination.1': 'ff02::1',
    'ip6nexthdr.1': 58,
    'ip6bytes.1': 48,
    'ip6tos.1': 0,
    'ip6dscp.1': 0,
    'ip6dscpname.1': 'CS0',
    'ip6ecn.1': '00',
    'ip6flowlabel.1': 0,
    'ip6ttl.1': 255,
    'icmp6type.1': 128,
    'icmp6code.1': 0,
  });
});

test('GENEVE with options, inner Ethernet/IPv4/TCP', () => {
  const option = cat(be16(0x0102), u8(0x80, 1), be32(0xcafef00d)); // class, type, len=1 word
  const pkt = eth(
    MAC_B,
    MAC_A,
    0x86dd,
    ipv6(
      { src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17 },
      udp(
        1111,
        6081,
        geneve(
          0xabcdef,
          0x6558,
          option,
          eth(
            MAC_A,
            MAC_B,
            0x0800,
            ipv4(
              { src: '192.168.1.1', dst: '192.168.1.2', proto: 6 },
              tcp({ sport: 80, dport: 8080, flags: 0x010 }),
            ),
          ),
        ),
      ),
    ),
  );
  const k = keys(pkt);
  assert.equal(k.stack, 'eth.ip6.udp.geneve.eth.ip.tcp');
  assert.equal(k.genevevni, 0xabcdef);
  assert.equal(k.vni, 0xabcdef);
  assert.equal(k.vxlanvni, undefined);
  assert.equal(k['stack.1'], 'eth.ip.tcp');
  assert.equal(k['macsource.1'], '02000000000B');
  assert.equal(k['ipsource.1'], '192.168.1.1');
  assert.equal(k['ipdestination.1'], '192.168.1.2');
  assert.equal(k['tcpdestinationport.1'], 8080);
  assert.equal(k['tcpflags.1'], '000010000');
  assert.equal(k['ip_offset.1'], 14 + 40 + 8 + 8 + 8 + 14);
  assert.equal(k.ip6source, '2001:db8::1');
});

test('GENEVE carrying IPv4 directly, and options longer than the sample', () => {
  const direct = keys(
    eth(
      MAC_B,
      MAC_A,
      0x0800,
      ipv4(
        { src: '1.0.0.1', dst: '1.0.0.2', proto: 17 },
        udp(
          1,
          6081,
          geneve(7, 0x0800, [], ipv4({ src: '9.9.9.9', dst: '8.8.8.8', proto: 17 }, udp(5, 6, []))),
        ),
      ),
    ),
  );
  assert.equal(direct.stack, 'eth.ip.udp.geneve.ip.udp');
  assert.equal(direct['headerprotocol.1'], 11);
  assert.equal(direct['ipsource.1'], '9.9.9.9');
  assert.equal(direct['macsource.1'], undefined);
  const hugeOptions = cat(u8(0x3f, 0), be16(0x6558), u8(0, 0, 1, 0), zeros(8));
  const k = keys(
    eth(MAC_B, MAC_A, 0x0800, ipv4({ src: '1.0.0.1', dst: '1.0.0.2', proto: 17 }, udp(1, 6081, hugeOptions))),
  );
  assert.equal(k.stack, 'eth.ip.udp.geneve');
  assert.equal(k.genevevni, 1);
  assert.equal(k['stack.1'], undefined);
});

test('nested VXLAN in VXLAN exposes .2 keys', () => {
  const innermost = eth(
    MAC_A,
    MAC_B,
    0x0800,
    ipv4({ src: '3.3.3.3', dst: '4.4.4.4', proto: 17 }, udp(7, 8, [])),
  );
  const middle = eth(
    MAC_A,
    MAC_B,
    0x0800,
    ipv4({ src: '2.2.2.2', dst: '2.2.2.3', proto: 17 }, udp(1, 4789, vxlan(2, innermost))),
  );
  const outer = eth(
    MAC_A,
    MAC_B,
    0x0800,
    ipv4({ src: '1.1.1.1', dst: '1.1.1.2', proto: 17 }, udp(1, 4789, vxlan(1, middle))),
  );
  const k = keys(outer);
  assert.equal(k.stack, 'eth.ip.udp.vxlan.eth.ip.udp.vxlan.eth.ip.udp');
  assert.equal(k['vni.1'], 2);
  assert.equal(k['ipsource.2'], '3.3.3.3');
  assert.equal(k['stack.2'], 'eth.ip.udp');
});

test('IP-in-IP (protocol 4) is decoded as an inner packet', () => {
  const k = keys(
    eth(
      MAC_B,
      MAC_A,
      0x0800,
      ipv4(
        { src: '1.1.1.1', dst: '2.2.2.2', proto: 4 },
        ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sport: 5, dport: 6 })),
      ),
    ),
  );
  assert.equal(k.stack, 'eth.ip.ip.tcp');
  assert.equal(k.ipprotocol, 4);
  assert.equal(k['ipsource.1'], '10.0.0.1');
  assert.equal(k['ip_offset.1'], 34);
  assert.equal(k['tcpsourceport.1'], 5);
});

// --- RoCEv2 ---------------------------------------------------------------------------

function roce4(tos: number, bthBytes: Bytes, sport = 0xc000): Bytes {
  return eth(
    MAC_B,
    MAC_A,
    0x0800,
    ipv4({ src: '192.168.10.1', dst: '192.168.10.2', proto: 17, tos, flags: 2 }, udp(sport, 4791, bthBytes)),
  );
}

const BTH_DEFAULTS = {
  ibbt_offset: 42,
  ibbtse: 'false',
  ibbtm: 'false',
  ibbtpadcnt: 0,
  ibbttver: 0,
  ibbtpkey: 65535,
  ibbtfecn: 'false',
  ibbtbecn: 'false',
};

function roceKeys(k: Record<string, KeyValue>): Record<string, KeyValue> {
  return Object.fromEntries(Object.entries(k).filter(([name]) => name.startsWith('ibbt')));
}

test('RoCEv2 RC RDMA WRITE First with RETH and ECN CE', () => {
  const pkt = roce4(
    (26 << 2) | 3,
    bth(
      { opcode: 0x06, destQp: 0x000123, psn: 0x00abcd },
      cat(reth(0x00007f00, 0x12345000, 0x1234abcd, 65536), zeros(20)),
    ),
  );
  const k = keys(pkt);
  assert.equal(k.stack, 'eth.ip.udp.ibbt');
  assert.equal(k.ipecn, '11');
  assert.equal(k.ipdscp, 26);
  assert.equal(k.ipdscpname, 'AF31');
  assert.equal(k.udpdestinationport, 4791);
  assert.deepEqual(roceKeys(k), {
    ...BTH_DEFAULTS,
    ibbtopcode: 6,
    ibbtopname: 'RDMA_WRITE_FIRST',
    ibbtoptransport: 'RC',
    ibbtdestqp: 0x123,
    ibbtack: 'false',
    ibbtpsn: 0xabcd,
    ibbtrethva: '0x00007f0012345000',
    ibbtrkey: 0x1234abcd,
    ibbtrdmalen: 65536,
  });
});

test('RoCEv2 CNP with BECN (opcode 0x81, 16 reserved bytes)', () => {
  const k = keys(roce4(48 << 2, bth({ opcode: 0x81, becn: true, destQp: 0x45, psn: 0 }, zeros(16)), 0x1111));
  assert.equal(k.stack, 'eth.ip.udp.ibbt');
  assert.equal(k.ipdscpname, 'CS6');
  assert.deepEqual(roceKeys(k), {
    ...BTH_DEFAULTS,
    ibbtbecn: 'true',
    ibbtopcode: 129,
    ibbtopname: 'CNP',
    ibbtoptransport: 'CNP',
    ibbtdestqp: 0x45,
    ibbtack: 'false',
    ibbtpsn: 0,
  });
});

test('RoCEv2 RC ACK with AETH syndrome 0x1F (ACK, credits field 31 = no credit info)', () => {
  const k = keys(roce4(2, bth({ opcode: 0x11, destQp: 0x48, psn: 100 }, aeth(0x1f, 77))));
  assert.deepEqual(roceKeys(k), {
    ...BTH_DEFAULTS,
    ibbtopcode: 17,
    ibbtopname: 'ACK',
    ibbtoptransport: 'RC',
    ibbtdestqp: 0x48,
    ibbtack: 'false',
    ibbtpsn: 100,
    ibbtaethsyndrome: 0x1f,
    ibbtaethtype: 'ACK',
    ibbtaethack: 31,
    ibbtaethmsn: 77,
  });
});

test('RoCEv2 RC NAK syndrome 0x60 (PSN sequence error) and RNR NAK', () => {
  const nak = keys(roce4(2, bth({ opcode: 0x11, destQp: 0x48, psn: 5, ackReq: true }, aeth(0x60, 0x010203))));
  assert.equal(nak.ibbtaethsyndrome, 0x60);
  assert.equal(nak.ibbtaethtype, 'NAK');
  assert.equal(nak.ibbtaethnak, 0);
  assert.equal(nak.ibbtaethack, undefined);
  assert.equal(nak.ibbtaethrnrtimer, undefined);
  assert.equal(nak.ibbtaethmsn, 0x010203);
  assert.equal(nak.ibbtack, 'true');
  const remote = keys(roce4(2, bth({ opcode: 0x11, destQp: 1, psn: 5 }, aeth(0x62, 1))));
  assert.equal(remote.ibbtaethnak, 2);
  const rnr = keys(roce4(2, bth({ opcode: 0x11, destQp: 1, psn: 5 }, aeth(0x2e, 1))));
  assert.equal(rnr.ibbtaethtype, 'RNR_NAK');
  assert.equal(rnr.ibbtaethrnrtimer, 14);
  assert.equal(rnr.ibbtaethnak, undefined);
  assert.equal(rnr.ibbtaethack, undefined);
});

test('RoCEv2 UD SEND Only with DETH over IPv6, ECT(1)', () => {
  const pkt = eth(
    MAC_B,
    MAC_A,
    0x86dd,
    ipv6(
      { src: 'fd00:1::10', dst: 'fd00:1::20', nextHeader: 17, trafficClass: (26 << 2) | 1 },
      udp(
        50000,
        4791,
        bth(
          { opcode: 0x64, se: true, pkey: 0x8001, destQp: 1, psn: 0xfffffe, padCnt: 3 },
          cat(deth(0x80010000, 0xabc), zeros(64)),
        ),
      ),
    ),
  );
  const k = keys(pkt);
  assert.equal(k.stack, 'eth.ip6.udp.ibbt');
  assert.equal(k.ip6ecn, '01');
  assert.equal(k.ip6dscpname, 'AF31');
  assert.deepEqual(roceKeys(k), {
    ...BTH_DEFAULTS,
    ibbt_offset: 62,
    ibbtse: 'true',
    ibbtpadcnt: 3,
    ibbtpkey: 0x8001,
    ibbtopcode: 0x64,
    ibbtopname: 'SEND_ONLY',
    ibbtoptransport: 'UD',
    ibbtdestqp: 1,
    ibbtack: 'false',
    ibbtpsn: 0xfffffe,
    ibbtdethqkey: 0x80010000,
    ibbtdethsrcqp: 0xabc,
  });
});

test('RoCEv2 extended header order: UD SEND Only Imm, RC RDMA WRITE Only Imm, RD, XRC, invalidate', () => {
  const udImm = keys(roce4(2, bth({ opcode: 0x65, destQp: 1, psn: 1 }, cat(deth(7, 8), be32(0xfeedface)))));
  assert.equal(udImm.ibbtopname, 'SEND_ONLY_WITH_IMMEDIATE');
  assert.equal(udImm.ibbtdethqkey, 7);
  assert.equal(udImm.ibbtdethsrcqp, 8);
  assert.equal(udImm.ibbtimmdt, 0xfeedface);

  const writeImm = keys(
    roce4(2, bth({ opcode: 0x0b, destQp: 1, psn: 1 }, cat(reth(0, 0x1000, 9, 4096), be32(42)))),
  );
  assert.equal(writeImm.ibbtopname, 'RDMA_WRITE_ONLY_WITH_IMMEDIATE');
  assert.equal(writeImm.ibbtrdmalen, 4096);
  assert.equal(writeImm.ibbtimmdt, 42);

  // RD RDMA WRITE First: RDETH, DETH, RETH.
  const rd = keys(
    roce4(
      2,
      bth(
        { opcode: 0x46, destQp: 1, psn: 1 },
        cat(be32(0x00000abc), deth(0x11, 0x22), reth(0, 0, 0x33, 0x44)),
      ),
    ),
  );
  assert.equal(rd.ibbtoptransport, 'RD');
  assert.equal(rd.ibbtdethqkey, 0x11);
  assert.equal(rd.ibbtrkey, 0x33);
  assert.equal(rd.ibbtrdmalen, 0x44);

  // RD ACK: RDETH then AETH (no DETH on responses).
  const rdAck = keys(roce4(2, bth({ opcode: 0x51, destQp: 1, psn: 1 }, cat(be32(1), aeth(0x03, 9)))));
  assert.equal(rdAck.ibbtaethack, 3);
  assert.equal(rdAck.ibbtdethqkey, undefined);

  // XRC RDMA READ Request: XRCETH then RETH.
  const xrc = keys(
    roce4(2, bth({ opcode: 0xac, destQp: 1, psn: 1 }, cat(be32(0x55), reth(0, 0x2000, 0x66, 8192)))),
  );
  assert.equal(xrc.ibbtoptransport, 'XRC');
  assert.equal(xrc.ibbtopname, 'RDMA_READ_REQUEST');
  assert.equal(xrc.ibbtrkey, 0x66);
  assert.equal(xrc.ibbtrdmalen, 8192);

  const inval = keys(roce4(2, bth({ opcode: 0x17, destQp: 1, psn: 1 }, be32(0x77))));
  assert.equal(inval.ibbtopname, 'SEND_ONLY_WITH_INVALIDATE');
  assert.equal(inval.ibbtiethrkey, 0x77);

  const atomicAck = keys(roce4(2, bth({ opcode: 0x12, destQp: 1, psn: 1 }, cat(aeth(0x00, 4), zeros(8)))));
  assert.equal(atomicAck.ibbtopname, 'ATOMIC_ACK');
  assert.equal(atomicAck.ibbtaethmsn, 4);

  const uc = keys(roce4(2, bth({ opcode: 0x20, destQp: 1, psn: 1 })));
  assert.equal(uc.ibbtoptransport, 'UC');
  assert.equal(uc.ibbtopname, 'SEND_FIRST');

  const reserved = keys(roce4(2, bth({ opcode: 0xe0, destQp: 1, psn: 1 }, zeros(30))));
  assert.equal(reserved.ibbtopname, 'UNKNOWN');
  assert.equal(reserved.ibbtoptransport, 'UNKNOWN');
});

test('RoCEv2 is classified by UDP destination port 4791 only', () => {
  const fromRoce = eth(
    MAC_B,
    MAC_A,
    0x0800,
    ipv4(
      { src: '1.1.1.1', dst: '2.2.2.2', proto: 17 },
      udp(4791, 69, bth({ opcode: 0x11, destQp: 1, psn: 1 }, aeth(5, 1))),
    ),
  );
  const k = keys(fromRoce);
  assert.equal(k.stack, 'eth.ip.udp');
  assert.equal(k.ibbt_offset, undefined);
  assert.equal(k.ibbtopcode, undefined);
});

// --- Other Ethernet payloads and header protocols -------------------------------------

test('ARP request to broadcast', () => {
  const arp = cat(
    be16(1),
    be16(0x0800),
    u8(6, 4),
    be16(1),
    mac(MAC_A),
    ip4('192.168.0.10'),
    zeros(6),
    ip4('192.168.0.1'),
  );
  assert.deepEqual(keys(eth('ff:ff:ff:ff:ff:ff', MAC_A, 0x0806, cat(arp, zeros(18)))), {
    headerprotocol: 1,
    stack: 'eth.arp',
    macsource: '02000000000A',
    macdestination: 'FFFFFFFFFFFF',
    ethernetprotocol: 2054,
    isunicast: 'false',
    ismulticast: 'false',
    isbroadcast: 'true',
    arpoperation: 1,
    arpmacsender: '02000000000A',
    arpipsender: '192.168.0.10',
    arpmactarget: '000000000000',
    arpiptarget: '192.168.0.1',
  });
  // Non-Ethernet/IPv4 ARP (or a cut one): operation only.
  const cut = keys(eth('ff:ff:ff:ff:ff:ff', MAC_A, 0x0806, arp.slice(0, 20)));
  assert.equal(cut.arpoperation, 1);
  assert.equal(cut.arpipsender, undefined);
});

test('802.3 length frame with LLC: no EtherType, no L3', () => {
  const stp = cat(mac('01:80:c2:00:00:00'), mac(MAC_A), be16(38), u8(0x42, 0x42, 0x03), zeros(35));
  assert.deepEqual(keys(stp), {
    headerprotocol: 1,
    stack: 'eth.llc',
    macsource: '02000000000A',
    macdestination: '0180C2000000',
    isunicast: 'false',
    ismulticast: 'true',
    isbroadcast: 'false',
  });
});

test('unknown EtherType: Ethernet keys only', () => {
  const k = keys(eth(MAC_B, MAC_A, 0x88cc, zeros(30)));
  assert.equal(k.stack, 'eth');
  assert.equal(k.ethernetprotocol, 0x88cc);
});

test('header protocol 11 (IPv4) and 12 (IPv6) start at the IP header', () => {
  const v4 = keys(
    ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sport: 1, dport: 2 })),
    HEADER_IPV4,
  );
  assert.equal(v4.headerprotocol, 11);
  assert.equal(v4.stack, 'ip.tcp');
  assert.equal(v4.ip_offset, 0);
  assert.equal(v4.macsource, undefined);
  assert.equal(v4.ethernetprotocol, undefined);
  const v6 = keys(
    ipv6(
      { src: '::ffff:a00:1', dst: '2001:db8::', nextHeader: 17 },
      udp(1, 4791, bth({ opcode: 4, destQp: 9, psn: 9 })),
    ),
    HEADER_IPV6,
  );
  assert.equal(v6.stack, 'ip6.udp.ibbt');
  assert.equal(v6.ip6source, '::ffff:10.0.0.1');
  assert.equal(v6.ip6destination, '2001:db8::');
  assert.equal(v6.ibbt_offset, 48);
});

test('unsupported header protocols and bad arguments give an empty packet', () => {
  for (const proto of [0, 2, 7, 13, 15, 18, 255, -1, 1.5, Number.NaN]) {
    const k = keys(TCP_SYN, proto);
    assert.deepEqual(k, Number.isInteger(proto) && proto >= 0 ? { headerprotocol: proto } : {});
  }
  const buf = embed(TCP_SYN);
  for (const [off, len] of [
    [-1, 10],
    [0, 0],
    [0, -5],
    [1.5, 10],
    [Number.NaN, 10],
    [buf.length, 10],
    [0, Number.POSITIVE_INFINITY],
  ] as [number, number][]) {
    assert.deepEqual(
      packetKeys(dissect(buf, off, len, 1)),
      { headerprotocol: 1 },
      `offset ${off} length ${len}`,
    );
  }
  // Length beyond the buffer is clamped to the buffer.
  assert.equal(packetKeys(dissect(buf, 0, 10_000, 1)).tcpsourceport, 43210);
});

// --- Truncation -----------------------------------------------------------------------

/** Keys whose value legitimately grows with the bytes available (a prefix of the full value). */
const PREFIX_KEYS = new Set(['stack', 'vlanstack', 'mplslabelstack']);

function checkTruncations(name: string, full: Bytes, proto = HEADER_ETHERNET): void {
  const complete = keys(full, proto);
  let previous = 0;
  for (let len = 0; len <= full.length; len++) {
    // Bytes after the cut are garbage so that any read past the end would show up.
    const k = packetKeys(dissect(embed(full, PAD, TAIL).fill(0x5a, PAD + len), PAD, len, proto));
    const names = Object.keys(k);
    assert.ok(names.length >= previous, `${name}: keys vanished at length ${len}`);
    previous = names.length;
    for (const key of names) {
      const base = key.split('.')[0]!;
      if (PREFIX_KEYS.has(base)) {
        assert.ok(String(complete[key]).startsWith(String(k[key])), `${name}@${len}: ${key}=${k[key]}`);
      } else {
        assert.equal(k[key], complete[key], `${name}@${len}: ${key}`);
      }
    }
  }
  assert.deepEqual(packetKeys(dissect(embed(full, PAD, TAIL), PAD, full.length, proto)), complete);
}

test('truncation at every byte: RoCE RDMA WRITE First', () => {
  const pkt = roce4(3, bth({ opcode: 0x06, destQp: 5, psn: 6 }, reth(1, 2, 3, 4)));
  checkTruncations('roce', pkt);
  // Layer boundaries: eth 14, ip 34, udp 42, bth 54, reth 70.
  const at = (len: number) => packetKeys(dissect(embed(pkt), 0, len, 1));
  assert.deepEqual(at(13), { headerprotocol: 1 });
  assert.equal(at(14).stack, 'eth');
  assert.equal(at(33).stack, 'eth');
  assert.equal(at(34).stack, 'eth.ip');
  assert.equal(at(41).stack, 'eth.ip');
  assert.equal(at(42).stack, 'eth.ip.udp');
  assert.equal(at(53).ibbtopcode, undefined);
  assert.equal(at(54).stack, 'eth.ip.udp.ibbt');
  assert.equal(at(69).ibbtrdmalen, undefined);
  assert.equal(at(70).ibbtrdmalen, 4);
});

test('truncation at every byte: other stacks', () => {
  checkTruncations('tcp', TCP_SYN);
  checkTruncations('vxlan', VXLAN_V6);
  checkTruncations('icmp-unreachable', unreachable(3));
  checkTruncations(
    'qinq-ip6-ext',
    eth(
      MAC_B,
      MAC_A,
      0x86dd,
      ipv6(
        { src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 0 },
        ip6OptionsHeader(44, 2, ip6Fragment(6, 0, true, 1, tcp({ sport: 1, dport: 2 }))),
      ),
      [{ tpid: 0x88a8, vid: 1 }, { vid: 2 }],
    ),
  );
  checkTruncations(
    'mpls',
    eth(
      MAC_B,
      MAC_A,
      0x8847,
      cat(
        mplsLabel(1, 0, false, 1),
        mplsLabel(2, 0, false, 1),
        mplsLabel(3, 0, true, 1),
        ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udp(1, 2, [])),
      ),
    ),
  );
  checkTruncations(
    'ud-ip6',
    ipv6(
      { src: '::1', dst: '::2', nextHeader: 17 },
      udp(1, 4791, bth({ opcode: 0x65, destQp: 1, psn: 1 }, cat(deth(1, 2), be32(3)))),
    ),
    HEADER_IPV6,
  );
});

// --- Conformance: real RoCEv2 capture -------------------------------------------------

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const CAPTURES = process.env.FLOWLENS_CAPTURES ?? path.resolve(REPO_ROOT, '../shared/captures');
const ROCE_PCAP = 'rocev2_real_rc_send_ack_oferby.pcap';

/** Minimal classic-pcap reader (either byte order, micro/nanosecond magic), Ethernet link type only. */
function* pcapFrames(file: Uint8Array): Generator<Uint8Array> {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 24) throw new Error('short pcap');
  const magic = dv.getUint32(0, true);
  let little: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) little = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) little = false;
  else throw new Error(`not a classic pcap (magic 0x${magic.toString(16)})`);
  const linkType = dv.getUint32(20, little) & 0x0fffffff;
  if (linkType !== 1) throw new Error(`link type ${linkType} is not Ethernet`);
  let off = 24;
  while (off + 16 <= file.length) {
    const incl = dv.getUint32(off + 8, little);
    off += 16;
    if (off + incl > file.length) throw new Error('truncated pcap record');
    yield file.subarray(off, off + incl);
    off += incl;
  }
}

function bump(counts: Record<string, number>, key: string | number): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

test('conformance: real RoCEv2 RC SEND/ACK capture matches the independent decoder', (t) => {
  const file = path.join(CAPTURES, ROCE_PCAP);
  const expectedFile = path.join(CAPTURES, 'expected', `${ROCE_PCAP}.json`);
  if (!existsSync(file) || !existsSync(expectedFile)) {
    t.skip(`capture not found: ${file} (set FLOWLENS_CAPTURES)`);
    return;
  }
  const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as {
    frames: number;
    udp_packets: number;
    roce_packets: number;
    udp_dst_ports: Record<string, number>;
    roce_opcodes: Record<string, number>;
    roce_ecn: Record<string, number>;
    roce_fecn_becn: Record<string, number>;
    roce_ackreq: Record<string, number>;
    roce_dqp: Record<string, number>;
    roce_aeth: Record<string, number>;
  };
  const get = (name: string) => keyGetter(name)!;
  const [udpDst, ecn, opcode, opname, transport, fecn, becn, ack, dqp, aethType, aethAck, stack] = [
    'udpdestinationport',
    'ipecn',
    'ibbtopcode',
    'ibbtopname',
    'ibbtoptransport',
    'ibbtfecn',
    'ibbtbecn',
    'ibbtack',
    'ibbtdestqp',
    'ibbtaethtype',
    'ibbtaethack',
    'stack',
  ].map(get) as [
    KeyGetter,
    KeyGetter,
    KeyGetter,
    KeyGetter,
    KeyGetter,
    KeyGetter,
    KeyGetter,
    KeyGetter,
    KeyGetter,
    KeyGetter,
    KeyGetter,
    KeyGetter,
  ];

  const p = new Packet();
  let frames = 0;
  let udpPackets = 0;
  let rocePackets = 0;
  const udpDstPorts: Record<string, number> = {};
  const opcodes: Record<string, number> = {};
  const names: Record<string, number> = {};
  const ecns: Record<string, number> = {};
  const fecnBecn: Record<string, number> = {};
  const ackReq: Record<string, number> = {};
  const destQps: Record<string, number> = {};
  const aeths: Record<string, number> = {};
  for (const frame of pcapFrames(readFileSync(file))) {
    frames++;
    dissect(frame, 0, frame.length, HEADER_ETHERNET, p);
    const dst = udpDst(p);
    if (dst === undefined) continue;
    udpPackets++;
    bump(udpDstPorts, dst);
    if (p.bthOff < 0) continue;
    rocePackets++;
    assert.match(String(stack(p)), /^eth\.ip6?\.udp\.ibbt$/);
    const op = opcode(p) as number;
    bump(opcodes, `0x${op.toString(16).padStart(2, '0')}`);
    bump(names, `${transport(p)}:${opname(p)}`);
    bump(ecns, Number.parseInt(String(ecn(p)), 2));
    bump(fecnBecn, `(${fecn(p) === 'true' ? 1 : 0}, ${becn(p) === 'true' ? 1 : 0})`);
    bump(ackReq, ack(p) === 'true' ? 1 : 0);
    bump(destQps, dqp(p) as number);
    if (aethType(p) !== undefined) bump(aeths, `('${aethType(p)}', ${aethAck(p)})`);
  }

  assert.equal(frames, expected.frames);
  assert.equal(udpPackets, expected.udp_packets);
  assert.equal(rocePackets, expected.roce_packets);
  assert.deepEqual(udpDstPorts, expected.udp_dst_ports);
  // Expected opcode keys look like 'RC_ACK(0x11)': compare by opcode value.
  const expectedOpcodes: Record<string, number> = {};
  for (const [label, n] of Object.entries(expected.roce_opcodes)) {
    const hex = /\((0x[0-9a-f]{2})\)$/i.exec(label)?.[1]?.toLowerCase();
    assert.ok(hex, label);
    expectedOpcodes[hex] = n;
  }
  assert.deepEqual(opcodes, expectedOpcodes);
  assert.deepEqual(names, {
    'RC:SEND_FIRST': expected.roce_opcodes['RC_SEND_FIRST(0x00)'],
    'RC:SEND_LAST_WITH_IMMEDIATE': expected.roce_opcodes['RC_SEND_LAST_IMM(0x03)'],
    'RC:SEND_ONLY_WITH_IMMEDIATE': expected.roce_opcodes['RC_SEND_ONLY_IMM(0x05)'],
    'RC:ACK': expected.roce_opcodes['RC_ACK(0x11)'],
  });
  assert.deepEqual(ecns, expected.roce_ecn);
  assert.deepEqual(fecnBecn, expected.roce_fecn_becn);
  assert.deepEqual(ackReq, expected.roce_ackreq);
  assert.deepEqual(destQps, expected.roce_dqp);
  assert.deepEqual(aeths, expected.roce_aeth);
});
