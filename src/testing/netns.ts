/**
 * Network-namespace testbed for the eBPF tests: two namespaces (sender and
 * receiver) joined by a veth pair, IPv6 on both ends, and an 802.1Q
 * sub-interface on both ends when the kernel has VLAN support
 * (CONFIG_VLAN_8021Q). Names are unique per run (pid + random), so parallel
 * runs do not clash, and `cleanup()` removes everything it made: processes,
 * namespaces (with their veths, qdiscs and filters), pinned maps.
 *
 * Needs root, iproute2 and nsenter (util-linux).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(cmd: string, args: readonly string[], timeoutMs = 30_000, env?: NodeJS.ProcessEnv): RunOutput {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, env: env ?? process.env });
  return {
    code: r.status ?? (r.error !== undefined ? 127 : 128),
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
  };
}

function must(cmd: string, args: readonly string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Why a netns test cannot run here, or undefined if it can. */
export function netnsUnavailable(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root';
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['nsenter', 'util-linux'],
  ]) {
    if (sh(tool, ['-V']).code === 127 && sh(tool, ['--version']).code === 127)
      return `${tool} missing (${pkg})`;
  }
  const probe = `flprobe${process.pid.toString(36)}`;
  const r = sh('ip', ['netns', 'add', probe]);
  if (r.code !== 0) return `cannot create network namespaces: ${r.stderr.trim()}`;
  sh('ip', ['netns', 'del', probe]);
  return undefined;
}

export interface Side {
  ns: string;
  dev: string;
  mac: string;
  /** Address on the untagged veth. */
  addr: string;
  /** 802.1Q sub-interface (VLAN 100) and its address, when the kernel supports VLANs. */
  vlanDev?: string;
  vlanAddr?: string;
}

export const VLAN_ID = 100;

export class NetnsTestbed {
  private readonly children = new Set<ChildProcess>();
  private readonly netnsInodes: string[] = [];
  private cleaned = false;
  /** Why there is no VLAN sub-interface, when there is none. */
  vlanUnavailable?: string;

  private constructor(
    readonly id: string,
    readonly sender: Side,
    readonly receiver: Side,
  ) {}

  static create(): NetnsTestbed {
    const id = `fl${process.pid.toString(36)}${Math.floor(Math.random() * 36 * 36)
      .toString(36)
      .padStart(2, '0')}`;
    const s: Side = { ns: `${id}-s`, dev: `${id}s`, mac: '', addr: 'fd00:f1::1' };
    const r: Side = { ns: `${id}-r`, dev: `${id}r`, mac: '', addr: 'fd00:f1::2' };
    const tb = new NetnsTestbed(id, s, r);
    try {
      tb.setUp();
    } catch (err) {
      tb.cleanup();
      throw err;
    }
    return tb;
  }

