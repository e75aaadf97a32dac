import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSflow } from '../decode/sflow/decode.js';
import { encodeSflow } from '../decode/sflow/encode.js';
import { countersSample, interfaceCounters, u32 } from './counters.js';

test('interfaceCounters: an Ethernet port that is up, with 64-bit octets and wrapping 32-bit counts', () => {
  const record = interfaceCounters({
    ifIndex: 7,
    speed: 400e9,
    inOctets: 2 ** 40 + 0.9,
    inPackets: 2 ** 32 + 5.5,
    outOctets: 12.7,
    outPackets: 3 * 2 ** 32 - 1,
    inErrors: 2 ** 33,
    outBroadcast: 1.2,
  });
  assert.deepEqual(record, {
    format: '0:1',
    ifIndex: 7,
    ifType: 6,
    ifSpeed: 400e9,
    ifDirection: 1,
    ifStatus: 3,
    ifInOctets: 2 ** 40,
    ifInUcastPkts: 5,
    ifInMulticastPkts: 0,
    ifInBroadcastPkts: 0,
    ifInDiscards: 0,
    ifInErrors: 0,
    ifInUnknownProtos: 0,
    ifOutOctets: 12,
    ifOutUcastPkts: 2 ** 32 - 1,
    ifOutMulticastPkts: 0,
    ifOutBroadcastPkts: 1,
    ifOutDiscards: 0,
    ifOutErrors: 0,
    ifPromiscuousMode: 0,
  });
  // The same as `>>> 0` for the non-negative values the simulators count.
  for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 45 + 3, 2 ** 53 - 1]) assert.equal(u32(v), v >>> 0);
});

test('a counters sample survives encode and decode', () => {
  const counters = {
    ifIndex: 3,
    speed: 100e9,
    inOctets: 2 ** 50,
    inPackets: 2 ** 32 + 1,
    outOctets: 9,
    outPackets: 4,
  };
  const buf = encodeSflow({
    agent: '192.0.2.1',
    subAgentId: 0,
    sequence: 1,
    uptime: 1000,
    samples: [countersSample(42, 3, [interfaceCounters({ ...counters, outDiscards: 2 })])],
  });
  const d = decodeSflow(buf);
  if (!('samples' in d)) assert.fail(JSON.stringify(d));
  const [s] = d.samples;
  assert.equal(s.type, 'counters_sample');
  if (s.type !== 'counters_sample') return;
  assert.equal(s.sequence, 42);
  assert.equal(s.sourceIdType, 0);
  assert.equal(s.sourceIdIndex, 3);
  const r = s.records[0] as unknown as Record<string, unknown>;
  assert.equal(r.format, '0:1');
  assert.equal(r.ifIndex, 3);
  assert.equal(r.ifSpeed, 100e9);
  assert.equal(r.ifInOctets, 2 ** 50);
  assert.equal(r.ifInUcastPkts, 1);
  assert.equal(r.ifOutOctets, 9);
  assert.equal(r.ifOutUcastPkts, 4);
  assert.equal(r.ifOutDiscards, 2);
  assert.equal(r.ifStatus, 3);
});
