import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSflow } from '../decode/sflow/decode.js';
import { encodeSflow, type SampleInput } from '../decode/sflow/encode.js';
import type { FrameSpec } from '../simulate/packets.js';
import { Random } from '../simulate/random.js';
import { flowSampleOf } from '../testing/traffic.js';
import { Engine } from './engine.js';

interface SimFlow {
  spec: FrameSpec;
  bitsPerSecond: number;
  agent: string;
  ifIndex: number;
  samplingRate: number;
}

const MAC = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' };
const FLOWS: SimFlow[] = [
  {
    spec: {
      ...MAC,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 6,
      srcPort: 40000,
      dstPort: 443,
      frameLength: 1500,
    },
    bitsPerSecond: 1e9,
    agent: '192.0.2.1',
    ifIndex: 1,
    samplingRate: 100,
  },
  {
    spec: {
      ...MAC,
      src: '10.0.0.3',
      dst: '10.0.0.4',
      protocol: 17,
      srcPort: 5353,
      dstPort: 53,
      frameLength: 500,
    },
    bitsPerSecond: 4e8,
    agent: '192.0.2.1',
    ifIndex: 2,
    samplingRate: 100,
  },
  {
    spec: {
      ...MAC,
      src: '10.1.0.1',
      dst: '10.1.0.2',
      protocol: 17,
      srcPort: 49152,
      dstPort: 4791,
      frameLength: 4138,
      ecn: 2,
      roce: { opcode: 0x06, destQp: 7, psn: 1, dmaLength: 65536 },
    },
    bitsPerSecond: 4e8,
    agent: '192.0.2.2',
    ifIndex: 5,
    samplingRate: 10,
  },
];

/**
 * Streams the flows as sFlow agents would for `seconds`, sample times drawn
 * as a Poisson process per flow, and feeds every datagram to the engine at
 * its send time. Returns the time at the end.
 */
function run(engine: Engine, seconds: number, seed = 1): number {
  const rnd = new Random(seed);
  const events: { t: number; f: SimFlow }[] = [];
  for (const f of FLOWS) {
    const perSecond = f.bitsPerSecond / 8 / (f.spec.frameLength + 4) / f.samplingRate;
    for (let t = 0; ; ) {
      t += (-Math.log(1 - rnd.next()) / perSecond) * 1000;
      if (t >= seconds * 1000) break;
      events.push({ t, f });
    }
  }
  events.sort((a, b) => a.t - b.t);
  const pending = new Map<string, { t: number; samples: SampleInput[]; seq: number }>();
  let seq = 0;
  for (const { t, f } of events) {
    const p = pending.get(f.agent) ?? { t, samples: [], seq: 0 };
    pending.set(f.agent, p);
    p.samples.push(flowSampleOf(f, ++seq));
    if (p.samples.length === 7) {
      const d = decodeSflow(
        encodeSflow({ agent: f.agent, subAgentId: 0, sequence: ++p.seq, uptime: t, samples: p.samples }),
      );
      assert.ok('samples' in d);
      engine.ingestSflow(d, t);
      p.samples = [];
    }
  }
  return seconds * 1000;
}

test('activeflows reports traffic of known composition within 5% (5-tuple, RoCE filter, per agent)', () => {
  const engine = new Engine();
  engine.setFlow('tuple', {
    keys: 'ipsource,ipdestination,ipprotocol,or:tcpsourceport:udpsourceport,or:tcpdestinationport:udpdestinationport',
    value: 'bytes',
  });
  engine.setFlow('roce', { keys: 'ipsource,ibbtopname', value: 'frames', filter: 'suffix:stack:.:1=ibbt' });
  engine.setFlow('total', { value: 'bytes', aggMode: 'sum' });
  const now = run(engine, 15);

  const tuple = engine.activeFlows('tuple', {}, now) ?? [];
  assert.equal(tuple.length, 3);
  for (const f of FLOWS) {
    const s = f.spec;
    const key = [s.src, s.dst, s.protocol, s.srcPort, s.dstPort].join(',');
    const got = tuple.find((x) => x.key === key);
    assert.ok(got, `flow ${key} reported`);
    const want = f.bitsPerSecond / 8;
    assert.ok(Math.abs(got.value - want) / want < 0.05, `${key}: ${got.value} vs ${want}`);
    assert.deepEqual([got.agent, got.dataSource], [f.agent, String(f.ifIndex)]);
  }
  const roce = engine.activeFlows('roce', {}, now) ?? [];
  assert.deepEqual(
    roce.map((f) => f.key),
    ['10.1.0.1,RDMA_WRITE_FIRST'],
  );
  const fps = 4e8 / 8 / 4142;
  assert.ok(Math.abs(roce[0].value - fps) / fps < 0.05, `RoCE frames/s ${roce[0].value} vs ${fps}`);
  const total = engine.activeFlows('total', {}, now) ?? [];
  const want = (1e9 + 4e8 + 4e8) / 8;
  assert.ok(Math.abs(total[0].value - want) / want < 0.05, `total ${total[0].value}`);
  const agent2 = engine.activeFlows('tuple', { agents: new Set(['192.0.2.2']) }, now) ?? [];
  assert.equal(agent2.length, 1);
});

test('flow definitions: names, limits and replacement', () => {
  const engine = new Engine({ flows: 2 });
  engine.setFlow('a', { keys: 'ipsource' });
  engine.setFlow('b', { keys: 'ipsource' });
  assert.throws(() => engine.setFlow('c', { keys: 'ipsource' }), /at most 2 flows/);
  engine.setFlow('a', { keys: 'ipdestination' });
  assert.equal(engine.flow('a')?.keys, 'ipdestination');
  assert.throws(() => engine.setFlow('bad name', {}), /flow name 'bad name'/);
  assert.equal(engine.deleteFlow('a'), true);
  assert.equal(engine.activeFlows('a', {}, 0), undefined);
});
