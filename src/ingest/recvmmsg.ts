/**
 * Loader and types of the optional recvmmsg addon (native/recvmmsg): batched
 * UDP receive into a buffer shared with JavaScript, and a sendmmsg sender for
 * benchmarks. The addon is built by `npm install` when a compiler is there;
 * when it is not, `loadRecvmmsg()` says why and callers fall back to dgram.
 *
 *   FLOWLENS_RECVMMSG_ADDON=/path/to/recvmmsg.node   load this file instead
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RecvmmsgOpenOptions {
  /** Numeric IPv4 or IPv6 address; '::' receives IPv4 and IPv6. */
  host: string;
  port: number;
  /** Bytes of kernel receive buffer asked for (0 = the system default). */
  receiveBuffer?: number;
  /** Datagrams per recvmmsg call, 1-1024 (default 64). */
  batch?: number;
  /** Largest datagram kept whole; longer ones are truncated and counted (default 65535). */
  maxDatagram?: number;
  /** Datagrams taken per wake of the event loop before other work gets a turn (default 16 batches). */
  budget?: number;
  reusePort?: boolean;
}

export interface RecvmmsgStats {
  datagrams: number;
  bytes: number;
  /** recvmmsg calls that returned datagrams (= calls of onBatch). */
  batches: number;
  /** Times the event loop found the socket readable. */
  wakes: number;
  truncated: number;
  errors: number;
  lastErrno: number;
  /** The kernel's drop counter of this socket as last reported with a datagram (SO_RXQ_OVFL); -1 if unsupported. */
  drops: number;
}

/**
 * A bound socket. After each onBatch(count) call, slot i < count of `meta`
 * (METADATA_WORDS 32-bit words per slot) holds: offset into `data`, length,
 * source port, family (4 or 6, | flagTruncated), then 16 address bytes.
 */
export interface RecvmmsgSocket {
  readonly port: number;
  /** Receive buffer the kernel granted (Linux reports twice the usable size). */
  readonly receiveBuffer: number;
  /** Inode of the socket, as in /proc/net/udp. */
  readonly inode: number;
  readonly family: 4 | 6;
  readonly batch: number;
  readonly stride: number;
  readonly maxDatagram: number;
  readonly data: ArrayBuffer;
  readonly meta: ArrayBuffer;
  stats(): RecvmmsgStats;
  /** Closes the socket at once (the port is free on return). */
  close(): void;
}

export interface RecvmmsgSender {
  /** Sends `count` datagrams (buffer[offsets[i], +lengths[i]]) with sendmmsg; returns how many went out. */
  send(buffer: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  close(): void;
}

export interface RecvmmsgAddon {
  open(
    options: RecvmmsgOpenOptions,
    onBatch: (count: number) => void,
    onError: (err: NodeJS.ErrnoException) => void,
  ): RecvmmsgSocket;
  openSender(options: { host: string; port: number; sendBuffer?: number }): RecvmmsgSender;
  readonly metaBytes: number;
  readonly flagTruncated: number;
}

export const METADATA_WORDS = 8;

export type RecvmmsgLoad = { addon: RecvmmsgAddon; file: string } | { addon: undefined; reason: string };

let cached: RecvmmsgLoad | undefined;

/** Where the built addon is looked for: native/recvmmsg/build/Release under the package root. */
export function recvmmsgAddonPath(): string {
  const override = process.env.FLOWLENS_RECVMMSG_ADDON;
  if (override !== undefined && override !== '') return path.resolve(override);
  // This module is src/ingest/recvmmsg.ts, or dist/src/ingest/recvmmsg.js once built.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'native', 'recvmmsg', 'build', 'Release', 'recvmmsg.node');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve(
    fileURLToPath(import.meta.url),
    '../../../../native/recvmmsg/build/Release/recvmmsg.node',
  );
}

/** Loads the addon once; never throws. */
export function loadRecvmmsg(): RecvmmsgLoad {
  if (cached !== undefined) return cached;
  const file = recvmmsgAddonPath();
  if (process.platform !== 'linux') {
    cached = { addon: undefined, reason: `recvmmsg is Linux only (this is ${process.platform})` };
  } else if (!existsSync(file)) {
    cached = {
      addon: undefined,
      reason: `addon not built (${file} missing; npm install builds it, or: npm run build:native)`,
    };
  } else {
    try {
      const addon = createRequire(import.meta.url)(file) as RecvmmsgAddon;
      if (typeof addon.open !== 'function' || addon.metaBytes !== METADATA_WORDS * 4)
        cached = { addon: undefined, reason: `${file} is not a compatible recvmmsg addon` };
      else cached = { addon, file };
    } catch (err) {
      cached = { addon: undefined, reason: `cannot load ${file}: ${(err as Error).message}` };
    }
  }
  return cached;
}

/** Forgets the loaded addon (tests that change FLOWLENS_RECVMMSG_ADDON). */
export function resetRecvmmsgForTests(): void {
  cached = undefined;
}
