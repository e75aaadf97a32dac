/**
 * `flowlens doctor`: why do datagrams reach the host but not the collector?
 *
 * It samples the kernel's UDP counters twice, `seconds` apart, and reads the
 * receive-buffer sysctls and the sockets on the collector ports; with a
 * watched device it also attaches the observe-only csum-watch program for the
 * interval and names the exporters whose datagrams arrive with bad checksums.
 * `diagnose` turns the measurements into findings, each with the exact fix.
 */
import { CsumWatch, type WatchReading } from '../ebpf/watch.js';
import {
  defaultRouteDevice,
  readSysctl,
  readUdpCounters,
  readUdpSockets,
  type SocketOwner,
  socketOwners,
  UDP_COUNTERS,
  type UdpCounterName,
  type UdpCounterSnapshot,
  type UdpSocket,
} from './proc.js';

export const DEFAULT_DOCTOR_PORTS: readonly number[] = [6343, 4739, 2055];
/** The receive buffer a busy collector asks for (SO_RCVBUF). */
export const DEFAULT_RCVBUF = 32 * 1024 * 1024;

export type Severity = 'problem' | 'warning' | 'info' | 'ok';

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  /** The command or change that fixes it. */
  fix?: string;
}

export interface CounterChange {
  before: number;
  after: number;
  delta: number;
}

export type CounterReport = Record<'udp' | 'udp6', Record<UdpCounterName, CounterChange>>;

export interface ListenerSocket {
  family: 4 | 6;
  local: string;
  inode: number;
  rxQueue: number;
  drops: number;
  dropsDelta: number;
  processes: SocketOwner[];
}

export interface PortListeners {
  port: number;
  sockets: ListenerSocket[];
}

export interface WatchReport {
  dev: string;
  csumFixAttached: boolean;
  exporters: {
    address: string;
    family: 4 | 6;
    port: number;
    valid: number;
    /** Bad checksums, including `pseudo`. */
    invalid: number;
    /** Of invalid: the field held the pseudo-header sum alone (checksum offload not completed). */
    pseudo: number;
    unchecked: number;
    bytes: number;
  }[];
  totals: WatchReading['totals'];
}

export interface DoctorReport {
  seconds: number;
  ports: number[];
  counters: CounterReport;
  sysctl: { rmemMax?: number; rmemDefault?: number; requested: number };
  listeners: PortListeners[];
  /** False when some processes could not be inspected (not root): owners may be missing. */
  ownersComplete: boolean;
  watch?: WatchReport;
  /** The device the suggested commands name. */
  suggestedDev: string;
  findings: Finding[];
}

