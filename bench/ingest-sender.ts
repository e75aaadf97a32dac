/**
 * The ingest benchmark's sender: a separate process (pinned to its own core
 * by the orchestrator) that sends a pre-generated sFlow pool at a fixed rate
 * with sendmmsg (the recvmmsg addon's sender; Node dgram when the addon is
 * not built), rewriting every datagram's sequence number so each agent's
 * sequence runs on without repeats from one run to the next.
 *
 *   node dist/bench/ingest-sender.js basic|distinct [POOL_SIZE]
 *
 * Reads one JSON command per line on stdin, {host, port, rate, seconds}, and
 * answers each with one JSON line: {sent, flowSamples, seconds, rate}. The
 * pacing loop spins: the sender owns its core.
 */
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { loadRecvmmsg, type RecvmmsgSender } from '../src/ingest/recvmmsg.js';
import { basicPool, distinctFlowsPool, type Pool } from './ingest-stream.js';

export interface SendCommand {
  host: string;
  port: number;
  /** Datagrams per second. */
  rate: number;
  seconds: number;
}

export interface SendResult {
  sent: number;
  flowSamples: number;
  seconds: number;
  /** Achieved datagrams per second. */
  rate: number;
  via: 'sendmmsg' | 'dgram';
}

const MAX_BURST = 32;

class PoolSender {
  private cursor = 0;
  private readonly seq: Uint32Array;
  private readonly senders = new Map<string, RecvmmsgSender>();
  private readonly sockets = new Map<string, dgram.Socket>();

  constructor(private readonly pool: Pool) {
    this.seq = new Uint32Array(pool.agents).fill(1);
  }

  /** Datagrams [cursor, cursor + n) of the pool, n not crossing its end, with fresh sequence numbers. */
  private prepare(n: number): number {
    const p = this.pool;
    let flows = 0;
    for (let j = this.cursor; j < this.cursor + n; j++) {
      const a = p.agent[j];
      p.buffer.writeUInt32BE(this.seq[a], p.offsets[j] + p.sequenceOffset);
      this.seq[a] = (this.seq[a] + 1) >>> 0;
      flows += p.flowSamples[j];
    }
    return flows;
  }

  async run(cmd: SendCommand): Promise<SendResult> {
    const p = this.pool;
    const size = p.offsets.length;
    const total = Math.round(cmd.rate * cmd.seconds);
    const addon = loadRecvmmsg().addon;
    let sender: RecvmmsgSender | undefined;
    let socket: dgram.Socket | undefined;
    const key = `${cmd.host}|${cmd.port}`;
    if (addon !== undefined) {
      sender = this.senders.get(key);
      if (sender === undefined) {
        sender = addon.openSender({ host: cmd.host, port: cmd.port, sendBuffer: 4 << 20 });
        this.senders.set(key, sender);
      }
    } else {
      socket = this.sockets.get(key);
      if (socket === undefined) {
        const s = dgram.createSocket(cmd.host.includes(':') ? 'udp6' : 'udp4');
        s.on('error', () => {});
        await new Promise<void>((resolve) => s.connect(cmd.port, cmd.host, () => resolve()));
        this.sockets.set(key, s);
        socket = s;
      }
    }
    let sent = 0;
    let flowSamples = 0;
    const perMs = cmd.rate / 1000;
    const start = performance.now();
    while (sent < total) {
      const due = Math.min(total, Math.floor((performance.now() - start) * perMs));
      let n = due - sent;
      if (n <= 0) continue;
      if (n > MAX_BURST) n = MAX_BURST;
      if (n > size - this.cursor) n = size - this.cursor;
      flowSamples += this.prepare(n);
      if (sender !== undefined) {
        const c = this.cursor;
        sender.send(p.buffer, p.offsets.subarray(c, c + n), p.lengths.subarray(c, c + n), n);
      } else if (socket !== undefined) {
        for (let j = this.cursor; j < this.cursor + n; j++)
          socket.send(p.buffer.subarray(p.offsets[j], p.offsets[j] + p.lengths[j]));
        if ((sent & 1023) < n) await new Promise((r) => setImmediate(r));
      }
      sent += n;
      this.cursor = (this.cursor + n) % size;
    }
    const seconds = (performance.now() - start) / 1000;
    return {
      sent,
      flowSamples,
      seconds,
      rate: sent / seconds,
      via: sender !== undefined ? 'sendmmsg' : 'dgram',
    };
  }

  close(): void {
    for (const s of this.senders.values()) s.close();
    for (const s of this.sockets.values()) s.close();
  }
}

async function main(): Promise<void> {
  const kind = process.argv[2] ?? 'basic';
  const size = Number(process.argv[3] ?? 8192);
  const pool = kind === 'distinct' ? distinctFlowsPool(size) : basicPool(size);
  const sender = new PoolSender(pool);
  process.stdout.write(
    `${JSON.stringify({ ready: true, datagrams: pool.offsets.length, averageBytes: pool.averageBytes })}\n`,
  );
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    try {
      const result = await sender.run(JSON.parse(line) as SendCommand);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (err) {
      process.stdout.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
    }
  }
  sender.close();
}

void main();
