import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { XdrReader, XdrWriter } from '../../common/xdr.js';
import { COUNTER_RECORD_LAYOUTS } from './counter-records.js';
import { dropReasonName } from './drop-reasons.js';
import { FLOW_RECORD_LAYOUTS } from './flow-records.js';
import {
  decodeFields,
  encodeFields,
  type FieldRecord,
  type FieldSpec,
  type FieldValue,
  type RecordLayout,
  type ScalarType,
} from './struct.js';

const ALL: readonly { context: string; layout: RecordLayout }[] = [
  ...FLOW_RECORD_LAYOUTS.map((layout) => ({ context: 'flow', layout })),
  ...COUNTER_RECORD_LAYOUTS.map((layout) => ({ context: 'counter', layout })),
];

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');

/** A deterministic, non-trivial value for one scalar; `family` picks the address family of `address` fields. */
function scalarValue(type: ScalarType, seed: number, family: 4 | 6): FieldValue {
  switch (type) {
    case 'u32':
      return (seed * 2654435761 + 0x10001) >>> 0;
    case 'i32':
      return -(seed * 1000 + 7);
    case 'u64':
      // alternate exact numbers and bigints above 2^53
      return seed % 2 === 0 ? 123456789012 + seed : 0xfedcba9876543210n + BigInt(seed);
    case 'f32':
      return seed + 0.5;
    case 'f64':
      return seed + 0.1;
    case 'ip4':
      return `10.${seed % 256}.2.3`;
    case 'ip6':
      return `2001:db8::${((seed % 0xfffe) + 1).toString(16)}`;
    case 'address':
      return family === 4 ? `192.0.2.${seed % 256}` : `2001:db8:0:1::${((seed % 0xfffe) + 1).toString(16)}`;
    case 'mac':
      return `02:00:5e:10:00:${hex2(seed)}`;
    case 'string':
      return `név-${seed}`; // multi-byte UTF-8, length not a multiple of 4
    case 'opaque':
      return `deadbeef${hex2(seed)}`;
    case 'uuid':
      return `01234567-89ab-cdef-0123-456789abcd${hex2(seed)}`;
    case 'u32[]':
      return [seed, 0xffffffff, 42];
    case 'i32[]':
      return [seed, -1, 42];
    case 'mac[]':
      return [`52:54:00:12:34:${hex2(seed)}`, `52:54:00:ab:cd:${hex2(seed + 1)}`];
  }
}

function buildValue(fields: readonly FieldSpec[], seed: number, family: 4 | 6): FieldRecord {
  const out: FieldRecord = {};
  fields.forEach((field, i) => {
    const s = seed * 31 + i + 1;
    out[field.name] =
      field.type === 'struct[]'
        ? [buildValue(field.of, s, family), buildValue(field.of, s + 7, family)]
        : scalarValue(field.type, s, family);
  });
  return out;
}

function encode(fields: readonly FieldSpec[], value: FieldRecord): Buffer {
  const w = new XdrWriter(64);
  encodeFields(w, fields, value);
  return w.finish();
}

/** Decodes a whole body and checks that it was consumed exactly. */
function decodeAll(fields: readonly FieldSpec[], body: Buffer): FieldRecord {
  const r = new XdrReader(body);
  const out: FieldRecord = {};
  decodeFields(r, fields, out);
  assert.equal(r.overrun, false, 'overrun');
  assert.equal(r.pos, body.length, 'bytes left over');
  return out;
}

const fromHex = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

function fieldNames(fields: readonly FieldSpec[]): string[] {
  return fields.map((f) => f.name);
}

