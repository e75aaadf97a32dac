/**
 * IPFIX decode throughput on one core: a realistic 20-field template (IPv4
 * 5-tuple, counters, interfaces, next hops, AS numbers, masks, millisecond
 * timestamps, TCP flags, ToS, direction, selector ID) and 30 records per
 * message, as routers export them. Three figures: decode with sFlow-RT keys
 * (the collector's path), decode without keys (`--raw`), and NetFlow v9 with
 * the same records for comparison.
 *
 *   node dist/bench/netflow.bench.js     (BENCH_SECONDS=3 by default)
 */
import os from 'node:os';
import { FlowExportDecoder } from '../src/decode/netflow/decoder.js';
import { ExportBuilder, type TemplateDef } from '../src/decode/netflow/encode.js';
import { report } from './report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const RECORDS_PER_MESSAGE = 30;

const TEMPLATE: TemplateDef = {
  id: 256,
  fields: [
    { id: 8, length: 4 }, // sourceIPv4Address
    { id: 12, length: 4 }, // destinationIPv4Address
    { id: 4, length: 1 }, // protocolIdentifier
    { id: 7, length: 2 }, // sourceTransportPort
    { id: 11, length: 2 }, // destinationTransportPort
    { id: 6, length: 1 }, // tcpControlBits
    { id: 5, length: 1 }, // ipClassOfService
    { id: 10, length: 4 }, // ingressInterface
    { id: 14, length: 4 }, // egressInterface
    { id: 1, length: 8 }, // octetDeltaCount
    { id: 2, length: 8 }, // packetDeltaCount
    { id: 152, length: 8 }, // flowStartMilliseconds
    { id: 153, length: 8 }, // flowEndMilliseconds
    { id: 15, length: 4 }, // ipNextHopIPv4Address
    { id: 16, length: 4 }, // bgpSourceAsNumber
    { id: 17, length: 4 }, // bgpDestinationAsNumber
    { id: 9, length: 1 }, // sourceIPv4PrefixLength
    { id: 13, length: 1 }, // destinationIPv4PrefixLength
    { id: 61, length: 1 }, // flowDirection
    { id: 302, length: 4 }, // selectorId
  ],
};
const SAMPLER: TemplateDef = {
  id: 257,
  scopeCount: 1,
  fields: [
    { id: 302, length: 4 },
    { id: 305, length: 4 },
    { id: 306, length: 4 },
  ],
};

/** Deterministic pseudo-random numbers (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function makeMessages(protocol: 'ipfix' | 'netflow9', n: number): Buffer[] {
  const r = rng(42);
  const b = new ExportBuilder({ protocol, domain: 1 });
  b.define(TEMPLATE);
  b.define(SAMPLER);
  const start = 1_700_000_000_000;
  const out: Buffer[] = [
    b.message(start, [{ type: 'data', template: SAMPLER, records: [[1, 1, 999]] }], true),
  ];
  for (let i = 0; i < n; i++) {
    const now = start + i * 10;
    const records = Array.from({ length: RECORDS_PER_MESSAGE }, () => {
      const tcp = r() < 0.7;
      const bytes = Math.floor(r() * 1e6);
      return [
        `10.${Math.floor(r() * 16)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`,
        `192.0.${Math.floor(r() * 4)}.${Math.floor(r() * 256)}`,
        tcp ? 6 : 17,
        Math.floor(r() * 65536),
        tcp ? 443 : 53,
        tcp ? 0x18 : 0,
        0,
        1 + Math.floor(r() * 48),
        1 + Math.floor(r() * 48),
        bytes,
        Math.max(1, Math.floor(bytes / 900)),
        now - 30_000,
        now - 1000,
        '10.255.0.1',
        64512 + Math.floor(r() * 100),
        15169,
        16,
        24,
        0,
        1,
      ];
    });
    out.push(b.message(now, [{ type: 'data', template: TEMPLATE, records }]));
  }
  return out;
}

interface Result {
  name: string;
  messagesPerSecond: number;
  recordsPerSecond: number;
  usPerMessage: number;
}

function run(name: string, messages: Buffer[], decoder: FlowExportDecoder): Result {
  const exporter = { address: '192.0.2.1', port: 4739 };
  // Templates first, then warm up so the figures are of optimised code.
  decoder.decode(messages[0]!, exporter, 0);
  let sink = 0;
  for (let i = 0; i < 20_000; i++)
    sink += decoder.decode(messages[1 + (i % (messages.length - 1))]!, exporter, 0).records.length;
  let count = 0;
  let records = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < deadline) {
    for (let i = 1; i < messages.length; i++)
      records += decoder.decode(messages[i]!, exporter, 0).records.length;
    count += messages.length - 1;
    now = process.hrtime.bigint();
  }
  const secs = Number(now - start) / 1e9;
  if (sink < 0) process.stdout.write('');
  return {
    name,
    messagesPerSecond: count / secs,
    recordsPerSecond: records / secs,
    usPerMessage: (secs * 1e6) / count,
  };
}

const ipfix = makeMessages('ipfix', 1024);
const v9 = makeMessages('netflow9', 1024);
const avg = ipfix.slice(1).reduce((a, b) => a + b.length, 0) / (ipfix.length - 1);
const results = [
  run('IPFIX decode + sFlow-RT keys', ipfix, new FlowExportDecoder()),
  run('IPFIX decode, no keys (--raw)', ipfix, new FlowExportDecoder({ keys: false })),
  run('NetFlow v9 decode + keys', v9, new FlowExportDecoder()),
];

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const lines = [
  `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, one core (single thread).`,
  `Input: ${ipfix.length - 1} generated messages, ${RECORDS_PER_MESSAGE} records of a ${TEMPLATE.fields.length}-field template each, average ${avg.toFixed(0)} bytes.`,
  '',
  '| benchmark | messages/s | records/s | µs per message |',
  '|---|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${fmt(r.messagesPerSecond)} | ${fmt(r.recordsPerSecond)} | ${r.usPerMessage.toFixed(2)} |`,
  ),
];
report('netflow-bench', lines);
