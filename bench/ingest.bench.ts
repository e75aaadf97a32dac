/**
 * Ingest benchmark: the highest rate each collector takes without losing a
 * datagram, on the same stream, in the same run. The sender is pinned to
 * core 0 and the collector under test to core 1 (taskset); the stream is
 * pre-generated (BasicStream: 4 agents, ~1,350-byte datagrams of 7 samples,
 * 5% counter samples, mixed IPv4/IPv6/RoCEv2) and every datagram carries its
 * agent's next sequence number.
 *
 * Collectors:
 *   dgram            Node dgram socket that only counts
 *   addon            the recvmmsg addon, one callback per batch, only counts
 *   listen           listenUdp (recvmmsg): one handler call per datagram, payload view + source address
 *   flowlens         `flowlens run` with three flows (5-tuple bytes, ipsource frames, a filtered
 *                    RoCEv2 flow) defined through the REST API, counters flowing
 *   flowlens-dgram   the same with FLOWLENS_UDP=dgram
 *   sfacctd          pmacct's sFlow daemon, memory plugin, 5-tuple aggregation
 *   sfcapd           nfdump's sFlow capture daemon, writing files to a temp dir
 *
 * Loss in a step = kernel drops at the socket (/proc/net/udp) plus, where the
 * collector tells: datagrams not received, sFlow sequence gaps (flowlens),
 * flow samples not accounted (flowlens, sfacctd) and pmacct's "Missing data"
 * (core to plugin queue overflow). The search ramps the rate by 1.5x until a
 * step loses, bisects to within 5%, and confirms the best rate with a step
 * twice as long.
 *
 *   npm run bench:ingest                          all collectors found
 *   npm run bench:ingest -- --only flowlens,sfcapd --seconds 5
 *   npm run bench:ingest -- --write               also record the results in docs/benchmarks.md
 *
 * Options: --seconds N (per step, 3), --max RATE (600000), --rcvbuf BYTES
 * (33554432, for every collector; as root, net.core.rmem_max is raised to it
 * for the run and restored), --nice N (sender and collectors; -10 as root),
 * --no-rss, --no-inproc. A step that lost while other processes held the
 * collector's core is repeated (twice at most); the table says how long the
 * collectors waited for their core.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startCollector } from '../src/collector.js';
import { loadConfig } from '../src/common/config.js';
import { loadRecvmmsg } from '../src/ingest/recvmmsg.js';
import { procUdpSockets } from '../src/ingest/udp.js';
import { repoRoot } from '../src/testing/captures.js';
import { basicPool } from './ingest-stream.js';

// --- options ----------------------------------------------------------------------------

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const SECONDS = Number(option('seconds') ?? 3);
const MAX_RATE = Number(option('max') ?? 600_000);
const START_RATE = Number(option('start') ?? 20_000);
const RCVBUF = Number(option('rcvbuf') ?? 32 * 1024 * 1024);
const ONLY = option('only')?.split(',');
/** Scheduling niceness of the sender and the collectors (as root), so that other work on the machine disturbs less. */
const NICE = Number(option('nice') ?? (process.getuid?.() === 0 ? -10 : 0));
const WRITE = process.argv.includes('--write');
const RSS = !process.argv.includes('--no-rss');
const INPROC = !process.argv.includes('--no-inproc');

const here = path.dirname(fileURLToPath(import.meta.url));
const root = repoRoot();
const MAIN = path.join(root, 'dist', 'src', 'cli', 'main.js');
const SENDER = path.join(here, 'ingest-sender.js');
const SINK = path.join(here, 'ingest-sink.js');
const SENDER_CORE = '0';
const COLLECTOR_CORE = '1';
const CLK_TCK = 100;

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// --- processes --------------------------------------------------------------------------

const children = new Set<ChildProcess>();

function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.pid !== undefined) signalGroup(c, 'SIGKILL');
  restoreRmem();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

function which(candidates: string[]): string | undefined {
  return candidates.find((c) => existsSync(c));
}

/** A child on one core, leader of its own process group (so its helpers' CPU time counts too). */
function pinned(
  core: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const c = spawn('nice', ['-n', String(NICE), 'taskset', '-c', core, cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env,
  });
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

/** Signals a child's whole process group (sfacctd's plugins are processes of their own). */
function signalGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (c.pid !== undefined) process.kill(-c.pid, signal);
  } catch {
    c.kill(signal);
  }
}

async function stopChild(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const done = new Promise<void>((r) => c.once('exit', () => r()));
  signalGroup(c, signal);
  const t = setTimeout(() => signalGroup(c, 'SIGKILL'), 10_000);
  await done;
  clearTimeout(t);
  // Helpers of the group that outlive its leader.
  signalGroup(c, 'SIGKILL');
}

