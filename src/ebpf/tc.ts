/**
 * tc (iproute2) for the eBPF commands: the clsact qdisc and direct-action bpf
 * filters on a device's ingress hook, always through `tc -j` JSON output.
 */
import { EbpfError, isRecord, parseJson, run, runOk } from './tools.js';

export interface LinkInfo {
  ifindex: number;
  ifname: string;
}

/** The device in the current network namespace, or an EbpfError (exit 2) if there is none. */
export function linkInfo(ip: string, dev: string): LinkInfo {
  const r = run(ip, ['-j', 'link', 'show', 'dev', dev]);
  if (r.code !== 0) {
    throw new EbpfError(
      `device ${dev} does not exist in this network namespace (see: ip link show)${nsHint()}`,
      2,
    );
  }
  const list = parseJson(r.stdout, 'ip -j link show');
  const first = Array.isArray(list) ? (list[0] as unknown) : undefined;
  if (!isRecord(first) || typeof first.ifindex !== 'number') {
    throw new EbpfError(`ip -j link show dev ${dev}: unexpected output`, 1);
  }
  return { ifindex: first.ifindex, ifname: String(first.ifname ?? dev) };
}

function nsHint(): string {
  return '; to act inside a namespace use: ip netns exec NAME flowlens ...';
}

export interface IngressFilter {
  pref: number;
  protocol: string;
  kind: string;
  handle?: string;
  /** For bpf filters: "object-file:[section]", e.g. "csum_fix-0123456789ab.o:[tc]". */
  bpfName?: string;
  progId?: number;
  progName?: string;
  directAction?: boolean;
}

/** The filters on the ingress hook (clsact or ingress qdisc); [] when there is no such qdisc. */
export function ingressFilters(tc: string, dev: string): IngressFilter[] {
  return filters(tc, dev, 'ingress');
}

function filters(tc: string, dev: string, hook: 'ingress' | 'egress'): IngressFilter[] {
  const r = run(tc, ['-j', 'filter', 'show', 'dev', dev, hook]);
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  const list = parseJson(r.stdout, `tc -j filter show dev ${dev} ${hook}`);
  if (!Array.isArray(list)) return [];
  const out: IngressFilter[] = [];
  for (const f of list as unknown[]) {
    // tc prints one line per filter priority (no options) and one per filter.
    if (!isRecord(f) || !isRecord(f.options)) continue;
    const o = f.options;
    const prog = isRecord(o.prog) ? o.prog : undefined;
    out.push({
      pref: Number(f.pref),
      protocol: String(f.protocol ?? ''),
      kind: String(f.kind ?? ''),
      handle: typeof o.handle === 'string' ? o.handle : undefined,
      bpfName: typeof o.bpf_name === 'string' ? o.bpf_name : undefined,
      progId: prog !== undefined && typeof prog.id === 'number' ? prog.id : undefined,
      progName: prog !== undefined && typeof prog.name === 'string' ? prog.name : undefined,
      directAction: o['direct-action'] === true,
    });
  }
  return out;
}

export function qdiscKinds(tc: string, dev: string): string[] {
  const r = run(tc, ['-j', 'qdisc', 'show', 'dev', dev]);
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  const list = parseJson(r.stdout, `tc -j qdisc show dev ${dev}`);
  return Array.isArray(list) ? (list as unknown[]).filter(isRecord).map((q) => String(q.kind)) : [];
}

/** Adds a clsact qdisc unless the device already has clsact (or the older ingress qdisc). Returns true if added. */
export function ensureClsact(tc: string, dev: string): boolean {
  const kinds = qdiscKinds(tc, dev);
  if (kinds.includes('clsact') || kinds.includes('ingress')) return false;
  runOk(tc, ['qdisc', 'add', 'dev', dev, 'clsact']);
  return true;
}

/**
 * Attaches a direct-action bpf filter for every protocol (so 802.1Q/802.1ad
 * frames are seen too) at the given priority, replacing one already there.
 */
export function attachBpfFilter(
  tc: string,
  dev: string,
  pref: number,
  object: string,
  section: string,
): void {
  runOk(tc, [
    'filter',
    'replace',
    'dev',
    dev,
    'ingress',
    'pref',
    String(pref),
    'handle',
    '1',
    'protocol',
    'all',
    'bpf',
    'direct-action',
    'object-file',
    object,
    'section',
    section,
  ]);
}

export function deleteFilter(tc: string, dev: string, pref: number): void {
  runOk(tc, ['filter', 'del', 'dev', dev, 'ingress', 'pref', String(pref)]);
}

/** Removes the clsact qdisc when no filter is left on either hook. Returns true if removed. */
export function removeClsactIfUnused(tc: string, dev: string): boolean {
  if (!qdiscKinds(tc, dev).includes('clsact')) return false;
  if (filters(tc, dev, 'ingress').length > 0 || filters(tc, dev, 'egress').length > 0) return false;
  runOk(tc, ['qdisc', 'del', 'dev', dev, 'clsact']);
  return true;
}
