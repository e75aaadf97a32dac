/** Options data as lookup tables: sampling rates, interface and VRF names (re-assignable), system init time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowExportDecoder } from './decoder.js';
import { type ExportSet, encodeIpfix, encodeNetflow5, encodeNetflow9, type TemplateDef } from './encode.js';

const EX = { address: '203.0.113.5', port: 9995 };
const NOW = 1_700_000_000_000;

const SAMPLER_V9: TemplateDef = {
  id: 257,
  scopeCount: 1,
  fields: [
    { id: 1, length: 4 }, // scope: System
    { id: 48, length: 2 },
    { id: 49, length: 1 },
    { id: 50, length: 4 },
  ],
};
const FLOW_V9: TemplateDef = {
  id: 300,
  fields: [
    { id: 8, length: 4 },
    { id: 12, length: 4 },
    { id: 1, length: 4 },
    { id: 48, length: 1 },
  ],
};

function v9(sets: ExportSet[], sequence = 0): Buffer {
  return encodeNetflow9({ sysUptime: 10_000, unixSecs: 1_700_000_000, sourceId: 3, sequence, sets });
}

test('NetFlow v9 sampler options: data records refer back through FLOW_SAMPLER_ID (48)', () => {
  const d = new FlowExportDecoder();
  d.decode(
    v9([
      { type: 'options-template', templates: [SAMPLER_V9] },
      { type: 'template', templates: [FLOW_V9] },
      {
        type: 'data',
        template: SAMPLER_V9,
        records: [
          [0, 1, 2, 1000],
          [0, 2, 2, 4000],
        ],
      },
    ]),
    EX,
    NOW,
  );
  const m = d.decode(
    v9([
      {
        type: 'data',
        template: FLOW_V9,
        records: [
          ['10.0.0.1', '10.0.0.2', 100, 1],
          ['10.0.0.1', '10.0.0.2', 100, 2],
          ['10.0.0.1', '10.0.0.2', 100, 9],
        ],
      },
    ]),
    EX,
    NOW,
  );
  assert.deepEqual(
    m.records.map((r) => r.keys?.samplingrate),
    [1000, 4000, 1],
  );
  const lookups = d.lookupTables(EX, 'netflow9', 3);
  assert.deepEqual(lookups?.samplers.get(2), { rate: 4000 });
});

test('IPFIX selector options (302 with 305/306, or 309/310) and a domain-wide samplingInterval', () => {
  const selector: TemplateDef = {
    id: 400,
    scopeCount: 1,
    fields: [
      { id: 302, length: 4 },
      { id: 304, length: 2 },
      { id: 305, length: 4 },
      { id: 306, length: 4 },
      { id: 335, length: 65535 },
    ],
  };
  const random: TemplateDef = {
    id: 401,
    scopeCount: 1,
    fields: [
      { id: 302, length: 4 },
      { id: 305, length: 4 },
      { id: 309, length: 4 },
      { id: 310, length: 4 },
    ],
  };
  const flow: TemplateDef = {
    id: 402,
    fields: [
      { id: 8, length: 4 },
      { id: 302, length: 8 },
    ],
  };
  const d = new FlowExportDecoder();
  const m = d.decode(
    encodeIpfix({
      observationDomain: 5,
      sets: [
        { type: 'options-template', templates: [selector, random] },
        { type: 'template', templates: [flow] },
        { type: 'data', template: selector, records: [[7, 1, 1, 99, 'every-100th']] },
        { type: 'data', template: random, records: [[8, 1, 1, 256]] },
        {
          type: 'data',
          template: flow,
          records: [
            ['1.1.1.1', 7],
            ['1.1.1.1', 8],
            ['1.1.1.1', 9],
          ],
        },
      ],
    }),
    EX,
    NOW,
  );
  assert.deepEqual(
    m.records.filter((r) => !r.options).map((r) => r.keys?.samplingrate),
    [100, 256, 1],
  );
  assert.deepEqual(d.lookupTables(EX, 'ipfix', 5)?.samplers.get(7), { rate: 100, name: 'every-100th' });

  // An options record without a sampler ID sets the rate of the whole domain.
  const system: TemplateDef = {
    id: 403,
    scopeCount: 1,
    fields: [
      { id: 144, length: 4 },
      { id: 34, length: 4 },
    ],
  };
  const m2 = d.decode(
    encodeIpfix({
      observationDomain: 5,
      sets: [
        { type: 'options-template', templates: [system] },
        { type: 'data', template: system, records: [[1, 512]] },
        { type: 'data', template: flow, records: [['1.1.1.1', 9]] },
      ],
    }),
    EX,
    NOW,
  );
  assert.equal(m2.records[1]!.keys?.samplingrate, 512);
});

test('sampling scoped to a template (observationDomainId + templateId scope)', () => {
  const scoped: TemplateDef = {
    id: 410,
    scopeCount: 2,
    fields: [
      { id: 149, length: 4 },
      { id: 145, length: 2 },
      { id: 304, length: 2 },
      { id: 305, length: 4 },
      { id: 306, length: 4 },
    ],
  };
  const flow: TemplateDef = { id: 411, fields: [{ id: 8, length: 4 }] };
  const other: TemplateDef = { id: 412, fields: [{ id: 8, length: 4 }] };
  const m = new FlowExportDecoder().decode(
    encodeIpfix({
      observationDomain: 6,
      sets: [
        { type: 'options-template', templates: [scoped] },
        { type: 'template', templates: [flow, other] },
        { type: 'data', template: scoped, records: [[6, 411, 1, 1, 9]] },
        { type: 'data', template: flow, records: [['2.2.2.2']] },
        { type: 'data', template: other, records: [['2.2.2.2']] },
      ],
    }),
    EX,
    NOW,
  );
  assert.deepEqual(
    m.records.filter((r) => !r.options).map((r) => r.keys?.samplingrate),
    [10, 1],
  );
});

test('configured default rate and per-exporter override; NetFlow v5 header sampling', () => {
  const flow: TemplateDef = {
    id: 420,
    fields: [
      { id: 8, length: 4 },
      { id: 34, length: 4 },
    ],
  };
  const msg = encodeIpfix({
    sets: [
      { type: 'template', templates: [{ id: 421, fields: [{ id: 8, length: 4 }] }, flow] },
      { type: 'data', template: { id: 421, fields: [{ id: 8, length: 4 }] }, records: [['3.3.3.3']] },
      { type: 'data', template: flow, records: [['3.3.3.3', 50]] },
    ],
  });
  const rates = (d: FlowExportDecoder, ex = EX) =>
    d.decode(msg, ex, NOW).records.map((r) => r.keys?.samplingrate);
  assert.deepEqual(rates(new FlowExportDecoder()), [1, 50]);
  assert.deepEqual(rates(new FlowExportDecoder({ defaultSamplingRate: 2048 })), [2048, 50]);
  const overridden = new FlowExportDecoder({ samplingOverrides: { [EX.address]: 333 } });
  assert.deepEqual(rates(overridden), [333, 333]);
  assert.deepEqual(rates(overridden, { address: '203.0.113.6', port: 1 }), [1, 50]);

  const v5 = encodeNetflow5({ samplingInterval: 100, samplingMode: 1, records: [{ srcAddr: '1.2.3.4' }] });
  const m = new FlowExportDecoder({ defaultSamplingRate: 7 }).decode(v5, EX, NOW);
  assert.equal(m.samplingInterval, 100);
  assert.equal(m.samplingMode, 1);
  assert.equal(m.records[0]!.keys?.samplingrate, 100);
  const unsampled = encodeNetflow5({ records: [{ srcAddr: '1.2.3.4' }] });
  assert.equal(
    new FlowExportDecoder({ defaultSamplingRate: 7 }).decode(unsampled, EX, NOW).records[0]!.keys
      ?.samplingrate,
    7,
  );
});

test('interface and VRF names from options data, replaced when re-assigned', () => {
  const ifNames: TemplateDef = {
    id: 430,
    scopeCount: 1,
    fields: [
      { id: 10, length: 4 },
      { id: 82, length: 65535 },
      { id: 83, length: 65535 },
    ],
  };
  const vrfNames: TemplateDef = {
    id: 431,
    scopeCount: 1,
    fields: [
      { id: 234, length: 4 },
      { id: 236, length: 32 },
    ],
  };
  const flow: TemplateDef = {
    id: 432,
    fields: [
      { id: 10, length: 4 },
      { id: 14, length: 4 },
      { id: 234, length: 4 },
    ],
  };
  const d = new FlowExportDecoder();
  const msg = (ifName: string, vrf: string) =>
    encodeIpfix({
      observationDomain: 1,
      sets: [
        { type: 'options-template', templates: [ifNames, vrfNames] },
        { type: 'template', templates: [flow] },
        {
          type: 'data',
          template: ifNames,
          records: [
            [5, ifName, 'uplink'],
            [6, 'Gi0/6', ''],
          ],
        },
        { type: 'data', template: vrfNames, records: [[1, vrf]] },
        { type: 'data', template: flow, records: [[5, 6, 1]] },
      ],
    });
  const m1 = d.decode(msg('Gi0/5', 'blue'), EX, NOW);
  const keys1 = m1.records.at(-1)!.keys!;
  assert.equal(keys1.inputifname, 'Gi0/5');
  assert.equal(keys1.outputifname, 'Gi0/6');
  assert.equal(keys1.ingressvrf, 'blue');
  const m2 = d.decode(msg('Te1/5', 'red'), EX, NOW);
  const keys2 = m2.records.at(-1)!.keys!;
  assert.equal(keys2.inputifname, 'Te1/5');
  assert.equal(keys2.ingressvrf, 'red');
  const t = d.lookupTables(EX, 'ipfix', 1)!;
  assert.deepEqual(t.interfaces.get(5), { name: 'Te1/5', description: 'uplink' });
  assert.equal(t.vrfs.get(1), 'red');
  assert.equal(d.stats.optionsRecords, 6);
});

test('times: NetFlow v9 uptime-relative, IPFIX 21/22 with systemInitTimeMilliseconds, delta microseconds', () => {
  const flow: TemplateDef = {
    id: 440,
    fields: [
      { id: 22, length: 4 },
      { id: 21, length: 4 },
    ],
  };
  // v9: header uptime 10 000 ms at 1 700 000 000 s; the flow ran from uptime 4 000 to 9 000.
  const m = new FlowExportDecoder().decode(
    v9([
      { type: 'template', templates: [flow] },
      { type: 'data', template: flow, records: [[4000, 9000]] },
    ]),
    EX,
    NOW,
  );
  assert.equal(m.records[0]!.start, 1_700_000_000_000 - 6000);
  assert.equal(m.records[0]!.end, 1_700_000_000_000 - 1000);
  // Uptime wrapped past 2^32 between the flow start and the export.
  const wrapped = new FlowExportDecoder().decode(
    encodeNetflow9({
      sysUptime: 500,
      unixSecs: 1_700_000_000,
      sets: [
        { type: 'template', templates: [flow] },
        { type: 'data', template: flow, records: [[4294967000, 400]] },
      ],
    }),
    EX,
    NOW,
  );
  assert.equal(wrapped.records[0]!.start, 1_700_000_000_000 - 796);
  assert.equal(wrapped.records[0]!.end, 1_700_000_000_000 - 100);

  // IPFIX: no absolute time until systemInitTimeMilliseconds arrives in options data.
  const init: TemplateDef = {
    id: 441,
    scopeCount: 1,
    fields: [
      { id: 144, length: 4 },
      { id: 160, length: 8 },
    ],
  };
  const d = new FlowExportDecoder();
  const before = d.decode(
    encodeIpfix({
      sets: [
        { type: 'template', templates: [flow] },
        { type: 'data', template: flow, records: [[4000, 9000]] },
      ],
    }),
    EX,
    NOW,
  );
  assert.equal(before.records[0]!.start, undefined);
  const withInit = d.decode(
    encodeIpfix({
      sets: [
        { type: 'options-template', templates: [init] },
        { type: 'data', template: init, records: [[1, 1_600_000_000_000]] },
        { type: 'data', template: flow, records: [[4000, 9000]] },
      ],
    }),
    EX,
    NOW,
  );
  assert.equal(withInit.records[1]!.start, 1_600_000_004_000);
  assert.equal(withInit.records[1]!.end, 1_600_000_009_000);

  const delta: TemplateDef = {
    id: 442,
    fields: [
      { id: 158, length: 4 },
      { id: 159, length: 4 },
    ],
  };
  const dm = new FlowExportDecoder().decode(
    encodeIpfix({
      exportTime: 1_700_000_000,
      sets: [
        { type: 'template', templates: [delta] },
        { type: 'data', template: delta, records: [[3_000_000, 1_500]] },
      ],
    }),
    EX,
    NOW,
  );
  assert.equal(dm.records[0]!.start, 1_699_999_997_000);
  assert.equal(dm.records[0]!.end, 1_699_999_999_998.5);
});
