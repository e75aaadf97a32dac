import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSflow } from '../../decode/sflow/decode.js';
import { encodeSflow, type SampleInput } from '../../decode/sflow/encode.js';
import { DecodeStats } from '../../decode/stats.js';
import { Engine } from '../../engine/engine.js';
import { buildFrame } from '../../simulate/packets.js';
import { MATRIX_IDLE_MS, type MatrixCell, MatrixError, MatrixService } from './matrix.js';
import { matrixRoutes } from './routes.js';
import { parseIPv4, parseIPv6, position } from './scale.js';

interface Pkt {
  agent: string;
  ifIndex: number;
  src: string;
  dst: string;
  samples: number;
}

let sequence = 0;
/** Feeds flow samples (1:1 sampling, 1000-byte frames) for each packet spec into the engine. */
function feed(engine: Engine, pkts: Pkt[], now: number): void {
  const stats = new DecodeStats();
  for (const p of pkts) {
    const samples: SampleInput[] = [];
    for (let i = 0; i < p.samples; i++) {
      const header = buildFrame(
        {
          srcMac: '02:00:00:00:00:01',
          dstMac: '02:00:00:00:00:02',
          src: p.src,
          dst: p.dst,
          protocol: 6,
          srcPort: 40000,
          dstPort: 443,
          frameLength: 1000,
        },
        128,
      );
      samples.push({
        type: 'flow_sample',
        sequence: ++sequence,
        sourceIdType: 0,
        sourceIdIndex: p.ifIndex,
        samplingRate: 1,
        samplePool: sequence,
        drops: 0,
        input: { format: 0, value: p.ifIndex },
        output: { format: 0, value: 100 },
        records: [{ format: '0:1', headerProtocol: 1, frameLength: 1004, stripped: 4, header }],
      });
    }
    const d = decodeSflow(
      encodeSflow({ agent: p.agent, subAgentId: 0, sequence, uptime: 1000, samples }),
      stats,
    );
    if (!('samples' in d)) throw new Error('encode/decode failed');
    engine.ingestSflow(d, now);
  }
}

function setup() {
  const engine = new Engine({ flows: 50 });
  let now = 1_000_000;
  const matrix = new MatrixService({ engine, now: () => now });
  return {
    engine,
    matrix,
    at: (t: number) => {
      now = t;
    },
    get now() {
      return now;
    },
  };
}

function params(p: Record<string, string>) {
  return (name: string) => p[name];
}

const bySrc = (cells: MatrixCell[]) => new Map(cells.map((c) => [`${c.src}>${c.dst}`, c]));

test('range mode defines its flow on first use, then places flows by address with the inset borders', () => {
  const s = setup();
  const first = s.matrix.query(
    params({ mode: 'range', start: '10.0.0.0', end: '10.255.255.255', inset: '0.05' }),
  );
  assert.equal(first.flow, 'matrix_ip_bytes');
  assert.equal(first.keys, 'ipsource,ipdestination');
  assert.equal(first.cells.length, 0);
  assert.deepEqual(s.engine.flow('matrix_ip_bytes')?.keys, 'ipsource,ipdestination');
  feed(
    s.engine,
    [
      { agent: '192.0.2.1', ifIndex: 1, src: '10.0.0.1', dst: '10.128.0.1', samples: 20 },
      { agent: '192.0.2.1', ifIndex: 1, src: '10.0.0.2', dst: '192.168.1.1', samples: 5 },
      { agent: '192.0.2.1', ifIndex: 2, src: '8.8.8.8', dst: '10.0.0.2', samples: 1 },
    ],
    s.now,
  );
  const m = s.matrix.query(
    params({ mode: 'range', start: '10.0.0.0', end: '10.255.255.255', inset: '0.05' }),
  );
  assert.equal(m.cells.length, 3);
  assert.deepEqual(m.x, { start: '10.0.0.0', end: '10.255.255.255', inset: 0.05 });
  const range = {
    family: 'ip' as const,
    start: parseIPv4('10.0.0.0') as bigint,
    end: parseIPv4('10.255.255.255') as bigint,
    inset: 0.05,
  };
  for (const c of m.cells) {
    assert.ok(Math.abs(c.x - (position(range, parseIPv4(c.src) as bigint) as number)) < 1e-12);
    assert.ok(Math.abs(c.y - (position(range, parseIPv4(c.dst) as bigint) as number)) < 1e-12);
  }
  const cells = bySrc(m.cells);
  assert.ok((cells.get('10.0.0.2>192.168.1.1')?.y ?? 0) > 0.95, 'above the range: upper border');
  assert.ok((cells.get('8.8.8.8>10.0.0.2')?.x ?? 1) < 0.05, 'below the range: lower border');
  // The log scale: the largest flow is the top.
  const top = cells.get('10.0.0.1>10.128.0.1') as MatrixCell;
  assert.equal(m.max, top.value);
  assert.ok(Math.abs(m.logMax - Math.log10(top.value)) < 1e-12);
  assert.ok(top.value > (cells.get('10.0.0.2>192.168.1.1')?.value ?? Infinity));

  // Without an inset the outsiders are dropped and counted.
  const tight = s.matrix.query(params({ start: '10.0.0.0', end: '10.255.255.255' }));
  assert.deepEqual(
    tight.cells.map((c) => c.src),
    ['10.0.0.1'],
  );
  assert.equal(tight.outside, 2);
  // Separate ranges per axis (a zoomed rectangle).
  const zoom = s.matrix.query(
    params({ srcStart: '10.0.0.0', srcEnd: '10.0.0.3', dstStart: '10.0.0.0', dstEnd: '10.255.255.255' }),
  );
  assert.deepEqual(zoom.x, { start: '10.0.0.0', end: '10.0.0.3', inset: 0 });
  assert.equal(zoom.cells.length, 1);
  assert.ok(Math.abs(zoom.cells[0].x - 1 / 3) < 1e-12);
});

