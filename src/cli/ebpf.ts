/**
 * `flowlens ebpf csum-fix attach|detach|status`: the tc program that repairs
 * bad UDP checksums of IPv6 datagrams to collector ports (docs/ebpf.md).
 *
 * Exit codes: 0 done; 1 a tool failed, or `status --dev` found nothing
 * attached; 2 usage error or cannot run here (not root, tool missing, no such
 * device).
 */
import { parseArgs } from 'node:util';
import {
  type AttachResult,
  attachCsumFix,
  CSUM_FIX_PREF,
  csumFixStatus,
  DEFAULT_PORTS,
  type DetachResult,
  detachCsumFix,
  type FixStatus,
  parsePorts,
} from '../ebpf/csum-fix.js';
import { EbpfError } from '../ebpf/tools.js';

const USAGE = `Usage:
  flowlens ebpf csum-fix attach --dev IFACE [--ports 4739,6343,2055] [--json]
  flowlens ebpf csum-fix detach --dev IFACE [--json]
  flowlens ebpf csum-fix status [--dev IFACE] [--json]

Repairs the UDP checksum of IPv6 datagrams to the collector ports on IFACE's
ingress (tc clsact), for exporters known to send wrong checksums. Default
port ${DEFAULT_PORTS.join(',')}. Needs root, clang, tc (iproute2) and bpftool.`;

export async function runEbpf(argv: string[]): Promise<number> {
  const [group, action, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h') {
    (group === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return group === undefined ? 2 : 0;
  }
  if (group !== 'csum-fix') {
    process.stderr.write(`flowlens ebpf: unknown program '${group}' (known: csum-fix)\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const { values } = parseArgs({
      args: rest,
      allowPositionals: false,
      options: {
        dev: { type: 'string' },
        ports: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    const json = values.json === true;
    switch (action) {
      case 'attach': {
        const dev = needDev(values.dev, 'attach');
        const ports = values.ports === undefined ? [...DEFAULT_PORTS] : parsePorts(values.ports);
        const r = attachCsumFix(dev, ports);
        process.stdout.write(json ? `${JSON.stringify(r)}\n` : formatAttach(r));
        for (const w of r.warnings) process.stderr.write(`flowlens ebpf: warning: ${w}\n`);
        return 0;
      }
      case 'detach': {
        if (values.ports !== undefined) throw new EbpfError('detach takes no --ports', 2);
        const r = detachCsumFix(needDev(values.dev, 'detach'));
        process.stdout.write(json ? `${JSON.stringify(r)}\n` : formatDetach(r));
        return 0;
      }
      case 'status': {
        if (values.ports !== undefined) throw new EbpfError('status takes no --ports', 2);
        const list = csumFixStatus(values.dev);
        process.stdout.write(json ? `${JSON.stringify(list)}\n` : formatStatus(list));
        return values.dev !== undefined && !list.some((s) => s.attached) ? 1 : 0;
      }
      case undefined:
      case '--help':
      case '-h':
        (action === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
        return action === undefined ? 2 : 0;
      default:
        throw new EbpfError(`unknown action '${action}' (attach, detach, status)`, 2);
    }
  } catch (err) {
    if (err instanceof EbpfError) {
      process.stderr.write(`flowlens ebpf csum-fix: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`flowlens ebpf csum-fix: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

function needDev(dev: string | undefined, action: string): string {
  if (dev === undefined || dev === '') throw new EbpfError(`${action} needs --dev IFACE`, 2);
  return dev;
}

export function formatAttach(r: AttachResult): string {
  const lines: string[] = [];
  const verb =
    r.action === 'unchanged'
      ? 'already attached to'
      : r.action === 'replaced'
        ? 'replaced (new object; counters restart) on'
        : 'attached to';
  lines.push(
    `csum-fix ${verb} ${r.dev} (ifindex ${r.ifindex}) ingress: prog id ${r.progId}, tc pref ${CSUM_FIX_PREF}`,
  );
  const change: string[] = [];
  if (r.portsAdded.length > 0) change.push(`added ${r.portsAdded.join(',')}`);
  if (r.portsRemoved.length > 0) change.push(`removed ${r.portsRemoved.join(',')}`);
  lines.push(`  ports: ${r.ports.join(',')}${change.length > 0 ? ` (${change.join(', ')})` : ''}`);
  lines.push(
    `  object: ${r.object}${r.compiledMs !== undefined ? ` (compiled in ${Math.round(r.compiledMs)} ms)` : ''}`,
  );
  if (r.clsactCreated) lines.push('  added the clsact qdisc');
  if (r.pins.length > 0) lines.push(`  maps pinned: ${r.pins.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export function formatDetach(r: DetachResult): string {
  const lines: string[] = [];
  if (r.detached) lines.push(`csum-fix detached from ${r.dev}`);
  else if (!r.deviceExists) lines.push(`${r.dev} no longer exists; nothing was attached`);
  else lines.push(`csum-fix was not attached to ${r.dev}; nothing to do`);
  if (r.clsactRemoved) lines.push('  removed the clsact qdisc (no other filters)');
  if (r.pinsRemoved.length > 0) lines.push(`  removed pins: ${r.pinsRemoved.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export function formatStatus(list: readonly FixStatus[]): string {
  if (list.length === 0) return 'csum-fix is not attached to any device in this network namespace\n';
  const lines: string[] = [];
  for (const s of list) {
    if (!s.attached) {
      lines.push(
        `${s.dev}: csum-fix not attached${s.pins.length > 0 ? ` (stale pins in ${s.pinDir}: run detach --dev ${s.dev})` : ''}`,
      );
      continue;
    }
    const c = s.counters;
    lines.push(
      `${s.dev} (ifindex ${s.ifindex}): csum-fix attached, prog id ${s.progId}${s.jited === true ? ' (jited)' : ''}, ports ${s.ports?.join(',')}`,
    );
    if (c !== undefined) {
      lines.push(
        `  seen ${c.seen}  repaired ${c.repaired}  already correct ${c.already_correct}  errors ${c.errors}`,
      );
      lines.push(
        `  of repaired: checksum was 0: ${c.zero_checksum}; held the pseudo-header sum alone (offload not completed, or local traffic): ${c.pseudo_only}`,
      );
      lines.push(
        `  skipped: too long ${c.skipped_too_long}, malformed ${c.skipped_malformed}, fragment ${c.skipped_fragment}, gso ${c.skipped_gso}, other ${c.skipped_other}`,
      );
      lines.push(
        `  VLAN tag in skb metadata ${c.vlan_tag_metadata}, in packet data ${c.vlan_tag_in_data}; IPv6 extension headers ${c.ext_headers}`,
      );
    }
    if (s.runCnt !== undefined && s.runTimeNs !== undefined && s.runCnt > 0) {
      lines.push(
        `  cost: ${(s.runTimeNs / s.runCnt / 1000).toFixed(2)} us per packet over ${s.runCnt} packets (kernel.bpf_stats_enabled)`,
      );
    }
    lines.push(
      `  counters from ${s.source === 'pinned' ? `pinned map ${s.pinDir}/fix_stats` : `map of prog ${s.progId} (not pinned here)`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
