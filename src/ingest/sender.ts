/**
 * Paced UDP sending, for `flowlens replay` and `flowlens simulate`: datagrams
 * go out at a fixed rate, or at the spacing of their capture timestamps
 * scaled by a speed factor, from one socket in small bursts per timer tick.
 */
import dgram from 'node:dgram';

export interface Target {
  host: string;
  port: number;
}

/** Parses "host:port", "[v6]:port" or ":port" (localhost). */
export function parseTarget(text: string): Target {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text);
  if (m === null) throw new Error(`--to must be HOST:PORT or [IPv6]:PORT, got '${text}'`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`--to port must be 1-65535, got ${port}`);
  return { host: m[1] === '' ? '127.0.0.1' : m[1], port };
}

export interface SendStats {
  sent: number;
  bytes: number;
  errors: number;
  seconds: number;
}

export interface PacedSource {
  /** The next datagram and, for timestamp pacing, its capture time in ms; undefined at the end. */
  next(): { payload: Buffer; timeMs?: number } | undefined;
}

export interface PaceOptions {
  /** Datagrams per second; when absent, capture timestamps are followed (scaled by speed). */
  rate?: number;
  speed?: number;
  /** Stop after this many seconds (0 = when the source ends). */
  seconds?: number;
  signal?: AbortSignal;
}

export async function sendPaced(
  target: Target,
  source: PacedSource,
  options: PaceOptions,
): Promise<SendStats> {
  const socket = dgram.createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => {});
  const stats: SendStats = { sent: 0, bytes: 0, errors: 0, seconds: 0 };
  const start = performance.now();
  const speed = options.speed ?? 1;
  let firstCapture: number | undefined;
  let pending: { payload: Buffer; timeMs?: number } | undefined = source.next();
  const send = (payload: Buffer) => {
    stats.sent++;
    stats.bytes += payload.length;
    socket.send(payload, target.port, target.host, (err) => {
      if (err) stats.errors++;
    });
  };
  while (pending !== undefined) {
    if (options.signal?.aborted) break;
    const elapsed = performance.now() - start;
    if (options.seconds !== undefined && options.seconds > 0 && elapsed >= options.seconds * 1000) break;
    // Everything due by now goes out in this burst.
    let burst = 0;
    while (pending !== undefined && burst < 10_000) {
      let due: number;
      if (options.rate !== undefined) due = (stats.sent / options.rate) * 1000;
      else {
        const t = pending.timeMs ?? 0;
        firstCapture ??= t;
        due = Math.max(0, (t - firstCapture) / speed);
      }
      if (due > elapsed) break;
      send(pending.payload);
      burst++;
      pending = source.next();
    }
    // Let the socket drain and the clock move; 1 ms granularity is plenty for bursts.
    await new Promise((r) => setImmediate(r));
    if (burst === 0) await new Promise((r) => setTimeout(r, 1));
  }
  // Let queued sends complete before closing.
  await new Promise((r) => setTimeout(r, 50));
  socket.close();
  stats.seconds = (performance.now() - start) / 1000;
  return stats;
}