test('range mode over IPv6 uses the ip6 keys and 128-bit scaling; maxFlows caps the cells', () => {
  const s = setup();
  s.matrix.query(params({ start: '2001:db8::', end: '2001:db8::ffff' }));
  feed(
    s.engine,
    [
      { agent: '192.0.2.1', ifIndex: 1, src: '2001:db8::10', dst: '2001:db8::8000', samples: 3 },
      { agent: '192.0.2.1', ifIndex: 1, src: '2001:db8::20', dst: '2001:db8::ffff', samples: 2 },
      { agent: '192.0.2.1', ifIndex: 1, src: '2001:db9::1', dst: '2001:db8::1', samples: 1 },
    ],
    s.now,
  );
  const m = s.matrix.query(params({ start: '2001:db8::', end: '2001:db8::ffff', inset: '0.1' }));
  assert.equal(m.family, 'ip6');
  assert.equal(m.flow, 'matrix_ip6_bytes');
  assert.equal(m.keys, 'ip6source,ip6destination');
  assert.equal(m.cells.length, 3);
  const range = {
    family: 'ip6' as const,
    start: parseIPv6('2001:db8::') as bigint,
    end: parseIPv6('2001:db8::ffff') as bigint,
    inset: 0.1,
  };
  for (const c of m.cells) {
    assert.ok(Math.abs(c.x - (position(range, parseIPv6(c.src) as bigint) as number)) < 1e-12);
    assert.ok(Math.abs(c.y - (position(range, parseIPv6(c.dst) as bigint) as number)) < 1e-12);
  }
  assert.ok((bySrc(m.cells).get('2001:db9::1>2001:db8::1')?.x ?? 0) > 0.9);
  const capped = s.matrix.query(params({ family: 'ip6', inset: '0.1', maxFlows: '2' }));
  assert.equal(capped.cells.length, 2);
  assert.equal(capped.cells[0].src, '2001:db8::10', 'the largest flows first');
});

test('bad parameters are refused with the reason', () => {
  const s = setup();
  const bad: Record<string, string>[] = [
    { mode: 'sideways' },
    { start: '10.0.0.0', end: '2001:db8::' },
    { start: 'nonsense' },
    { start: '10.0.0.9', end: '10.0.0.1' },
    { inset: '0.5' },
    { layer: '.x' },
    { value: 'packets' },
    { maxFlows: '0' },
    { mode: 'range', family: 'mac' },
  ];
  for (const p of bad) assert.throws(() => s.matrix.query(params(p)), /./, JSON.stringify(p));
  assert.throws(() => s.matrix.query(params({ mode: 'sideways' })), MatrixError);
  // The inner layer and frames get their own flow.
  const inner = s.matrix.query(params({ layer: '.1', value: 'frames' }));
  assert.equal(inner.flow, 'matrix_ip_1_frames');
  assert.equal(inner.keys, 'ipsource.1,ipdestination.1');
});

