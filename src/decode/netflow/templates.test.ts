/** Template store: scoping, refresh and replacement, withdrawal, expiry, bounded memory with LRU eviction, persistence. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { FlowExportDecoder } from './decoder.js';
import { type ExportSet, encodeIpfix, encodeNetflow9, type TemplateDef } from './encode.js';
import { TemplatePersistence } from './persistence.js';
import { TemplateStore } from './store.js';
import { Template } from './template.js';

const A = { address: '198.51.100.1', port: 2055 };
const NOW = 1_700_000_000_000;
const T256: TemplateDef = {
  id: 256,
  fields: [
    { id: 8, length: 4 },
    { id: 1, length: 4 },
  ],
};
const T256B: TemplateDef = {
  id: 256,
  fields: [
    { id: 12, length: 4 },
    { id: 2, length: 4 },
  ],
};

function ipfix(domain: number, sets: ExportSet[], sequence = 0): Buffer {
  return encodeIpfix({ exportTime: 1_700_000_000, observationDomain: domain, sequence, sets });
}
const tpl = (t: TemplateDef): ExportSet => ({ type: 'template', templates: [t] });
const data = (t: TemplateDef, records: (string | number)[][]): ExportSet => ({
  type: 'data',
  template: t,
  records,
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'flowlens-templates-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('templates are scoped by exporter address, port, observation domain and protocol version', () => {
  const d = new FlowExportDecoder();
  d.decode(ipfix(1, [tpl(T256)]), A, NOW);
  // Same ID, other domain: different content.
  d.decode(ipfix(2, [tpl(T256B)]), A, NOW);
  const r1 = d.decode(ipfix(1, [data(T256, [['10.0.0.1', 5]])]), A, NOW);
  assert.deepEqual(r1.records[0]!.fields, { sourceIPv4Address: '10.0.0.1', octetDeltaCount: 5 });
  const r2 = d.decode(ipfix(2, [data(T256B, [['10.0.0.2', 6]])]), A, NOW);
  assert.deepEqual(r2.records[0]!.fields, { destinationIPv4Address: '10.0.0.2', packetDeltaCount: 6 });
  // Other port, other address, or NetFlow v9 with the same numbers: unknown.
  for (const [msg, ex] of [
    [ipfix(1, [data(T256, [['10.0.0.1', 5]])]), { ...A, port: 2056 }],
    [ipfix(1, [data(T256, [['10.0.0.1', 5]])]), { ...A, address: '198.51.100.2' }],
    [encodeNetflow9({ sourceId: 1, sets: [data(T256, [['10.0.0.1', 5]])] }), A],
  ] as const) {
    const m = d.decode(msg, ex, NOW);
    assert.equal(m.records.length, 0);
    assert.equal(m.errors[0]?.reason, 'unknown-template');
  }
  assert.equal(d.templates.size, 2);
});

test('a template sent again is a refresh; the same ID with new content replaces it', () => {
  const d = new FlowExportDecoder();
  assert.equal(d.decode(ipfix(1, [tpl(T256)]), A, NOW).templates[0]!.action, 'defined');
  assert.equal(d.decode(ipfix(1, [tpl(T256)]), A, NOW + 1000).templates[0]!.action, 'refreshed');
  assert.equal(d.decode(ipfix(1, [tpl(T256B)]), A, NOW + 2000).templates[0]!.action, 'replaced');
  const m = d.decode(ipfix(1, [data(T256B, [['10.0.0.9', 3]])]), A, NOW + 3000);
  assert.deepEqual(m.records[0]!.fields, { destinationIPv4Address: '10.0.0.9', packetDeltaCount: 3 });
  assert.deepEqual(
    { ...d.templates.counters },
    { defined: 1, refreshed: 1, replaced: 1, withdrawn: 0, expired: 0, evicted: 0, exportersEvicted: 0 },
  );
});

test('IPFIX withdrawals: ignored and counted over UDP, applied over TCP and SCTP (one template or all)', () => {
  const opts: TemplateDef = {
    id: 300,
    scopeCount: 1,
    fields: [
      { id: 302, length: 4 },
      { id: 34, length: 4 },
    ],
  };
  const define: ExportSet[] = [
    { type: 'template', templates: [T256, { ...T256B, id: 257 }] },
    { type: 'options-template', templates: [opts] },
  ];
  const udp = new FlowExportDecoder();
  udp.decode(ipfix(1, define), A, NOW);
  const w = udp.decode(ipfix(1, [{ type: 'withdraw', ids: [256] }]), A, NOW);
  assert.deepEqual(w.templates, [
    { id: 256, options: false, scopeCount: 0, fields: [], action: 'withdraw-ignored' },
  ]);
  assert.equal(udp.stats.withdrawalsIgnored, 1);
  assert.equal(udp.templates.size, 3);
  assert.deepEqual(w.errors, []);

  for (const transport of ['tcp', 'sctp'] as const) {
    const d = new FlowExportDecoder({ transport });
    d.decode(ipfix(1, define), A, NOW);
    assert.equal(
      d.decode(ipfix(1, [{ type: 'withdraw', ids: [256] }]), A, NOW).templates[0]!.action,
      'withdrawn',
    );
    assert.equal(d.templates.size, 2);
    assert.equal(
      d.decode(ipfix(1, [data(T256, [['1.1.1.1', 1]])]), A, NOW).errors[0]!.reason,
      'unknown-template',
    );
    // ID 3 in an options template set withdraws all options templates; ID 2 all data templates.
    d.decode(ipfix(1, [{ type: 'withdraw', ids: [3], options: true }]), A, NOW);
    assert.equal(d.templates.size, 1);
    d.decode(ipfix(1, [{ type: 'withdraw', ids: [2] }]), A, NOW);
    assert.equal(d.templates.size, 0);
    assert.equal(d.stats.withdrawals, 3);
    // Over TCP / SCTP templates do not expire by age.
    d.decode(ipfix(1, define), A, NOW);
    assert.equal(d.decode(ipfix(1, [data(T256, [['1.1.1.1', 1]])]), A, NOW + 86_400_000).records.length, 1);
  }
});

test('templates not refreshed within the lifetime expire (on use and by the periodic sweep)', () => {
  const d = new FlowExportDecoder({ templates: { lifetimeMs: 60_000 } });
  d.decode(ipfix(1, [tpl(T256), tpl({ ...T256, id: 257 })]), A, NOW);
  assert.equal(d.decode(ipfix(1, [data(T256, [['1.1.1.1', 1]])]), A, NOW + 59_000).records.length, 1);
  d.decode(ipfix(1, [tpl(T256)]), A, NOW + 59_000); // refresh 256 only
  const m = d.decode(ipfix(1, [data(T256, [['1.1.1.1', 1]])]), A, NOW + 100_000);
  assert.equal(m.records.length, 1);
  // 257 was swept by housekeeping (every 5 s of receive time) when the lifetime passed.
  assert.equal(d.templates.size, 1);
  assert.equal(d.templates.counters.expired, 1);
  const late = d.decode(ipfix(1, [data(T256, [['1.1.1.1', 1]])]), A, NOW + 200_000);
  assert.equal(late.errors[0]!.reason, 'unknown-template');
  assert.equal(d.templates.counters.expired, 2);
});

test('bounded memory: per-exporter, total and exporter caps evict the least recently used', () => {
  const s = new TemplateStore({
    maxTemplatesPerExporter: 3,
    maxTemplates: 5,
    maxExporters: 2,
    lifetimeMs: 0,
  });
  const mk = (id: number) => new Template('ipfix', 0, id, false, 0, [{ id: 1, length: 4, pen: 0 }]);
  const e1 = { address: '10.0.0.1', port: 1 };
  const e2 = { address: '10.0.0.2', port: 1 };
  const e3 = { address: '10.0.0.3', port: 1 };
  for (const id of [256, 257, 258]) s.define(e1, mk(id), 0);
  s.get('10.0.0.1|1', 'ipfix', 0, 256, 0); // 256 is now the most recently used
  s.define(e1, mk(259), 0); // per-exporter cap: 257 goes
  assert.equal(s.exporterSize('10.0.0.1', 1), 3);
  assert.equal(s.peek('10.0.0.1', 1, 'ipfix', 0, 257), undefined);
  assert.ok(s.peek('10.0.0.1', 1, 'ipfix', 0, 256));
  for (const id of [256, 257, 258]) s.define(e2, mk(id), 0); // total cap 5: e1's oldest go
  assert.equal(s.size, 5);
  assert.equal(s.peek('10.0.0.1', 1, 'ipfix', 0, 258), undefined);
  s.define(e3, mk(256), 0); // exporter cap 2: the least recently used exporter (e1) goes with its templates
  assert.equal(s.exporterCount, 2);
  assert.equal(s.exporterSize('10.0.0.1', 1), 0);
  assert.ok(s.size <= 5);
  assert.equal(s.counters.exportersEvicted, 1);
  assert.ok(s.counters.evicted >= 3);
});

test('toJSON / fromJSON: a restored store decodes data without waiting for a refresh', () => {
  const d = new FlowExportDecoder();
  const opts: TemplateDef = {
    id: 300,
    scopeCount: 1,
    fields: [
      { id: 302, length: 4 },
      { id: 34, length: 4 },
    ],
  };
  d.decode(
    ipfix(9, [
      tpl({ id: 256, fields: [...T256.fields, { id: 232, length: 2, pen: 2011 }] }),
      { type: 'options-template', templates: [opts] },
    ]),
    A,
    NOW,
  );
  d.decode(encodeNetflow9({ sourceId: 4, sets: [tpl(T256B)] }), A, NOW);
  const json = JSON.parse(JSON.stringify(d.templates.toJSON()));
  assert.equal(json.templates.length, 3);
  const restored = new FlowExportDecoder({ templates: TemplateStore.fromJSON(json) });
  const m = restored.decode(
    ipfix(9, [
      data({ id: 256, fields: [...T256.fields, { id: 232, length: 2, pen: 2011 }] }, [
        ['10.1.1.1', 7, 'abcd'],
      ]),
    ]),
    A,
    NOW + 1000,
  );
  assert.deepEqual(m.errors, []);
  assert.deepEqual(m.records[0]!.fields, {
    sourceIPv4Address: '10.1.1.1',
    octetDeltaCount: 7,
    e2011_232: { pen: 2011, id: 232, value: 'abcd' },
  });
  const v9 = restored.decode(encodeNetflow9({ sourceId: 4, sets: [data(T256B, [['10.2.2.2', 1]])] }), A, NOW);
  assert.equal(v9.records.length, 1);
  // Garbage is skipped, never thrown.
  assert.equal(TemplateStore.fromJSON(null).size, 0);
  assert.equal(TemplateStore.fromJSON({ format: 'other' }).size, 0);
  const mixed = {
    ...json,
    templates: [...json.templates, { address: 1 }, { ...json.templates[0], id: 5 }, 'x'],
  };
  assert.equal(TemplateStore.fromJSON(mixed).size, 3);
});

test('TemplatePersistence writes templates.json atomically (debounced) and loads it at start', async () => {
  const dir = path.join(tmp, 'state');
  const store = new TemplateStore();
  const p = await TemplatePersistence.open(store, { stateDir: dir, debounceMs: 20 });
  const d = new FlowExportDecoder({ templates: store });
  d.decode(ipfix(1, [tpl(T256)]), A, NOW);
  d.decode(ipfix(1, [tpl({ ...T256, id: 257 })]), A, NOW);
  d.decode(ipfix(1, [tpl(T256)]), A, NOW); // a refresh is not a change
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(p.writes, 1, 'two changes within the debounce delay: one write');
  const file = path.join(dir, 'templates.json');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).templates.length, 2);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
  d.decode(ipfix(1, [tpl(T256B)]), A, NOW); // replacement
  await p.close(); // flushes pending changes
  assert.equal(p.writes, 2);

  // A restart: a new store loads the file and decodes data at once.
  const store2 = new TemplateStore();
  const p2 = await TemplatePersistence.open(store2, { stateDir: dir });
  assert.equal(store2.size, 2);
  const m = new FlowExportDecoder({ templates: store2 }).decode(
    ipfix(1, [data(T256B, [['10.0.0.3', 4]])]),
    A,
    NOW,
  );
  assert.deepEqual(m.records[0]!.fields, { destinationIPv4Address: '10.0.0.3', packetDeltaCount: 4 });
  await p2.close();
  assert.equal(p2.writes, 0);

  // A corrupt file loads nothing and is reported, not thrown; a missing one is no error.
  writeFileSync(file, '{not json');
  const p3 = new TemplatePersistence(new TemplateStore(), { stateDir: dir });
  assert.equal(await p3.load(), 0);
  assert.ok(p3.lastError instanceof Error);
  const p4 = new TemplatePersistence(new TemplateStore(), { stateDir: path.join(tmp, 'none') });
  assert.equal(await p4.load(), 0);
  assert.equal(p4.lastError, undefined);
  await p4.flush();
  assert.ok(existsSync(path.join(tmp, 'none', 'templates.json')));
});
