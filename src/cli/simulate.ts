/**
 * `flowlens simulate SCENARIO --to HOST:PORT ...`: generated sFlow with known
 * ground truth, sent over UDP, for tests, benchmarks, demos and users without
 * a network.
 *
 *   basic   several agents with sequence numbers, flow samples of mixed
 *           IPv4/IPv6/RoCEv2 traffic, interface counters (fixed datagram rate)
 *   fabric  a leaf-spine AI fabric: NCCL-like collectives over RoCEv2, ECN and
 *           CNPs, discards, queue depth and transit delay, counters (real time)
 *   ddos    one of ddos-protect's seven attack types over background traffic
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTarget, sendPaced, type Target } from '../ingest/sender.js';
import type { TimedDatagram } from '../simulate/agent.js';
import { BasicStream } from '../simulate/basic.js';
import { ATTACK_TYPES, type AttackType, DdosSimulator, summarizeDdosTruth } from '../simulate/ddos.js';
import {
  type EgressSampling,
  FabricSimulator,
  type JobSpec,
  summarizeFabricTruth,
} from '../simulate/fabric.js';

export const SIMULATE_USAGE = [
  'flowlens simulate basic --to HOST:PORT [--rate N] [--seconds N] [--seed N] [--agents N] [--sampling-rate N]',
  'flowlens simulate fabric --to HOST:PORT [--seed N] [--spines N --leaves N --hosts N] [--sampling N] [--seconds N]',
  '                         [--ipv6] [--egress none|edge|core|all] [--jobs FILE] [--speed X]',
  '                         [--topology-out FILE] [--put-topology http://HOST:8008]',
  `flowlens simulate ddos --to HOST:PORT --attack ${ATTACK_TYPES.join('|')}`,
  '                       [--ipv6] [--pps N] [--sources N] [--target IP] [--seconds N] [--sampling N]',
  '                       [--background N] [--port N] [--protocol N] [--start-after N] [--seed N]',
].join('\n');

function usage(message?: string): number {
  if (message !== undefined) process.stderr.write(`flowlens simulate: ${message}\n`);
  process.stderr.write(`usage: ${SIMULATE_USAGE.replaceAll('\n', '\n       ')}\n`);
  return 2;
}

function number(name: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number >= ${min}, got '${text}'`);
  return v;
}

export async function runSimulate(argv: string[]): Promise<number> {
  const [scenario, ...rest] = argv;
  switch (scenario) {
    case 'basic':
      return runBasic(rest);
    case 'fabric':
      return runFabric(rest);
    case 'ddos':
      return runDdos(rest);
    default:
      return usage(scenario === undefined ? undefined : `unknown scenario '${scenario}'`);
  }
}

async function runBasic(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      to: { type: 'string' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      agents: { type: 'string', default: '4' },
      'sampling-rate': { type: 'string', default: '4096' },
    },
  });
  if (values.to === undefined) return usage('--to HOST:PORT is required');
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

/**
 * Sends a simulator's datagrams at the pace of their simulated send times
 * (scaled by `speed`), stepping the simulator 20 ms at a time as needed (small steps keep the bursts small).
 */
async function sendSimulated(
  target: Target,
  step: (untilMs: number) => TimedDatagram[],
  seconds: number,
  speed: number,
): Promise<{ sent: number; seconds: number; agents: number }> {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  let queue: TimedDatagram[] = [];
  let index = 0;
  let simMs = 0;
  const agents = new Set<string>();
  const stats = await sendPaced(
    target,
    {
      next: () => {
        while (index >= queue.length) {
          simMs += 20;
          // Stop generating shortly after the wall-clock limit would be reached.
          if (seconds > 0 && simMs > (seconds * speed + 1) * 1000) return undefined;
          queue = step(simMs);
          index = 0;
        }
        const d = queue[index++];
        agents.add(d.agent);
        return { payload: d.payload, timeMs: d.timeMs };
      },
    },
    { speed, seconds, signal: controller.signal },
  );
  return { sent: stats.sent, seconds: stats.seconds, agents: agents.size };
}