test('topology mode places hosts by switch and access port, learned from traffic', () => {
  const s = setup();
  s.engine.topology.set({
    nodes: {
      leaf1: {
        agent: '192.0.2.1',
        ports: { swp1: { ifindex: 1 }, swp2: { ifindex: 2 }, swp9: { ifindex: 9 } },
      },
      leaf2: { agent: '192.0.2.2', ports: { swp1: { ifindex: 1 }, swp9: { ifindex: 9 } } },
      spine: { agent: '192.0.2.9', ports: { swp1: { ifindex: 1 }, swp2: { ifindex: 2 } } },
    },
    links: {
      a: { node1: 'leaf1', port1: 'swp9', node2: 'spine', port2: 'swp1' },
      b: { node1: 'leaf2', port1: 'swp9', node2: 'spine', port2: 'swp2' },
    },
  });
  const empty = s.matrix.query(params({ mode: 'topology' }));
  assert.deepEqual(
    empty.nodes?.map((n) => n.name),
    ['leaf1', 'leaf2', 'spine'],
  );
  // h1 on leaf1 port 1 talks to h2 on leaf2 port 1; the spine also sees it, on a fabric port.
  feed(
    s.engine,
    [
      { agent: '192.0.2.1', ifIndex: 1, src: '10.0.1.1', dst: '10.0.2.1', samples: 10 },
      { agent: '192.0.2.9', ifIndex: 1, src: '10.0.1.1', dst: '10.0.2.1', samples: 10 },
      { agent: '192.0.2.2', ifIndex: 1, src: '10.0.2.1', dst: '10.0.1.1', samples: 4 },
      { agent: '192.0.2.1', ifIndex: 2, src: '10.0.1.2', dst: '10.99.0.1', samples: 2 },
    ],
    s.now,
  );
  s.at(s.now + 6000);
  const m = s.matrix.query(params({ mode: 'topology' }));
  assert.equal(m.mode, 'topology');
  assert.equal(m.located, 3);
  const cells = bySrc(m.cells);
  const fwd = cells.get('10.0.1.1>10.0.2.1') as MatrixCell;
  assert.equal(fwd.srcAt, 'leaf1:1');
  assert.equal(fwd.dstAt, 'leaf2:1');
  // leaf1 has ports 1, 2, 9: port 1 is rank 0 of node 0; leaf2 ports 1, 9: port 1 is rank 0 of node 1.
  assert.equal(fwd.x, 0);
  assert.equal(fwd.y, 1 / 3);
  const back = cells.get('10.0.2.1>10.0.1.1') as MatrixCell;
  assert.equal(back.x, 1 / 3);
  assert.equal(back.y, 0);
  // 10.99.0.1 was never seen as a source, so that flow has an unlocated end.
  assert.equal(m.unlocated, 1);
  assert.equal(s.engine.flow('matrix_locate_ip')?.keys, 'agent,inputifindex,ipsource');
  // A static entry places the unknown host.
  s.matrix.locator.setStatic({ '10.99.0.1': { node: 'leaf2', port: 'swp9' } });
  const m2 = s.matrix.query(params({ mode: 'topology' }));
  assert.equal(m2.unlocated, 0);
  assert.equal(bySrc(m2.cells).get('10.0.1.2>10.99.0.1')?.dstAt, 'leaf2:9');
});

test('idle matrix flows are deleted, including ones restored from saved state', () => {
  const s = setup();
  s.engine.setFlow('matrix_ip6_frames', { keys: 'ip6source,ip6destination', value: 'frames' });
  s.engine.setFlow('mine', { keys: 'ipsource', value: 'bytes' });
  s.matrix.query(params({}));
  s.matrix.sweep(s.now);
  assert.ok(s.engine.flow('matrix_ip_bytes') !== undefined);
  s.at(s.now + MATRIX_IDLE_MS - 1000);
  s.matrix.query(params({}));
  s.at(s.now + 2000);
  s.matrix.sweep(s.now);
  assert.ok(s.engine.flow('matrix_ip_bytes') !== undefined, 'queried recently: kept');
  assert.equal(s.engine.flow('matrix_ip6_frames'), undefined, 'orphan: deleted');
  s.at(s.now + MATRIX_IDLE_MS);
  s.matrix.sweep(s.now);
  assert.equal(s.engine.flow('matrix_ip_bytes'), undefined);
  assert.ok(s.engine.flow('mine') !== undefined, 'other flows are left alone');
});

test('HTTP: /json answers with cells, /hosts/json takes a static map; errors are JSON 400s', async () => {
  const s = setup();
  const app = matrixRoutes(s.matrix);
  const ok = await app.request(
    '/json?mode=range&start=10.0.0.0&end=10.255.255.255&inset=0.05&layer=&maxFlows=1000',
  );
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  const body = (await ok.json()) as { cells: unknown[]; flow: string };
  assert.deepEqual(body.cells, []);
  const bad = await app.request('/json?inset=0.9');
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /inset/);
  const put = await app.request('/hosts/json', {
    method: 'PUT',
    body: JSON.stringify({ '10.0.0.1': { agent: '192.0.2.1', ifindex: 4 } }),
  });
  assert.equal(put.status, 204);
  const hosts = (await (await app.request('/hosts/json')).json()) as { hosts: Record<string, unknown> };
  assert.deepEqual(hosts.hosts, { '10.0.0.1': { agent: '192.0.2.1', ifindex: '4' } });
  assert.equal((await app.request('/hosts/json', { method: 'PUT', body: '{"x": 1}' })).status, 400);
  assert.equal((await app.request('/hosts/json', { method: 'PUT', body: 'nope' })).status, 400);
});