describe('layout tables', () => {
  test('(enterprise, format) is unique within each context', () => {
    for (const table of [FLOW_RECORD_LAYOUTS, COUNTER_RECORD_LAYOUTS]) {
      const keys = table.map((l) => `${l.enterprise}:${l.format}`);
      assert.deepEqual(
        keys.filter((k, i) => keys.indexOf(k) !== i),
        [],
      );
    }
  });

  test('every layout name is unique across both tables', () => {
    const names = ALL.map((e) => e.layout.name);
    assert.deepEqual(
      names.filter((n, i) => names.indexOf(n) !== i),
      [],
    );
  });

  test('field names are unique within each structure, optional fields only at the tail', () => {
    const check = (where: string, fields: readonly FieldSpec[]): void => {
      const names = fieldNames(fields);
      assert.equal(new Set(names).size, names.length, `${where}: duplicate field`);
      const firstOptional = fields.findIndex((f) => f.optional === true);
      if (firstOptional >= 0) {
        assert.ok(
          fields.slice(firstOptional).every((f) => f.optional === true),
          `${where}: a required field follows an optional one`,
        );
      }
      for (const f of fields) if (f.type === 'struct[]') check(`${where}.${f.name}`, f.of);
    };
    for (const { layout } of ALL) check(layout.name, layout.fields);
  });

  test('no field takes a key the decoded record uses itself (format, name, error)', () => {
    for (const { layout } of ALL) {
      for (const reserved of ['format', 'name', 'error']) {
        assert.ok(!fieldNames(layout.fields).includes(reserved), `${layout.name}.${reserved}`);
      }
    }
  });

  test('every layout names its spec document', () => {
    for (const { layout } of ALL) assert.ok((layout.doc ?? '').length > 0, layout.name);
  });

  test('the flow table covers every record of protocols.md 1.5 except 0:1', () => {
    const want = [2, 3, 4];
    for (let fmt = 1001; fmt <= 1043; fmt++) want.push(fmt);
    want.push(2000, 2001, 2002, 2003, 2100, 2101, 2102, 2103);
    for (let fmt = 2200; fmt <= 2210; fmt++) want.push(fmt);
    const have = new Set(FLOW_RECORD_LAYOUTS.map((l) => `${l.enterprise}:${l.format}`));
    const missing = want.map((fmt) => `0:${fmt}`).filter((k) => !have.has(k));
    if (!have.has('4413:1')) missing.push('4413:1');
    assert.deepEqual(missing, []);
    assert.equal(have.has('0:1'), false);
  });

  test('the counter table covers every record of protocols.md 1.6', () => {
    const want: string[] = [];
    const add = (ent: number, from: number, to: number): void => {
      for (let fmt = from; fmt <= to; fmt++) want.push(`${ent}:${fmt}`);
    };
    add(0, 1, 11);
    add(0, 1001, 1005);
    add(0, 2000, 2010);
    add(0, 2100, 2106);
    add(0, 2200, 2207);
    add(0, 3000, 3003);
    add(4413, 1, 3);
    add(5703, 1, 1);
    const have = new Set(COUNTER_RECORD_LAYOUTS.map((l) => `${l.enterprise}:${l.format}`));
    assert.deepEqual(
      want.filter((k) => !have.has(k)),
      [],
    );
  });
});

describe('round trip of every layout', () => {
  for (const { context, layout } of ALL) {
    for (const family of [4, 6] as const) {
      test(`${context} ${layout.enterprise}:${layout.format} ${layout.name} (IPv${family})`, () => {
        const value = buildValue(layout.fields, layout.format, family);
        const body = encode(layout.fields, value);
        assert.equal(body.length % 4, 0);
        assert.deepEqual(decodeAll(layout.fields, body), value);
        // and back to the same bytes
        assert.deepEqual(encode(layout.fields, decodeAll(layout.fields, body)), body);
      });
    }

    test(`${context} ${layout.name}: a body cut short is an overrun`, () => {
      const body = encode(layout.fields, buildValue(layout.fields, 3, 4));
      const r = new XdrReader(body, 0, body.length - 1);
      decodeFields(r, layout.fields, {});
      assert.equal(r.overrun, true);
      assert.ok(r.pos <= r.end);
    });
  }

  test('optional tail fields may be absent (older, shorter records)', () => {
    for (const { layout } of ALL) {
      const required = layout.fields.filter((f) => f.optional !== true);
      if (required.length === layout.fields.length) continue;
      const value = buildValue(required, 9, 4);
      const body = encode(layout.fields, value);
      assert.deepEqual(body, encode(required, value));
      assert.deepEqual(decodeAll(layout.fields, body), value);
    }
  });
});