/** Line-oriented JSON over a child's stdin/stdout. */
class LineChannel {
  private readonly lines: string[] = [];
  private waiter: ((l: string) => void) | undefined;
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (this.waiter !== undefined) {
        const w = this.waiter;
        this.waiter = undefined;
        w(l);
      } else this.lines.push(l);
    });
  }
  next(timeoutMs = 120_000): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('child did not answer')), timeoutMs);
      this.waiter = (line) => {
        clearTimeout(t);
        resolve(line);
      };
    });
  }
  async ask<T>(o: unknown): Promise<T> {
    this.child.stdin!.write(`${JSON.stringify(o)}\n`);
    return JSON.parse(await this.next()) as T;
  }
}

/** CPU seconds used so far by a process group. */
function cpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / CLK_TCK;
}

/** Busy seconds of one CPU so far (/proc/stat: everything but idle and iowait). */
function cpuBusySeconds(cpu: string): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (line === undefined) return 0;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = f.reduce((a, b) => a + b, 0) - f[3] - f[4];
  return busy / CLK_TCK;
}

/** Seconds a process's main thread has waited for a CPU while runnable (/proc/PID/schedstat). */
function runDelaySeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return 0;
  }
}

/** Resident memory of a process group, bytes. */
function rssBytes(pgid: number): { rss: number; hwm: number } {
  let rss = 0;
  let hwm = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
      hwm += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    } catch {}
  }
  return { rss, hwm };
}

function socketOf(port: number): { drops: number; rxQueue: number; found: boolean } {
  let drops = 0;
  let rxQueue = 0;
  let found = false;
  for (const s of procUdpSockets()) {
    if (s.localPort !== port) continue;
    found = true;
    drops += s.drops;
    rxQueue += s.rxQueue;
  }
  return { drops, rxQueue, found };
}

async function waitBound(port: number, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (socketOf(port).found) return;
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`${what} did not bind UDP port ${port}`);
}

let nextPort = 17_000 + (process.pid % 1000) * 8;
const freePort = () => nextPort++;

// --- rmem_max -----------------------------------------------------------------------------

let savedRmem: string | undefined;
function raiseRmem(): string {
  const file = '/proc/sys/net/core/rmem_max';
  try {
    const now = Number(readFileSync(file, 'utf8').trim());
    if (now >= RCVBUF) return `net.core.rmem_max ${now}`;
    writeFileSync(file, String(RCVBUF));
    savedRmem = String(now);
    return `net.core.rmem_max raised from ${now} to ${RCVBUF} for the run`;
  } catch {
    return `net.core.rmem_max below ${RCVBUF} and not writable: collectors get less than asked`;
  }
}
function restoreRmem(): void {
  if (savedRmem === undefined) return;
  try {
    writeFileSync('/proc/sys/net/core/rmem_max', savedRmem);
  } catch {}
  savedRmem = undefined;
}

// --- the sender -----------------------------------------------------------------------------

interface SendResult {
  sent: number;
  flowSamples: number;
  seconds: number;
  rate: number;
  via: string;
}

class Sender {
  readonly ch: LineChannel;
  info = { datagrams: 0, averageBytes: 0 };
  constructor(kind: string, size: number) {
    this.ch = new LineChannel(pinned(SENDER_CORE, process.execPath, [SENDER, kind, String(size)]));
    this.ch.child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  }
  async ready(): Promise<void> {
    this.info = JSON.parse(await this.ch.next()) as typeof this.info;
  }
  send(port: number, rate: number, seconds: number): Promise<SendResult> {
    return this.ch.ask<SendResult>({ host: '127.0.0.1', port, rate, seconds });
  }
  stop(): Promise<void> {
    this.ch.child.stdin!.end();
    return stopChild(this.ch.child);
  }
}

// --- collectors under test ------------------------------------------------------------------

interface Counters {
  received?: number;
  gaps?: number;
  flowSamples?: number;
  appLoss?: number;
}

interface Running {
  pid: number;
  port: number;
  counters(): Promise<Counters>;
  /** Flow samples may lag by this much (buffered inside the collector). */
  flowSampleSlack: number;
  between?(): void;
  stop(): Promise<string | undefined>;
}

interface Target {
  key: string;
  label: string;
  available(): string | undefined;
  start(): Promise<Running>;
  warmup?: boolean;
  config: string;
}

function sinkTarget(mode: 'dgram' | 'addon' | 'listen', label: string, config: string): Target {
  return {
    key: mode,
    label,
    config,
    available: () =>
      mode !== 'dgram' && loadRecvmmsg().addon === undefined
        ? `recvmmsg addon not built (${(loadRecvmmsg() as { reason: string }).reason})`
        : undefined,
    async start() {
      const port = freePort();
      const ch = new LineChannel(
        pinned(COLLECTOR_CORE, process.execPath, [SINK, mode, String(port), String(RCVBUF)]),
      );
      await ch.next();
      return {
        pid: ch.child.pid!,
        port,
        flowSampleSlack: 0,
        counters: async () => ({ received: (await ch.ask<{ datagrams: number }>({})).datagrams }),
        stop: async () => {
          ch.child.stdin!.end();
          await stopChild(ch.child);
          return undefined;
        },
      };
    },
  };
}

