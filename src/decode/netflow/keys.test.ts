/** sFlow-RT keys of IPFIX / NetFlow records, including sampled frames (IE 315) through the packet dissector. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aeth, bth, eth, ipv4, ipv6, MAC_A, MAC_B, reth, tcp, udp } from '../packet/build.test-helper.js';
import { FlowExportDecoder } from './decoder.js';
import {
  type EncodeValue,
  encodeIpfix,
  encodeNetflow5,
  type TemplateDef,
  VARIABLE_LENGTH,
} from './encode.js';

const EX = { address: '192.0.2.33', port: 2055 };
const NOW = 1_700_000_000_000;

function keysOf(t: TemplateDef, values: EncodeValue[], options = {}) {
  const m = new FlowExportDecoder(options).decode(
    encodeIpfix({
      observationDomain: 1,
      sets: [
        { type: 'template', templates: [t] },
        { type: 'data', template: t, records: [values] },
      ],
    }),
    EX,
    NOW,
  );
  assert.deepEqual(m.errors, []);
  return m.records[0]!.keys!;
}

const V4: TemplateDef = {
  id: 256,
  fields: [
    { id: 8, length: 4 },
    { id: 12, length: 4 },
    { id: 4, length: 1 },
    { id: 7, length: 2 },
    { id: 11, length: 2 },
    { id: 6, length: 2 },
    { id: 5, length: 1 },
    { id: 10, length: 4 },
    { id: 14, length: 4 },
    { id: 58, length: 2 },
    { id: 56, length: 6 },
    { id: 80, length: 6 },
    { id: 15, length: 4 },
    { id: 16, length: 4 },
    { id: 17, length: 4 },
    { id: 18, length: 4 },
    { id: 9, length: 1 },
    { id: 13, length: 1 },
    { id: 61, length: 1 },
    { id: 1, length: 8 },
    { id: 2, length: 8 },
  ],
};

test('IPv4 TCP record: the sFlow-RT keys and formats of the dissector', () => {
  const keys = keysOf(V4, [
    '10.0.0.1',
    '10.0.0.2',
    6,
    40000,
    443,
    0x012, // SYN+ACK
    0xb8, // EF
    7,
    8,
    100,
    '00:50:56:9c:1b:a3',
    '02:00:00:00:00:0b',
    '10.0.0.254',
    65001,
    65002,
    '192.0.2.254',
    24,
    16,
    1,
    1500,
    3,
  ]);
  assert.deepEqual(keys, {
    agent: '192.0.2.33',
    ipsource: '10.0.0.1',
    ipdestination: '10.0.0.2',
    ipprotocol: 6,
    tcpsourceport: 40000,
    tcpdestinationport: 443,
    tcpflags: '000010010',
    iptos: 0xb8,
    ipdscp: 46,
    inputifindex: 7,
    outputifindex: 8,
    direction: 'egress',
    vlan: 100,
    macsource: '0050569C1BA3',
    macdestination: '02000000000B',
    ipnexthoprouter: '10.0.0.254',
    bgpnexthop: '192.0.2.254',
    bgpsourceas: 65001,
    bgpdestinationas: 65002,
    ipsourcemaskbits: 24,
    ipdestinationmaskbits: 16,
    bytes: 1500,
    frames: 3,
    samplingrate: 1,
  });
});

test('UDP ports, ICMP type/code (own IEs, combined IE, or the destination port), zero next hops omitted', () => {
  const udpKeys = keysOf(V4, [
    '10.0.0.1',
    '10.0.0.2',
    17,
    53,
    5353,
    0,
    0,
    1,
    2,
    0,
    '00:00:00:00:00:00',
    '00:00:00:00:00:00',
    '0.0.0.0',
    0,
    0,
    '0.0.0.0',
    0,
    0,
    0,
    1,
    1,
  ]);
  assert.equal(udpKeys.udpsourceport, 53);
  assert.equal(udpKeys.udpdestinationport, 5353);
  assert.equal(udpKeys.tcpsourceport, undefined);
  assert.equal(udpKeys.tcpflags, undefined);
  assert.equal(udpKeys.ipnexthoprouter, undefined);
  assert.equal(udpKeys.bgpnexthop, undefined);
  assert.equal(udpKeys.direction, 'ingress');

  const icmpByPort = keysOf(V4, [
    '10.0.0.1',
    '10.0.0.2',
    1,
    0,
    0x0303,
    0,
    0,
    1,
    2,
    0,
    '00:00:00:00:00:00',
    '00:00:00:00:00:00',
    '0.0.0.0',
    0,
    0,
    '0.0.0.0',
    0,
    0,
    0,
    1,
    1,
  ]);
  assert.equal(icmpByPort.icmptype, 3);
  assert.equal(icmpByPort.icmpcode, 3);
  assert.equal(icmpByPort.udpdestinationport, undefined);

  const icmpIes: TemplateDef = {
    id: 257,
    fields: [
      { id: 8, length: 4 },
      { id: 4, length: 1 },
      { id: 176, length: 1 },
      { id: 177, length: 1 },
    ],
  };
  const k = keysOf(icmpIes, ['10.0.0.1', 1, 8, 0]);
  assert.deepEqual([k.icmptype, k.icmpcode], [8, 0]);
  const icmp6: TemplateDef = {
    id: 258,
    fields: [
      { id: 27, length: 16 },
      { id: 4, length: 1 },
      { id: 139, length: 2 },
    ],
  };
  const k6 = keysOf(icmp6, ['2001:db8::1', 58, 0x8000]);
  assert.deepEqual([k6.ip6source, k6.ip6nexthdr, k6.icmp6type, k6.icmp6code], ['2001:db8::1', 58, 128, 0]);
});

test('IPv6 record: ip6 keys, traffic class as ip6tos/ip6dscp, flow label; DSCP IE', () => {
  const t: TemplateDef = {
    id: 259,
    fields: [
      { id: 27, length: 16 },
      { id: 28, length: 16 },
      { id: 4, length: 1 },
      { id: 7, length: 2 },
      { id: 11, length: 2 },
      { id: 5, length: 1 },
      { id: 31, length: 3 },
      { id: 62, length: 16 },
      { id: 29, length: 1 },
    ],
  };
  const k = keysOf(t, ['2001:db8::1', '2001:db8::2', 6, 1, 2, 0x28, 0xabcde, '2001:db8::fe', 48]);
  assert.deepEqual(k, {
    agent: '192.0.2.33',
    ip6source: '2001:db8::1',
    ip6destination: '2001:db8::2',
    ip6nexthdr: 6,
    ip6flowlabel: 0xabcde,
    tcpsourceport: 1,
    tcpdestinationport: 2,
    ip6tos: 0x28,
    ip6dscp: 10,
    ipnexthoprouter: '2001:db8::fe',
    ipsourcemaskbits: 48,
    samplingrate: 1,
  });
  const dscp: TemplateDef = {
    id: 260,
    fields: [
      { id: 8, length: 4 },
      { id: 195, length: 1 },
    ],
  };
  assert.equal(keysOf(dscp, ['1.1.1.1', 46]).ipdscp, 46);
});

test('bytes and frames: delta counts first, then post, initiator + responder (NSEL), then totals', () => {
  const nsel: TemplateDef = {
    id: 261,
    fields: [
      { id: 8, length: 4 },
      { id: 231, length: 4 },
      { id: 232, length: 4 },
      { id: 298, length: 4 },
      { id: 299, length: 4 },
      { id: 85, length: 4 },
    ],
  };
  const k = keysOf(nsel, ['1.1.1.1', 100, 50, 2, 1, 999]);
  assert.deepEqual([k.bytes, k.frames], [150, 3]);
  const totals: TemplateDef = {
    id: 262,
    fields: [
      { id: 85, length: 4 },
      { id: 86, length: 4 },
    ],
  };
  const t = keysOf(totals, [999, 9]);
  assert.deepEqual([t.bytes, t.frames], [999, 9]);
});

test('keys: false leaves them out (flowlens decode --raw)', () => {
  const m = new FlowExportDecoder({ keys: false }).decode(
    encodeNetflow5({
      records: [{ srcAddr: '1.2.3.4', dstAddr: '5.6.7.8', protocol: 6, srcPort: 1, dstPort: 2 }],
    }),
    EX,
    NOW,
  );
  assert.equal(m.records[0]!.keys, undefined);
});

test('NetFlow v5 records map onto the same keys and absolute times', () => {
  const m = new FlowExportDecoder().decode(
    encodeNetflow5({
      sysUptime: 100_000,
      unixSecs: 1_700_000_000,
      unixNsecs: 500_000_000,
      records: [
        {
          srcAddr: '10.1.1.1',
          dstAddr: '10.2.2.2',
          nextHop: '10.3.3.3',
          input: 3,
          output: 4,
          packets: 10,
          octets: 8000,
          first: 90_000,
          last: 99_000,
          srcPort: 1234,
          dstPort: 80,
          tcpFlags: 0x1b,
          protocol: 6,
          tos: 0x20,
          srcAs: 100,
          dstAs: 200,
          srcMask: 8,
          dstMask: 24,
        },
      ],
    }),
    EX,
    NOW,
  );
  const r = m.records[0]!;
  assert.equal(r.start, 1_700_000_000_500 - 10_000);
  assert.equal(r.end, 1_700_000_000_500 - 1_000);
  assert.deepEqual(r.keys, {
    agent: '192.0.2.33',
    ipsource: '10.1.1.1',
    ipdestination: '10.2.2.2',
    ipprotocol: 6,
    tcpsourceport: 1234,
    tcpdestinationport: 80,
    tcpflags: '000011011',
    iptos: 0x20,
    ipdscp: 8,
    inputifindex: 3,
    outputifindex: 4,
    ipnexthoprouter: '10.3.3.3',
    bgpsourceas: 100,
    bgpdestinationas: 200,
    ipsourcemaskbits: 8,
    ipdestinationmaskbits: 24,
    bytes: 8000,
    frames: 10,
    samplingrate: 1,
  });
  assert.equal(r.fields.paddingOctets, undefined, 'padding is not output');
});

const FRAME_TEMPLATE: TemplateDef = {
  id: 384,
  fields: [
    { id: 10, length: 4 },
    { id: 14, length: 4 },
    { id: 61, length: 1 },
    { id: 312, length: 2 },
    { id: 315, length: VARIABLE_LENGTH },
  ],
};

test('dataLinkFrameSection (315) yields the keys of an sFlow sampled header', () => {
  const frame = Uint8Array.from(
    eth(
      MAC_B,
      MAC_A,
      0x0800,
      ipv4(
        { src: '10.5.5.5', dst: '10.6.6.6', proto: 6, tos: 0x02 },
        tcp({ sport: 5000, dport: 22, flags: 0x02 }),
      ),
    ),
  );
  const k = keysOf(FRAME_TEMPLATE, [11, 12, 0, 1514, frame]);
  assert.equal(k.agent, '192.0.2.33');
  assert.equal(k.macsource, '02000000000A');
  assert.equal(k.macdestination, '02000000000B');
  assert.equal(k.ipsource, '10.5.5.5');
  assert.equal(k.ipdestination, '10.6.6.6');
  assert.equal(k.tcpdestinationport, 22);
  assert.equal(k.tcpflags, '000000010');
  assert.equal(k.ipecn, '10');
  assert.equal(k.stack, 'eth.ip.tcp');
  assert.equal(k.inputifindex, 11);
  assert.equal(k.outputifindex, 12);
  assert.equal(k.direction, 'ingress');
  assert.equal(k.bytes, 1514);
  assert.equal(k.frames, 1);
});

test('a RoCEv2 frame in 315 yields the ibbt* keys', () => {
  const write = Uint8Array.from(
    eth(
      MAC_B,
      MAC_A,
      0x86dd,
      ipv6(
        { src: 'fd00::1', dst: 'fd00::2', nextHeader: 17, trafficClass: 0x03 },
        udp(
          49152,
          4791,
          bth({ opcode: 0x06, destQp: 0x48, psn: 77, ackReq: true }, reth(0, 0x1000, 0xabc, 4096)),
        ),
      ),
    ),
  );
  const k = keysOf(FRAME_TEMPLATE, [1, 2, 1, 4200, write]);
  assert.equal(k.stack, 'eth.ip6.udp.ibbt');
  assert.equal(k.ibbtopcode, 6);
  assert.equal(k.ibbtdestqp, 0x48);
  assert.equal(k.ibbtpsn, 77);
  assert.equal(k.ibbtrdmalen, 4096);
  assert.equal(k.ip6ecn, '11');
  assert.equal(k.udpdestinationport, 4791);
  const ack = Uint8Array.from(
    eth(
      MAC_A,
      MAC_B,
      0x0800,
      ipv4(
        { src: '10.0.0.2', dst: '10.0.0.1', proto: 17 },
        udp(50000, 4791, bth({ opcode: 0x11, destQp: 7, psn: 1 }, aeth(0x1f, 3))),
      ),
    ),
  );
  const ka = keysOf(FRAME_TEMPLATE, [1, 2, 1, 60, ack]);
  assert.equal(ka.ibbtaethsyndrome, 0x1f);
  assert.equal(ka.bytes, 60);
});
