/**
 * A high-cardinality flood (random source addresses, as in a spoofed DDoS)
 * against a live collector: flow tables stay within their bounds, the heavy
 * hitter stays on top, and every datagram is accounted for: received, or
 * counted as dropped by the kernel.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';
import type { Collector } from '../collector.js';
import { encodeSflow, type SampleInput } from '../decode/sflow/encode.js';
import { kernelDrops } from '../ingest/udp.js';
import { buildFrame } from '../simulate/packets.js';
import { Random } from '../simulate/random.js';
import { startTestCollector, type TestCollector } from '../testing/collector.js';

let tc: TestCollector;
let collector: Collector;

before(async () => {
  tc = await startTestCollector({ flags: { 'limits.flowsPerSource': '500' } });
  collector = tc.collector;
});
after(() => tc.stop());

test('a random-source flood keeps memory bounded and every datagram accounted for', async () => {
  collector.engine.setFlow('src', { keys: 'ipsource', value: 'frames', t: 5 });
  const rnd = new Random(42);
  const socket = dgram.createSocket('udp4');
  const port = collector.ports.sflow as number;
  const dropsBefore = kernelDrops(port);
  const receivedBefore = collector.agents.totals().datagrams;
  const total = 20_000;
  let sequence = 0;
  let sendErrors = 0;
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const samples: SampleInput[] = [];
    for (let j = 0; j < 7; j++) {
      // One sample in seven is the heavy hitter; the rest come from random spoofed sources.
      const src =
        j === 0
          ? '203.0.113.7'
          : `${rnd.int(1, 223)}.${rnd.int(0, 255)}.${rnd.int(0, 255)}.${rnd.int(1, 254)}`;
      const header = buildFrame({
        srcMac: '02:00:00:00:00:01',
        dstMac: '02:00:00:00:00:02',
        src,
        dst: '198.51.100.1',
        protocol: 17,
        srcPort: 53,
        dstPort: 4444,
        frameLength: 512,
      });
      samples.push({
        type: 'flow_sample',
        sequence: i * 7 + j,
        sourceIdType: 0,
        sourceIdIndex: 1,
        samplingRate: 1000,
        samplePool: 0,
        drops: 0,
        input: { format: 0, value: 1 },
        output: { format: 0, value: 2 },
        records: [{ format: '0:1', headerProtocol: 1, frameLength: 516, stripped: 4, header }],
      });
    }
    const buf = encodeSflow({ agent: '192.0.2.66', subAgentId: 0, sequence: ++sequence, uptime: i, samples });
    sends.push(
      new Promise<void>((resolve) =>
        socket.send(buf, port, '127.0.0.1', (err) => {
          if (err) sendErrors++;
          resolve();
        }),
      ),
    );
    // Yield now and then so the collector (same process) keeps up as a separate one would.
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(sends);
  socket.close();
  assert.equal(sendErrors, 0, 'every datagram left the sender');
  // Wait until every datagram is either read by the collector or counted as dropped.
  const accounted = () =>
    collector.agents.totals().datagrams - receivedBefore + (kernelDrops(port) - dropsBefore);
  for (let waited = 0; accounted() < total && waited < 20_000; waited += 50)
    await new Promise((r) => setTimeout(r, 50));

  const received = collector.agents.totals().datagrams - receivedBefore;
  const dropped = kernelDrops(port) - dropsBefore;
  assert.equal(
    received + dropped,
    total,
    `received ${received} + kernel drops ${dropped} = every datagram sent`,
  );
  const agent = collector.agents.get('192.0.2.66');
  assert.ok(agent);
  // Datagrams the kernel dropped show up as sequence gaps too.
  assert.equal(agent.sequenceGaps, dropped);

  const stats = collector.engine.stats().src;
  assert.ok(stats.entries <= 500 * 1.25, `flow entries ${stats.entries} stay bounded`);
  assert.ok(stats.evictions > 10_000, `evictions counted: ${stats.evictions}`);
  const top = collector.engine.activeFlows('src', { maxFlows: 1 }, Date.now()) ?? [];
  assert.equal(top[0]?.key, '203.0.113.7', 'the heavy hitter survives the churn');
  const metrics = await (await fetch(`${tc.base}/metrics`)).text();
  assert.match(metrics, /^flowlens_flow_evictions_total\{flow="src"\} [1-9]\d*$/m);
  assert.match(metrics, /^flowlens_udp_kernel_drops_total\{listener="sflow"\} \d+$/m);
});