const FLOWS: Record<string, object> = {
  tuple: {
    keys: 'or:ipsource:ip6source,or:ipdestination:ip6destination,or:ipprotocol:ip6nexthdr,or:tcpsourceport:udpsourceport,or:tcpdestinationport:udpdestinationport',
    value: 'bytes',
  },
  sources: { keys: 'ipsource', value: 'frames' },
  roce: { keys: 'ipsource,ipdestination,ibbtopname', value: 'frames', filter: 'suffix:stack:.:1=ibbt' },
};

interface FlowlensProcess {
  child: ChildProcess;
  port: number;
  api: string;
  stateDir: string;
}

async function startFlowlens(udp: 'recvmmsg' | 'dgram'): Promise<FlowlensProcess> {
  const port = freePort();
  const http = freePort();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'flowlens-bench-'));
  const child = pinned(
    COLLECTOR_CORE,
    process.execPath,
    [
      MAIN,
      'run',
      '--sflow.port',
      String(port),
      '--ipfix.port',
      '-1',
      '--netflow.port',
      '-1',
      '--udp.host',
      '127.0.0.1',
      '--udp.buffer',
      String(RCVBUF),
      '--http.port',
      String(http),
      '--http.host',
      '127.0.0.1',
      '--state.dir',
      stateDir,
      // Exactly the three flows the benchmark defines; the app's cost is measured in process below.
      '--apps.aiMetrics',
      'false',
    ],
    { ...process.env, FLOWLENS_UDP: udp },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout!.resume();
  const api = `http://127.0.0.1:${http}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${api}/version`)).ok) break;
    } catch {}
    if (child.exitCode !== null || i > 100) throw new Error(`flowlens did not start: ${stderr}`);
    await sleep(100);
  }
  for (const [name, def] of Object.entries(FLOWS)) {
    const r = await fetch(`${api}/flow/${name}/json`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(def),
    });
    if (r.status !== 204) throw new Error(`defining flow ${name}: HTTP ${r.status} ${await r.text()}`);
  }
  return { child, port, api, stateDir };
}

interface Analyzer {
  sFlowDatagramsReceived: number;
  sFlowDatagramsLost: number;
  sFlowFlowSamples: number;
  sFlowKernelDrops?: number;
  rss: number;
}

function flowlensTarget(udp: 'recvmmsg' | 'dgram'): Target {
  return {
    key: udp === 'recvmmsg' ? 'flowlens' : 'flowlens-dgram',
    label: udp === 'recvmmsg' ? 'flowlens run (recvmmsg)' : 'flowlens run (FLOWLENS_UDP=dgram)',
    config: `three flows (5-tuple bytes, ipsource frames, RoCEv2 filtered), counters; udp.buffer ${RCVBUF}`,
    warmup: true,
    available: () =>
      !existsSync(MAIN)
        ? 'not built (npm run build)'
        : udp === 'recvmmsg' && loadRecvmmsg().addon === undefined
          ? 'recvmmsg addon not built'
          : undefined,
    async start() {
      const f = await startFlowlens(udp);
      const defined = Object.keys((await (await fetch(`${f.api}/flow/json`)).json()) as object);
      this.config = `${defined.length} flows (5-tuple bytes, ipsource frames, RoCEv2 filtered; apps.aiMetrics false); counters; udp.buffer ${RCVBUF}`;
      return {
        pid: f.child.pid!,
        port: f.port,
        flowSampleSlack: 0,
        counters: async () => {
          const a = (await (await fetch(`${f.api}/analyzer/json`)).json()) as Analyzer;
          return {
            received: a.sFlowDatagramsReceived,
            gaps: a.sFlowDatagramsLost,
            flowSamples: a.sFlowFlowSamples,
          };
        },
        stop: async () => {
          await stopChild(f.child, 'SIGINT');
          rmSync(f.stateDir, { recursive: true, force: true });
          return undefined;
        },
      };
    },
  };
}

const SFACCTD = () => which(['/usr/sbin/sfacctd', '/usr/bin/sfacctd', '/usr/local/sbin/sfacctd']);
const PMACCT = () => which(['/usr/bin/pmacct', '/usr/local/bin/pmacct']);
const SFCAPD = () => which(['/usr/bin/sfcapd', '/usr/sbin/sfcapd', '/usr/local/bin/sfcapd']);