  private setUp(): void {
    const { sender: s, receiver: r } = this;
    must('ip', ['netns', 'add', s.ns]);
    must('ip', ['netns', 'add', r.ns]);
    for (const ns of [s.ns, r.ns]) this.netnsInodes.push(String(statSync(`/run/netns/${ns}`).ino));
    must('ip', ['link', 'add', s.dev, 'netns', s.ns, 'type', 'veth', 'peer', 'name', r.dev, 'netns', r.ns]);
    for (const side of [s, r]) {
      must('ip', ['-n', side.ns, 'link', 'set', 'lo', 'up']);
      must('ip', ['-n', side.ns, 'link', 'set', side.dev, 'up']);
      must('ip', ['-n', side.ns, 'addr', 'add', `${side.addr}/64`, 'dev', side.dev, 'nodad']);
      side.mac = (
        JSON.parse(must('ip', ['-n', side.ns, '-j', 'link', 'show', 'dev', side.dev])) as {
          address: string;
        }[]
      )[0].address;
    }
    // Static neighbours: no neighbour discovery in the way of the first datagrams.
    must('ip', ['-n', s.ns, 'neigh', 'replace', r.addr, 'lladdr', r.mac, 'dev', s.dev, 'nud', 'permanent']);
    must('ip', ['-n', r.ns, 'neigh', 'replace', s.addr, 'lladdr', s.mac, 'dev', r.dev, 'nud', 'permanent']);

    const probe = sh('ip', [
      '-n',
      s.ns,
      'link',
      'add',
      'link',
      s.dev,
      'name',
      `${s.dev}.${VLAN_ID}`,
      'type',
      'vlan',
      'id',
      String(VLAN_ID),
    ]);
    if (probe.code !== 0) {
      this.vlanUnavailable = `this kernel cannot create 802.1Q sub-interfaces (CONFIG_VLAN_8021Q): ${probe.stderr.trim()}`;
      return;
    }
    must('ip', [
      '-n',
      r.ns,
      'link',
      'add',
      'link',
      r.dev,
      'name',
      `${r.dev}.${VLAN_ID}`,
      'type',
      'vlan',
      'id',
      String(VLAN_ID),
    ]);
    s.vlanDev = `${s.dev}.${VLAN_ID}`;
    r.vlanDev = `${r.dev}.${VLAN_ID}`;
    s.vlanAddr = 'fd00:f1:100::1';
    r.vlanAddr = 'fd00:f1:100::2';
    for (const side of [s, r]) {
      must('ip', ['-n', side.ns, 'link', 'set', side.vlanDev ?? '', 'up']);
      must('ip', ['-n', side.ns, 'addr', 'add', `${side.vlanAddr}/64`, 'dev', side.vlanDev ?? '', 'nodad']);
    }
    // A VLAN device has its parent's MAC address.
    must('ip', [
      '-n',
      s.ns,
      'neigh',
      'replace',
      r.vlanAddr,
      'lladdr',
      r.mac,
      'dev',
      s.vlanDev,
      'nud',
      'permanent',
    ]);
    must('ip', [
      '-n',
      r.ns,
      'neigh',
      'replace',
      s.vlanAddr,
      'lladdr',
      s.mac,
      'dev',
      r.vlanDev,
      'nud',
      'permanent',
    ]);
  }

  /** Runs a command in a namespace with `ip netns exec` (private mount namespace, fresh /sys). */
  exec(
    ns: string,
    cmd: string,
    args: readonly string[],
    env?: NodeJS.ProcessEnv,
    timeoutMs?: number,
  ): RunOutput {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs, env);
  }

  /** Runs a command in a namespace's network namespace only (`nsenter --net`): /sys/fs/bpf stays the host's. */
  nsenter(
    ns: string,
    cmd: string,
    args: readonly string[],
    env?: NodeJS.ProcessEnv,
    timeoutMs?: number,
  ): RunOutput {
    return sh('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], timeoutMs, env);
  }

  /** Starts a long-running process in a namespace; it is killed by cleanup() if still running. */
  spawn(ns: string, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    // `ip netns exec` execs the command, so child.pid is the command's own pid.
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: env ?? process.env,
    });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** The pin directory flowlens uses for a device of a namespace when run with nsenter. */
  pinDirOf(ns: string, dev: string): string {
    const ino = String(statSync(`/run/netns/${ns}`).ino);
    return path.join('/sys/fs/bpf/flowlens', `netns-${ino}`, dev);
  }

  /** Kills our processes, deletes the namespaces (and so the veths, qdiscs, filters) and our pins. Idempotent. */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    for (const ns of [this.sender.ns, this.receiver.ns]) {
      if (existsSync(`/run/netns/${ns}`)) sh('ip', ['netns', 'del', ns]);
    }
    for (const ino of this.netnsInodes) {
      rmSync(path.join('/sys/fs/bpf/flowlens', `netns-${ino}`), { recursive: true, force: true });
    }
    try {
      if (readdirSync('/sys/fs/bpf/flowlens').length === 0) rmdirSync('/sys/fs/bpf/flowlens');
    } catch {
      // not there
    }
  }
}