export interface DoctorOptions {
  ports: readonly number[];
  seconds: number;
  rcvbuf: number;
  watchDev?: string;
  procRoot?: string;
  /** Called once the first sample is taken (and the watch attached): traffic from now on is measured. */
  onMeasuring?: () => void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function compare(a: UdpCounterSnapshot, b: UdpCounterSnapshot): CounterReport {
  const out = { udp: {}, udp6: {} } as CounterReport;
  for (const fam of ['udp', 'udp6'] as const) {
    for (const n of UDP_COUNTERS) {
      out[fam][n] = { before: a[fam][n], after: b[fam][n], delta: b[fam][n] - a[fam][n] };
    }
  }
  return out;
}

function listenersFor(
  ports: readonly number[],
  before: readonly UdpSocket[],
  after: readonly UdpSocket[],
  procRoot: string,
): { listeners: PortListeners[]; complete: boolean } {
  // Unconnected sockets (state 7) bound to the port are the collectors; connected ones are clients.
  const bound = after.filter((s) => ports.includes(s.localPort) && s.state === 7);
  const { owners, complete } = socketOwners(new Set(bound.map((s) => s.inode)), procRoot);
  const listeners = ports.map((port) => ({
    port,
    sockets: bound
      .filter((s) => s.localPort === port)
      .map((s) => {
        const prev = before.find((p) => p.inode === s.inode);
        return {
          family: s.family,
          local: s.family === 6 ? `[${s.localAddress}]:${port}` : `${s.localAddress}:${port}`,
          inode: s.inode,
          rxQueue: s.rxQueue,
          drops: s.drops,
          dropsDelta: prev === undefined ? 0 : s.drops - prev.drops,
          processes: owners.get(s.inode) ?? [],
        };
      }),
  }));
  return { listeners, complete };
}

function watchReport(w: CsumWatch, r: WatchReading): WatchReport {
  const byKey = new Map<string, WatchReport['exporters'][number]>();
  for (const e of r.entries) {
    const k = `${e.address}|${e.port}`;
    const x = byKey.get(k) ?? {
      address: e.address,
      family: e.family,
      port: e.port,
      valid: 0,
      invalid: 0,
      pseudo: 0,
      unchecked: 0,
      bytes: 0,
    };
    x[e.verdict] += e.packets;
    if (e.verdict === 'pseudo') x.invalid += e.packets;
    x.bytes += e.bytes;
    byKey.set(k, x);
  }
  const exporters = [...byKey.values()].sort(
    (a, b) => b.invalid - a.invalid || b.valid - a.valid || a.address.localeCompare(b.address),
  );
  return { dev: w.dev, csumFixAttached: w.csumFixAttached, exporters, totals: r.totals };
}

/** Measures and diagnoses. Throws EbpfError for --watch-dev problems (not root, tools, device). */
export async function runDoctorCheck(opts: DoctorOptions): Promise<DoctorReport> {
  const procRoot = opts.procRoot ?? '/proc';
  let watch: CsumWatch | undefined;
  const cleanup = (signal: NodeJS.Signals) => {
    watch?.detach();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  if (opts.watchDev !== undefined) {
    watch = CsumWatch.attach(opts.watchDev, opts.ports);
    process.once('SIGINT', cleanup);
    process.once('SIGTERM', cleanup);
  }
  try {
    const c0 = readUdpCounters(procRoot);
    const s0 = readUdpSockets(procRoot);
    opts.onMeasuring?.();
    if (opts.seconds > 0) await sleep(opts.seconds * 1000);
    const c1 = readUdpCounters(procRoot);
    const s1 = readUdpSockets(procRoot);
    const reading = watch?.read();
    const { listeners, complete } = listenersFor(opts.ports, s0, s1, procRoot);
    const report: DoctorReport = {
      seconds: opts.seconds,
      ports: [...opts.ports],
      counters: compare(c0, c1),
      sysctl: {
        rmemMax: readSysctl('net.core.rmem_max', procRoot),
        rmemDefault: readSysctl('net.core.rmem_default', procRoot),
        requested: opts.rcvbuf,
      },
      listeners,
      ownersComplete: complete,
      watch: watch !== undefined && reading !== undefined ? watchReport(watch, reading) : undefined,
      suggestedDev: opts.watchDev ?? defaultRouteDevice(procRoot) ?? 'IFACE',
      findings: [],
    };
    report.findings = diagnose(report);
    return report;
  } finally {
    watch?.detach();
    process.removeListener('SIGINT', cleanup);
    process.removeListener('SIGTERM', cleanup);
  }
}

function describeBad(e: WatchReport['exporters'][number]): string {
  const pseudo = e.pseudo > 0 ? `, ${e.pseudo} with the pseudo-header sum alone` : '';
  return `${e.address} (port ${e.port}: ${plural(e.invalid, 'bad datagram')}${pseudo})`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

function join(ports: readonly number[]): string {
  return ports.join(',');
}

/** Findings from a measured report, most serious first. Pure: unit-tested on synthetic reports. */
export function diagnose(r: Omit<DoctorReport, 'findings'>): Finding[] {
  const out: Finding[] = [];
  const d = (fam: 'udp' | 'udp6', n: UdpCounterName) => r.counters[fam][n].delta;
  const inS = r.seconds > 0 ? ` in ${r.seconds} s` : '';
  const measured = r.seconds > 0;
  const listened = r.listeners.filter((l) => l.sockets.length > 0).map((l) => l.port);
  const silent = r.listeners.filter((l) => l.sockets.length === 0).map((l) => l.port);
  const dev = r.suggestedDev;
  const w = r.watch;

  // Checksums (IPv6): the case csum-fix exists for.
  const csum6 = d('udp6', 'InCsumErrors');
  const bad6 = (w?.exporters ?? []).filter((e) => e.family === 6 && e.invalid > 0);
  if (measured && csum6 > 0) {
    const ports = bad6.length > 0 ? [...new Set(bad6.map((e) => e.port))].sort((a, b) => a - b) : listened;
    const fixPorts = ports.length > 0 ? ports : r.ports;
    let message = `Udp6InCsumErrors rose by ${csum6}${inS}: IPv6 datagrams with bad UDP checksums are being dropped by the kernel before any socket sees them (tcpdump shows them, the collector does not)`;
    if (bad6.length > 0) {
      message += `; exporters sending bad checksums on ${w?.dev}: ${bad6.map(describeBad).join(', ')}`;
    } else if (w !== undefined) {
      message += `; none of them were to ports ${join(r.ports)} on ${w.dev}: they are for other ports or came in on another device`;
    }
    if (w?.csumFixAttached === true) {
      out.push({
        severity: 'problem',
        code: 'udp6-bad-checksums',
        message: `${message}. csum-fix is attached on ${w.dev} but errors still rise: its ports may not cover these datagrams, or they are fragmented (fragments cannot be repaired)`,
        fix: `flowlens ebpf csum-fix status --dev ${w.dev}; flowlens ebpf csum-fix attach --dev ${w.dev} --ports ${join(fixPorts)}`,
      });
    } else {
      out.push({
        severity: 'problem',
        code: 'udp6-bad-checksums',
        message,
        fix: `if your exporter is known to compute checksums wrongly, run: flowlens ebpf csum-fix attach --dev ${dev} --ports ${join(fixPorts)}`,
      });
    }
  } else if (bad6.length > 0 && w !== undefined) {
    const allPseudo = bad6.every((e) => e.pseudo === e.invalid);
    const why = w.csumFixAttached
      ? 'csum-fix on this device repairs them'
      : allPseudo
        ? 'they carry the pseudo-header sum alone, as locally generated datagrams do while checksum offload is pending on a virtual interface (veth, tap), and the kernel accepts those'
        : 'the kernel did not reject them for their checksum (verified by the NIC, locally generated with offload pending, or dropped earlier for another reason)';
    out.push({
      severity: 'info',
      code: 'udp6-bad-checksums-not-dropped',
      message: `IPv6 datagrams with bad UDP checksums on ${w.dev}: ${bad6.map(describeBad).join(', ')}; Udp6InCsumErrors did not rise: ${why}`,
    });
  }

  const csum4 = d('udp', 'InCsumErrors');
  if (measured && csum4 > 0) {
    const bad4 = (w?.exporters ?? []).filter((e) => e.family === 4 && e.invalid > 0);
    out.push({
      severity: 'problem',
      code: 'udp4-bad-checksums',
      message: `UdpInCsumErrors rose by ${csum4}${inS}: IPv4 datagrams with bad UDP checksums are being dropped by the kernel${
        bad4.length > 0
          ? `; exporters: ${bad4.map((e) => `${e.address} (port ${e.port}: ${e.invalid})`).join(', ')}`
          : ''
      }`,
      fix: 'fix the exporter, or have it send UDP checksum 0 (allowed over IPv4); csum-fix repairs IPv6 only',
    });
  }

  // Receive buffers.
  // Receive buffers. A socket's own drop count is not enough: it also counts datagrams that fail
  // the checksum when the collector reads them (the kernel defers that check to recvmsg).
  const rcvbuf = d('udp', 'RcvbufErrors') + d('udp6', 'RcvbufErrors');
  const dropping = r.listeners.flatMap((l) => l.sockets.filter((s) => s.dropsDelta > 0));
  if (measured && rcvbuf > 0) {
    const who = dropping.map(
      (s) =>
        `${s.local}${s.processes.length > 0 ? ` (${s.processes.map((p) => `${p.comm} pid ${p.pid}`).join(', ')})` : ''} dropped ${s.dropsDelta}`,
    );
    out.push({
      severity: 'problem',
      code: 'rcvbuf-errors',
      message: `UDP receive buffer overflows${inS}: UdpRcvbufErrors +${d('udp', 'RcvbufErrors')}, Udp6RcvbufErrors +${d('udp6', 'RcvbufErrors')}${
        who.length > 0 ? `; socket drops: ${who.join('; ')}` : ''
      }: the collector reads too slowly for the bursts it gets, or its buffer is too small`,
      fix: `sysctl -w net.core.rmem_max=${r.sysctl.requested} and have the collector request a ${formatBytes(r.sysctl.requested)} receive buffer (SO_RCVBUF)`,
    });
  }

  // Nothing listening.
  const noPorts = d('udp', 'NoPorts') + d('udp6', 'NoPorts');
  const toSilent = (w?.exporters ?? []).filter((e) => silent.includes(e.port));
  if (measured && noPorts > 0 && silent.length > 0) {
    out.push({
      severity: 'problem',
      code: 'no-listener',
      message: `UdpNoPorts +${d('udp', 'NoPorts')}, Udp6NoPorts +${d('udp6', 'NoPorts')}${inS} and nothing listens on ${
        silent.length === 1 ? 'port' : 'ports'
      } ${join(silent)}: datagrams to a port without a socket are dropped (and answered with ICMP port unreachable)${
        toSilent.length > 0
          ? `; exporters sending there: ${toSilent.map((e) => `${e.address} -> ${e.port}`).join(', ')}`
          : ' (NoPorts counts every closed port, not only these)'
      }`,
      fix: `start the collector on ${join(silent)}/udp, or point the exporters at a port it listens on${listened.length > 0 ? ` (${join(listened)})` : ''}`,
    });
  } else if (measured && noPorts > 0) {
    out.push({
      severity: 'info',
      code: 'no-ports-elsewhere',
      message: `UdpNoPorts/Udp6NoPorts rose by ${noPorts}${inS}: datagrams arrived for closed ports other than ${join(r.ports)}`,
    });
  }
  if (silent.length > 0 && !(measured && noPorts > 0)) {
    out.push({
      severity: 'info',
      code: 'no-listener-idle',
      message: `nothing listens on ${silent.length === 1 ? 'port' : 'ports'} ${join(silent)}/udp${measured ? ' (and no datagrams arrived for closed ports)' : ''}`,
    });
  }

  // Errors the other counters do not explain.
  for (const fam of ['udp', 'udp6'] as const) {
    const other =
      d(fam, 'InErrors') - d(fam, 'InCsumErrors') - d(fam, 'RcvbufErrors') - Math.max(0, d(fam, 'MemErrors'));
    if (measured && other > 0) {
      const name = fam === 'udp' ? 'UdpInErrors' : 'Udp6InErrors';
      out.push({
        severity: 'warning',
        code: `${fam}-other-errors`,
        message: `${name} rose by ${other}${inS} more than checksum and buffer errors explain: short or malformed datagrams, or drops by a socket filter`,
      });
    }
  }

  // Buffer sizes.
  const { rmemMax, rmemDefault, requested } = r.sysctl;
  if (rmemMax !== undefined && rmemMax < requested) {
    out.push({
      severity: 'warning',
      code: 'rmem-max-low',
      message: `net.core.rmem_max is ${rmemMax} (${formatBytes(rmemMax)}): a collector asking for a ${formatBytes(requested)} receive buffer gets at most ${formatBytes(rmemMax)} (SO_RCVBUF is capped there), and bursts overflow it`,
      fix: `sysctl -w net.core.rmem_max=${requested}; to keep it: echo 'net.core.rmem_max = ${requested}' > /etc/sysctl.d/90-flowlens.conf`,
    });
  }
  if (rmemDefault !== undefined && rmemDefault < requested) {
    out.push({
      severity: 'info',
      code: 'rmem-default',
      message: `net.core.rmem_default is ${rmemDefault} (${formatBytes(rmemDefault)}): the buffer of collectors that do not set SO_RCVBUF`,
      fix: `sysctl -w net.core.rmem_default=${requested} (only if the collector cannot set its own buffer)`,
    });
  }

  if (w !== undefined && w.totals.unchecked > 0) {
    out.push({
      severity: 'info',
      code: 'watch-unchecked',
      message: `${plural(w.totals.unchecked, 'datagram')} on ${w.dev} could not be checked in the kernel (fragments, GRO, truncated or over 9216 bytes)`,
    });
  }
  if (w !== undefined && w.totals.untracked > 0) {
    out.push({
      severity: 'info',
      code: 'watch-untracked',
      message: `${w.totals.untracked} datagrams came from more exporters than the watch map holds (4096); the list is incomplete`,
    });
  }

  if (!out.some((f) => f.severity === 'problem' || f.severity === 'warning')) {
    out.unshift({
      severity: 'ok',
      code: 'healthy',
      message: measured
        ? `no UDP receive errors${inS}${listened.length > 0 ? `; listening on ${join(listened)}` : ''}`
        : `no buffer problems; run with --seconds N to measure the error counters${listened.length > 0 ? `; listening on ${join(listened)}` : ''}`,
    });
  }
  const rank: Record<Severity, number> = { problem: 0, warning: 1, ok: 2, info: 3 };
  return out.sort((a, b) => rank[a.severity] - rank[b.severity]);
}

const SHOWN_COUNTERS: readonly UdpCounterName[] = [
  'InDatagrams',
  'InErrors',
  'InCsumErrors',
  'RcvbufErrors',
  'NoPorts',
];

export function formatReport(r: DoctorReport): string {
  const lines: string[] = [];
  const measured = r.seconds > 0;
  lines.push(
    measured
      ? `UDP counters of this network namespace, change over ${r.seconds} s (total):`
      : 'UDP counters of this network namespace (totals; use --seconds N for changes):',
  );
  for (const fam of ['udp', 'udp6'] as const) {
    for (const n of SHOWN_COUNTERS) {
      const c = r.counters[fam][n];
      const name = `${fam === 'udp' ? 'Udp' : 'Udp6'}${n}`;
      lines.push(
        `  ${name.padEnd(20)} ${measured ? `${c.delta >= 0 ? '+' : ''}${c.delta}`.padStart(8) : ''}  (${c.after})`,
      );
    }
  }
  const { rmemMax, rmemDefault, requested } = r.sysctl;
  lines.push('', 'Receive buffers:');
  lines.push(
    `  net.core.rmem_max ${rmemMax ?? 'unknown'}${rmemMax !== undefined ? ` (${formatBytes(rmemMax)})` : ''}, rmem_default ${rmemDefault ?? 'unknown'}${rmemDefault !== undefined ? ` (${formatBytes(rmemDefault)})` : ''}; checked against ${formatBytes(requested)}`,
  );
  lines.push('', 'Listeners:');
  for (const l of r.listeners) {
    if (l.sockets.length === 0) {
      lines.push(`  ${String(l.port).padStart(5)}/udp  nothing listens`);
      continue;
    }
    for (const s of l.sockets) {
      const procs =
        s.processes.length > 0
          ? s.processes.map((p) => `${p.comm} (pid ${p.pid})`).join(', ')
          : r.ownersComplete
            ? 'owner unknown'
            : 'owner unknown (run as root to see it)';
      lines.push(
        `  ${String(l.port).padStart(5)}/udp  ${s.local}  ${procs}  drops ${s.drops}${measured ? ` (+${s.dropsDelta})` : ''}  rx queue ${s.rxQueue}`,
      );
    }
  }
  if (r.watch !== undefined) {
    const w = r.watch;
    lines.push(
      '',
      `Exporters seen on ${w.dev} ingress (checksums verified in the kernel${w.csumFixAttached ? ', before csum-fix' : ''}):`,
    );
    if (w.exporters.length === 0) lines.push(`  none to ports ${join(r.ports)}`);
    for (const e of w.exporters) {
      lines.push(
        `  ${e.address.padEnd(39)} -> ${String(e.port).padEnd(5)}  bad checksum ${e.invalid}${e.pseudo > 0 ? ` (${e.pseudo} pseudo-header sum only)` : ''}  good ${e.valid}${e.unchecked > 0 ? `  unchecked ${e.unchecked}` : ''}`,
      );
    }
  }
  lines.push('', 'Diagnosis:');
  for (const f of r.findings) {
    lines.push(`  ${f.severity.toUpperCase().padEnd(7)} ${f.message}`);
    if (f.fix !== undefined) lines.push(`          fix: ${f.fix}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Exit status: 1 when something is wrong (a problem), else 0. Warnings alone (e.g. a small rmem_max) do not fail. */
export function exitCodeFor(findings: readonly Finding[]): number {
  return findings.some((f) => f.severity === 'problem') ? 1 : 0;
}