function sfacctdTarget(): Target {
  return {
    key: 'sfacctd',
    label: 'sfacctd (pmacct)',
    config:
      'plugins: memory; aggregate: src_host,dst_host,proto,src_port,dst_port; plugin_pipe_size 64 MiB, plugin_buffer_size 64 KiB',
    available: () =>
      SFACCTD() === undefined || PMACCT() === undefined
        ? 'not installed (Debian: apt-get install pmacct)'
        : undefined,
    async start() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sfacctd-bench-'));
      const port = freePort();
      const pipe = path.join(dir, 'collect.pipe');
      const logFile = path.join(dir, 'sfacctd.log');
      const conf = path.join(dir, 'sfacctd.conf');
      writeFileSync(
        conf,
        [
          'daemonize: false',
          'sfacctd_ip: 127.0.0.1',
          `sfacctd_port: ${port}`,
          `sfacctd_pipe_size: ${RCVBUF}`,
          'plugins: memory',
          `imt_path: ${pipe}`,
          'aggregate: src_host, dst_host, proto, src_port, dst_port',
          // pmacct's advice for heavy loads: a large core-to-plugin queue, written in 64 KiB chunks.
          'plugin_pipe_size: 67108864',
          'plugin_buffer_size: 65536',
          `logfile: ${logFile}`,
          '',
        ].join('\n'),
      );
      const child = pinned(COLLECTOR_CORE, SFACCTD()!, ['-f', conf]);
      child.stdout!.resume();
      child.stderr!.resume();
      await waitBound(port, child, 'sfacctd');
      await sleep(500);
      let accounted = 0;
      const missing = () => {
        try {
          return (readFileSync(logFile, 'utf8').match(/Missing data detected/g) ?? []).length;
        } catch {
          return 0;
        }
      };
      return {
        pid: child.pid!,
        port,
        // Up to one plugin buffer of elements may still wait in the core process.
        flowSampleSlack: 256,
        counters: async () => {
          // Read and erase the memory table: the packets column is the flow samples accounted.
          const out = execFileSync(PMACCT()!, ['-p', pipe, '-s', '-O', 'csv', '-e'], { encoding: 'utf8' });
          const lines = out.trim().split('\n');
          const col = (lines[0] ?? '').split(',').indexOf('PACKETS');
          for (const l of lines.slice(1)) accounted += Number(l.split(',')[col]) || 0;
          return { flowSamples: accounted, appLoss: missing() };
        },
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
          return undefined;
        },
      };
    },
  };
}

function sfcapdTarget(): Target {
  return {
    key: 'sfcapd',
    label: 'sfcapd (nfdump)',
    config: 'files to a temp dir, 10 s rotation, no compression',
    available: () =>
      SFCAPD() === undefined ? 'not installed (Debian: apt-get install nfdump-sflow)' : undefined,
    async start() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sfcapd-bench-'));
      const port = freePort();
      const child = pinned(COLLECTOR_CORE, SFCAPD()!, [
        '-w',
        dir,
        '-b',
        '127.0.0.1',
        '-p',
        String(port),
        '-B',
        String(RCVBUF),
        '-t',
        '10',
      ]);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await waitBound(port, child, 'sfcapd');
      return {
        pid: child.pid!,
        port,
        flowSampleSlack: 0,
        counters: async () => ({}),
        // Rotated files are not needed: keep the disk from filling up.
        between: () => {
          for (const f of readdirSync(dir)) if (/^nfcapd\.\d+$/.test(f)) unlinkSync(path.join(dir, f));
        },
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
          // sfcapd's own tally, one line per file: flows and sFlow sequence errors.
          let flows = 0;
          let seqErrors = 0;
          for (const m of out.matchAll(/Flows: (\d+),.*Sequence Errors: (\d+)/g)) {
            flows += Number(m[1]);
            seqErrors += Number(m[2]);
          }
          const sent = tallies.get(port);
          return `sfcapd's own count over the run: ${fmt(flows)} flow records, ${fmt(seqErrors)} sequence errors (${fmt(sent?.flowSamples ?? 0)} flow samples sent, ${fmt(sent?.drops ?? 0)} datagrams dropped by the kernel)`;
        },
      };
    },
  };
}

// --- the search ----------------------------------------------------------------------------

interface Trial {
  rate: number;
  achieved: number;
  sent: number;
  drops: number;
  notReceived: number | undefined;
  gaps: number | undefined;
  flowSampleGap: number | undefined;
  appLoss: number | undefined;
  cpuUsPerDatagram: number;
  /** Bytes waiting in the socket when the sender stopped. */
  backlog: number;
  /** CPU seconds other processes took on the collector's core during the step while it waited for it (at most). */
  foreign: number;
  ok: boolean;
}

/**
 * A step whose socket still holds more than a quarter of the receive buffer
 * when the sender stops did not keep up: a longer step would lose. (Linux
 * grants twice the size asked for and counts buffer overhead in it.)
 */
const BACKLOG_LIMIT = (2 * RCVBUF) / 4;

/** Flow samples sent to each port over the whole run, datagrams the kernel dropped there, and step time. */
const tallies = new Map<number, { flowSamples: number; drops: number; seconds: number; foreign: number }>();
function tally(port: number, flowSamples: number, drops: number, seconds = 0, foreign = 0): void {
  const t = tallies.get(port) ?? { flowSamples: 0, drops: 0, seconds: 0, foreign: 0 };
  t.flowSamples += flowSamples;
  t.drops += drops;
  t.seconds += seconds;
  t.foreign += foreign;
  tallies.set(port, t);
}

