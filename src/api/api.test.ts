/**
 * The REST API as sFlow-RT scripts use it, against a running collector fed
 * over UDP loopback: define flows, read activeflows, set thresholds, long-poll
 * and stream events, and get clear 4xx answers for bad requests.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Collector } from '../collector.js';
import { countersSample, interfaceCounters } from '../simulate/counters.js';
import { startTestCollector, type TestCollector } from '../testing/collector.js';
import { sendFlows, smoothedRate, tcpFlow } from '../testing/traffic.js';

let tc: TestCollector;
let collector: Collector;
let base = '';

before(async () => {
  tc = await startTestCollector();
  ({ collector, base } = tc);
});
after(() => tc.stop());

const put = (p: string, body: unknown, headers?: Record<string, string>): Promise<Response> =>
  tc.put(p, body, headers);
const getJson = <T>(p: string): Promise<T> => tc.getJson<T>(p);

interface Flow {
  key: string;
  value: number;
  agent: string;
  dataSource: string;
}

test('flows of known rate at 1:N are reported by activeflows within 5%', async () => {
  assert.equal(
    (await put('/flow/pair/json', { keys: 'ipsource,ipdestination', value: 'bytes', t: 1 })).status,
    204,
  );
  assert.equal(
    (await put('/flow/src/json', { keys: 'ipsource', value: 'frames', t: 1, filter: 'ipprotocol=6' })).status,
    204,
  );
  const flows = [
    tcpFlow('10.0.0.1', '10.0.0.2', 800e6, 100),
    tcpFlow('10.0.0.3', '10.0.0.4', 400e6, 50, '192.0.2.2', 7),
  ];
  const sent = await sendFlows(collector.ports.sflow as number, flows, 7000);
  const asked = Date.now();
  const pair = await getJson<Flow[]>('/activeflows/ALL/pair/json?maxFlows=10');
  const readAt = (asked + Date.now()) / 2;
  assert.equal(pair.length, 2);
  for (const f of flows) {
    const got = pair.find((x) => x.key === `${f.spec.src},${f.spec.dst}`);
    assert.ok(got, `${f.spec.src} reported`);
    // The 1 s smoothed value of exactly the samples sent: timers slip on a loaded machine
    // and a burst just before the read weighs more than the nominal rate says.
    const want = smoothedRate(f, sent.sampleTimes.get(f) ?? [], 1, readAt);
    assert.ok(Math.abs(got.value - want) / want < 0.05, `${got.key}: ${got.value} vs ${want}`);
    const nominal = f.bitsPerSecond / 8;
    assert.ok(Math.abs(want - nominal) / nominal < 0.2, `sent ${want} bytes/s for a nominal ${nominal}`);
    assert.deepEqual([got.agent, got.dataSource], [f.agent, String(f.ifIndex)]);
  }
  const oneAsked = Date.now();
  const one = await getJson<Flow[]>('/activeflows/192.0.2.2/src/json');
  assert.deepEqual(
    one.map((f) => f.key),
    ['10.0.0.3'],
  );
  const fps = smoothedRate(
    flows[1],
    sent.sampleTimes.get(flows[1]) ?? [],
    1,
    (oneAsked + Date.now()) / 2,
    'frames',
  );
  assert.ok(Math.abs(one[0].value - fps) / fps < 0.05, `frames/s ${one[0].value} vs ${fps}`);
  assert.deepEqual(await getJson<Flow[]>('/activeflows/ALL/pair/json?minValue=1e12'), []);
  const agents =
    await getJson<Record<string, { sFlowDatagramsReceived: number; sFlowDatagramsLost: number }>>(
      '/agents/json',
    );
  assert.deepEqual(Object.keys(agents).sort(), ['192.0.2.1', '192.0.2.2']);
  assert.equal(agents['192.0.2.1'].sFlowDatagramsLost, 0);
  const defs = await getJson<Record<string, { keys: string; t: number }>>('/flow/json');
  assert.deepEqual(defs.pair, {
    keys: 'ipsource,ipdestination',
    value: 'bytes',
    t: 1,
    n: 5,
    fs: ',',
    dropped: false,
    log: false,
    flowStart: false,
    activeTimeout: 60,
  });
});

test('a threshold fires exactly once per crossing; long poll and SSE deliver it', async () => {
  assert.equal((await put('/flow/burst/json', { keys: 'ipsource', value: 'bytes', t: 0.5 })).status, 204);
  assert.equal(
    (await put('/threshold/burst/json', { metric: 'burst', value: 50e6, byFlow: true, timeout: 1 })).status,
    204,
  );
  const last = (await getJson<{ eventID: number }[]>('/events/json?maxEvents=1'))[0]?.eventID ?? -1;

  // SSE: collect what the stream delivers while traffic runs.
  const sse = await fetch(`${base}/events/sse?thresholdID=burst`);
  assert.equal(sse.headers.get('content-type')?.startsWith('text/event-stream'), true);
  const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
  let sseText = '';
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      sseText += Buffer.from(value).toString();
    }
  })();

  const poll = fetch(`${base}/events/json?thresholdID=burst&eventID=${last}&timeout=10`).then(
    (r) => r.json() as Promise<{ eventID: number; flowKey: string }[]>,
  );
  const flow = tcpFlow('10.9.9.9', '10.9.9.10', 1e9, 100);
  await sendFlows(collector.ports.sflow as number, [flow], 1500);
  const polled = await poll;
  assert.equal(polled.length, 1);
  assert.equal(polled[0].flowKey, '10.9.9.9');
  // Quiet long enough to fall below and re-arm, then a second burst.
  await new Promise((r) => setTimeout(r, 3500));
  await sendFlows(collector.ports.sflow as number, [flow], 1500, 2);
  await new Promise((r) => setTimeout(r, 300));
  const fired = (
    await getJson<
      { eventID: number; thresholdID: string; flowKey: string; value: number; threshold: number }[]
    >(`/events/json?thresholdID=burst&eventID=${last}`)
  ).reverse();
  assert.equal(fired.length, 2, JSON.stringify(fired));
  assert.ok(
    fired.every((e) => e.flowKey === '10.9.9.9' && e.value > e.threshold && e.thresholdID === 'burst'),
  );
  await reader.cancel();
  await reading.catch(() => {});
  const ids = [...sseText.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(
    ids,
    fired.map((e) => e.eventID),
    'SSE delivered every event',
  );
});

test('bad requests get 4xx with the reason; the service keeps running', async () => {
  const bad = await put('/flow/x/json', { keys: 'ipsource', filter: 'ipprotocol' });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /expected a comparison/);
  const badJson = await fetch(`${base}/flow/x/json`, { method: 'PUT', body: '{not json' });
  assert.equal(badJson.status, 400);
  assert.match(((await badJson.json()) as { error: string }).error, /not valid JSON/);
  assert.equal((await put('/flow/x/json', { keys: 'ipsource', t: 'soon' })).status, 400);
  assert.equal((await put('/threshold/t/json', { metric: 'x' })).status, 400);
  assert.equal((await put('/group/g/json', { a: ['10.0.0.0/40'] })).status, 400);
  assert.equal(
    (await put('/topology/json', { links: { l: { node1: 'a', port1: '1', node2: 'b', port2: '2' } } }))
      .status,
    400,
  );
  assert.equal((await fetch(`${base}/activeflows/ALL/nosuch/json`)).status, 404);
  assert.equal((await fetch(`${base}/activeflows/ALL/pair/json?maxFlows=abc`)).status, 400);
  assert.equal((await fetch(`${base}/activeflows/ALL/pair/json?aggMode=median`)).status, 400);
  assert.equal((await fetch(`${base}/no/such/path`)).status, 404);
  assert.equal((await fetch(`${base}/flow/nosuch/json`, { method: 'DELETE' })).status, 404);
  assert.equal(await (await fetch(`${base}/status`)).text(), 'OK');
  const doc = await getJson<{ openapi: string; paths: Record<string, unknown> }>('/api-docs');
  assert.ok(doc.paths['/activeflows/{agent}/{name}/json']);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^flowlens_datagrams_received_total\{protocol="sflow5"\} \d+/m);
  assert.match(metrics, /^flowlens_process_nodejs_eventloop_lag_seconds /m);
  // Running totals are Prometheus counters, levels are gauges.
  assert.match(metrics, /^# TYPE flowlens_datagrams_received_total counter$/m);
  assert.match(metrics, /^# TYPE flowlens_agents gauge$/m);
});

test('groups, maps and topology drive key functions', async () => {
  assert.equal(
    (await put('/group/site/json', { inside: ['10.0.0.0/8'], outside: ['0.0.0.0/0'] })).status,
    204,
  );
  assert.equal(
    (await put('/flow/bygroup/json', { keys: 'group:ipsource:site', value: 'frames', t: 1 })).status,
    204,
  );
  await sendFlows(
    collector.ports.sflow as number,
    [tcpFlow('10.1.1.1', '8.8.8.8', 1e8, 100), tcpFlow('8.8.4.4', '10.1.1.1', 1e8, 100)],
    1200,
  );
  const keys = (await getJson<Flow[]>('/activeflows/ALL/bygroup/json')).map((f) => f.key).sort();
  assert.deepEqual(keys, ['inside', 'outside']);
  assert.deepEqual(await getJson('/group/site/json'), { inside: ['10.0.0.0/8'], outside: ['0.0.0.0/0'] });
});

test('logged flows: /flows/json long-polls and /flows/sse streams them', async () => {
  assert.equal(
    (
      await put('/flow/starts/json', {
        keys: 'ipsource,ipdestination',
        value: 'bytes',
        log: true,
        flowStart: true,
      })
    ).status,
    204,
  );
  const sse = await fetch(`${base}/flows/sse?name=starts`);
  const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
  const first = reader.read();
  const poll = fetch(`${base}/flows/json?name=starts&flowID=-1&timeout=10`).then(
    (r) => r.json() as Promise<{ flowID: number; name: string; flowKeys: string; agent: string }[]>,
  );
  await sendFlows(
    collector.ports.sflow as number,
    [tcpFlow('10.7.7.7', '10.8.8.8', 1e8, 100, '192.0.2.9', 3)],
    500,
    4,
  );
  const records = await poll;
  assert.equal(records.length, 1);
  assert.deepEqual(
    [records[0].name, records[0].flowKeys, records[0].agent],
    ['starts', '10.7.7.7,10.8.8.8', '192.0.2.9'],
  );
  const chunk = Buffer.from((await first).value ?? new Uint8Array()).toString();
  assert.match(chunk, /^event: flow$/m);
  assert.match(chunk, new RegExp(`^id: ${records[0].flowID}$`, 'm'));
  assert.match(chunk, /^data: \{.*"flowKeys":"10\.7\.7\.7,10\.8\.8\.8"/m);
  await reader.cancel();
});

test("sFlow-RT's prometheus app flow exporter and the analyzer text", async () => {
  const url = `${base}/app/prometheus/scripts/export.js/flows/ALL/txt?metric=ip_bits&key=ipsource&key=ipdestination&value=bytes&scale=8&t=1&label=src&label=dst`;
  const first = await fetch(url);
  assert.equal(first.status, 200);
  assert.equal(await first.text(), '', 'the flow is defined by the first scrape');
  const flow = tcpFlow('10.5.5.5', '10.6.6.6', 5e8, 100);
  const sent = await sendFlows(collector.ports.sflow as number, [flow], 5000, 3);
  const asked = Date.now();
  const text = await (await fetch(url)).text();
  const bits = 8 * smoothedRate(flow, sent.sampleTimes.get(flow) ?? [], 1, (asked + Date.now()) / 2);
  const m = /^ip_bits\{src="10\.5\.5\.5",dst="10\.6\.6\.6"\} ([\d.e+]+)$/m.exec(text);
  assert.ok(m, text);
  assert.ok(Math.abs(Number(m[1]) - bits) / bits < 0.05, `bits/s ${m[1]} vs ${bits} sent`);
  assert.ok(
    Object.keys(await getJson<Record<string, unknown>>('/flow/json')).some((n) =>
      n.startsWith('prometheus_'),
    ),
  );
  assert.equal(
    (await fetch(`${base}/app/prometheus/scripts/export.js/flows/ALL/txt?value=bytes`)).status,
    400,
  );
  assert.equal(
    (await fetch(`${base}/app/prometheus/scripts/export.js/flows/ALL/txt?key=ipsource&filter=bogus`)).status,
    400,
  );
  const analyzer = await (await fetch(`${base}/prometheus/analyzer/txt`)).text();
  assert.match(analyzer, /^sflow_analyzer_agents [1-9]\d*$/m);
  for (const line of analyzer.trim().split('\n')) assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]* -?[\d.e+]+$/);
});

test('counter samples become metrics: /metric, /table, /dump, Prometheus, thresholds on counters', async () => {
  const { encodeSflow } = await import('../decode/sflow/encode.js');
  const dgram = await import('node:dgram');
  const socket = dgram.createSocket('udp4');
  after(() => socket.close());
  /** Sends one counters sample of port 3 and resolves with when it left. */
  const send = (sequence: number, uptime: number, inOctets: number, outOctets: number) =>
    new Promise<number>((resolve) =>
      socket.send(
        encodeSflow({
          agent: '192.0.2.50',
          subAgentId: 0,
          sequence,
          uptime,
          samples: [
            countersSample(sequence, 3, [
              interfaceCounters({
                ifIndex: 3,
                speed: 10_000_000_000,
                inOctets,
                outOctets,
                inPackets: sequence * 1000,
                outPackets: 0,
                inDiscards: sequence * 10,
              }),
            ]),
          ],
        }),
        collector.ports.sflow as number,
        '127.0.0.1',
        () => resolve(Date.now()),
      ),
    );
  assert.equal(
    (await put('/threshold/hot-port/json', { metric: 'ifinutilization', value: 5, timeout: 1 })).status,
    204,
  );
  const first = await send(1, 100_000, 1e9, 1e9);
  await new Promise((r) => setTimeout(r, 1000));
  // 1.25e8 bytes in over about 1 s: 125 MB/s = 1 Gbit/s = 10% of 10G; 0.25e8 out = 2%. Rates are
  // over the collector's receive times, so expect them over the interval the samples really left at.
  const seconds = ((await send(2, 101_000, 1.125e9, 1.025e9)) - first) / 1000;
  await new Promise((r) => setTimeout(r, 400));
  const [inOctets, util] = await getJson<{ metricValue: number; agent: string; dataSource: string }[]>(
    '/metric/192.0.2.50/ifinoctets,max:ifinutilization/json',
  );
  const inRate = 1.25e8 / seconds;
  assert.ok(Math.abs(inOctets.metricValue - inRate) / inRate < 0.01, `ifinoctets ${inOctets.metricValue}`);
  assert.ok(Math.abs(util.metricValue - inRate / 1.25e7) < 0.1, `ifinutilization ${util.metricValue}`);
  assert.deepEqual([util.agent, util.dataSource], ['192.0.2.50', '3']);
  const agentMetrics = await getJson<Record<string, unknown>>('/metric/192.0.2.50/json');
  assert.ok('3.ifoututilization' in agentMetrics, Object.keys(agentMetrics).join(','));
  assert.equal((await fetch(`${base}/metric/198.51.100.1/json`)).status, 404);
  const dump = await getJson<{ metricName: string; metricValue: number }[]>(
    '/dump/192.0.2.50/ifoututilization/json',
  );
  assert.ok(Math.abs(dump[0].metricValue - 0.25e8 / seconds / 1.25e7) < 0.05);
  const table = await getJson<unknown[][]>('/table/192.0.2.50/ifinoctets,ifoutoctets/json');
  assert.equal(table.length, 1);
  const names = await getJson<Record<string, number>>('/metrics/json');
  assert.ok('ifinutilization' in names);
  const prom = await (
    await fetch(`${base}/prometheus/metrics/192.0.2.50/ifinutilization,ifoututilization/txt`)
  ).text();
  const promUtil =
    /^sflow_ifinutilization\{[^}]*agent="192\.0\.2\.50"[^}]*datasource="3"[^}]*\} ([\d.]+)$/m.exec(prom);
  assert.ok(promUtil !== null && Math.abs(Number(promUtil[1]) - inRate / 1.25e7) < 0.1, prom);
  assert.equal((await fetch(`${base}/metric/ALL/bogus:ifinoctets/json`)).status, 400);
  await new Promise((r) => setTimeout(r, 300));
  const fired = await getJson<{ thresholdID: string; agent: string; dataSource: string; value: number }[]>(
    '/events/json?thresholdID=hot-port',
  );
  assert.equal(fired.length, 1);
  assert.deepEqual([fired[0].agent, fired[0].dataSource], ['192.0.2.50', '3']);
});

