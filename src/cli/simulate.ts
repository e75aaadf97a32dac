/**
 * `flowlens simulate basic --to HOST:PORT --rate N`: a generated, realistic
 * sFlow stream (several agents with sequence numbers, flow samples of mixed
 * IPv4/IPv6/RoCEv2 traffic, interface counters) for tests, benchmarks and
 * users without a network.
 */
import { parseArgs } from 'node:util';
import { parseTarget, sendPaced } from '../ingest/sender.js';
import { BasicStream } from '../simulate/basic.js';

export async function runSimulate(argv: string[]): Promise<number> {
  const [scenario, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      to: { type: 'string' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      agents: { type: 'string', default: '4' },
      'sampling-rate': { type: 'string', default: '4096' },
    },
  });
  if (scenario !== 'basic' || values.to === undefined) {
    process.stderr.write(
      'usage: flowlens simulate basic --to HOST:PORT [--rate N] [--seconds N] [--seed N] [--agents N] [--sampling-rate N]\n',
    );
    return 2;
  }
  const target = parseTarget(values.to);
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0)
    throw new Error('--rate must be a positive number of datagrams per second');
  const stream = new BasicStream({
    seed: Number(values.seed),
    agents: Number(values.agents),
    samplingRate: Number(values['sampling-rate']),
  });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const stats = await sendPaced(
    target,
    { next: () => ({ payload: stream.next() }) },
    { rate, seconds: Number(values.seconds), signal: controller.signal },
  );
  process.stderr.write(
    `flowlens simulate: sent ${stats.sent} datagrams (${stream.truth.flowSamples} flow samples, ${stream.truth.counterSamples} counter samples) to ${target.host}:${target.port} in ${stats.seconds.toFixed(2)} s\n`,
  );
  return 0;
}
