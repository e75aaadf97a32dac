/** The `flowlens` command as users run it: a real process, real files, exit codes. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { writePcapng } from '../ingest/pcap-writer.js';
import { BasicStream } from '../simulate/basic.js';
import { flowlensSync as flowlens } from '../testing/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'flowlens-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('--help lists the commands; unknown commands exit 2', () => {
  const help = flowlens('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /decode/);
  assert.match(help.stdout, /demo/);
  assert.equal(flowlens('frobnicate').code, 2);
  assert.match(flowlens('--version').stdout, /^\d+\.\d+\.\d+/);
});

test('decode: one JSON line per datagram, errors in the output, summary on stderr', () => {
  const stream = new BasicStream({ seed: 5 });
  const good = Array.from({ length: 20 }, () => stream.next());
  const broken = Buffer.from(good[0]).subarray(0, 100);
  const netflow5 = Buffer.alloc(72);
  netflow5.writeUInt16BE(5, 0);
  netflow5.writeUInt16BE(1, 2);
  const payloads = [...good, broken, netflow5];
  const file = path.join(tmp, 'mixed.pcapng');
  writeFileSync(
    file,
    writePcapng(
      payloads.map((payload, i) => ({
        timestamp: 1_700_000_000_000 + i,
        srcAddr: '2001:db8::7',
        srcPort: 5000,
        dstAddr: '2001:db8::1',
        dstPort: 6343,
        payload,
      })),
    ),
  );
  const r = flowlens('decode', file);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, payloads.length);
  const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(objs[0].source, '[2001:db8::7]:5000');
  assert.equal(objs[0].protocol, 'sflow5');
  assert.equal((objs[0].samples as unknown[]).length, 7);
  const cut = objs[20] as { samples: { error?: unknown }[]; error?: unknown };
  assert.ok(
    cut.error !== undefined || cut.samples.some((s) => s.error !== undefined),
    'the cut datagram reports an error',
  );
  assert.equal(objs[21].protocol, 'netflow5');
  assert.match(r.stderr, /datagrams: 22 \(netflow5=1, sflow5=21\)/);
  assert.match(r.stderr, /errors: [1-9]/);

  const raw = flowlens('decode', '--raw', '--no-summary', file);
  assert.equal(raw.stderr, '');
  assert.ok(!raw.stdout.includes('"keys"'));
});

test('decode: a missing file exits 2 with a clear message, garbage exits 0', () => {
  const missing = flowlens('decode', path.join(tmp, 'nope.pcap'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.pcap: ENOENT/);
  const junk = path.join(tmp, 'junk.bin');
  writeFileSync(junk, Buffer.from('this is not telemetry at all'));
  const r = flowlens('decode', junk);
  assert.equal(r.code, 0);
  assert.equal(JSON.parse(r.stdout).protocol, 'unknown');
  assert.equal(flowlens('decode').code, 2);
});

test('demo runs for a bounded time and shows flows', () => {
  const r = flowlens('demo', '--seconds', '3', '--port', '0');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Gbit\/s/);
  assert.match(r.stdout, /datagrams [1-9]\d*/);
});
