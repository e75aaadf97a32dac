/**
 * Fuzzing of the IPFIX, NetFlow v9 and v5 decoders: random bytes, mutated
 * valid messages (built by the encoder and taken from real captures) and
 * template floods. Decoding must never throw, errors must carry a reason and
 * an offset inside the message, results must serialise, and the decoder's
 * memory must stay within its caps (templates, exporters, held data), with
 * evictions counted.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { toJson } from '../../common/json.js';
import { readCapture } from '../../ingest/capture.js';
import { detectProtocol } from '../../ingest/detect.js';
import { capturesDir } from '../../testing/captures.js';
import { FlowExportDecoder, type FlowExportDecoderOptions } from './decoder.js';
import {
  type ExportSet,
  encodeBasicList,
  encodeIpfix,
  encodeNetflow5,
  encodeNetflow9,
  SEMANTIC,
  type TemplateDef,
  type TemplateFieldDef,
  VARIABLE_LENGTH,
} from './encode.js';
import type { ExportMessage } from './types.js';

const CAPS: FlowExportDecoderOptions = {
  templates: { maxTemplatesPerExporter: 16, maxTemplates: 64, maxExporters: 8, lifetimeMs: 60_000 },
  pending: { maxSetsPerExporter: 8, maxBytesPerExporter: 4096, maxBytes: 16_384, maxAgeMs: 30_000 },
  maxDomains: 32,
};

function checkMessage(buf: Buffer, m: ExportMessage): void {
  toJson(m);
  for (const e of m.errors) {
    assert.match(e.reason, /^[a-z0-9-]+$/);
    assert.ok(e.offset >= 0 && e.offset <= buf.length, `${e.reason} offset ${e.offset} of ${buf.length}`);
  }
}

function checkBounds(d: FlowExportDecoder): void {
  const s = d.templates;
  assert.ok(s.size <= s.maxTemplates, `templates ${s.size} > ${s.maxTemplates}`);
  assert.ok(s.exporterCount <= s.maxExporters, `exporters ${s.exporterCount} > ${s.maxExporters}`);
  assert.ok(d.pending.heldBytes <= d.pending.maxBytes, 'held bytes');
  assert.ok(d.lookups.size <= d.lookups.maxDomains, 'lookup tables');
  assert.ok(d.sequences.size <= d.sequences.maxStreams, 'sequence streams');
  const c = s.counters;
  assert.equal(s.size, c.defined - c.evicted - c.expired - c.withdrawn, 'templates are conserved');
}

/** Boundary values for length, count and ID fields. */
const nasty16 = fc.constantFrom(0, 1, 2, 3, 4, 5, 255, 256, 0x7fff, 0x8000, 0xfffe, 0xffff);
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('u16' as const), at: fc.nat(), value: nasty16 }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
);
type Mutation = { kind: 'byte' | 'u16' | 'cut'; at: number; value: number };

function mutate(buf: Buffer, ms: Mutation[]): Buffer {
  let out = Buffer.from(buf);
  for (const m of ms) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === 'byte') out[at] = m.value;
    else if (m.kind === 'u16' && out.length >= 2) out.writeUInt16BE(m.value, Math.min(at, out.length - 2));
    else if (m.kind === 'cut') out = out.subarray(0, at);
  }
  return out;
}

// --- structured arbitrary messages -----------------------------------------------------

const fieldArb: fc.Arbitrary<TemplateFieldDef> = fc.oneof(
  fc.record({
    id: fc.constantFrom(1, 2, 4, 5, 6, 7, 10, 11, 14, 16, 21, 22, 58, 61, 85, 160),
    length: fc.integer({ min: 0, max: 9 }),
  }),
  fc.record({ id: fc.constantFrom(8, 12, 15), length: fc.constantFrom(4, 4, 2, 16) }),
  fc.record({ id: fc.constantFrom(27, 28, 62), length: fc.constantFrom(16, 16, 4) }),
  fc.record({ id: fc.constantFrom(56, 80), length: fc.constantFrom(6, 6, 8) }),
  fc.record({
    id: fc.constantFrom(82, 236, 315, 95, 291, 292, 293),
    length: fc.constantFrom(VARIABLE_LENGTH, 4, 32),
  }),
  fc.record({
    id: fc.constantFrom(150, 152, 154, 156, 34, 48, 302, 305, 306, 309, 310, 311),
    length: fc.constantFrom(1, 2, 4, 8),
  }),
  fc.record({
    id: fc.integer({ min: 1, max: 0x7fff }),
    length: fc.integer({ min: 0, max: 20 }),
    pen: fc.constantFrom(9, 2011, 6876, 29305),
  }),
);

const templateArb = (options: boolean): fc.Arbitrary<TemplateDef> =>
  fc
    .record({
      id: fc.integer({ min: 256, max: 270 }),
      fields: fc.array(fieldArb, { minLength: 1, maxLength: 10 }),
    })
    .map((t) => (options ? { ...t, scopeCount: 1 } : t));

