/**
 * Decode throughput on one core, on a generated realistic stream: about
 * 1,300-byte datagrams of 7 samples with headers of up to 128 bytes, mixed
 * IPv4, IPv6 and RoCEv2. Two figures: decode alone, and decode plus the
 * 5-tuple keys a typical flow definition needs.
 *
 *   npm run bench              print the figures (with the other benchmarks)
 *   npm run bench -- --write   also record them in docs/benchmarks.md
 */
import os from 'node:os';
import { dissect, Packet } from '../src/decode/packet/dissect.js';
import { type KeyGetter, keyGetter } from '../src/decode/packet/keys.js';
import { decodeSflow } from '../src/decode/sflow/decode.js';
import { SampledHeader } from '../src/decode/sflow/types.js';
import { BasicStream } from '../src/simulate/basic.js';
import { report } from './report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

function makeStream(n: number): Buffer[] {
  const s = new BasicStream({ seed: 42, samplesPerDatagram: 7, counterShare: 0.02 });
  return Array.from({ length: n }, () => s.next());
}

interface Result {
  name: string;
  datagramsPerSecond: number;
  samplesPerSecond: number;
  flowSamplesPerSecond: number;
  usPerDatagram: number;
}

function run(name: string, datagrams: Buffer[], perDatagram: (buf: Buffer) => number): Result {
  // Warm up so the figures are of optimised code, as in a long-running collector.
  for (let i = 0; i < 20000; i++) perDatagram(datagrams[i % datagrams.length]);
  let count = 0;
  let flowSamples = 0;
  let samples = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(SECONDS * 1e9);
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < datagrams.length; i++) {
      const n = perDatagram(datagrams[i]);
      flowSamples += n & 0xffff;
      samples += n >>> 16;
    }
    count += datagrams.length;
    now = process.hrtime.bigint();
  }
  const secs = Number(now - start) / 1e9;
  return {
    name,
    datagramsPerSecond: count / secs,
    samplesPerSecond: samples / secs,
    flowSamplesPerSecond: flowSamples / secs,
    usPerDatagram: (secs * 1e6) / count,
  };
}

const datagrams = makeStream(4096);
const avgBytes = datagrams.reduce((a, b) => a + b.length, 0) / datagrams.length;

function decodeOnly(buf: Buffer): number {
  const d = decodeSflow(buf);
  if (!('samples' in d)) return 0;
  let flows = 0;
  for (const s of d.samples) if (s.type === 'flow_sample') flows++;
  return (d.samples.length << 16) | flows;
}

// The 5-tuple as sFlow-RT users define it, for IPv4 and IPv6 alike.
const names = [
  'ipsource',
  'ipdestination',
  'ipprotocol',
  'ip6source',
  'ip6destination',
  'ip6nexthdr',
  'tcpsourceport',
  'udpsourceport',
  'tcpdestinationport',
  'udpdestinationport',
];
const g = names.map((n) => keyGetter(n) as KeyGetter);
const packet = new Packet();
let sink = 0;

function decodeWithKeys(buf: Buffer): number {
  const d = decodeSflow(buf);
  if (!('samples' in d)) return 0;
  let flows = 0;
  for (const s of d.samples) {
    if (s.type !== 'flow_sample') continue;
    flows++;
    for (const r of s.records) {
      if (!(r instanceof SampledHeader)) continue;
      dissect(r.buffer, r.headerOffset, r.headerLength, r.headerProtocol, packet);
      const src = g[0](packet) ?? g[3](packet);
      const dst = g[1](packet) ?? g[4](packet);
      const proto = g[2](packet) ?? g[5](packet);
      const sport = g[6](packet) ?? g[7](packet);
      const dport = g[8](packet) ?? g[9](packet);
      if (src !== undefined && dst !== undefined && proto !== undefined)
        sink += String(sport ?? dport).length;
    }
  }
  return (d.samples.length << 16) | flows;
}

const results = [
  run('decode', datagrams, decodeOnly),
  run('decode + 5-tuple keys', datagrams, decodeWithKeys),
];

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}, one core (single thread).`,
  `Input: ${datagrams.length} generated datagrams, average ${avgBytes.toFixed(0)} bytes, 7 samples each (2% counter samples), headers up to 128 bytes, mixed IPv4/IPv6/RoCEv2.`,
  '',
  '| benchmark | datagrams/s | samples/s | flow samples/s | µs per datagram |',
  '|---|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${Math.round(r.datagramsPerSecond).toLocaleString('en-US')} | ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} | ${Math.round(r.flowSamplesPerSecond).toLocaleString('en-US')} | ${r.usPerDatagram.toFixed(2)} |`,
  ),
];
report('decode-bench', lines);
if (sink === -1) process.stdout.write('');
