/**
 * What `flowlens doctor` reads from /proc: the kernel's UDP counters
 * (/proc/net/snmp, /proc/net/snmp6), UDP sockets (/proc/net/udp, udp6),
 * which process owns a socket (/proc/<pid>/fd), sysctls and the default
 * route's device. Everything under /proc/net is per network namespace: it
 * describes the namespace of the process that reads it.
 *
 * The parsers take text so they can be tested on fixtures; the readers take a
 * proc root ("/proc" unless testing).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatIPv4, formatIPv6 } from '../common/addr.js';

/** The UDP counters doctor reports, as named in /proc/net/snmp (Udp6 adds the "Udp6" prefix). */
export const UDP_COUNTERS = [
  'InDatagrams',
  'NoPorts',
  'InErrors',
  'RcvbufErrors',
  'InCsumErrors',
  'MemErrors',
] as const;
export type UdpCounterName = (typeof UDP_COUNTERS)[number];
export type UdpCounters = Record<UdpCounterName, number>;

export interface UdpCounterSnapshot {
  udp: UdpCounters;
  udp6: UdpCounters;
}

/** /proc/net/snmp: pairs of lines "Group: name name ..." / "Group: value value ...". */
export function parseSnmp(text: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = lines[i].split(/\s+/);
    const vals = lines[i + 1].split(/\s+/);
    const group = head[0].replace(/:$/, '');
    if (vals[0] !== head[0]) {
      i -= 1; // out of step: resynchronise on the next line
      continue;
    }
    const m = new Map<string, number>();
    for (let k = 1; k < head.length && k < vals.length; k++) m.set(head[k], Number(vals[k]));
    out.set(group, m);
  }
  return out;
}

/** /proc/net/snmp6: "Name value" per line. */
export function parseSnmp6(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name !== undefined && name !== '' && value !== undefined) out.set(name, Number(value));
  }
  return out;
}

function pick(get: (name: UdpCounterName) => number | undefined): UdpCounters {
  const out = {} as UdpCounters;
  for (const n of UDP_COUNTERS) out[n] = get(n) ?? 0;
  return out;
}

export function udpCounters(snmp: string, snmp6: string): UdpCounterSnapshot {
  const udp = parseSnmp(snmp).get('Udp');
  const udp6 = parseSnmp6(snmp6);
  return {
    udp: pick((n) => udp?.get(n)),
    udp6: pick((n) => udp6.get(`Udp6${n}`)),
  };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function readUdpCounters(procRoot = '/proc'): UdpCounterSnapshot {
  return udpCounters(readText(path.join(procRoot, 'net/snmp')), readText(path.join(procRoot, 'net/snmp6')));
}

export interface UdpSocket {
  family: 4 | 6;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** 7 (TCP_CLOSE) for an unconnected socket, 1 (ESTABLISHED) for a connected one. */
  state: number;
  txQueue: number;
  rxQueue: number;
  uid: number;
  inode: number;
  /** Datagrams this socket dropped (receive buffer full, socket filter, ...), since it was opened. */
  drops: number;
}

const LE = os.endianness() === 'LE';

/** /proc/net/udp{,6} print each 32-bit word of the address as a host-endian hex number. */
function procAddr(hex: string, family: 4 | 6, littleEndian: boolean): string {
  const bytes = new Uint8Array(hex.length / 2);
  for (let w = 0; w * 8 < hex.length; w++) {
    const v = Number.parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    const dv = new DataView(bytes.buffer, w * 4, 4);
    dv.setUint32(0, v, littleEndian);
  }
  return family === 4 ? formatIPv4(bytes, 0) : formatIPv6(bytes, 0);
}

export function parseProcNetUdp(text: string, family: 4 | 6, littleEndian = LE): UdpSocket[] {
  const out: UdpSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !f[0].endsWith(':')) continue;
    const [la, lp] = f[1].split(':');
    const [ra, rp] = f[2].split(':');
    const [tx, rx] = f[4].split(':');
    out.push({
      family,
      localAddress: procAddr(la, family, littleEndian),
      localPort: Number.parseInt(lp, 16),
      remoteAddress: procAddr(ra, family, littleEndian),
      remotePort: Number.parseInt(rp, 16),
      state: Number.parseInt(f[3], 16),
      txQueue: Number.parseInt(tx, 16),
      rxQueue: Number.parseInt(rx, 16),
      uid: Number(f[7]),
      inode: Number(f[9]),
      drops: f.length > 12 ? Number(f[12]) : 0,
    });
  }
  return out;
}

export function readUdpSockets(procRoot = '/proc'): UdpSocket[] {
  return [
    ...parseProcNetUdp(readText(path.join(procRoot, 'net/udp')), 4),
    ...parseProcNetUdp(readText(path.join(procRoot, 'net/udp6')), 6),
  ];
}

export interface SocketOwner {
  pid: number;
  comm: string;
}

/**
 * The processes holding each socket inode, from /proc/<pid>/fd links
 * ("socket:[inode]"). Without root only the caller's own processes can be
 * read: `complete` is false when some could not.
 */
export function socketOwners(
  inodes: ReadonlySet<number>,
  procRoot = '/proc',
): { owners: Map<number, SocketOwner[]>; complete: boolean } {
  const owners = new Map<number, SocketOwner[]>();
  let complete = true;
  if (inodes.size === 0) return { owners, complete };
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((d) => /^\d+$/.test(d));
  } catch {
    return { owners, complete: false };
  }
  for (const pid of pids) {
    const fdDir = path.join(procRoot, pid, 'fd');
    let fds: string[];
    try {
      fds = readdirSync(fdDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') complete = false;
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(path.join(fdDir, fd));
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m === null) continue;
      const inode = Number(m[1]);
      if (!inodes.has(inode)) continue;
      const list = owners.get(inode) ?? [];
      if (!list.some((o) => o.pid === Number(pid))) {
        list.push({ pid: Number(pid), comm: readText(path.join(procRoot, pid, 'comm')).trim() });
      }
      owners.set(inode, list);
    }
  }
  return { owners, complete };
}

/** A numeric sysctl ("net.core.rmem_max"), or undefined when this kernel/namespace does not have it. */
export function readSysctl(name: string, procRoot = '/proc'): number | undefined {
  const text = readText(path.join(procRoot, 'sys', ...name.split('.'))).trim();
  if (text === '') return undefined;
  const n = Number(text.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The device of the IPv6 default route (else IPv4, else the first non-loopback
 * device), to fill in the suggested `--dev`. undefined when nothing fits.
 */
export function defaultRouteDevice(procRoot = '/proc'): string | undefined {
  for (const line of readText(path.join(procRoot, 'net/ipv6_route')).split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 10 && /^0+$/.test(f[0]) && f[1] === '00' && f[9] !== 'lo') return f[9];
  }
  for (const line of readText(path.join(procRoot, 'net/route')).split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && f[1] === '00000000' && f[7] === '00000000' && f[0] !== 'lo') return f[0];
  }
  for (const line of readText(path.join(procRoot, 'net/dev')).split('\n').slice(2)) {
    const name = line.split(':')[0]?.trim();
    if (name !== undefined && name !== '' && name !== 'lo') return name;
  }
  return undefined;
}
