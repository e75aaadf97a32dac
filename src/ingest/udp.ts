/**
 * UDP listeners for telemetry. Receiving only hands each datagram on, so a
 * slow consumer never holds up the socket; what the kernel itself drops
 * (receive buffer overflow) is read from /proc, because the socket API never
 * reports it.
 *
 * Two ways in, the same handler:
 *
 * - `recvmmsg` (the native/recvmmsg addon, Linux): the socket is drained in
 *   batches of up to 128 datagrams per system call into one preallocated
 *   buffer, with one call from native code into JavaScript per batch. The
 *   payload passed to the handler is a view into that shared buffer: it is
 *   only valid until the handler returns (copy it, e.g. `Buffer.from(p)`, to
 *   keep it). The collector decodes synchronously, so it never keeps one.
 * - `dgram` (Node's own sockets): one callback per datagram, each payload its
 *   own Buffer. Used when the addon is not built, or when asked for.
 *
 * `mode` in the options, else FLOWLENS_UDP=dgram|recvmmsg, else `auto`
 * (recvmmsg when the addon loads).
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { formatIPv4, formatIPv6 } from '../common/addr.js';
import { loadRecvmmsg, METADATA_WORDS, type RecvmmsgSocket, type RecvmmsgStats } from './recvmmsg.js';

/**
 * Called once per datagram, with its source address (IPv4 senders on a
 * dual-stack socket as a.b.c.d) and port. With recvmmsg, `payload` is a view
 * into a buffer that the next batch overwrites: use it before returning, or
 * copy it.
 */
export type DatagramHandler = (payload: Buffer, address: string, port: number, localPort: number) => void;

export type UdpMode = 'recvmmsg' | 'dgram';

export interface UdpListenerOptions {
  port: number;
  /** Address to bind; '::' receives IPv4 and IPv6. */
  host: string;
  /** Bytes of kernel receive buffer asked for. */
  receiveBuffer: number;
  /** How to receive; default: FLOWLENS_UDP, else 'auto' (recvmmsg when the addon is built). */
  mode?: UdpMode | 'auto';
  /** recvmmsg: datagrams per system call (1-1024, default 128). */
  batch?: number;
  /** recvmmsg only: share the port with other sockets (SO_REUSEPORT), e.g. one per process. */
  reusePort?: boolean;
  /** Socket errors (rare for UDP); they never stop the listener. */
  onError?: (err: Error) => void;
}

/** The addon's counters that both receive paths keep (wakes: recvmmsg only). */
export interface UdpListenerStats
  extends Pick<RecvmmsgStats, 'datagrams' | 'bytes' | 'wakes' | 'truncated' | 'errors'> {
  mode: UdpMode;
  /** Handler rounds: batches for recvmmsg, datagrams for dgram. */
  batches: number;
}

export interface UdpListener {
  readonly port: number;
  /** Receive buffer the kernel granted (Linux reports twice the usable size). */
  readonly receiveBuffer: number;
  readonly requestedBuffer: number;
  /** How datagrams are received. */
  readonly mode: UdpMode;
  /** Why `auto` fell back to dgram, when it did. */
  readonly fallbackReason: string | undefined;
  datagrams: number;
  bytes: number;
  /** Datagrams the kernel dropped at this listener's socket (/proc/net/udp). */
  kernelDrops(): number;
  stats(): UdpListenerStats;
  close(): Promise<void>;
}

/** The mode FLOWLENS_UDP asks for; throws on a value that is neither. */
export function udpModeFromEnv(env: NodeJS.ProcessEnv = process.env): UdpMode | 'auto' {
  const v = (env.FLOWLENS_UDP ?? '').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'dgram' || v === 'recvmmsg') return v;
  throw new Error(`FLOWLENS_UDP must be 'dgram', 'recvmmsg' or 'auto', got '${env.FLOWLENS_UDP}'`);
}

export async function listenUdp(
  options: UdpListenerOptions,
  onDatagram: DatagramHandler,
): Promise<UdpListener> {
  const wanted = options.mode ?? udpModeFromEnv();
  if (wanted !== 'dgram') {
    const loaded = loadRecvmmsg();
    if (loaded.addon !== undefined) return listenBatched(options, onDatagram);
    if (wanted === 'recvmmsg')
      throw new Error(`UDP receive with recvmmsg is not available: ${loaded.reason}`);
    return listenDgram(options, onDatagram, loaded.reason);
  }
  return listenDgram(options, onDatagram, undefined);
}

/** Names resolve as dgram resolves them: IPv4 unless the host is written as IPv6. */
async function numericHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  return (await lookup(host, { family: 4 })).address;
}

// IPv6 sources repeat (a few exporters): a small direct-mapped cache of their text.
const V6_SLOTS = 64;
const v6Keys = new Uint32Array(V6_SLOTS * 4);
const v6Text: (string | undefined)[] = new Array<string | undefined>(V6_SLOTS).fill(undefined);

function ipv6Text(m8: Uint8Array, m32: Uint32Array, w: number): string {
  const a = m32[w + 4];
  const b = m32[w + 5];
  const c = m32[w + 6];
  const d = m32[w + 7];
  const slot = Math.imul(a ^ b ^ c ^ d, 0x9e3779b1) >>> 26;
  const k = slot * 4;
  const hit = v6Text[slot];
  if (
    hit !== undefined &&
    v6Keys[k] === a &&
    v6Keys[k + 1] === b &&
    v6Keys[k + 2] === c &&
    v6Keys[k + 3] === d
  )
    return hit;
  const text = formatIPv6(m8, w * 4 + 16);
  v6Keys[k] = a;
  v6Keys[k + 1] = b;
  v6Keys[k + 2] = c;
  v6Keys[k + 3] = d;
  v6Text[slot] = text;
  return text;
}

