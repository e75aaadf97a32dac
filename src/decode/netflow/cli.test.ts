/** `flowlens decode` on IPFIX / NetFlow input: a real process, files in command-line order sharing templates. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { writePcapng } from '../../ingest/pcap-writer.js';
import { flowlensSync as flowlens } from '../../testing/cli.js';
import { encodeIpfix, encodeNetflow5, encodeNetflow9, type TemplateDef } from './encode.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'flowlens-netflow-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const T: TemplateDef = {
  id: 300,
  fields: [
    { id: 8, length: 4 },
    { id: 12, length: 4 },
    { id: 4, length: 1 },
    { id: 7, length: 2 },
    { id: 11, length: 2 },
    { id: 1, length: 4 },
  ],
};

test('raw template and data files given in order share one template store (pseudo exporter "file")', () => {
  const tpl = path.join(tmp, 'v9_tpl.dat');
  const data = path.join(tmp, 'v9_data.dat');
  writeFileSync(
    tpl,
    encodeNetflow9({ sourceId: 5, sequence: 1, sets: [{ type: 'template', templates: [T] }] }),
  );
  writeFileSync(
    data,
    encodeNetflow9({
      sourceId: 5,
      sequence: 2,
      sets: [{ type: 'data', template: T, records: [['10.0.0.1', '10.0.0.2', 17, 53, 5353, 120]] }],
    }),
  );
  const r = flowlens('decode', tpl, data);
  assert.equal(r.code, 0, r.stderr);
  const [m1, m2] = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(m1.protocol, 'netflow9');
  assert.deepEqual(m1.exporter, { address: 'file', port: 0 });
  assert.equal(m1.sourceId, 5);
  assert.equal(m1.templates[0].id, 300);
  assert.equal(m1.templates[0].fields[0].name, 'sourceIPv4Address');
  assert.equal(m2.file, data);
  assert.deepEqual(m2.errors, []);
  assert.equal(m2.records[0].fields.destinationTransportPort, 5353);
  assert.equal(m2.records[0].keys.udpdestinationport, 5353);
  assert.equal(m2.records[0].keys.agent, 'file');
  assert.match(r.stderr, /ipfix\/netflow messages: 2 \(netflow9=2\)/);
  assert.match(r.stderr, /ipfix\/netflow records: 1 \(data=1, options=0, deferred=0\)/);
  assert.match(r.stderr, /sequence: 1 streams, missing=0/);

  // Data first: reported, held, decoded (deferred) when the template file follows.
  const rev = flowlens('decode', data, tpl);
  const [d1, d2] = rev.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(d1.errors[0].reason, 'unknown-template');
  assert.equal(d1.errors[0].held, true);
  assert.equal(d2.records[0].deferred, true);
  assert.match(rev.stderr, /data sets without template: 1 \(held=1, decoded later=1, expired=0, dropped=0\)/);

  // Data alone: the error, and the held set expires at the end of the input.
  const alone = flowlens('decode', data);
  assert.match(alone.stderr, /ipfix\/netflow errors: 1 \(unknown-template=1\)/);
  assert.match(alone.stderr, /held=1, decoded later=0, expired=1/);
});

test('pcapng with IPFIX and NetFlow v5: exporter from the capture, header fields, --raw drops keys', () => {
  const file = path.join(tmp, 'mixed.pcapng');
  const ipfix = encodeIpfix({
    exportTime: 1_700_000_000,
    sequence: 42,
    observationDomain: 7,
    sets: [
      { type: 'template', templates: [T] },
      { type: 'data', template: T, records: [['10.1.1.1', '10.2.2.2', 6, 1000, 443, 5000]] },
    ],
  });
  const v5 = encodeNetflow5({
    sequence: 9,
    records: [{ srcAddr: '10.9.9.9', protocol: 1, dstPort: 0x0800 }],
  });
  writeFileSync(
    file,
    writePcapng(
      [ipfix, v5].map((payload, i) => ({
        timestamp: 1_700_000_000_000 + i,
        srcAddr: '2001:db8::9',
        srcPort: 4739,
        dstAddr: '2001:db8::1',
        dstPort: 4739,
        payload,
      })),
    ),
  );
  const r = flowlens('decode', file);
  assert.equal(r.code, 0, r.stderr);
  const [a, b] = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(a.source, '[2001:db8::9]:4739');
  assert.deepEqual(a.exporter, { address: '2001:db8::9', port: 4739 });
  assert.equal(a.protocol, 'ipfix');
  assert.equal(a.observationDomain, 7);
  assert.equal(a.sequence, 42);
  assert.equal(a.exportTime, 1_700_000_000);
  assert.equal(a.records[0].keys.tcpdestinationport, 443);
  assert.equal(a.records[0].templateId, 300);
  assert.equal(a.records[0].options, false);
  assert.equal(b.protocol, 'netflow5');
  assert.equal(b.records[0].keys.icmptype, 8);
  assert.match(r.stderr, /datagrams: 2 \(ipfix=1, netflow5=1\)/);

  const raw = flowlens('decode', '--raw', '--no-summary', file);
  assert.equal(raw.stderr, '');
  assert.ok(!raw.stdout.includes('"keys"'));
  assert.ok(raw.stdout.includes('"fields"'));
});