const recordBytes = (t: TemplateDef) =>
  fc.tuple(
    ...t.fields.map((f) =>
      f.id === 291 && f.length === VARIABLE_LENGTH
        ? fc
            .array(fc.nat(0xffff), { maxLength: 4 })
            .map((v) => encodeBasicList(SEMANTIC.allOf, { id: 7, length: 2 }, v))
        : fc.uint8Array({ maxLength: f.length === VARIABLE_LENGTH ? 300 : f.length }),
    ),
  );

const setsArb = fc
  .tuple(templateArb(false), templateArb(true), fc.boolean(), fc.nat(3))
  .map(([t, o, dataFirst, padding]) => [t, { ...o, id: o.id + 100 }, dataFirst, padding] as const)
  .chain(([t, o, dataFirst, padding]) =>
    fc
      .tuple(fc.array(recordBytes(t), { maxLength: 5 }), fc.array(recordBytes(o), { maxLength: 3 }))
      .map(([records, optRecords]): ExportSet[] => {
        const defs: ExportSet[] = [
          { type: 'template', templates: [t] },
          { type: 'options-template', templates: [o] },
        ];
        const data: ExportSet[] = [
          { type: 'data', template: t, records, padding },
          { type: 'data', template: o, records: optRecords },
        ];
        return dataFirst ? [...data, ...defs] : [...defs, ...data];
      }),
  );

const messageArb = fc
  .tuple(setsArb, fc.constantFrom('ipfix', 'netflow9'), fc.nat(3), fc.nat())
  .map(([sets, protocol, domain, seq]) => {
    if (protocol === 'ipfix') return encodeIpfix({ observationDomain: domain, sequence: seq, sets });
    // v9 has no enterprise bit: drop PENs (IDs above 32767 stay).
    const v9sets = sets.map((s) =>
      s.type === 'template' || s.type === 'options-template'
        ? {
            ...s,
            templates: s.templates.map((t) => ({
              ...t,
              fields: t.fields.map((f) => ({ id: f.id, length: f.length })),
            })),
          }
        : s.type === 'data'
          ? {
              ...s,
              template: {
                ...s.template,
                fields: s.template.fields.map((f) => ({ id: f.id, length: f.length })),
              },
            }
          : s,
    );
    return encodeNetflow9({ sourceId: domain, sequence: seq, sets: v9sets });
  });

// --- real and realistic seeds ----------------------------------------------------------

function captureSeeds(): Buffer[] {
  const dir = capturesDir();
  if (dir === undefined) return [];
  const out: Buffer[] = [];
  const files = [
    'ipfix_cisco_ipv6_sampling_options_pmacct.pcap',
    'ipfix_huawei_pen2011_varlen_vrfname_pmacct.pcap',
    'ipfix_mpls_labels_options_akvorado.pcap',
    'ipfix_ipfixprobe_reverse_pen29305_merged_akvorado.pcap',
    'ipfix_juniper_pen2636_cpid_merged_akvorado.pcap',
    'nfv9_templates_and_data_same_packet_akvorado.pcap',
    'nfv9_nat_nsel_fields_akvorado.pcap',
    'nfv9_multiple_sampling_rates_options_merged_akvorado.pcap',
    'logstash_codec_netflow_dat/netflow9_test_iptnetflow_reduced_size_encoding_tpldata260.dat',
    'sflow_v5_real_expanded_counters_hostsflow_plus_nfv5_tcpdump.pcap',
  ];
  for (const f of files) {
    try {
      for (const item of readCapture(readFileSync(path.join(dir, f)), f)) {
        if (item.kind !== 'datagram') continue;
        const p = detectProtocol(item.payload);
        if (p === 'ipfix' || p === 'netflow9' || p === 'netflow5') out.push(Buffer.from(item.payload));
      }
    } catch {
      // A missing file only reduces the seeds.
    }
  }
  return out;
}

const builtSeeds: Buffer[] = fc.sample(messageArb, { numRuns: 40, seed: 7 });
builtSeeds.push(
  encodeNetflow5({
    records: Array.from({ length: 3 }, (_, i) => ({ srcAddr: `10.0.0.${i}`, protocol: 6, octets: 100 * i })),
  }),
);
const seeds = [...builtSeeds, ...captureSeeds()];
const EX = { address: '192.0.2.1', port: 9 };