async function quiesce(t: Running, maxMs = 20_000): Promise<void> {
  const end = Date.now() + maxMs;
  let last = '';
  let stable = 0;
  while (Date.now() < end) {
    const q = socketOf(t.port).rxQueue;
    const c = JSON.stringify(await t.counters().catch(() => ({})));
    if (q === 0 && c === last) {
      if (++stable >= 2) return;
    } else stable = 0;
    last = c;
    await sleep(250);
  }
}

/**
 * Other work on the collector's core (this machine may be shared) spoils a
 * step: a step that lost while the collector had to wait for its core is
 * repeated (twice at most), after waiting a little for the core to be quiet.
 */
const FOREIGN_LIMIT = 0.03;

/** Waits (up to 3 s) until the collector's core has been quiet apart from the collector for a second. */
async function waitForQuiet(t: Running): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const b0 = cpuBusySeconds(COLLECTOR_CORE);
    const c0 = cpuSeconds(t.pid);
    await sleep(1000);
    if (cpuBusySeconds(COLLECTOR_CORE) - b0 - (cpuSeconds(t.pid) - c0) <= FOREIGN_LIMIT) return;
    if (i === 0) log(`    (waiting for other processes to leave core ${COLLECTOR_CORE})`);
  }
}

async function trial(t: Running, sender: Sender, rate: number, seconds: number): Promise<Trial> {
  let tr = await trialOnce(t, sender, rate, seconds);
  // Other work can only make a step lose, never make it pass: only losing steps are repeated.
  for (let i = 0; i < 2 && !tr.ok && tr.foreign > FOREIGN_LIMIT * seconds; i++) {
    log(
      `    (repeated: the collector waited ${tr.foreign.toFixed(2)} s for core ${COLLECTOR_CORE} while other processes used it)`,
    );
    await waitForQuiet(t);
    tr = await trialOnce(t, sender, rate, seconds);
  }
  return tr;
}

async function trialOnce(t: Running, sender: Sender, rate: number, seconds: number): Promise<Trial> {
  t.between?.();
  // A few datagrams first, so that losses at the end of the previous step show up as sequence gaps
  // before the baseline is read, not in this step.
  const primer = await sender.send(t.port, 1000, 0.02);
  tally(t.port, primer.flowSamples, 0);
  await quiesce(t);
  const b = await t.counters();
  const d0 = socketOf(t.port).drops;
  const c0 = cpuSeconds(t.pid);
  const busy0 = cpuBusySeconds(COLLECTOR_CORE);
  const wait0 = runDelaySeconds(t.pid);
  const r = await sender.send(t.port, rate, seconds);
  const backlog = socketOf(t.port).rxQueue;
  const stepCpu = cpuSeconds(t.pid) - c0;
  const waited = runDelaySeconds(t.pid) - wait0;
  // Other processes on the core matter when the collector had to wait for it meanwhile.
  const foreign = Math.min(Math.max(0, cpuBusySeconds(COLLECTOR_CORE) - busy0 - stepCpu), waited);
  await quiesce(t);
  tally(t.port, r.flowSamples, socketOf(t.port).drops - d0, r.seconds, foreign);
  const a = await t.counters();
  const drops = socketOf(t.port).drops - d0;
  const cpu = cpuSeconds(t.pid) - c0;
  const delta = (k: keyof Counters) => (a[k] !== undefined && b[k] !== undefined ? a[k]! - b[k]! : undefined);
  const received = delta('received');
  const flowSamples = delta('flowSamples');
  const tr: Trial = {
    rate,
    achieved: r.rate,
    sent: r.sent,
    drops,
    notReceived: received === undefined ? undefined : r.sent - received,
    gaps: delta('gaps'),
    flowSampleGap: flowSamples === undefined ? undefined : r.flowSamples - flowSamples,
    appLoss: delta('appLoss'),
    cpuUsPerDatagram: (cpu * 1e6) / r.sent,
    backlog,
    foreign,
    ok: false,
  };
  tr.ok =
    drops === 0 &&
    backlog <= BACKLOG_LIMIT &&
    (tr.notReceived ?? 0) === 0 &&
    (tr.gaps ?? 0) === 0 &&
    (tr.appLoss ?? 0) === 0 &&
    Math.abs(tr.flowSampleGap ?? 0) <= t.flowSampleSlack;
  const parts = [`drops ${tr.drops}`, `backlog at the end ${(backlog / 2 ** 20).toFixed(1)} MiB`];
  if (tr.notReceived !== undefined) parts.push(`not received ${tr.notReceived}`);
  if (tr.gaps !== undefined) parts.push(`sequence gaps ${tr.gaps}`);
  if (tr.flowSampleGap !== undefined) parts.push(`flow samples missing ${tr.flowSampleGap}`);
  if (tr.appLoss !== undefined) parts.push(`"Missing data" ${tr.appLoss}`);
  log(
    `  ${fmt(rate).padStart(8)}/s (sent ${fmt(r.rate)}/s): ${tr.ok ? 'zero loss' : 'LOSS'}; ${parts.join(', ')}; CPU ${tr.cpuUsPerDatagram.toFixed(2)} µs/datagram${foreign > 0.01 ? `; waited ${foreign.toFixed(2)} s for core ${COLLECTOR_CORE} (other processes)` : ''}`,
  );
  return tr;
}