function flowLayout(format: number, enterprise = 0): RecordLayout {
  const l = FLOW_RECORD_LAYOUTS.find((x) => x.enterprise === enterprise && x.format === format);
  assert.ok(l, `flow ${enterprise}:${format}`);
  return l;
}

function counterLayout(format: number, enterprise = 0): RecordLayout {
  const l = COUNTER_RECORD_LAYOUTS.find((x) => x.enterprise === enterprise && x.format === format);
  assert.ok(l, `counter ${enterprise}:${format}`);
  return l;
}

/** Decodes hand-written wire bytes and checks that encoding the result gives the same bytes. */
function wireCase(layout: RecordLayout, hex: string, expected: FieldRecord): void {
  const bytes = fromHex(hex);
  assert.deepEqual(decodeAll(layout.fields, bytes), expected);
  assert.equal(encode(layout.fields, expected).toString('hex'), bytes.toString('hex'));
}

describe('hand-assembled wire bytes', () => {
  test('flow 0:1001 extended_switch', () => {
    wireCase(flowLayout(1001), '0000000a 00000003 00000014 ffffffff', {
      srcVlan: 10,
      srcPriority: 3,
      dstVlan: 20,
      dstPriority: 0xffffffff,
    });
  });

  test('flow 0:1003 extended_gateway with an AS path and communities', () => {
    const hex = [
      '00000001 c0000201', // next hop: IPv4 192.0.2.1
      '0000fde8', // as 65000
      '0000fc00', // src_as 64512
      '0000fc01', // src_peer_as 64513
      '00000002', // two path segments
      '00000002 00000002 0000fc01 00000d1c', // AS_SEQUENCE 64513 3356
      '00000001 00000001 000000ae', // AS_SET 174
      '00000002 fde80064 0d1c0001', // communities 65000:100 3356:1
      '00000064', // localpref 100
    ].join(' ');
    wireCase(flowLayout(1003), hex, {
      nextHop: '192.0.2.1',
      as: 65000,
      srcAs: 64512,
      srcPeerAs: 64513,
      dstAsPath: [
        { type: 2, asns: [64513, 3356] },
        { type: 1, asns: [174] },
      ],
      communities: [0xfde80064, 0x0d1c0001],
      localPref: 100,
    });
  });

  test('flow 0:1003 with an IPv6 next hop and an empty path', () => {
    const hex = [
      '00000002 20010db8 00000000 00000000 00000001', // 2001:db8::1
      '00000000 00000000 00000000', // as, src_as, src_peer_as
      '00000000', // no path segments
      '00000000', // no communities
      '00000000',
    ].join(' ');
    wireCase(flowLayout(1003), hex, {
      nextHop: '2001:db8::1',
      as: 0,
      srcAs: 0,
      srcPeerAs: 0,
      dstAsPath: [],
      communities: [],
      localPref: 0,
    });
  });

  test('flow 0:1036 extended_egress_queue', () => {
    wireCase(flowLayout(1036), '00000005', { queue: 5 });
  });

  test('flow 0:1039 extended_transit', () => {
    wireCase(flowLayout(1039), '0012d687', { delay: 1234567 });
  });

  test('flow 0:1040 extended_queue', () => {
    wireCase(flowLayout(1040), '00010000', { depth: 65536 });
  });

  test('flow 0:1041 extended_hw_trap', () => {
    const hex = [
      '00000008 6c325f64 726f7073', // "l2_drops"
      '00000013 696e6772 6573735f 766c616e 5f66696c 74657200', // "ingress_vlan_filter" + 1 pad
    ].join(' ');
    wireCase(flowLayout(1041), hex, { group: 'l2_drops', trap: 'ingress_vlan_filter' });
  });

  test('flow 0:1042 extended_linux_drop_reason', () => {
    wireCase(flowLayout(1042), '00000009 4e4f5f53 4f434b45 54000000', { reason: 'NO_SOCKET' });
  });

  test('flow 0:1043 extended_timestamp (above 2^53)', () => {
    wireCase(flowLayout(1043), '17979cfe 3d85cd15', { nanoseconds: 1700000000123456789n });
  });

  test('counter 0:1 if_counters (88 bytes)', () => {
    const hex = [
      '00000003', // ifIndex
      '00000006', // ifType ethernetCsmacd
      '00000002 540be400', // ifSpeed 10 Gb/s
      '00000001', // ifDirection full duplex
      '00000003', // ifStatus admin and oper up
      '00000012 34567890', // ifInOctets
      '000003e8 00000014 00000005 00000000 00000001 ffffffff',
      '00200000 00000001', // ifOutOctets 2^53 + 1
      '000007d0 0000001e 00000007 00000002 00000000 00000000',
    ].join(' ');
    assert.equal(fromHex(hex).length, 88);
    wireCase(counterLayout(1), hex, {
      ifIndex: 3,
      ifType: 6,
      ifSpeed: 10_000_000_000,
      ifDirection: 1,
      ifStatus: 3,
      ifInOctets: 0x1234567890,
      ifInUcastPkts: 1000,
      ifInMulticastPkts: 20,
      ifInBroadcastPkts: 5,
      ifInDiscards: 0,
      ifInErrors: 1,
      ifInUnknownProtos: 0xffffffff,
      ifOutOctets: 9007199254740993n,
      ifOutUcastPkts: 2000,
      ifOutMulticastPkts: 30,
      ifOutBroadcastPkts: 7,
      ifOutDiscards: 2,
      ifOutErrors: 0,
      ifPromiscuousMode: 0,
    });
  });

  test('counter 0:11 pfc_counters', () => {
    wireCase(counterLayout(11), '00000001 00000002 00000bb8 00000004 00000005', {
      requests: 1,
      indications: 2,
      pauseDuration: 3000,
      stormDetected: 4,
      stormRestored: 5,
    });
  });

  test('counter 0:2000 host_descr with a fixed 16-byte uuid', () => {
    const hex = [
      '00000004 77656231', // "web1"
      '01234567 89abcdef 01234567 89abcdef', // uuid, no length prefix
      '00000003', // x86_64
      '00000002', // linux
      '00000005 362e312e 30000000', // "6.1.0"
    ].join(' ');
    wireCase(counterLayout(2000), hex, {
      hostname: 'web1',
      uuid: '01234567-89ab-cdef-0123-456789abcdef',
      machineType: 3,
      osName: 2,
      osRelease: '6.1.0',
    });
  });

  const CPU_68 = [
    '3f000000 3fa00000 40000000', // load 0.5, 1.25, 2.0 (float)
    '00000002 00000159 00000008 00000960 00015180', // proc_run 2, proc_total 345, 8 cpus, 2400 MHz, 1 day up
    '000f4240 000001f4 00030d40 004c4b40 0000012c 0000000a 00000014', // user nice system idle wio intr sintr
    '0001e240 0009fbf1', // interrupts 123456, contexts 654321
  ].join(' ');
  const CPU_VALUE: FieldRecord = {
    loadOne: 0.5,
    loadFive: 1.25,
    loadFifteen: 2,
    procRun: 2,
    procTotal: 345,
    cpuNum: 8,
    cpuSpeed: 2400,
    uptime: 86400,
    cpuUser: 1_000_000,
    cpuNice: 500,
    cpuSystem: 200_000,
    cpuIdle: 5_000_000,
    cpuWio: 300,
    cpuIntr: 10,
    cpuSintr: 20,
    interrupts: 123456,
    contexts: 654321,
  };

  test('counter 0:2003 host_cpu, 68-byte form (before 2014)', () => {
    assert.equal(fromHex(CPU_68).length, 68);
    wireCase(counterLayout(2003), CPU_68, CPU_VALUE);
  });

  test('counter 0:2003 host_cpu, 80-byte form (steal, guest, guest_nice)', () => {
    const hex = `${CPU_68} 00000007 00000008 00000009`;
    assert.equal(fromHex(hex).length, 80);
    wireCase(counterLayout(2003), hex, { ...CPU_VALUE, cpuSteal: 7, cpuGuest: 8, cpuGuestNice: 9 });
  });

  test('counter 0:2001 host_adapters with two MACs (each padded to 8 bytes)', () => {
    const hex = [
      '00000001', // one adapter
      '00000002', // ifIndex 2
      '00000002', // two MACs
      '52540012 34560000',
      '525400ab cdef0000',
    ].join(' ');
    wireCase(counterLayout(2001), hex, {
      adapters: [{ ifIndex: 2, macAddresses: ['52:54:00:12:34:56', '52:54:00:ab:cd:ef'] }],
    });
  });

  test('flow 0:1016 extended_80211_aggregation keeps nested records as raw bodies', () => {
    const hex = [
      '00000001', // one pdu
      '00000001', // with one record
      '000003ea', // data_format 0:1002
      '00000004 0000000a', // its body (opaque<>)
    ].join(' ');
    wireCase(flowLayout(1016), hex, { pdus: [{ records: [{ dataFormat: 1002, data: '0000000a' }] }] });
  });
});