async function runFabric(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      to: { type: 'string' },
      seed: { type: 'string', default: '1' },
      spines: { type: 'string' },
      leaves: { type: 'string' },
      hosts: { type: 'string' },
      sampling: { type: 'string' },
      seconds: { type: 'string', default: '0' },
      ipv6: { type: 'boolean', default: false },
      egress: { type: 'string' },
      jobs: { type: 'string' },
      speed: { type: 'string', default: '1' },
      'topology-out': { type: 'string' },
      'put-topology': { type: 'string' },
    },
  });
  const topologyOnly = values.to === undefined && values['topology-out'] !== undefined;
  if (values.to === undefined && !topologyOnly) return usage('--to HOST:PORT is required');
  const egress = values.egress as EgressSampling | undefined;
  if (egress !== undefined && !['none', 'edge', 'core', 'all'].includes(egress)) {
    return usage(`--egress must be none, edge, core or all, got '${egress}'`);
  }
  let jobs: JobSpec[] | undefined;
  if (values.jobs !== undefined) {
    const parsed: unknown = JSON.parse(readFileSync(values.jobs, 'utf8'));
    if (!Array.isArray(parsed)) throw new Error(`--jobs ${values.jobs}: expected a JSON array of jobs`);
    jobs = parsed as JobSpec[];
  }
  const sim = new FabricSimulator({
    seed: number('seed', values.seed),
    spines: number('spines', values.spines, 1),
    leaves: number('leaves', values.leaves, 1),
    hostsPerLeaf: number('hosts', values.hosts, 1),
    samplingRate: number('sampling', values.sampling, 1),
    ipv6: values.ipv6,
    egressSampling: egress,
    jobs,
  });
  const topology = sim.topology();
  if (values['topology-out'] !== undefined) {
    writeFileSync(values['topology-out'], `${JSON.stringify(topology, null, 2)}\n`);
    process.stderr.write(`flowlens simulate: topology written to ${values['topology-out']}\n`);
  }
  if (values['put-topology'] !== undefined) {
    const base = values['put-topology'].replace(/\/+$/, '');
    const url = base.endsWith('/topology/json') ? base : `${base}/topology/json`;
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(topology),
    });
    if (!res.ok) throw new Error(`PUT ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    process.stderr.write(`flowlens simulate: topology installed at ${url}\n`);
  }
  if (topologyOnly) return 0;
  const target = parseTarget(values.to!);
  const seconds = number('seconds', values.seconds) ?? 0;
  const speed = number('speed', values.speed) ?? 1;
  if (speed <= 0) throw new Error('--speed must be > 0');
  const stats = await sendSimulated(target, (t) => sim.stepTimed(t), seconds, speed);
  process.stderr.write(
    `flowlens simulate: sent ${stats.sent} datagrams from ${stats.agents} agents to ${target.host}:${target.port} in ${stats.seconds.toFixed(2)} s\n${summarizeFabricTruth(sim.truth())}\n`,
  );
  return 0;
}

async function runDdos(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      to: { type: 'string' },
      attack: { type: 'string' },
      ipv6: { type: 'boolean', default: false },
      pps: { type: 'string' },
      sources: { type: 'string' },
      target: { type: 'string' },
      seconds: { type: 'string', default: '0' },
      sampling: { type: 'string' },
      background: { type: 'string' },
      port: { type: 'string' },
      protocol: { type: 'string' },
      'start-after': { type: 'string' },
      seed: { type: 'string', default: '1' },
      routers: { type: 'string' },
      speed: { type: 'string', default: '1' },
    },
  });
  if (values.to === undefined) return usage('--to HOST:PORT is required');
  const attack = values.attack as AttackType | undefined;
  if (attack === undefined || !ATTACK_TYPES.includes(attack)) {
    return usage(`--attack must be one of ${ATTACK_TYPES.join(', ')}`);
  }
  const startAfter = number('start-after', values['start-after']);
  const sim = new DdosSimulator({
    attack,
    ipv6: values.ipv6,
    target: values.target,
    pps: number('pps', values.pps),
    sources: number('sources', values.sources, 1),
    samplingRate: number('sampling', values.sampling, 1),
    backgroundPps: number('background', values.background),
    port: number('port', values.port),
    protocol: number('protocol', values.protocol),
    startMs: startAfter === undefined ? undefined : startAfter * 1000,
    seed: number('seed', values.seed),
    routers: number('routers', values.routers, 1),
  });
  const target = parseTarget(values.to);
  const seconds = number('seconds', values.seconds) ?? 0;
  const speed = number('speed', values.speed) ?? 1;
  if (speed <= 0) throw new Error('--speed must be > 0');
  const stats = await sendSimulated(target, (t) => sim.stepTimed(t), seconds, speed);
  process.stderr.write(
    `flowlens simulate: sent ${stats.sent} datagrams from ${stats.agents} agents to ${target.host}:${target.port} in ${stats.seconds.toFixed(2)} s\n${summarizeDdosTruth(sim.truth())}\n`,
  );
  return 0;
}