interface SearchResult {
  best: number;
  bestTrial: Trial | undefined;
  firstLossy: Trial | undefined;
  senderLimited: boolean;
}

const round = (r: number) => (r >= 20_000 ? Math.round(r / 1000) * 1000 : Math.round(r / 100) * 100);

async function search(t: Running, sender: Sender): Promise<SearchResult> {
  let good: Trial | undefined;
  let bad: Trial | undefined;
  let senderLimited = false;
  let rate = START_RATE;
  // Ramp up, or down when even the start loses.
  for (;;) {
    const tr = await trial(t, sender, rate, SECONDS);
    if (tr.ok) {
      good = tr;
      if (tr.achieved < rate * 0.97) {
        senderLimited = true;
        break;
      }
      if (bad !== undefined || rate >= MAX_RATE) break;
      rate = round(Math.min(MAX_RATE, rate * 1.5));
    } else {
      bad = tr;
      if (good !== undefined) break;
      if (rate <= 1000) break;
      rate = round(rate / 2);
    }
  }
  // Bisect to within 5%.
  while (
    good !== undefined &&
    bad !== undefined &&
    !senderLimited &&
    bad.rate - good.rate > good.rate * 0.05
  ) {
    const mid = round((good.rate + bad.rate) / 2);
    if (mid === good.rate || mid === bad.rate) break;
    const tr = await trial(t, sender, mid, SECONDS);
    if (tr.ok) good = tr;
    else bad = tr;
  }
  // Confirm with a step twice as long, stepping down by 10% until one holds.
  let confirmed: Trial | undefined;
  for (let candidate = good?.rate ?? 0, i = 0; candidate >= 1000 && i < 8; i++) {
    const tr = await trial(t, sender, candidate, SECONDS * 2);
    if (tr.ok) {
      confirmed = tr;
      break;
    }
    bad = tr;
    candidate = round(candidate * 0.9);
  }
  return { best: confirmed?.rate ?? 0, bestTrial: confirmed, firstLossy: bad, senderLimited };
}

// --- in-process cost of collector.receive() --------------------------------------------------

async function receiveCost(flows: string[], withApps = false): Promise<number> {
  const flags = {
    'sflow.port': '-1',
    'ipfix.port': '-1',
    'netflow.port': '-1',
    'http.port': '0',
    'http.host': '127.0.0.1',
    'state.dir': mkdtempSync(path.join(os.tmpdir(), 'flowlens-bench-')),
  };
  // Only the flows asked for, unless withApps: then also the ai-metrics app's, as `flowlens run` has them.
  const c = await startCollector(loadConfig({ flags }), {
    version: 'bench',
    ...(withApps ? {} : { aiMetrics: false as const }),
  });
  for (const f of flows) c.engine.setFlow(f, FLOWS[f]);
  const pool = basicPool(8192);
  const views = Array.from(pool.offsets, (o, i) => pool.buffer.subarray(o, o + pool.lengths[i]));
  const seq = new Uint32Array(pool.agents).fill(1);
  const run = (ms: number) => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      for (let i = 0; i < views.length; i++) {
        const a = pool.agent[i];
        views[i].writeUInt32BE(seq[a], pool.sequenceOffset);
        seq[a] = (seq[a] + 1) >>> 0;
        c.receive(views[i], '192.0.2.1', 6343);
      }
      n += views.length;
    }
    return ((performance.now() - t0) * 1000) / n;
  };
  run(1000);
  const us = run(SECONDS * 1000);
  await c.stop();
  rmSync(flags['state.dir'], { recursive: true, force: true });
  return us;
}

// --- RSS with 100,000 active flows -------------------------------------------------------------

