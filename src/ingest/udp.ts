/**
 * UDP listeners for telemetry. Receiving only copies the datagram out and
 * hands it on, so a slow consumer never holds up the socket; what the kernel
 * itself drops (receive buffer overflow) is read from /proc, because the
 * socket API never reports it.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

export type DatagramHandler = (payload: Buffer, address: string, port: number, localPort: number) => void;

export interface UdpListenerOptions {
  port: number;
  /** Address to bind; '::' receives IPv4 and IPv6. */
  host: string;
  /** Bytes of kernel receive buffer asked for. */
  receiveBuffer: number;
}

export interface UdpListener {
  readonly port: number;
  /** Receive buffer the kernel granted (Linux reports twice the usable size). */
  readonly receiveBuffer: number;
  readonly requestedBuffer: number;
  datagrams: number;
  bytes: number;
  close(): Promise<void>;
}

export async function listenUdp(
  options: UdpListenerOptions,
  onDatagram: DatagramHandler,
): Promise<UdpListener> {
  const v6 = options.host.includes(':');
  const socket = dgram.createSocket({
    type: v6 ? 'udp6' : 'udp4',
    ipv6Only: false,
    recvBufferSize: options.receiveBuffer,
  });
  const listener = {
    port: 0,
    receiveBuffer: 0,
    requestedBuffer: options.receiveBuffer,
    datagrams: 0,
    bytes: 0,
    close: () =>
      new Promise<void>((resolve) => {
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
  listener.port = socket.address().port;
  listener.receiveBuffer = socket.getRecvBufferSize();
  socket.on('message', (msg, rinfo) => {
    listener.datagrams++;
    listener.bytes += msg.length;
    // IPv4 senders on a dual-stack socket appear as ::ffff:a.b.c.d; report them as IPv4.
    const address = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
    onDatagram(msg, address, rinfo.port, listener.port);
  });
  // A socket error (rare for UDP) must not take the process down; it is reported by the caller's logging.
  socket.on('error', () => {});
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

/**
 * Datagrams the kernel dropped at sockets bound to `port` (the `drops`
 * column of /proc/net/udp and udp6), summed over both families.
 */
export function kernelDrops(port: number): number {
  let drops = 0;
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
      const localPort = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      if (localPort === port) drops += Number(cols[cols.length - 1]) || 0;
    }
  }
  return drops;
}
