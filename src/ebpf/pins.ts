/**
 * Pinned maps under /sys/fs/bpf/flowlens/. One directory per device:
 * `/sys/fs/bpf/flowlens/<dev>/` in the host's network namespace, and
 * `/sys/fs/bpf/flowlens/netns-<inode>/<dev>/` in any other (device names are
 * only unique within a namespace, while the BPF filesystem is shared).
 *
 * `ip netns exec` gives the command a private mount namespace with a fresh
 * /sys, so pins made there vanish when it exits; that is harmless, because
 * the commands always find the maps through the attached program and pin them
 * again (use `nsenter --net=/run/netns/NAME` to keep them visible).
 */
import { readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { EbpfError, run } from './tools.js';

export const BPFFS = '/sys/fs/bpf';
export const PIN_ROOT = path.join(BPFFS, 'flowlens');

/** True when a BPF filesystem is mounted at /sys/fs/bpf (in this mount namespace). */
export function bpffsMounted(mountinfo = '/proc/self/mountinfo'): boolean {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return false;
  }
  for (const line of text.split('\n')) {
    // id parent major:minor root mountpoint options ... - fstype source superopts
    const parts = line.split(' ');
    const dash = parts.indexOf('-');
    if (dash > 4 && parts[4] === BPFFS && parts[dash + 1] === 'bpf') return true;
  }
  return false;
}

/** Mounts the BPF filesystem at /sys/fs/bpf if it is not there yet (as systemd and tc do). */
export function ensureBpffs(): void {
  if (bpffsMounted()) return;
  const r = run('mount', ['-t', 'bpf', 'bpf', BPFFS]);
  if (r.code !== 0) throw new EbpfError(`cannot mount the BPF filesystem on ${BPFFS}: ${r.stderr.trim()}`, 1);
}

function nsInode(link: string): string | undefined {
  try {
    return /\[(\d+)\]/.exec(readlinkSync(link))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The initial network namespace always has this inode (PROC_NET_INIT_INO in
 * include/linux/proc_ns.h, fixed since Linux 3.8). Comparing with PID 1's
 * namespace would need ptrace access to PID 1, which even root may lack.
 */
export const INIT_NETNS_INODE = '4026531833';

/** "netns-<inode>" when this process is not in the initial network namespace, else undefined. */
export function netnsTag(): string | undefined {
  const self = nsInode('/proc/self/ns/net');
  if (self === undefined || self === INIT_NETNS_INODE) return undefined;
  return `netns-${self}`;
}

export function pinDir(dev: string, tag: string | undefined = netnsTag()): string {
  return tag === undefined ? path.join(PIN_ROOT, dev) : path.join(PIN_ROOT, tag, dev);
}

export function listPins(dir: string): string[] {
  try {
    return readdirSync(dir)
      .map((f) => path.join(dir, f))
      .filter((f) => statSync(f).isFile());
  } catch {
    return [];
  }
}

/** Removes the pins of one device and the directories left empty above it. Returns the pins removed. */
export function removePins(dir: string): string[] {
  const pins = listPins(dir);
  for (const p of pins) rmSync(p, { force: true });
  let d = dir;
  while (d.startsWith(`${PIN_ROOT}`) && d.length >= PIN_ROOT.length) {
    try {
      rmdirSync(d);
    } catch {
      break;
    }
    if (d === PIN_ROOT) break;
    d = path.dirname(d);
  }
  return pins;
}