test('random bytes after valid IPFIX, NetFlow v9 and v5 headers never throw', () => {
  const heads = [
    Buffer.from('000a0000651e5d400000000100000001', 'hex'),
    Buffer.from('0009000500000064651e5d400000000100000002', 'hex'),
    Buffer.from('000500020000006465000000000000000000000100010064', 'hex'),
  ];
  const d = new FlowExportDecoder(CAPS);
  fc.assert(
    fc.property(fc.nat(2), fc.uint8Array({ maxLength: 400 }), fc.boolean(), (h, tail, fixLength) => {
      const buf = Buffer.concat([heads[h]!, tail]);
      if (fixLength && h === 0) buf.writeUInt16BE(Math.min(buf.length, 0xffff), 2);
      checkMessage(buf, d.decode(buf, EX, 0));
      const raw = Buffer.from(tail);
      checkMessage(raw, d.decode(raw, EX, 0));
      checkBounds(d);
    }),
    { numRuns: 20_000 },
  );
});

test('mutated real and generated messages never throw; memory stays within the caps', () => {
  const d = new FlowExportDecoder(CAPS);
  let now = 0;
  fc.assert(
    fc.property(
      fc.nat(seeds.length - 1),
      fc.array(mutation, { minLength: 1, maxLength: 6 }),
      fc.nat(4),
      (i, ms, exporter) => {
        const buf = mutate(seeds[i]!, ms);
        now += 100;
        checkMessage(buf, d.decode(buf, { address: `192.0.2.${exporter}`, port: 2055 }, now));
        checkBounds(d);
      },
    ),
    { numRuns: 25_000 },
  );
});

test('generated messages of every structure decode; data ahead of templates is deferred, never lost silently', () => {
  fc.assert(
    fc.property(messageArb, fc.array(mutation, { maxLength: 2 }), (msg, ms) => {
      const d = new FlowExportDecoder(CAPS);
      const buf = mutate(msg, ms);
      const m = d.decode(buf, EX, 0);
      checkMessage(buf, m);
      if (ms.length === 0) {
        // Unmutated: data sets ahead of their template are held, then decoded with the same message.
        for (const e of m.errors) if (e.reason === 'unknown-template') assert.equal(e.held, true);
        assert.equal(d.pending.size, 0, 'nothing left waiting: the templates were in the message');
      }
      checkBounds(d);
    }),
    { numRuns: 10_000 },
  );
});

test('template floods (random IDs, domains and exporters) stay within the caps; evictions are counted', () => {
  const op = fc.record({
    exporter: fc.nat(40),
    port: fc.constantFrom(2055, 4739),
    domain: fc.nat(5),
    id: fc.integer({ min: 256, max: 65535 }),
    fields: fc.array(
      fc.record({
        id: fc.integer({ min: 1, max: 400 }),
        length: fc.constantFrom(1, 2, 4, 8, VARIABLE_LENGTH),
      }),
      {
        minLength: 1,
        maxLength: 6,
      },
    ),
    ipfix: fc.boolean(),
    withData: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), (ops) => {
      const d = new FlowExportDecoder(CAPS);
      let now = 0;
      for (const o of ops) {
        const t: TemplateDef = { id: o.id, fields: o.fields };
        const sets: ExportSet[] = [{ type: 'template', templates: [t] }];
        if (o.withData)
          sets.push({ type: 'data', template: { ...t, id: o.id ^ 1 }, records: [o.fields.map(() => 1)] });
        const buf = o.ipfix
          ? encodeIpfix({ observationDomain: o.domain, sets })
          : encodeNetflow9({ sourceId: o.domain, sets });
        now += 10;
        checkMessage(
          buf,
          d.decode(buf, { address: `10.0.${o.exporter >> 4}.${o.exporter}`, port: o.port }, now),
        );
        checkBounds(d);
      }
      const c = d.templates.counters;
      const distinct = new Set(ops.map((o) => `${o.exporter}|${o.port}|${o.ipfix}|${o.domain}|${o.id}`)).size;
      if (distinct > d.templates.maxTemplates) assert.ok(c.evicted > 0, 'over the cap: evictions counted');
      const exporters = new Set(ops.map((o) => `${o.exporter}|${o.port}`)).size;
      if (exporters > d.templates.maxExporters)
        assert.ok(c.exportersEvicted > 0, 'exporter cap: evictions counted');
    }),
    { numRuns: 3_000 },
  );
});

test('a message inside a larger buffer decodes the same as alone (no reads outside its range)', () => {
  fc.assert(
    fc.property(
      fc.nat(seeds.length - 1),
      fc.array(mutation, { maxLength: 3 }),
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      (i, ms, junk) => {
        const buf = mutate(seeds[i]!, ms);
        const padded = Buffer.concat([Buffer.from(junk), buf, Buffer.from(junk)]);
        const inner = padded.subarray(junk.length, junk.length + buf.length);
        const a = new FlowExportDecoder().decode(inner, EX, 0);
        const b = new FlowExportDecoder().decode(Buffer.from(buf), EX, 0);
        assert.equal(toJson(a), toJson(b));
      },
    ),
    { numRuns: 3_000 },
  );
});
