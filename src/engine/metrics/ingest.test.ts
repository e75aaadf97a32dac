import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSflow } from '../../decode/sflow/decode.js';
import { encodeSflow } from '../../decode/sflow/encode.js';
import { CounterDeriver } from './derive.js';
import { ingestDatagram } from './ingest.js';
import { MetricQuery } from './query.js';
import { MetricStore } from './store.js';

function datagram(seq: number, inOctets: number, uptime: number) {
  const bytes = encodeSflow({
    agent: '192.0.2.1',
    subAgentId: 0,
    sequence: seq,
    uptime,
    samples: [
      {
        type: 'counters_sample',
        sequence: seq,
        sourceIdType: 0,
        sourceIdIndex: 5,
        records: [
          {
            format: '0:1',
            ifIndex: 5,
            ifType: 6,
            ifSpeed: 10_000_000_000,
            ifDirection: 1,
            ifStatus: 3,
            ifInOctets: inOctets,
            ifInUcastPkts: 0,
            ifInMulticastPkts: 0,
            ifInBroadcastPkts: 0,
            ifInDiscards: 0,
            ifInErrors: 0,
            ifInUnknownProtos: 0xffffffff,
            ifOutOctets: 0,
            ifOutUcastPkts: 0,
            ifOutMulticastPkts: 0,
            ifOutBroadcastPkts: 0,
            ifOutDiscards: 0,
            ifOutErrors: 0,
            ifPromiscuousMode: 0,
          },
          { format: '0:1005', portName: 'eth5' },
        ],
      },
      {
        type: 'rtmetric',
        datasource: 'app',
        metrics: [{ name: 'queue_depth', type: 3, value: 12 }],
      },
    ],
  });
  const d = decodeSflow(bytes);
  assert.ok('samples' in d);
  return d;
}

test('decoded datagrams → deriver → store → queries, end to end', () => {
  const deriver = new CounterDeriver();
  const store = new MetricStore();
  assert.equal(ingestDatagram(datagram(1, 0, 10_000), deriver, store, 0), 2);
  assert.equal(ingestDatagram(datagram(2, 12_500_000_000, 30_000), deriver, store, 20_000), 2);
  assert.equal(ingestDatagram(datagram(2, 12_500_000_000, 30_000), deriver, store, 20_001), 1, 'duplicate');
  const q = new MetricQuery(store);
  const [util, name, depth] = q.metric(
    '192.0.2.1',
    'ifinutilization,any:ifname,queue_depth',
    undefined,
    20_000,
  );
  assert.equal(util.metricValue, 50);
  assert.equal(util.dataSource, '5');
  assert.equal(name.metricValue, 'eth5');
  assert.equal(depth.dataSource, 'app');
  assert.equal(depth.metricValue, 12);
  assert.equal(store.value('192.0.2.1', '5', 'ifinunknownprotos', 20_000), undefined);
});
