/** Field decoding: types, reduced-size encoding, variable length, zero-length and repeated fields, enterprise and reverse IEs, structured data. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowExportDecoder } from './decoder.js';
import {
  encodeBasicList,
  encodeIpfix,
  encodeNetflow9,
  encodeSubTemplateList,
  encodeSubTemplateMultiList,
  SEMANTIC,
  type TemplateDef,
  VARIABLE_LENGTH,
} from './encode.js';
import { lookupIe } from './ies.js';
import type {
  BasicListValue,
  EnterpriseValue,
  SubTemplateListValue,
  SubTemplateMultiListValue,
} from './types.js';

const EX = { address: '192.0.2.1', port: 4739 };
const NOW = 1_700_000_000_000;

function ipfix(
  templates: TemplateDef[],
  data: { template: TemplateDef; records: unknown[][] }[],
  extra = {},
) {
  return encodeIpfix({
    exportTime: 1_700_000_000,
    observationDomain: 7,
    sets: [
      { type: 'template', templates },
      ...data.map((d) => ({ type: 'data' as const, template: d.template, records: d.records as never[][] })),
    ],
    ...extra,
  });
}

test('IANA IE table: names and types of common IEs, reverse and enterprise names', () => {
  assert.equal(lookupIe(1, 0).name, 'octetDeltaCount');
  assert.equal(lookupIe(8, 0).type, 'ipv4Address');
  assert.equal(lookupIe(315, 0).name, 'dataLinkFrameSection');
  assert.equal(lookupIe(160, 0).type, 'dateTimeMilliseconds');
  assert.equal(lookupIe(154, 0).type, 'dateTimeMicroseconds');
  assert.equal(lookupIe(1, 29305).name, 'reverseOctetDeltaCount');
  assert.equal(lookupIe(6, 29305).name, 'reverseTcpControlBits');
  assert.equal(lookupIe(232, 2011).name, 'e2011_232');
  assert.equal(lookupIe(880, 6876).name, 'tenantProtocol');
  assert.equal(lookupIe(40001, 0, true).name, 'nselXlateSourceIPv4Address');
  assert.equal(lookupIe(40001, 0, false).name, 'ie40001');
  assert.equal(lookupIe(9999, 0).name, 'ie9999');
});

test('reduced-size integers of 1 to 8 bytes, signed, floats, booleans and 64-bit values', () => {
  const t: TemplateDef = {
    id: 300,
    fields: [
      { id: 1, length: 1 },
      { id: 2, length: 3 },
      { id: 3, length: 5 },
      { id: 85, length: 6 },
      { id: 86, length: 7 },
      { id: 163, length: 8 },
      { id: 434, length: 2 }, // signed32 reduced to 2 bytes
      { id: 311, length: 4 }, // float64 reduced to float32
      { id: 320, length: 8 },
      { id: 276, length: 1 }, // boolean
      { id: 333, length: 1 },
    ],
  };
  const d = new FlowExportDecoder();
  const m = d.decode(
    ipfix(
      [t],
      [
        {
          template: t,
          records: [
            [200, 0xabcdef, 2 ** 33 + 5, 2 ** 40, 2 ** 52 + 1, 2n ** 64n - 1n, -2, 0.5, -1.25, true, false],
          ],
        },
      ],
    ),
    EX,
    NOW,
  );
  assert.deepEqual(m.errors, []);
  const f = m.records[0]!.fields;
  assert.equal(f.octetDeltaCount, 200);
  assert.equal(f.packetDeltaCount, 0xabcdef);
  assert.equal(f.deltaFlowCount, 2 ** 33 + 5);
  assert.equal(f.octetTotalCount, 2 ** 40);
  assert.equal(f.packetTotalCount, 2 ** 52 + 1);
  assert.equal(f.observedFlowTotalCount, 18446744073709551615n);
  assert.equal(f.mibObjectValueInteger, -2);
  assert.equal(f.samplingProbability, 0.5);
  assert.equal(f.absoluteError, -1.25);
  assert.equal(f.dataRecordsReliability, true);
  assert.equal(f.hashDigestOutput, false);
});

test('addresses, strings, octets and timestamps (seconds, ms, NTP micro and nanoseconds)', () => {
  const t: TemplateDef = {
    id: 301,
    fields: [
      { id: 8, length: 4 },
      { id: 27, length: 16 },
      { id: 56, length: 6 },
      { id: 82, length: 16 }, // fixed-length string, NUL padded
      { id: 95, length: 4 },
      { id: 150, length: 4 },
      { id: 153, length: 8 },
      { id: 154, length: 8 },
      { id: 157, length: 8 },
    ],
  };
  const ms = 1_700_000_123_456;
  const d = new FlowExportDecoder();
  const m = d.decode(
    ipfix(
      [t],
      [
        {
          template: t,
          records: [
            ['10.1.2.3', '2001:db8::1', 'aa:bb:cc:dd:ee:ff', 'Gi0/0/1', '0d00002a', ms, ms, ms, ms + 0.25],
          ],
        },
      ],
    ),
    EX,
    NOW,
  );
  const f = m.records[0]!.fields;
  assert.equal(f.sourceIPv4Address, '10.1.2.3');
  assert.equal(f.sourceIPv6Address, '2001:db8::1');
  assert.equal(f.sourceMacAddress, 'aa:bb:cc:dd:ee:ff');
  assert.equal(f.interfaceName, 'Gi0/0/1');
  assert.equal(f.applicationId, '0d00002a');
  assert.equal(f.flowStartSeconds, 1_700_000_123_000);
  assert.equal(f.flowEndMilliseconds, ms);
  assert.ok(Math.abs((f.flowStartMicroseconds as number) - ms) < 0.002);
  assert.ok(Math.abs((f.flowEndNanoseconds as number) - (ms + 0.25)) < 0.0001);
  // Record times come from the absolute IEs.
  assert.equal(m.records[0]!.start, 1_700_000_123_000);
  assert.equal(m.records[0]!.end, ms);
});

test('NTP microseconds ignore the low 11 fraction bits (RFC 7011 §6.1.9)', () => {
  const t: TemplateDef = { id: 302, fields: [{ id: 154, length: 8 }] };
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32BE(2208988800 + 1_700_000_000, 0);
  bytes.writeUInt32BE(0x800007ff, 4); // 0.5 s plus bits that must be ignored
  const m = new FlowExportDecoder().decode(ipfix([t], [{ template: t, records: [[bytes]] }]), EX, NOW);
  assert.equal(m.records[0]!.fields.flowStartMicroseconds, 1_700_000_000_500);
});

test('ill-formed UTF-8 strings are dropped and counted', () => {
  const t: TemplateDef = {
    id: 303,
    fields: [
      { id: 82, length: VARIABLE_LENGTH },
      { id: 83, length: 4 },
    ],
  };
  const d = new FlowExportDecoder();
  const m = d.decode(ipfix([t], [{ template: t, records: [[Uint8Array.of(0xc3, 0x28), 'ok€']] }]), EX, NOW);
  const f = m.records[0]!.fields;
  assert.equal(f.interfaceName, undefined);
  assert.equal(f.interfaceDescription, undefined, '"ok€" cut to 4 bytes is ill-formed too');
  assert.equal(d.stats.invalidStrings, 2);
  const m2 = d.decode(ipfix([t], [{ template: t, records: [['Ethernet1/1 ünï', 'abc']] }]), EX, NOW);
  assert.equal(m2.records[0]!.fields.interfaceName, 'Ethernet1/1 ünï');
});

test('variable-length fields: 1-byte and 3-byte length forms, long values, empty values', () => {
  const t: TemplateDef = {
    id: 310,
    fields: [
      { id: 82, length: VARIABLE_LENGTH },
      { id: 315, length: VARIABLE_LENGTH },
      { id: 2, length: 4 },
    ],
  };
  const long = new Uint8Array(300).fill(0xab);
  for (const longVarlen of [false, true]) {
    const msg = encodeIpfix({
      observationDomain: 1,
      sets: [
        { type: 'template', templates: [t] },
        {
          type: 'data',
          template: t,
          longVarlen,
          records: [
            ['eth0', long, 5],
            ['', new Uint8Array(0), 6],
          ],
        },
      ],
    });
    const m = new FlowExportDecoder().decode(msg, EX, NOW);
    assert.deepEqual(m.errors, []);
    assert.equal(m.records.length, 2);
    assert.equal(m.records[0]!.fields.interfaceName, 'eth0');
    assert.equal(m.records[0]!.fields.dataLinkFrameSection, 'ab'.repeat(300));
    assert.equal(m.records[0]!.fields.packetDeltaCount, 5);
    assert.equal(m.records[1]!.fields.interfaceName, '');
    assert.equal(m.records[1]!.fields.packetDeltaCount, 6);
  }
});

test('zero-length template fields are skipped; a template of only zero-length fields is an error, not a loop', () => {
  const t: TemplateDef = {
    id: 320,
    fields: [
      { id: 8, length: 4 },
      { id: 0, length: 0 },
      { id: 1, length: 0 },
      { id: 2, length: 2 },
    ],
  };
  const d = new FlowExportDecoder();
  const m = d.decode(
    encodeNetflow9({
      sets: [
        { type: 'template', templates: [t] },
        { type: 'data', template: t, records: [['1.2.3.4', 0, 0, 9]], padding: 2 },
      ],
    }),
    EX,
    NOW,
  );
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.records[0]!.fields, { sourceIPv4Address: '1.2.3.4', packetDeltaCount: 9 });
  assert.equal(d.stats.paddingBytes.get(2), 1);

  const empty: TemplateDef = { id: 321, fields: [{ id: 1, length: 0 }] };
  const m2 = d.decode(
    encodeNetflow9({
      sets: [
        { type: 'template', templates: [empty] },
        { type: 'raw', setId: 321, body: new Uint8Array(8) },
      ],
    }),
    EX,
    NOW,
  );
  assert.deepEqual(
    m2.errors.map((e) => e.reason),
    ['zero-length-template'],
  );
});

test('repeated IEs keep every value: _2, _3 suffixes', () => {
  const t: TemplateDef = {
    id: 330,
    fields: [
      { id: 58, length: 2 },
      { id: 58, length: 2 },
      { id: 70, length: 3 },
      { id: 70, length: 3 },
      { id: 70, length: 3 },
    ],
  };
  const m = new FlowExportDecoder().decode(
    ipfix([t], [{ template: t, records: [[10, 20, '001001', '002001', '003001']] }]),
    EX,
    NOW,
  );
  assert.deepEqual(m.records[0]!.fields, {
    vlanId: 10,
    vlanId_2: 20,
    mplsTopLabelStackSection: '001001',
    mplsTopLabelStackSection_2: '002001',
    mplsTopLabelStackSection_3: '003001',
  });
  assert.deepEqual(
    m.templates[0]!.fields.map((f) => f.name),
    [
      'vlanId',
      'vlanId_2',
      'mplsTopLabelStackSection',
      'mplsTopLabelStackSection_2',
      'mplsTopLabelStackSection_3',
    ],
  );
  // Keys use the first occurrence.
  assert.equal(m.records[0]!.keys?.vlan, 10);
});

test('enterprise IEs are kept as {pen, id, value}; RFC 5103 reverse IEs get reverse names', () => {
  const t: TemplateDef = {
    id: 340,
    fields: [
      { id: 1, length: 8 },
      { id: 1, length: 8, pen: 29305 },
      { id: 232, length: 2, pen: 2011 },
      { id: 880, length: 1, pen: 6876 },
      { id: 12, length: VARIABLE_LENGTH, pen: 5951 },
    ],
  };
  const m = new FlowExportDecoder().decode(
    ipfix([t], [{ template: t, records: [[100, 250, 'beef', 17, Uint8Array.of(1, 2, 3)]] }]),
    EX,
    NOW,
  );
  const f = m.records[0]!.fields;
  assert.equal(f.octetDeltaCount, 100);
  assert.equal(f.reverseOctetDeltaCount, 250);
  assert.deepEqual(f.e2011_232 as EnterpriseValue, { pen: 2011, id: 232, value: 'beef' });
  assert.deepEqual(f.tenantProtocol as EnterpriseValue, { pen: 6876, id: 880, value: 17 });
  assert.deepEqual(f.e5951_12 as EnterpriseValue, { pen: 5951, id: 12, value: '010203' });
  assert.deepEqual(m.templates[0]!.fields[2], { id: 232, name: 'e2011_232', length: 2, pen: 2011 });
});

test('NetFlow v9 variable-length fields (H3C: length 65535 with IPFIX-style prefixes)', () => {
  const t: TemplateDef = {
    id: 400,
    fields: [
      { id: 8, length: 4 },
      { id: 236, length: VARIABLE_LENGTH },
      { id: 1, length: 4 },
    ],
  };
  const m = new FlowExportDecoder().decode(
    encodeNetflow9({
      sets: [
        { type: 'template', templates: [t] },
        { type: 'data', template: t, records: [['10.0.0.1', 'vpn-blue', 64]] },
      ],
    }),
    EX,
    NOW,
  );
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.records[0]!.fields, {
    sourceIPv4Address: '10.0.0.1',
    VRFname: 'vpn-blue',
    octetDeltaCount: 64,
  });
});

test('structured data: basicList, subTemplateList and subTemplateMultiList use the store templates', () => {
  const inner: TemplateDef = {
    id: 500,
    fields: [
      { id: 7, length: 2 },
      { id: 82, length: VARIABLE_LENGTH },
    ],
  };
  const inner2: TemplateDef = { id: 501, fields: [{ id: 4, length: 1 }] };
  const outer: TemplateDef = {
    id: 502,
    fields: [
      { id: 8, length: 4 },
      { id: 291, length: VARIABLE_LENGTH },
      { id: 292, length: VARIABLE_LENGTH },
      { id: 293, length: VARIABLE_LENGTH },
      { id: 292, length: VARIABLE_LENGTH },
    ],
  };
  const basic = encodeBasicList(SEMANTIC.allOf, { id: 14, length: 4 }, [3, 4, 5]);
  const stl = encodeSubTemplateList(SEMANTIC.exactlyOneOf, inner, [
    [80, 'a'],
    [443, 'bb'],
  ]);
  const stml = encodeSubTemplateMultiList(SEMANTIC.ordered, [
    { template: inner, records: [[53, 'dns']] },
    { template: inner2, records: [[6], [17]] },
  ]);
  const unknownStl = encodeSubTemplateList(SEMANTIC.allOf, { id: 999, fields: [{ id: 4, length: 1 }] }, [
    [1],
  ]);
  const msg = encodeIpfix({
    observationDomain: 3,
    sets: [
      { type: 'template', templates: [inner, inner2, outer] },
      { type: 'data', template: outer, records: [['10.9.8.7', basic, stl, stml, unknownStl]] },
    ],
  });
  const m = new FlowExportDecoder().decode(msg, EX, NOW);
  assert.deepEqual(m.errors, []);
  const f = m.records[0]!.fields;
  assert.deepEqual(f.basicList as BasicListValue, {
    semantic: 'allOf',
    element: { id: 14, name: 'egressInterface' },
    values: [3, 4, 5],
  });
  assert.deepEqual(f.subTemplateList as SubTemplateListValue, {
    semantic: 'exactlyOneOf',
    templateId: 500,
    records: [
      { sourceTransportPort: 80, interfaceName: 'a' },
      { sourceTransportPort: 443, interfaceName: 'bb' },
    ],
  });
  assert.deepEqual(f.subTemplateMultiList as SubTemplateMultiListValue, {
    semantic: 'ordered',
    lists: [
      { semantic: 'ordered', templateId: 500, records: [{ sourceTransportPort: 53, interfaceName: 'dns' }] },
      {
        semantic: 'ordered',
        templateId: 501,
        records: [{ protocolIdentifier: 6 }, { protocolIdentifier: 17 }],
      },
    ],
  });
  assert.deepEqual(f.subTemplateList_2 as SubTemplateListValue, {
    semantic: 'allOf',
    templateId: 999,
    data: '01',
  });
});

test('a basicList of variable-length elements and a damaged list report bad-structured-data', () => {
  const outer: TemplateDef = { id: 510, fields: [{ id: 291, length: VARIABLE_LENGTH }] };
  const names = encodeBasicList(SEMANTIC.allOf, { id: 82, length: VARIABLE_LENGTH }, ['eth0', 'eth1']);
  const d = new FlowExportDecoder();
  const m = d.decode(ipfix([outer], [{ template: outer, records: [[names]] }]), EX, NOW);
  assert.deepEqual((m.records[0]!.fields.basicList as BasicListValue).values, ['eth0', 'eth1']);
  const broken = Uint8Array.from(names);
  broken[10] = 100; // the second element's length runs past the list
  const m2 = d.decode(ipfix([outer], [{ template: outer, records: [[broken]] }]), EX, NOW);
  assert.deepEqual(
    m2.errors.map((e) => e.reason),
    ['bad-structured-data'],
  );
});
