/**
 * `flowlens demo`: built-in traffic, decoded and summarised live in the
 * terminal. It needs no network and no root. Until the real-time engine lands
 * this is a self-contained tour of the decoder: a generated sFlow stream goes
 * through the same decode and key extraction code a collector uses.
 */
import { parseArgs } from 'node:util';
import { dissect, Packet } from '../decode/packet/dissect.js';
import { type KeyGetter, keyGetter } from '../decode/packet/keys.js';
import { decodeSflow } from '../decode/sflow/decode.js';
import { SampledHeader } from '../decode/sflow/types.js';
import { DecodeStats } from '../decode/stats.js';
import { BasicStream } from '../simulate/basic.js';

const FIVE_TUPLE = [
  'ipsource',
  'ipdestination',
  'ipprotocol',
  'tcpsourceport',
  'udpsourceport',
  'tcpdestinationport',
  'udpdestinationport',
];

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '0' },
      rate: { type: 'string', default: '2000' },
    },
  });
  const seconds = Number(values.seconds);
  const rate = Number(values.rate);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new Error('--seconds must be a number >= 0 (0 runs until Ctrl-C)');
  if (!Number.isFinite(rate) || rate <= 0)
    throw new Error('--rate must be a positive number of datagrams per second');

  const getters = FIVE_TUPLE.map((k) => keyGetter(k) as KeyGetter);
  const stream = new BasicStream({ seed: Date.now() & 0xffff });
  const stats = new DecodeStats();
  const packet = new Packet();
  // Bytes per second per flow, smoothed like a 2 s moving window.
  const rates = new Map<string, number>();
  const started = Date.now();
  let sent = 0;

  process.stdout.write('flowlens demo: generated sFlow from 4 agents, decoded live (Ctrl-C to stop)\n');
  return new Promise<number>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = (Date.now() - started) / 1000;
      const target = Math.floor(elapsed * rate);
      const window = new Map<string, number>();
      for (; sent < target; sent++) {
        const d = decodeSflow(stream.next(), stats);
        if (!('samples' in d)) continue;
        for (const s of d.samples) {
          if (s.type !== 'flow_sample') continue;
          for (const r of s.records) {
            if (!(r instanceof SampledHeader)) continue;
            dissect(r.buffer, r.headerOffset, r.headerLength, r.headerProtocol, packet);
            const v = getters.map((g) => g(packet));
            if (v[0] === undefined) continue;
            const key = `${v[0]} -> ${v[1]} proto ${v[2]} ports ${v[3] ?? v[4]}:${v[5] ?? v[6]}`;
            window.set(key, (window.get(key) ?? 0) + r.frameLength * s.samplingRate);
          }
        }
      }
      for (const [k, v] of rates) rates.set(k, v * 0.6);
      for (const [k, v] of window) rates.set(k, (rates.get(k) ?? 0) + v * 0.4);
      const top = [...rates.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
      const lines = [
        `\n[${elapsed.toFixed(0)} s] datagrams ${stats.datagrams}, samples ${stats.samples}, errors ${stats.errorCount()}`,
        ...top.map(([k, v]) => `  ${((v * 8) / 1e9).toFixed(2).padStart(8)} Gbit/s  ${k}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      if (seconds > 0 && elapsed >= seconds) {
        clearInterval(tick);
        resolve(0);
      }
    }, 1000);
    process.once('SIGINT', () => {
      clearInterval(tick);
      resolve(0);
    });
  });
}
