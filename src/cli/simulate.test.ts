/** `flowlens simulate fabric|ddos` as users run them: a real process sending to a local UDP socket. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeSflow } from '../decode/sflow/decode.js';
import { Topology } from '../engine/topology.js';
import { flowlens } from '../testing/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'flowlens-simulate-'));
let socket: dgram.Socket;
let received: Buffer[] = [];
let put: { url: string; body: string } | undefined;
let server: http.Server;

before(async () => {
  socket = dgram.createSocket('udp4');
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    socket.setRecvBufferSize(8 << 20);
  } catch {
    // A smaller buffer is fine at the rates used here.
  }
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      put = { url: `${req.method} ${req.url}`, body };
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(() => {
  socket.close();
  server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const to = () => `127.0.0.1:${(socket.address() as AddressInfo).port}`;
/** Waits until `count` datagrams have been read from the socket (loaded machines drain it slowly). */
async function settle(count: number): Promise<void> {
  for (let waited = 0; received.length < count && waited < 5000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('simulate fabric: real-time sFlow from every switch; topology written and PUT', async () => {
  received = [];
  const file = path.join(tmp, 'topology.json');
  const httpPort = (server.address() as AddressInfo).port;
  const r = await flowlens(
    'simulate',
    'fabric',
    '--to',
    to(),
    '--seconds',
    '1',
    '--spines',
    '2',
    '--leaves',
    '2',
    '--hosts',
    '4',
    '--sampling',
    '20000',
    '--topology-out',
    file,
    '--put-topology',
    `http://127.0.0.1:${httpPort}`,
  );
  assert.equal(r.code, 0, r.stderr);
  const sent = Number(/sent (\d+) datagrams from (\d+) agents/.exec(r.stderr)?.[1]);
  assert.ok(sent > 100, r.stderr);
  await settle(sent);
  assert.equal(received.length, sent);
  assert.match(r.stderr, /ground truth over \d+ s/);
  assert.match(r.stderr, /RDMA operations/);
  const doc: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const topology = new Topology();
  topology.set(doc);
  assert.equal(put?.url, 'PUT /topology/json');
  assert.deepEqual(JSON.parse(put?.body ?? '{}'), doc);
  const agents = new Set<string>();
  for (const payload of received) {
    const d = decodeSflow(payload);
    if (!('samples' in d) || d.error !== undefined) assert.fail('datagram decodes');
    assert.ok(topology.inTopology(d.agent), `agent ${d.agent} is in the topology`);
    agents.add(d.agent);
  }
  assert.equal(agents.size, 2 + 2 + 1, 'spines, leaves and the service leaf');
});

test('simulate ddos: an attack at the given rate, sampled, with the ground truth on stderr', async () => {
  received = [];
  const r = await flowlens(
    'simulate',
    'ddos',
    '--to',
    to(),
    '--attack',
    'tcp_flood',
    '--pps',
    '50000',
    '--sampling',
    '100',
    '--background',
    '5000',
    '--seconds',
    '1',
  );
  assert.equal(r.code, 0, r.stderr);
  const sent = Number(/sent (\d+) datagrams/.exec(r.stderr)?.[1]);
  assert.ok(sent > 20, r.stderr);
  await settle(sent);
  assert.equal(received.length, sent);
  assert.match(r.stderr, /ddos_protect_tcp_flood should report key 203\.0\.113\.10,servers,80/);
  let samples = 0;
  for (const payload of received) {
    const d = decodeSflow(payload);
    if (!('samples' in d)) assert.fail('datagram decodes');
    for (const s of d.samples) {
      if (s.type !== 'flow_sample') continue;
      assert.equal(s.samplingRate, 100);
      samples++;
    }
  }
  // 55,000 packets/s sampled 1 in 100 for at most a second (less when the machine is busy).
  assert.ok(samples > 100 && samples < 800, `${samples} flow samples`);
});

test('simulate: usage lists the scenarios; bad scenarios and attacks exit 2', async () => {
  const r = await flowlens('simulate');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /simulate basic/);
  assert.match(r.stderr, /simulate fabric/);
  assert.match(r.stderr, /simulate ddos/);
  assert.equal((await flowlens('simulate', 'storm', '--to', to())).code, 2);
  assert.equal((await flowlens('simulate', 'ddos', '--to', to(), '--attack', 'smurf')).code, 2);
  assert.equal((await flowlens('simulate', 'fabric')).code, 2);
});
