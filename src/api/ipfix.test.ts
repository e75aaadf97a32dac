/**
 * IPFIX and NetFlow into the engine: a collector fed IPFIX over UDP loopback
 * reports the exported flows through the same REST API as sFlow, and keeps
 * its templates across a restart.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, test } from 'node:test';
import type { Collector } from '../collector.js';
import { ExportBuilder, type TemplateDef } from '../decode/netflow/encode.js';
import { startTestCollector, type TestCollector } from '../testing/collector.js';

const socket = dgram.createSocket('udp4');
let tc: TestCollector | undefined;
after(async () => {
  socket.close();
  await tc?.stop();
});

// sourceIPv4Address, destinationIPv4Address, protocolIdentifier, sourceTransportPort,
// destinationTransportPort, octetDeltaCount, packetDeltaCount, ingressInterface, samplingInterval
const TEMPLATE: TemplateDef = {
  id: 300,
  fields: [
    { id: 8, length: 4 },
    { id: 12, length: 4 },
    { id: 4, length: 1 },
    { id: 7, length: 2 },
    { id: 11, length: 2 },
    { id: 1, length: 8 },
    { id: 2, length: 8 },
    { id: 10, length: 4 },
  ],
};

function send(c: Collector, buf: Buffer): Promise<void> {
  return new Promise((resolve) => socket.send(buf, c.ports.ipfix as number, '127.0.0.1', () => resolve()));
}

test('IPFIX records reach activeflows with their byte counts; templates survive a restart', async () => {
  tc = await startTestCollector({ flags: { 'sflow.port': '-1', 'ipfix.port': '0' } });
  assert.equal(
    (
      await tc.put('/flow/ipfix/json', {
        keys: 'ipsource,ipdestination,tcpdestinationport',
        value: 'bytes',
        t: 1,
      })
    ).status,
    204,
  );
  const b = new ExportBuilder({ protocol: 'ipfix', domain: 7 });
  b.define(TEMPLATE);
  // 30 records of 1.5 MB every 50 ms: 30 MB/s.
  const began = Date.now();
  const sentAt: number[] = [];
  let i = 0;
  while (Date.now() - began < 8000) {
    const records = [['10.1.1.1', '10.2.2.2', 6, 40000, 443, 1_500_000, 1000, 5]];
    await send(
      tc.collector,
      b.message(Date.now(), [{ type: 'data', template: TEMPLATE, records }], i % 100 === 0),
    );
    sentAt.push(Date.now());
    i++;
    await new Promise((r) => setTimeout(r, 50 - ((Date.now() - began) % 50)));
  }
  const flows = await tc.getJson<{ key: string; value: number; agent: string; dataSource: string }[]>(
    '/activeflows/ALL/ipfix/json',
  );
  assert.equal(flows.length, 1);
  assert.equal(flows[0].key, '10.1.1.1,10.2.2.2,443');
  assert.deepEqual([flows[0].agent, flows[0].dataSource], ['127.0.0.1', '5']);
  // Timers slip and records arrive in 50 ms steps, so compare with what a 1 s smoothed
  // rate of exactly the records sent reads now (about 30 MB/s), not with a nominal rate.
  const now = Date.now();
  const sentRate = sentAt.reduce((sum, t) => sum + 1_500_000 * Math.exp(-(now - t) / 1000), 0);
  assert.ok(
    Math.abs(flows[0].value - sentRate) / sentRate < 0.05,
    `bytes/s ${flows[0].value} vs ${sentRate}`,
  );
  const agents = await tc.getJson<Record<string, { sFlowDatagramsReceived: number }>>('/agents/json');
  assert.equal(agents['127.0.0.1'].sFlowDatagramsReceived, i);

  // After a restart, data decodes at once from the persisted template (no refresh sent).
  tc = await tc.restart();
  await fetch(`${tc.base}/flow/ipfix/json`);
  for (let n = 0; n < 10; n++) {
    await send(
      tc.collector,
      b.message(Date.now(), [
        {
          type: 'data',
          template: TEMPLATE,
          records: [['10.1.1.1', '10.2.2.2', 6, 40000, 443, 1_500_000, 1000, 5]],
        },
      ]),
    );
  }
  await new Promise((r) => setTimeout(r, 200));
  const after = await tc.getJson<{ key: string }[]>('/activeflows/ALL/ipfix/json');
  assert.deepEqual(
    after.map((f) => f.key),
    ['10.1.1.1,10.2.2.2,443'],
  );
});
