/** `flowlens simulate` and `flowlens replay` against a live collector over UDP loopback. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Collector } from '../collector.js';
import { writePcap } from '../ingest/pcap-writer.js';
import { BasicStream } from '../simulate/basic.js';
import { flowlens } from '../testing/cli.js';
import { startTestCollector, type TestCollector } from '../testing/collector.js';
import { waitUntil } from '../testing/wait.js';

let tc: TestCollector;
let collector: Collector;
/** Scratch space for capture files: the collector's throw-away state directory. */
let tmp = '';

before(async () => {
  tc = await startTestCollector();
  ({ collector, stateDir: tmp } = tc);
});
after(() => tc.stop());

test('simulate basic: every datagram arrives, in sequence, from four agents', async () => {
  const before = collector.agents.totals().datagrams;
  const r = await flowlens(
    'simulate',
    'basic',
    '--to',
    `127.0.0.1:${collector.ports.sflow}`,
    '--rate',
    '2000',
    '--seconds',
    '2',
  );
  assert.equal(r.code, 0, r.stderr);
  const sent = Number(/sent (\d+) datagrams/.exec(r.stderr)?.[1]);
  // Paced: never more than rate x seconds (a loaded machine may send fewer).
  assert.ok(sent >= 1000 && sent <= 4100, `sent ${sent}`);
  await waitUntil('every datagram', () => collector.agents.totals().datagrams - before >= sent, 10_000);
  const t = collector.agents.totals();
  assert.equal(t.datagrams - before, sent);
  assert.equal(t.agents, 4);
  assert.equal(t.sequenceGaps, 0);
  assert.equal(collector.decodeStats.errorCount(), 0);
});

test('replay: recorded pace and fixed rate deliver every datagram', async () => {
  const stream = new BasicStream({ seed: 3, agents: 1 });
  const frames = Array.from({ length: 300 }, (_, i) => ({
    timestamp: 1_700_000_000_000 + i * 2,
    srcAddr: '10.0.0.9',
    srcPort: 5000,
    dstAddr: '10.0.0.1',
    dstPort: 6343,
    payload: stream.next(),
  }));
  const file = path.join(tmp, 'stream.pcap');
  writeFileSync(file, writePcap(frames));
  const before = collector.agents.totals().datagrams;
  const paced = await flowlens('replay', file, '--to', `127.0.0.1:${collector.ports.sflow}`);
  assert.equal(paced.code, 0, paced.stderr);
  assert.match(paced.stderr, /sent 300 datagrams/);
  const seconds = Number(/in ([\d.]+) s/.exec(paced.stderr)?.[1]);
  assert.ok(seconds >= 0.55 && seconds < 3, `the 598 ms capture replayed in ${seconds} s`);
  const fast = await flowlens('replay', file, '--to', `127.0.0.1:${collector.ports.sflow}`, '--rate', '5000');
  assert.match(fast.stderr, /sent 300 datagrams/);
  await waitUntil('every datagram', () => collector.agents.totals().datagrams - before >= 600, 10_000);
  assert.equal(collector.agents.totals().datagrams - before, 600);
  assert.equal((await flowlens('replay', path.join(tmp, 'missing.pcap'), '--to', '127.0.0.1:9')).code, 2);
  assert.equal((await flowlens('replay', file)).code, 2);
});