async function listenBatched(options: UdpListenerOptions, onDatagram: DatagramHandler): Promise<UdpListener> {
  const addon = loadRecvmmsg().addon!;
  const host = await numericHost(options.host);
  let socket: RecvmmsgSocket | undefined;
  let data = Buffer.alloc(0);
  let m32 = new Uint32Array(0);
  let m8 = new Uint8Array(0);
  let localPort = 0;
  let closed = false;

  const listener: UdpListener = {
    port: 0,
    receiveBuffer: 0,
    requestedBuffer: options.receiveBuffer,
    mode: 'recvmmsg',
    fallbackReason: undefined,
    datagrams: 0,
    bytes: 0,
    kernelDrops: () => (socket === undefined ? 0 : kernelDrops(socket.port, socket.inode)),
    stats: () => {
      const s = socket?.stats();
      return {
        mode: 'recvmmsg',
        datagrams: listener.datagrams,
        bytes: listener.bytes,
        batches: s?.batches ?? 0,
        wakes: s?.wakes ?? 0,
        truncated: s?.truncated ?? 0,
        errors: s?.errors ?? 0,
      };
    },
    close: async () => {
      if (!closed) {
        closed = true;
        socket?.close();
      }
    },
  };

  // One call per batch. Every datagram of the batch is delivered even if a
  // handler throws; the first exception is rethrown afterwards, so it reaches
  // 'uncaughtException' as it would from a dgram 'message' handler.
  const onBatch = (count: number) => {
    let failure: unknown;
    let failed = false;
    for (let i = 0; i < count && !closed; i++) {
      const w = i * METADATA_WORDS;
      const offset = m32[w];
      const length = m32[w + 1];
      const port = m32[w + 2];
      const family = m32[w + 3];
      const address = (family & 0xff) === 4 ? formatIPv4(m8, w * 4 + 16) : ipv6Text(m8, m32, w);
      listener.datagrams++;
      listener.bytes += length;
      try {
        onDatagram(data.subarray(offset, offset + length), address, port, localPort);
      } catch (err) {
        if (!failed) {
          failed = true;
          failure = err;
        }
      }
    }
    if (failed) throw failure;
  };
  const onError = (err: NodeJS.ErrnoException) => options.onError?.(err);

  const batch = options.batch ?? 128;
  socket = addon.open(
    {
      host,
      port: options.port,
      receiveBuffer: options.receiveBuffer,
      batch,
      // Four batches per wake, then timers and the HTTP API get their turn.
      budget: batch * 4,
      reusePort: options.reusePort === true,
    },
    onBatch,
    onError,
  );
  data = Buffer.from(socket.data);
  m32 = new Uint32Array(socket.meta);
  m8 = new Uint8Array(socket.meta);
  localPort = socket.port;
  Object.assign(listener, { port: socket.port, receiveBuffer: socket.receiveBuffer });
  return listener;
}

async function listenDgram(
  options: UdpListenerOptions,
  onDatagram: DatagramHandler,
  fallbackReason: string | undefined,
): Promise<UdpListener> {
  const v6 = options.host.includes(':');
  const socket = dgram.createSocket({
    type: v6 ? 'udp6' : 'udp4',
    ipv6Only: false,
    recvBufferSize: options.receiveBuffer,
  });
  let closed = false;
  let errors = 0;
  const listener: UdpListener = {
    port: 0,
    receiveBuffer: 0,
    requestedBuffer: options.receiveBuffer,
    mode: 'dgram',
    fallbackReason,
    datagrams: 0,
    bytes: 0,
    kernelDrops: () => kernelDrops(listener.port),
    stats: () => ({
      mode: 'dgram',
      datagrams: listener.datagrams,
      bytes: listener.bytes,
      batches: listener.datagrams,
      wakes: 0,
      truncated: 0,
      errors,
    }),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: options.port, address: options.host }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  Object.assign(listener, { port: socket.address().port, receiveBuffer: socket.getRecvBufferSize() });
  socket.on('message', (msg, rinfo) => {
    listener.datagrams++;
    listener.bytes += msg.length;
    // IPv4 senders on a dual-stack socket appear as ::ffff:a.b.c.d; report them as IPv4.
    const address = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
    onDatagram(msg, address, rinfo.port, listener.port);
  });
  // A socket error (rare for UDP) must not take the process down; it is reported by the caller's logging.
  socket.on('error', (err) => {
    errors++;
    options.onError?.(err);
  });
  return listener;
}

/** net.core.rmem_max: the largest receive buffer an unprivileged request can get. */
export function rmemMax(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** One socket's line of /proc/net/udp or udp6. */
export interface ProcUdpSocket {
  localPort: number;
  /** Bytes waiting in the receive queue. */
  rxQueue: number;
  inode: number;
  drops: number;
}

/** The UDP sockets of /proc/net/udp and /proc/net/udp6 (this network namespace). */
export function procUdpSockets(): ProcUdpSocket[] {
  const out: ProcUdpSocket[] = [];
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13) continue;
      const local = cols[1];
      const queues = cols[4];
      out.push({
        localPort: Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16),
        rxQueue: Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16) || 0,
        inode: Number(cols[9]) || 0,
        drops: Number(cols[cols.length - 1]) || 0,
      });
    }
  }
  return out;
}

/**
 * Datagrams the kernel dropped at sockets bound to `port` (the `drops`
 * column of /proc/net/udp and udp6), summed over both families; only the
 * socket with that inode when `inode` is given.
 */
export function kernelDrops(port: number, inode?: number): number {
  let drops = 0;
  for (const s of procUdpSockets()) {
    if (s.localPort === port && (inode === undefined || s.inode === inode)) drops += s.drops;
  }
  return drops;
}