async function rssWithFlows(): Promise<string[]> {
  const f = await startFlowlens('recvmmsg');
  const pid = f.child.pid!;
  const sender = new Sender('distinct', 100_000);
  await sender.ready();
  try {
    await sleep(1000);
    const before = rssBytes(pid);
    // Every flow once per pass (14,286 datagrams); flowlens keeps up at this rate.
    const r = await sender.send(f.port, 10_000, 6);
    await sleep(1500);
    const metrics = await (await fetch(`${f.api}/metrics`)).text();
    const entries: Record<string, number> = {};
    for (const m of metrics.matchAll(/^flowlens_flow_entries\{flow="([^"]+)"\} (\d+)/gm))
      entries[m[1]] = Number(m[2]);
    const after = rssBytes(pid);
    const a = (await (await fetch(`${f.api}/analyzer/json`)).json()) as Analyzer;
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
    return [
      `Memory: \`flowlens run\` with the three flows, fed ${fmt(sender.info.datagrams)} datagrams holding 100,000 distinct IPv4 5-tuples (4 agents, 48 interfaces) at 10,000 datagrams/s for 6 s (${fmt(r.sent)} sent, ${fmt(a.sFlowDatagramsLost)} lost):`,
      `active flows ${Object.entries(entries)
        .filter(([k, v]) => v > 0 || k in FLOWS)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}; RSS ${mb(before.rss)} before, ${mb(after.rss)} with them (peak ${mb(after.hwm)}).`,
    ];
  } finally {
    await sender.stop();
    await stopChild(f.child, 'SIGINT');
    rmSync(f.stateDir, { recursive: true, force: true });
  }
}

// --- main --------------------------------------------------------------------------------------

interface Row {
  target: Target;
  port?: number;
  result?: SearchResult;
  skipped?: string;
  note?: string;
}

async function main(): Promise<void> {
  try {
    // The orchestrator (and the pmacct client it runs) stays off the collector's core.
    execFileSync('taskset', ['-a', '-p', '-c', SENDER_CORE, String(process.pid)], { stdio: 'ignore' });
  } catch {
    throw new Error('taskset is needed (util-linux)');
  }
  if (os.cpus().length < 2) throw new Error('needs two cores: one for the sender, one for the collector');
  const rmemNote = raiseRmem();
  log(rmemNote);
  const targets: Target[] = [
    sinkTarget('dgram', 'Node dgram, count only', "one 'message' event per datagram"),
    sinkTarget('addon', 'recvmmsg addon, count only', 'one callback per batch of up to 128'),
    sinkTarget(
      'listen',
      'listenUdp (recvmmsg), per-datagram handler',
      'payload view + source address per datagram',
    ),
    flowlensTarget('recvmmsg'),
    flowlensTarget('dgram'),
    sfacctdTarget(),
    sfcapdTarget(),
  ].filter((t) => ONLY === undefined || ONLY.includes(t.key));

  const sender = new Sender('basic', 8192);
  await sender.ready();
  log(
    `stream: ${fmt(sender.info.datagrams)} datagrams, ${sender.info.averageBytes.toFixed(0)} bytes on average`,
  );
  const rows: Row[] = [];
  for (const target of targets) {
    const why = target.available();
    if (why !== undefined) {
      log(`${target.label}: skipped, ${why}`);
      rows.push({ target, skipped: why });
      continue;
    }
    log(`${target.label}:`);
    const t = await target.start();
    try {
      if (target.warmup) {
        log('  warm-up');
        await trial(t, sender, 5000, 2);
      }
      const result = await search(t, sender);
      const note = await t.stop();
      if (note !== undefined) log(`  ${note}`);
      rows.push({ target, port: t.port, result, ...(note !== undefined ? { note } : {}) });
    } catch (err) {
      await t.stop().catch(() => undefined);
      log(`  failed: ${(err as Error).message}`);
      rows.push({ target, skipped: `failed: ${(err as Error).message}` });
    }
  }
  await sender.stop();

  const inproc: string[] = [];
  if (INPROC && (ONLY === undefined || ONLY.includes('flowlens'))) {
    log('collector.receive() in process:');
    const none = await receiveCost([]);
    const all = await receiveCost(Object.keys(FLOWS));
    const each: string[] = [];
    for (const f of Object.keys(FLOWS)) each.push(`${f} +${((await receiveCost([f])) - none).toFixed(1)}`);
    const apps = await receiveCost(Object.keys(FLOWS), true);
    inproc.push(
      `In process (no sockets; \`collector.receive()\` in a loop on one core): decode, agents and counters ${none.toFixed(1)} µs per datagram; with the three flows ${all.toFixed(1)} µs (alone: ${each.join(', ')} µs); with the three flows and the ai-metrics app (on by default, \`apps.aiMetrics\`) ${apps.toFixed(1)} µs.`,
    );
    log(`  ${inproc[0]}`);
  }
  let rss: string[] = [];
  if (RSS && (ONLY === undefined || ONLY.includes('flowlens')) && loadRecvmmsg().addon !== undefined) {
    log('RSS with 100,000 flows:');
    rss = await rssWithFlows();
    log(`  ${rss.join(' ')}`);
  }
  restoreRmem();

  const byKey = new Map(rows.filter((r) => r.result !== undefined).map((r) => [r.target.key, r.result!]));
  const lines = [
    `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Linux ${os.release()}, Node ${process.version}.`,
    `Sender on core ${SENDER_CORE} (sendmmsg, paced), collector under test on core ${COLLECTOR_CORE} (taskset${NICE !== 0 ? `, both at nice ${NICE}` : ''}); ${fmt(sender.info.datagrams)}-datagram pool, ${sender.info.averageBytes.toFixed(0)} bytes and 7 samples per datagram, 4 agents; ${SECONDS} s steps, the best rate confirmed over ${SECONDS * 2} s; receive buffer ${RCVBUF} bytes asked by every collector (${rmemNote}).`,
    '',
    '| collector | zero-loss rate (datagrams/s) | µs per datagram (1/rate) | CPU µs per datagram at that rate | first lossy step | setup |',
    '|---|---:|---:|---:|---|---|',
  ];
  for (const r of rows) {
    if (r.result === undefined) {
      lines.push(`| ${r.target.label} | — | — | — | ${r.skipped} | ${r.target.config} |`);
      continue;
    }
    const s = r.result;
    const lossy = s.firstLossy;
    const lossText =
      lossy === undefined
        ? s.senderLimited
          ? 'none (sender limit)'
          : 'none'
        : `${fmt(lossy.rate)}/s: ${[
            lossy.drops > 0 ? `${fmt(lossy.drops)} kernel drops` : '',
            lossy.drops === 0 && lossy.backlog > BACKLOG_LIMIT
              ? `falling behind (${(lossy.backlog / 2 ** 20).toFixed(0)} MiB queued at the end)`
              : '',
            (lossy.gaps ?? 0) > 0 ? `${fmt(lossy.gaps!)} sequence gaps` : '',
            (lossy.appLoss ?? 0) > 0 ? `${fmt(lossy.appLoss!)} "Missing data"` : '',
            (lossy.flowSampleGap ?? 0) > 0 && lossy.drops === 0
              ? `${fmt(lossy.flowSampleGap!)} flow samples not accounted`
              : '',
          ]
            .filter((x) => x !== '')
            .join(', ')}`;
    const best =
      s.best > 0 ? `${s.senderLimited || lossy === undefined ? '≥ ' : ''}${fmt(s.best)}` : '< 1,000';
    const tl = r.port === undefined ? undefined : tallies.get(r.port);
    const share = tl !== undefined && tl.seconds > 0 ? tl.foreign / tl.seconds : 0;
    const disturbed =
      share > 0.02
        ? `; waited for core ${COLLECTOR_CORE} (other processes) ${(share * 100).toFixed(0)}% of its steps`
        : '';
    lines.push(
      `| ${r.target.label} | ${best} | ${s.best > 0 ? (1e6 / s.best).toFixed(2) : '—'} | ${s.bestTrial?.cpuUsPerDatagram.toFixed(2) ?? '—'} | ${lossText} | ${r.target.config}${r.note !== undefined ? `; ${r.note}` : ''}${disturbed} |`,
    );
  }
  const ratio = (a: string, b: string) => {
    const x = byKey.get(a)?.best;
    const y = byKey.get(b)?.best;
    return x !== undefined && y !== undefined && y > 0 ? `${(x / y).toFixed(2)}x` : 'n/a';
  };
  const fl = byKey.get('flowlens')?.best;
  const bare = byKey.get('addon')?.best ?? byKey.get('listen')?.best;
  lines.push('');
  lines.push(
    `Ratios: flowlens/sfacctd ${ratio('flowlens', 'sfacctd')} (goal ≥ 2x), flowlens/sfcapd ${ratio('flowlens', 'sfcapd')} (goal ≥ 0.9x), flowlens/bare dgram ${ratio('flowlens', 'dgram')}, flowlens/bare addon ${ratio('flowlens', 'addon')}, flowlens recvmmsg/dgram ${ratio('flowlens', 'flowlens-dgram')}.`,
  );
  if (fl !== undefined && fl > 0 && bare !== undefined && bare > 0)
    lines.push(
      `Decoding and analytics on top of bare receive (1/rate): ${(1e6 / fl - 1e6 / bare).toFixed(2)} µs per datagram (goal ≤ 4 µs).`,
    );
  lines.push(...inproc.map((l) => `${l}`));
  if (rss.length > 0) lines.push('', ...rss);
  process.stdout.write(`\n${lines.join('\n')}\n`);

  if (WRITE) {
    const file = path.join(root, 'docs', 'benchmarks.md');
    const text = readFileSync(file, 'utf8');
    const begin = '<!-- ingest-bench:begin -->';
    const end = '<!-- ingest-bench:end -->';
    const block = `${begin}\nMeasured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:ingest -- --write\`.\n\n${lines.join('\n')}\n${end}`;
    const i = text.indexOf(begin);
    const j = text.indexOf(end);
    writeFileSync(
      file,
      i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text}\n${block}\n`,
    );
    process.stdout.write(`wrote ${file}\n`);
  }
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (err: unknown) => {
    log(`bench:ingest: ${(err as Error).message}`);
    cleanup();
    process.exit(1);
  },
);