describe('fuzz', () => {
  test('random bytes never throw and never move the cursor past the end', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(16),
        fc.nat(16),
        (entry, bytes, skipStart, cutEnd) => {
          const buf = Buffer.from(bytes);
          const start = Math.min(skipStart, buf.length);
          const end = Math.max(start, buf.length - cutEnd);
          const r = new XdrReader(buf, start, end);
          decodeFields(r, entry.layout.fields, {});
          assert.ok(
            r.pos >= start && r.pos <= end,
            `${entry.layout.name}: pos ${r.pos} outside ${start}..${end}`,
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('a string or opaque length of 2^31 or more is an overrun, not a jump backwards', () => {
    // (n + 3) & ~3 is negative for n >= 0x7FFFFFFD in 32-bit JS arithmetic; the padding must be computed without it.
    for (const type of ['string', 'opaque'] as const) {
      for (const n of [0x7ffffffd, 0x80000000, 0xfffffffc, 0xffffffff]) {
        const buf = Buffer.alloc(12);
        buf.writeUInt32BE(n, 0);
        const r = new XdrReader(buf);
        decodeFields(r, [{ name: 'v', type }], {});
        assert.equal(r.overrun, true, `${type} length ${n}`);
        assert.equal(r.pos, r.end, `${type} length ${n}`);
      }
    }
  });

  test('zero-filled bodies decode every layout without overrun', () => {
    // Zero-filled bodies are valid for every layout: every count and length reads as 0.
    for (const { layout } of ALL) {
      const r = new XdrReader(Buffer.alloc(512));
      decodeFields(r, layout.fields, {});
      assert.equal(r.overrun, false, layout.name);
    }
  });
});

describe('drop reasons', () => {
  test('primary names from the sflow_drops table', () => {
    assert.equal(dropReasonName(0), 'net_unreachable');
    assert.equal(dropReasonName(256), 'unknown');
    assert.equal(dropReasonName(257), 'ttl_exceeded');
    assert.equal(dropReasonName(258), 'acl');
    assert.equal(dropReasonName(259), 'no_buffer_space');
    assert.equal(dropReasonName(260), 'red');
    assert.equal(dropReasonName(262), 'pkt_too_big');
    assert.equal(dropReasonName(303), 'split_horizon');
    assert.equal(dropReasonName(372), 'bgp_flowspec');
  });

  test('33 and 36 (as sent by hsflowd) and 332 and 366 all resolve', () => {
    assert.equal(dropReasonName(33), 'dev_hdr');
    assert.equal(dropReasonName(332), 'dev_hdr');
    assert.equal(dropReasonName(36), 'tc_egress');
    assert.equal(dropReasonName(366), 'tc_egress');
  });

  test('unknown codes are undefined', () => {
    assert.equal(dropReasonName(16), undefined);
    assert.equal(dropReasonName(373), undefined);
    assert.equal(dropReasonName(0xffffffff), undefined);
  });
});