test('definitions persist across a restart; read-only mode and bearer token guard changes', async () => {
  tc = await tc.restart();
  ({ collector, base } = tc);
  const defs = await getJson<Record<string, unknown>>('/flow/json');
  assert.ok('pair' in defs && 'burst' in defs && 'bygroup' in defs);
  assert.ok(!Object.keys(defs).some((n) => n.startsWith('prometheus_')), 'exporter flows are not persisted');
  assert.ok('burst' in (await getJson<Record<string, unknown>>('/threshold/json')));
  assert.ok('site' in (await getJson<Record<string, unknown>>('/group/json')));

  const ro = await startTestCollector({ flags: { 'http.readonly': true }, stateDir: tc.stateDir });
  assert.equal((await ro.put('/flow/y/json', { keys: 'ipsource' })).status, 403);
  assert.equal((await fetch(`${ro.base}/flow/pair/json`)).status, 200);
  await ro.stop();

  const locked = await startTestCollector({ flags: { 'http.token': 's3cret' }, stateDir: tc.stateDir });
  assert.equal((await locked.put('/flow/y/json', { keys: 'ipsource' })).status, 401);
  assert.equal(
    (await locked.put('/flow/y/json', { keys: 'ipsource' }, { authorization: 'Bearer s3cret' })).status,
    204,
  );
  await locked.stop();
});
