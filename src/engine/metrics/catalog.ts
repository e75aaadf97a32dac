/**
 * The metric catalog: how each decoded counter record becomes named metrics.
 *
 * One declarative table drives derivation (derive.ts) and the generated
 * reference (docs/metrics.md), so the two cannot drift apart. Names follow
 * sFlow-RT where it documents them (sflow-rt.com/metrics.php) or where its
 * public applications use them; every entry records where its name comes
 * from, so readers can tell confirmed names from ones flowlens chose.
 *
 * Records without an explicit mapping get generic names,
 * `<record name>_<field name lowercased>`, built from the decoder's layouts,
 * so no decoded counter is lost.
 */
import { COUNTER_RECORD_LAYOUTS } from '../../decode/sflow/counter-records.js';
import type { FieldSpec, FieldValue, RecordLayout } from '../../decode/sflow/struct.js';

export type MetricValue = number | string;

/**
 * counter: a cumulative count, reported as a rate per second between two samples;
 * gauge: the value as sent; percent100: an sFlow `percentage` (hundredths of a
 * percent, negative = unknown) reported in percent; string: text (or a code
 * turned into a name by `transform`).
 */
export type MetricKind = 'counter' | 'gauge' | 'percent100' | 'string';

/**
 * Where a name comes from. documented: sflow-rt.com/metrics.php; app: used by a
 * public sFlow-RT application (ai-metrics, active-routes, sunburst, gmond-proxy,
 * the OVS demo); inferred: follows sFlow-RT's conventions, not confirmed;
 * flowlens: chosen by flowlens where sFlow-RT has no known name; generic:
 * `<record>_<field>`.
 */
export type Origin = 'documented' | 'app' | 'inferred' | 'flowlens' | 'generic';

export interface FieldMetric {
  /** Field of the decoded record. */
  field: string;
  metric: string;
  kind: MetricKind;
  /** Turns the raw field value into the metric value (gauges and strings only). */
  transform?: (v: FieldValue) => MetricValue | undefined;
  /** Computed for derived metrics but not reported. */
  hidden?: boolean;
  /**
   * For array fields: numbers become `<metric>_<i>`, structures
   * `<metric>_<i>_<subfield>` (i = the element's `index` field when it has one).
   */
  array?: boolean;
  unit?: string;
  desc: string;
  origin?: Origin;
}

/** A metric computed from the other metrics of the same record (rates already applied). */
export interface DerivedMetric {
  metric: string;
  /** Formula, for the documentation. */
  formula: string;
  unit?: string;
  compute(get: (name: string) => number | undefined): number | undefined;
  origin?: Origin;
}

export interface RecordMapping {
  /** "enterprise:format" of the counter record. */
  format: string;
  /** Layout name of the record. */
  record: string;
  fields: FieldMetric[];
  derived?: DerivedMetric[];
  /** Names get the `vir_` prefix when the sample describes a virtual machine or container. */
  virtualizable?: boolean;
  /** Default origin of this record's names. */
  origin: Origin;
}

// ---------------------------------------------------------------------------
// Code tables
// ---------------------------------------------------------------------------

/** IANAifType names for the common ifType codes; other codes are reported as numbers in text. */
export const IF_TYPES: Readonly<Record<number, string>> = {
  1: 'other',
  6: 'ethernetCsmacd',
  7: 'iso88023Csmacd',
  9: 'iso88025TokenRing',
  15: 'fddi',
  23: 'ppp',
  24: 'softwareLoopback',
  37: 'atm',
  53: 'propVirtual',
  62: 'fastEther',
  71: 'ieee80211',
  117: 'gigabitEthernet',
  131: 'tunnel',
  135: 'l2vlan',
  136: 'l3ipvlan',
  161: 'ieee8023adLag',
  166: 'mpls',
  199: 'infiniband',
  209: 'bridge',
};

export const IF_DIRECTIONS: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'full-duplex',
  2: 'half-duplex',
  3: 'in',
  4: 'out',
};

/** host_descr machine_type (sflow_host.txt). */
export const MACHINE_TYPES: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'other',
  2: 'x86',
  3: 'x86_64',
  4: 'ia64',
  5: 'sparc',
  6: 'alpha',
  7: 'powerpc',
  8: 'm68k',
  9: 'mips',
  10: 'arm',
  11: 'hppa',
  12: 's390',
};

/** host_descr os_name (sflow_host.txt). */
export const OS_NAMES: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'other',
  2: 'linux',
  3: 'windows',
  4: 'darwin',
  5: 'hpux',
  6: 'aix',
  7: 'dragonfly',
  8: 'freebsd',
  9: 'netbsd',
  10: 'openbsd',
  11: 'osf',
  12: 'solaris',
};

/** virt_cpu state: libvirt virDomainState. */
export const VIRT_STATES: Readonly<Record<number, string>> = {
  0: 'nostate',
  1: 'running',
  2: 'blocked',
  3: 'paused',
  4: 'shutdown',
  5: 'shutoff',
  6: 'crashed',
  7: 'pmsuspended',
};

const codeName =
  (table: Readonly<Record<number, string>>) =>
  (v: FieldValue): MetricValue | undefined =>
    typeof v === 'number' ? (table[v] ?? String(v)) : undefined;

const asText = (v: FieldValue): MetricValue | undefined =>
  typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;

/** An 8-byte datapath id as 16 hex digits, as sFlow-RT shows of_dpid. */
const hex16 = (v: FieldValue): MetricValue | undefined =>
  typeof v === 'number' || typeof v === 'bigint' ? BigInt(v).toString(16).padStart(16, '0') : undefined;

const byteOf =
  (shift: number) =>
  (v: FieldValue): MetricValue | undefined =>
    typeof v === 'number' ? (v >>> shift) & 0xff : undefined;

// ---------------------------------------------------------------------------
// Helpers for derived metrics
// ---------------------------------------------------------------------------

/** 100 × a / b, when both are known and b > 0. */
function pct(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? (100 * a) / b : undefined;
}

/** 100 × (total − free) / total. */
function usedPct(total: number | undefined, free: number | undefined): number | undefined {
  return total !== undefined && free !== undefined && total > 0 ? (100 * (total - free)) / total : undefined;
}

function diff(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined ? a - b : undefined;
}

const counter = (
  field: string,
  metric: string,
  desc: string,
  extra: Partial<FieldMetric> = {},
): FieldMetric => ({
  field,
  metric,
  kind: 'counter',
  desc,
  ...extra,
});
const gauge = (
  field: string,
  metric: string,
  desc: string,
  extra: Partial<FieldMetric> = {},
): FieldMetric => ({
  field,
  metric,
  kind: 'gauge',
  desc,
  ...extra,
});
const text = (
  field: string,
  metric: string,
  desc: string,
  extra: Partial<FieldMetric> = {},
): FieldMetric => ({
  field,
  metric,
  kind: 'string',
  desc,
  ...extra,
});

/** `camelCase` → `camel_case`. */
export function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

// ---------------------------------------------------------------------------
// Interfaces
// ---------------------------------------------------------------------------

const IF_COUNTERS: RecordMapping = {
  format: '0:1',
  record: 'generic_interface_counters',
  origin: 'documented',
  fields: [
    text('ifIndex', 'ifindex', 'ifIndex (text, as sFlow-RT reports it)', { transform: asText }),
    text('ifType', 'iftype', 'ifType as an IANAifType name (ethernetCsmacd, ...)', {
      transform: codeName(IF_TYPES),
    }),
    gauge('ifSpeed', 'ifspeed', 'ifSpeed', { unit: 'bits/s' }),
    text('ifDirection', 'ifdirection', 'unknown, full-duplex, half-duplex, in, out', {
      transform: codeName(IF_DIRECTIONS),
    }),
    text('ifStatus', 'ifadminstatus', 'ifAdminStatus: up or down (ifStatus bit 0)', {
      transform: (v) => (typeof v === 'number' ? ((v & 1) !== 0 ? 'up' : 'down') : undefined),
    }),
    text('ifStatus', 'ifoperstatus', 'ifOperStatus: up or down (ifStatus bit 1)', {
      transform: (v) => (typeof v === 'number' ? ((v & 2) !== 0 ? 'up' : 'down') : undefined),
    }),
    counter('ifInOctets', 'ifinoctets', 'ifInOctets', { unit: 'bytes/s' }),
    counter('ifInUcastPkts', 'ifinucastpkts', 'ifInUcastPkts', { unit: 'packets/s' }),
    counter('ifInMulticastPkts', 'ifinmulticastpkts', 'ifInMulticastPkts', { unit: 'packets/s' }),
    counter('ifInBroadcastPkts', 'ifinbroadcastpkts', 'ifInBroadcastPkts', { unit: 'packets/s' }),
    counter('ifInDiscards', 'ifindiscards', 'ifInDiscards', { unit: 'packets/s' }),
    counter('ifInErrors', 'ifinerrors', 'ifInErrors', { unit: 'packets/s' }),
    counter('ifInUnknownProtos', 'ifinunknownprotos', 'ifInUnknownProtos', { unit: 'packets/s' }),
    counter('ifOutOctets', 'ifoutoctets', 'ifOutOctets', { unit: 'bytes/s' }),
    counter('ifOutUcastPkts', 'ifoutucastpkts', 'ifOutUcastPkts', { unit: 'packets/s' }),
    counter('ifOutMulticastPkts', 'ifoutmulticastpkts', 'ifOutMulticastPkts', { unit: 'packets/s' }),
    counter('ifOutBroadcastPkts', 'ifoutbroadcastpkts', 'ifOutBroadcastPkts', { unit: 'packets/s' }),
    counter('ifOutDiscards', 'ifoutdiscards', 'ifOutDiscards', { unit: 'packets/s' }),
    counter('ifOutErrors', 'ifouterrors', 'ifOutErrors', { unit: 'packets/s' }),
    text('ifPromiscuousMode', 'ifpromiscuousmode', 'ifPromiscuousMode: true (1) or false (2)', {
      transform: (v) => (v === 1 ? 'true' : v === 2 ? 'false' : undefined),
      origin: 'inferred',
    }),
  ],
  derived: [
    {
      metric: 'ifinutilization',
      formula: 'ifinoctets × 800 / ifspeed (no value when ifspeed is 0)',
      unit: '%',
      compute: (g) => pct(mul(g('ifinoctets'), 8), g('ifspeed')),
    },
    {
      metric: 'ifoututilization',
      formula: 'ifoutoctets × 800 / ifspeed (no value when ifspeed is 0)',
      unit: '%',
      compute: (g) => pct(mul(g('ifoutoctets'), 8), g('ifspeed')),
    },
    {
      metric: 'ifinpkts',
      formula: 'ifinucastpkts + ifinmulticastpkts + ifinbroadcastpkts (unknown parts count as 0)',
      unit: 'packets/s',
      compute: (g) => sumWithBase(g('ifinucastpkts'), g('ifinmulticastpkts'), g('ifinbroadcastpkts')),
    },
    {
      metric: 'ifoutpkts',
      formula: 'ifoutucastpkts + ifoutmulticastpkts + ifoutbroadcastpkts (unknown parts count as 0)',
      unit: 'packets/s',
      compute: (g) => sumWithBase(g('ifoutucastpkts'), g('ifoutmulticastpkts'), g('ifoutbroadcastpkts')),
    },
  ],
};

function mul(a: number | undefined, k: number): number | undefined {
  return a === undefined ? undefined : a * k;
}

function div(a: number | undefined, k: number): number | undefined {
  return a === undefined ? undefined : a / k;
}

/** base + the known others; undefined when base is. */
function sumWithBase(base: number | undefined, ...others: (number | undefined)[]): number | undefined {
  if (base === undefined) return undefined;
  let s = base;
  for (const o of others) if (o !== undefined) s += o;
  return s;
}

const ETHERNET: RecordMapping = {
  format: '0:2',
  record: 'ethernet_interface_counters',
  origin: 'documented',
  fields: [
    counter('dot3StatsAlignmentErrors', 'eth_alignmenterrors', 'dot3StatsAlignmentErrors'),
    counter('dot3StatsFCSErrors', 'eth_fcserrors', 'dot3StatsFCSErrors'),
    counter('dot3StatsSingleCollisionFrames', 'eth_singlecollisions', 'dot3StatsSingleCollisionFrames'),
    counter('dot3StatsMultipleCollisionFrames', 'eth_multiplecollisions', 'dot3StatsMultipleCollisionFrames'),
    counter('dot3StatsSQETestErrors', 'eth_sqetesterrors', 'dot3StatsSQETestErrors'),
    counter('dot3StatsDeferredTransmissions', 'eth_deferredtx', 'dot3StatsDeferredTransmissions'),
    counter('dot3StatsLateCollisions', 'eth_latecollision', 'dot3StatsLateCollisions'),
    counter('dot3StatsExcessiveCollisions', 'eth_excessivecollisions', 'dot3StatsExcessiveCollisions'),
    counter(
      'dot3StatsInternalMacTransmitErrors',
      'eth_internalmactxerrors',
      'dot3StatsInternalMacTransmitErrors',
      {
        origin: 'inferred',
      },
    ),
    counter('dot3StatsCarrierSenseErrors', 'eth_carriersenseerrors', 'dot3StatsCarrierSenseErrors', {
      origin: 'inferred',
    }),
    counter('dot3StatsFrameTooLongs', 'eth_frametoolongs', 'dot3StatsFrameTooLongs', { origin: 'inferred' }),
    counter(
      'dot3StatsInternalMacReceiveErrors',
      'eth_internalmacrxerrors',
      'dot3StatsInternalMacReceiveErrors',
      {
        origin: 'inferred',
      },
    ),
    counter('dot3StatsSymbolErrors', 'eth_symbolerrors', 'dot3StatsSymbolErrors', { origin: 'inferred' }),
  ],
};

const VLAN: RecordMapping = {
  format: '0:5',
  record: 'vlan_counters',
  origin: 'flowlens',
  fields: [
    gauge('vlanId', 'vlan_id', 'VLAN id'),
    counter('octets', 'vlan_octets', 'octets', { unit: 'bytes/s' }),
    counter('ucastPkts', 'vlan_ucastpkts', 'unicast packets', { unit: 'packets/s' }),
    counter('multicastPkts', 'vlan_multicastpkts', 'multicast packets', { unit: 'packets/s' }),
    counter('broadcastPkts', 'vlan_broadcastpkts', 'broadcast packets', { unit: 'packets/s' }),
    counter('discards', 'vlan_discards', 'discards', { unit: 'packets/s' }),
  ],
};

const LAG: RecordMapping = {
  format: '0:7',
  record: 'lag_port_stats',
  origin: 'flowlens',
  fields: [
    text('dot3adAggPortActorSystemID', 'lag_actor_system_id', 'dot3adAggPortActorSystemID (MAC)'),
    text(
      'dot3adAggPortPartnerOperSystemID',
      'lag_partner_system_id',
      'dot3adAggPortPartnerOperSystemID (MAC)',
    ),
    gauge('dot3adAggPortAttachedAggID', 'lag_attached_agg_id', 'dot3adAggPortAttachedAggID'),
    gauge('dot3adAggPortState', 'lag_actor_admin_state', 'dot3adAggPortState byte 0 (actor admin)', {
      transform: byteOf(24),
    }),
    gauge('dot3adAggPortState', 'lag_actor_oper_state', 'dot3adAggPortState byte 1 (actor oper)', {
      transform: byteOf(16),
    }),
    gauge('dot3adAggPortState', 'lag_partner_admin_state', 'dot3adAggPortState byte 2 (partner admin)', {
      transform: byteOf(8),
    }),
    gauge('dot3adAggPortState', 'lag_partner_oper_state', 'dot3adAggPortState byte 3 (partner oper)', {
      transform: byteOf(0),
    }),
    counter('dot3adAggPortStatsLACPDUsRx', 'lag_lacpdus_rx', 'LACPDUs received'),
    counter('dot3adAggPortStatsMarkerPDUsRx', 'lag_marker_pdus_rx', 'marker PDUs received'),
    counter(
      'dot3adAggPortStatsMarkerResponsePDUsRx',
      'lag_marker_response_pdus_rx',
      'marker responses received',
    ),
    counter('dot3adAggPortStatsUnknownRx', 'lag_unknown_rx', 'unknown frames received'),
    counter('dot3adAggPortStatsIllegalRx', 'lag_illegal_rx', 'illegal frames received'),
    counter('dot3adAggPortStatsLACPDUsTx', 'lag_lacpdus_tx', 'LACPDUs sent'),
    counter('dot3adAggPortStatsMarkerPDUsTx', 'lag_marker_pdus_tx', 'marker PDUs sent'),
    counter('dot3adAggPortStatsMarkerResponsePDUsTx', 'lag_marker_response_pdus_tx', 'marker responses sent'),
  ],
};

const SFP: RecordMapping = {
  format: '0:10',
  record: 'sfp',
  origin: 'flowlens',
  fields: [
    gauge('moduleId', 'sfp_module_id', 'module id'),
    gauge('moduleTotalLanes', 'sfp_lanes', 'lanes in the module'),
    gauge('moduleSupplyVoltage', 'sfp_supply_voltage', 'supply voltage', { unit: 'mV' }),
    gauge('moduleTemperature', 'sfp_temperature', 'module temperature', { unit: 'milli °C' }),
    gauge(
      'lanes',
      'sfp_lane',
      'per lane: txbiascurrent (µA), txpower, rxpower (µW), min/max, wavelengths (nm)',
      {
        array: true,
      },
    ),
  ],
};

const PFC: RecordMapping = {
  format: '0:11',
  record: 'pfc_counters',
  origin: 'flowlens',
  fields: [
    counter('requests', 'pfc_requests', 'PFC pause requests sent', { unit: 'frames/s' }),
    counter('indications', 'pfc_indications', 'PFC pause indications received', { unit: 'frames/s' }),
    counter('pauseDuration', 'pfc_pause_duration', 'time paused', { unit: 'µs/s' }),
    counter('stormDetected', 'pfc_storm_detected', 'PFC storms detected', { unit: '1/s' }),
    counter('stormRestored', 'pfc_storm_restored', 'PFC storms cleared', { unit: '1/s' }),
  ],
  derived: [
    {
      metric: 'pfc_pause_utilization',
      formula: 'pfc_pause_duration / 10 000 (share of time paused; can exceed 100 with several priorities)',
      unit: '%',
      compute: (g) => div(g('pfc_pause_duration'), 1e4),
    },
  ],
};

const PROCESSOR: RecordMapping = {
  format: '0:1001',
  record: 'processor',
  origin: 'inferred',
  fields: [
    {
      field: 'fiveSecCpu',
      metric: 'cpu_utilization',
      kind: 'percent100',
      unit: '%',
      desc: '5 s CPU utilization',
    },
    {
      field: 'oneMinCpu',
      metric: 'cpu_utilization_1m',
      kind: 'percent100',
      unit: '%',
      desc: '1 min CPU utilization',
      origin: 'flowlens',
    },
    {
      field: 'fiveMinCpu',
      metric: 'cpu_utilization_5m',
      kind: 'percent100',
      unit: '%',
      desc: '5 min CPU utilization',
      origin: 'flowlens',
    },
    gauge('totalMemory', 'mem_total', 'total memory', { unit: 'bytes' }),
    gauge('freeMemory', 'mem_free', 'free memory', { unit: 'bytes' }),
  ],
  derived: [
    {
      metric: 'mem_utilization',
      formula: '100 × (mem_total − mem_free) / mem_total',
      unit: '%',
      compute: (g) => usedPct(g('mem_total'), g('mem_free')),
    },
  ],
};

const OF_PORT: RecordMapping = {
  format: '0:1004',
  record: 'of_port',
  origin: 'documented',
  fields: [
    text('datapathId', 'of_dpid', 'OpenFlow datapath id (16 hex digits)', { transform: hex16 }),
    text('portNo', 'of_port', 'OpenFlow port number', { transform: asText }),
  ],
};

const PORT_NAME: RecordMapping = {
  format: '0:1005',
  record: 'port_name',
  origin: 'documented',
  fields: [text('portName', 'ifname', 'port name (ifName)')],
};

// ---------------------------------------------------------------------------
// Hosts (sflow_host.txt); names as Ganglia and sFlow-RT use them
// ---------------------------------------------------------------------------

const HOST_DESCR: RecordMapping = {
  format: '0:2000',
  record: 'host_descr',
  origin: 'app',
  virtualizable: true,
  fields: [
    text('hostname', 'host_name', 'host name'),
    text('uuid', 'uuid', 'host UUID', { origin: 'inferred' }),
    text('machineType', 'machine_type', 'x86_64, arm, ...', { transform: codeName(MACHINE_TYPES) }),
    text('osName', 'os_name', 'linux, windows, ...', { transform: codeName(OS_NAMES) }),
    text('osRelease', 'os_release', 'operating system release'),
  ],
};

const CPU_STATES = ['User', 'Nice', 'System', 'Idle', 'Wio', 'Intr', 'Sintr', 'Steal', 'Guest', 'GuestNice'];
/** States whose time makes up the total (on Linux guest time is already inside user and nice). */
const CPU_TOTAL = ['user', 'nice', 'system', 'idle', 'wio', 'intr', 'sintr', 'steal'];

function cpuTotal(g: (name: string) => number | undefined): number | undefined {
  if (g('.cpu_user') === undefined || g('.cpu_system') === undefined || g('.cpu_idle') === undefined) {
    return undefined;
  }
  let t = 0;
  for (const s of CPU_TOTAL) t += g(`.cpu_${s}`) ?? 0;
  return t;
}

const HOST_CPU: RecordMapping = {
  format: '0:2003',
  record: 'host_cpu',
  origin: 'app',
  fields: [
    gauge('loadOne', 'load_one', '1 min load average'),
    gauge('loadFive', 'load_five', '5 min load average'),
    gauge('loadFifteen', 'load_fifteen', '15 min load average'),
    gauge('procRun', 'proc_run', 'running processes'),
    gauge('procTotal', 'proc_total', 'processes'),
    gauge('cpuNum', 'cpu_num', 'CPUs'),
    gauge('cpuSpeed', 'cpu_speed', 'CPU speed', { unit: 'MHz' }),
    gauge('uptime', 'uptime', 'seconds since boot', { unit: 's', origin: 'inferred' }),
    ...CPU_STATES.map((s) =>
      counter(`cpu${s}`, `.cpu_${snake(s)}`, `time in ${s.toLowerCase()} (ms)`, { hidden: true }),
    ),
    counter('interrupts', 'interrupts', 'interrupts', { unit: '1/s', origin: 'inferred' }),
    counter('contexts', 'contexts', 'context switches', { unit: '1/s', origin: 'inferred' }),
  ],
  derived: [
    ...CPU_STATES.map(
      (s): DerivedMetric => ({
        metric: `cpu_${snake(s)}`,
        formula: `100 × Δcpu${s} / Δ(user+nice+system+idle+wio+intr+sintr+steal)`,
        unit: '%',
        compute: (g) => pct(g(`.cpu_${snake(s)}`), cpuTotal(g)),
        origin: ['Steal', 'Guest', 'GuestNice'].includes(s) ? 'inferred' : 'app',
      }),
    ),
    {
      metric: 'cpu_utilization',
      formula: '100 − cpu_idle − cpu_wio (time neither idle nor waiting for I/O)',
      unit: '%',
      compute: (g) => {
        const total = cpuTotal(g);
        const idle = g('.cpu_idle');
        if (total === undefined || idle === undefined || total <= 0) return undefined;
        return (100 * (total - idle - (g('.cpu_wio') ?? 0))) / total;
      },
    },
    {
      metric: 'load_one_per_cpu',
      formula: 'load_one / cpu_num',
      compute: (g) => ratio(g('load_one'), g('cpu_num')),
    },
    {
      metric: 'load_five_per_cpu',
      formula: 'load_five / cpu_num',
      compute: (g) => ratio(g('load_five'), g('cpu_num')),
      origin: 'inferred',
    },
    {
      metric: 'load_fifteen_per_cpu',
      formula: 'load_fifteen / cpu_num',
      compute: (g) => ratio(g('load_fifteen'), g('cpu_num')),
      origin: 'inferred',
    },
  ],
};

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

const HOST_MEMORY: RecordMapping = {
  format: '0:2004',
  record: 'host_memory',
  origin: 'app',
  fields: [
    gauge('memTotal', 'mem_total', 'total memory', { unit: 'bytes' }),
    gauge('memFree', 'mem_free', 'free memory', { unit: 'bytes' }),
    gauge('memShared', 'mem_shared', 'shared memory', { unit: 'bytes' }),
    gauge('memBuffers', 'mem_buffers', 'buffers', { unit: 'bytes' }),
    gauge('memCached', 'mem_cached', 'page cache', { unit: 'bytes' }),
    gauge('swapTotal', 'swap_total', 'swap space', { unit: 'bytes' }),
    gauge('swapFree', 'swap_free', 'free swap space', { unit: 'bytes' }),
    counter('pageIn', 'page_in', 'pages paged in', { unit: 'pages/s', origin: 'inferred' }),
    counter('pageOut', 'page_out', 'pages paged out', { unit: 'pages/s', origin: 'inferred' }),
    counter('swapIn', 'swap_in', 'pages swapped in', { unit: 'pages/s', origin: 'inferred' }),
    counter('swapOut', 'swap_out', 'pages swapped out', { unit: 'pages/s', origin: 'inferred' }),
  ],
  derived: [
    {
      metric: 'mem_used',
      formula: 'mem_total − mem_free − mem_buffers − mem_cached',
      unit: 'bytes',
      compute: (g) => diff(g('mem_total'), sumWithBase(g('mem_free'), g('mem_buffers'), g('mem_cached'))),
      origin: 'inferred',
    },
    {
      metric: 'mem_utilization',
      formula: '100 × mem_used / mem_total',
      unit: '%',
      compute: (g) =>
        pct(
          diff(g('mem_total'), sumWithBase(g('mem_free'), g('mem_buffers'), g('mem_cached'))),
          g('mem_total'),
        ),
    },
    {
      metric: 'swap_used',
      formula: 'swap_total − swap_free',
      unit: 'bytes',
      compute: (g) => diff(g('swap_total'), g('swap_free')),
      origin: 'inferred',
    },
    {
      metric: 'swap_utilization',
      formula: '100 × swap_used / swap_total',
      unit: '%',
      compute: (g) => usedPct(g('swap_total'), g('swap_free')),
      origin: 'inferred',
    },
  ],
};

const HOST_DISK: RecordMapping = {
  format: '0:2005',
  record: 'host_disk_io',
  origin: 'inferred',
  fields: [
    gauge('diskTotal', 'disk_total', 'disk space', { unit: 'bytes', origin: 'app' }),
    gauge('diskFree', 'disk_free', 'free disk space', { unit: 'bytes', origin: 'app' }),
    {
      field: 'partMaxUsed',
      metric: 'part_max_used',
      kind: 'percent100',
      unit: '%',
      desc: 'fullest partition',
      origin: 'app',
    },
    counter('reads', 'disk_reads', 'reads', { unit: 'reads/s' }),
    counter('bytesRead', 'disk_bytes_read', 'bytes read', { unit: 'bytes/s' }),
    counter('readTime', 'disk_read_time', 'time reading', { unit: 'ms/s' }),
    counter('writes', 'disk_writes', 'writes', { unit: 'writes/s' }),
    counter('bytesWritten', 'disk_bytes_written', 'bytes written', { unit: 'bytes/s' }),
    counter('writeTime', 'disk_write_time', 'time writing', { unit: 'ms/s' }),
  ],
  derived: [
    {
      metric: 'disk_used',
      formula: 'disk_total − disk_free',
      unit: 'bytes',
      compute: (g) => diff(g('disk_total'), g('disk_free')),
    },
    {
      metric: 'disk_utilization',
      formula: '100 × (disk_total − disk_free) / disk_total',
      unit: '%',
      compute: (g) => usedPct(g('disk_total'), g('disk_free')),
      origin: 'app',
    },
  ],
};

function netIo(format: string, record: string, prefix: string, origin: Origin): RecordMapping {
  return {
    format,
    record,
    origin,
    fields: [
      counter('bytesIn', `${prefix}bytes_in`, 'bytes received', { unit: 'bytes/s' }),
      counter('pktsIn', `${prefix}pkts_in`, 'packets received', { unit: 'packets/s' }),
      counter('errsIn', `${prefix}errs_in`, 'receive errors', { unit: 'packets/s' }),
      counter('dropsIn', `${prefix}drops_in`, 'receive drops', { unit: 'packets/s' }),
      counter('bytesOut', `${prefix}bytes_out`, 'bytes sent', { unit: 'bytes/s' }),
      counter('pktsOut', `${prefix}pkts_out`, 'packets sent', { unit: 'packets/s' }),
      counter('errsOut', `${prefix}errs_out`, 'send errors', { unit: 'packets/s' }),
      counter('dropsOut', `${prefix}drops_out`, 'send drops', { unit: 'packets/s' }),
    ],
  };
}

/** MIB-II groups: `ipInReceives` → `ip_inreceives`; configuration values and current counts are gauges. */
const MIB2_GAUGES = new Set([
  'ipForwarding',
  'ipDefaultTTL',
  'tcpRtoAlgorithm',
  'tcpRtoMin',
  'tcpRtoMax',
  'tcpMaxConn',
  'tcpCurrEstab',
]);

function mib2(format: string, record: string, prefix: string): RecordMapping {
  const layout = layoutByFormat(format);
  return {
    format,
    record,
    origin: 'inferred',
    fields: layout.fields.map((f) => {
      const metric = `${prefix}_${f.name.slice(prefix.length).toLowerCase()}`;
      return MIB2_GAUGES.has(f.name) ? gauge(f.name, metric, f.name) : counter(f.name, metric, f.name);
    }),
  };
}

// ---------------------------------------------------------------------------
// Virtual machines and containers (names with the vir_ prefix)
// ---------------------------------------------------------------------------

const VIRT_NODE: RecordMapping = {
  format: '0:2100',
  record: 'virt_node',
  origin: 'flowlens',
  fields: [
    gauge('mhz', 'vir_node_mhz', 'hypervisor CPU speed', { unit: 'MHz' }),
    gauge('cpus', 'vir_node_cpus', 'hypervisor CPUs'),
    gauge('memory', 'vir_node_mem_total', 'hypervisor memory', { unit: 'bytes' }),
    gauge('memoryFree', 'vir_node_mem_free', 'hypervisor free memory', { unit: 'bytes' }),
    gauge('numDomains', 'vir_node_domains', 'virtual machines'),
  ],
  derived: [
    {
      metric: 'vir_node_mem_utilization',
      formula: '100 × (vir_node_mem_total − vir_node_mem_free) / vir_node_mem_total',
      unit: '%',
      compute: (g) => usedPct(g('vir_node_mem_total'), g('vir_node_mem_free')),
    },
  ],
};

const VIRT_CPU: RecordMapping = {
  format: '0:2101',
  record: 'virt_cpu',
  origin: 'inferred',
  fields: [
    text('state', 'vir_cpu_state', 'running, paused, ... (libvirt state)', {
      transform: codeName(VIRT_STATES),
    }),
    counter('cpuTime', 'vir_cpu_time', 'CPU time used', { unit: 'ms/s' }),
    gauge('nrVirtCpu', 'vir_cpu_num', 'virtual CPUs'),
  ],
  derived: [
    {
      metric: 'vir_cpu_utilization',
      formula: 'vir_cpu_time / 10 (percent of one CPU; up to 100 × vir_cpu_num)',
      unit: '%',
      compute: (g) => div(g('vir_cpu_time'), 10),
      origin: 'app',
    },
  ],
};

const VIRT_MEMORY: RecordMapping = {
  format: '0:2102',
  record: 'virt_memory',
  origin: 'inferred',
  fields: [
    gauge('memory', 'vir_mem_used', 'memory used', { unit: 'bytes' }),
    gauge('maxMemory', 'vir_mem_total', 'memory allowed', { unit: 'bytes' }),
  ],
  derived: [
    {
      metric: 'vir_mem_utilization',
      formula: '100 × vir_mem_used / vir_mem_total',
      unit: '%',
      compute: (g) => pct(g('vir_mem_used'), g('vir_mem_total')),
    },
  ],
};

const VIRT_DISK: RecordMapping = {
  format: '0:2103',
  record: 'virt_disk_io',
  origin: 'inferred',
  fields: [
    gauge('capacity', 'vir_disk_total', 'disk capacity', { unit: 'bytes' }),
    gauge('allocation', 'vir_disk_allocation', 'disk allocation', { unit: 'bytes' }),
    gauge('available', 'vir_disk_free', 'free disk space', { unit: 'bytes' }),
    counter('rdReq', 'vir_disk_reads', 'reads', { unit: 'reads/s' }),
    counter('rdBytes', 'vir_disk_bytes_read', 'bytes read', { unit: 'bytes/s' }),
    counter('wrReq', 'vir_disk_writes', 'writes', { unit: 'writes/s' }),
    counter('wrBytes', 'vir_disk_bytes_written', 'bytes written', { unit: 'bytes/s' }),
    counter('errs', 'vir_disk_errors', 'errors', { unit: '1/s' }),
  ],
  derived: [
    {
      metric: 'vir_disk_utilization',
      formula: '100 × (vir_disk_total − vir_disk_free) / vir_disk_total',
      unit: '%',
      compute: (g) => usedPct(g('vir_disk_total'), g('vir_disk_free')),
    },
  ],
};

// ---------------------------------------------------------------------------
// Applications
// ---------------------------------------------------------------------------

const JVM_RUNTIME: RecordMapping = {
  format: '0:2105',
  record: 'jvm_runtime',
  origin: 'inferred',
  fields: [
    text('vmName', 'jvm_name', 'JVM name', { origin: 'app' }),
    text('vmVendor', 'jvm_vendor', 'JVM vendor'),
    text('vmVersion', 'jvm_version', 'JVM version'),
  ],
};

const JVM_STATISTICS: RecordMapping = {
  format: '0:2106',
  record: 'jvm_statistics',
  origin: 'inferred',
  fields: [
    gauge('heapInitial', 'jvm_heap_initial', 'initial heap', { unit: 'bytes' }),
    gauge('heapUsed', 'jvm_heap_used', 'heap used', { unit: 'bytes' }),
    gauge('heapCommitted', 'jvm_heap_committed', 'heap committed', { unit: 'bytes' }),
    gauge('heapMax', 'jvm_heap_max', 'maximum heap', { unit: 'bytes' }),
    gauge('nonHeapInitial', 'jvm_non_heap_initial', 'initial non-heap', { unit: 'bytes' }),
    gauge('nonHeapUsed', 'jvm_non_heap_used', 'non-heap used', { unit: 'bytes' }),
    gauge('nonHeapCommitted', 'jvm_non_heap_committed', 'non-heap committed', { unit: 'bytes' }),
    gauge('nonHeapMax', 'jvm_non_heap_max', 'maximum non-heap', { unit: 'bytes' }),
    counter('gcCount', 'jvm_gc_count', 'garbage collections', { unit: '1/s' }),
    counter('gcTime', 'jvm_gc_time', 'time collecting garbage', { unit: 'ms/s' }),
    gauge('classesLoaded', 'jvm_classes_loaded', 'classes loaded'),
    counter('classesTotal', 'jvm_classes_total', 'classes loaded since start', { unit: '1/s' }),
    counter('classesUnloaded', 'jvm_classes_unloaded', 'classes unloaded', { unit: '1/s' }),
    counter('compilationTime', 'jvm_compilation_time', 'time compiling', { unit: 'ms/s' }),
    gauge('threadsLive', 'jvm_threads_live', 'live threads'),
    gauge('threadsDaemon', 'jvm_threads_daemon', 'daemon threads'),
    counter('threadsStarted', 'jvm_threads_started', 'threads started', { unit: '1/s' }),
    gauge('fdOpenCount', 'jvm_fds_open', 'open file descriptors'),
    gauge('fdMaxCount', 'jvm_fds_max', 'file descriptor limit'),
  ],
  derived: [
    {
      metric: 'jvm_heap_utilization',
      formula: '100 × jvm_heap_used / jvm_heap_max',
      unit: '%',
      compute: (g) => pct(g('jvm_heap_used'), g('jvm_heap_max')),
      origin: 'flowlens',
    },
  ],
};

const HTTP_COUNTERS: RecordMapping = {
  format: '0:2201',
  record: 'http_counters',
  origin: 'inferred',
  fields: layoutByFormat('0:2201').fields.map((f) => {
    const m = /^(method|status)(.+)Count$/.exec(f.name);
    const metric = m === null ? `http_${snake(f.name)}` : `http_${m[1]}_${m[2].toLowerCase()}`;
    return counter(f.name, metric, f.name, { unit: 'requests/s' });
  }),
};

const APP_OPERATIONS: RecordMapping = {
  format: '0:2202',
  record: 'app_operations',
  origin: 'inferred',
  fields: [
    text('application', 'app_name', 'application name', { origin: 'flowlens' }),
    ...layoutByFormat('0:2202')
      .fields.filter((f) => f.name !== 'application')
      .map((f) => counter(f.name, `app_${snake(f.name)}`, `operations: ${f.name}`, { unit: 'operations/s' })),
  ],
};

const APP_RESOURCES: RecordMapping = {
  format: '0:2203',
  record: 'app_resources',
  origin: 'app',
  fields: [
    counter('userTime', 'app_usertime', 'user CPU time', { unit: 'ms/s' }),
    counter('systemTime', 'app_systemtime', 'system CPU time', { unit: 'ms/s' }),
    gauge('memUsed', 'app_mem_used', 'memory used', { unit: 'bytes' }),
    gauge('memMax', 'app_mem_max', 'memory limit', { unit: 'bytes' }),
    gauge('fdOpen', 'app_fd_open', 'open file descriptors'),
    gauge('fdMax', 'app_fd_max', 'file descriptor limit'),
    gauge('connOpen', 'app_conn_open', 'open connections'),
    gauge('connMax', 'app_conn_max', 'connection limit'),
  ],
};

const APP_WORKERS: RecordMapping = {
  format: '0:2206',
  record: 'app_workers',
  origin: 'inferred',
  fields: [
    gauge('workersActive', 'app_workers_active', 'busy workers'),
    gauge('workersIdle', 'app_workers_idle', 'idle workers'),
    gauge('workersMax', 'app_workers_max', 'worker limit'),
    counter('reqDelayed', 'app_req_delayed', 'requests delayed', { unit: 'requests/s' }),
    counter('reqDropped', 'app_req_dropped', 'requests dropped', { unit: 'requests/s' }),
  ],
  derived: [
    {
      metric: 'app_workers_utilization',
      formula: '100 × app_workers_active / app_workers_max',
      unit: '%',
      compute: (g) => pct(g('app_workers_active'), g('app_workers_max')),
      origin: 'flowlens',
    },
  ],
};

const OVS_DP: RecordMapping = {
  format: '0:2207',
  record: 'ovs_dp_stats',
  origin: 'app',
  fields: [
    counter('nHit', 'ovs_dp_hits', 'datapath cache hits', { unit: 'packets/s' }),
    counter('nMissed', 'ovs_dp_misses', 'datapath cache misses', { unit: 'packets/s' }),
    counter('nLost', 'ovs_dp_lost', 'packets lost on the way to user space', { unit: 'packets/s' }),
    counter('nMaskHit', 'ovs_mask_hits', 'mask hits', { unit: '1/s' }),
    gauge('nFlows', 'ovs_dp_flows', 'datapath flows'),
    gauge('nMasks', 'ovs_dp_masks', 'datapath masks'),
  ],
  derived: [
    {
      metric: 'ovs_dp_hitrate',
      formula: '100 × ovs_dp_hits / (ovs_dp_hits + ovs_dp_misses)',
      unit: '%',
      compute: (g) => pct(g('ovs_dp_hits'), sumWithBase(g('ovs_dp_hits'), g('ovs_dp_misses'))),
    },
    {
      metric: 'ovs_dp_missrate',
      formula: '100 × ovs_dp_misses / (ovs_dp_hits + ovs_dp_misses)',
      unit: '%',
      compute: (g) => pct(g('ovs_dp_misses'), sumWithBase(g('ovs_dp_hits'), g('ovs_dp_misses'))),
    },
    {
      metric: 'ovs_dp_maskhitsperpacket',
      formula: 'ovs_mask_hits / (ovs_dp_hits + ovs_dp_misses)',
      compute: (g) => ratio(g('ovs_mask_hits'), sumWithBase(g('ovs_dp_hits'), g('ovs_dp_misses'))),
    },
  ],
};

// ---------------------------------------------------------------------------
// Broadcom switch ASIC tables and buffers, NVIDIA GPUs
// ---------------------------------------------------------------------------

const BST_DEVICE: RecordMapping = {
  format: '4413:1',
  record: 'bst_device_buffers',
  origin: 'flowlens',
  fields: [
    { field: 'ucPc', metric: 'bcm_device_uc_pc', kind: 'percent100', unit: '%', desc: 'unicast buffer use' },
    {
      field: 'mcPc',
      metric: 'bcm_device_mc_pc',
      kind: 'percent100',
      unit: '%',
      desc: 'multicast buffer use',
    },
  ],
};

const BST_PORT: RecordMapping = {
  format: '4413:2',
  record: 'bst_port_buffers',
  origin: 'flowlens',
  fields: [
    ...['ingressUcPc', 'ingressMcPc', 'egressUcPc', 'egressMcPc'].map(
      (f): FieldMetric => ({
        field: f,
        metric: `bcm_port_${snake(f)}`,
        kind: 'percent100',
        unit: '%',
        desc: `${f} buffer use`,
      }),
    ),
    {
      field: 'egressQueueUcPc',
      metric: 'bcm_port_egress_queue_uc_pc',
      kind: 'percent100',
      unit: '%',
      desc: 'per egress queue unicast buffer use',
      array: true,
    },
    {
      field: 'egressQueueMcPc',
      metric: 'bcm_port_egress_queue_mc_pc',
      kind: 'percent100',
      unit: '%',
      desc: 'per egress queue multicast buffer use',
      array: true,
    },
  ],
};

/** hw_tables: (entries field, its maximum, utilization metric as the active-routes app names it). */
const HW_TABLE_UTILIZATION: readonly [string, string, string][] = [
  ['hostEntries', 'hostEntriesMax', 'bcm_host_utilization'],
  ['macEntries', 'macEntriesMax', 'bcm_mac_utilization'],
  ['ipv4Entries', 'ipv4EntriesMax', 'bcm_ipv4_utilization'],
  ['ipv6Entries', 'ipv6EntriesMax', 'bcm_ipv6_utilization'],
  ['ipv4Ipv6Entries', 'ipv4Ipv6EntriesMax', 'bcm_ipv4_ipv6_utilization'],
  ['longIpv6Entries', 'longIpv6EntriesMax', 'bcm_long_ipv6_utilization'],
  ['totalRoutes', 'totalRoutesMax', 'bcm_total_routes_utilization'],
  ['ecmpNexthops', 'ecmpNexthopsMax', 'bcm_ecmp_nexthops_utilization'],
  ['aclIngressEntries', 'aclIngressEntriesMax', 'bcm_acl_ingress_utilization'],
  ['aclIngressCounters', 'aclIngressCountersMax', 'bcm_acl_ingress_counters_utilization'],
  ['aclIngressMeters', 'aclIngressMetersMax', 'bcm_acl_ingress_meters_utilization'],
  ['aclIngressSlices', 'aclIngressSlicesMax', 'bcm_acl_ingress_slices_utilization'],
  ['aclEgressEntries', 'aclEgressEntriesMax', 'bcm_acl_egress_utilization'],
  ['aclEgressCounters', 'aclEgressCountersMax', 'bcm_acl_egress_counters_utilization'],
  ['aclEgressMeters', 'aclEgressMetersMax', 'bcm_acl_egress_meters_utilization'],
  ['aclEgressSlices', 'aclEgressSlicesMax', 'bcm_acl_egress_slices_utilization'],
];

const HW_TABLES: RecordMapping = {
  format: '4413:3',
  record: 'hw_tables',
  origin: 'flowlens',
  fields: layoutByFormat('4413:3').fields.map((f) => gauge(f.name, `bcm_${snake(f.name)}`, f.name)),
  derived: HW_TABLE_UTILIZATION.map(
    ([used, max, metric]): DerivedMetric => ({
      metric,
      formula: `100 × bcm_${snake(used)} / bcm_${snake(max)}`,
      unit: '%',
      compute: (g) => pct(g(`bcm_${snake(used)}`), g(`bcm_${snake(max)}`)),
      origin: metric.includes('slices') ? 'flowlens' : 'app',
    }),
  ),
};

const NVIDIA_GPU: RecordMapping = {
  format: '5703:1',
  record: 'nvidia_gpu',
  origin: 'inferred',
  virtualizable: true,
  fields: [
    gauge('deviceCount', 'nvml_device_count', 'GPUs'),
    gauge('processes', 'nvml_processes', 'processes using the GPUs'),
    counter('gpuTime', 'nvml_gputime', 'time a kernel was running, summed over GPUs', {
      unit: 'ms/s',
      origin: 'app',
    }),
    counter('memTime', 'nvml_memtime', 'time memory was read or written, summed over GPUs', { unit: 'ms/s' }),
    gauge('memTotal', 'nvml_mem_total', 'GPU memory', { unit: 'bytes' }),
    gauge('memFree', 'nvml_mem_free', 'free GPU memory', { unit: 'bytes' }),
    counter('eccErrors', 'nvml_ecc_errors', 'ECC errors', { unit: '1/s' }),
    counter('energy', 'nvml_energy', 'energy used (mJ/s = mW)', { unit: 'mW' }),
    gauge('temperature', 'nvml_temperature', 'temperature (hottest GPU)', { unit: '°C' }),
    gauge('fanSpeed', 'nvml_fanspeed', 'fan speed', { unit: '%' }),
  ],
  derived: [
    {
      metric: 'nvml_gpu_utilization',
      formula: 'nvml_gputime / (10 × nvml_device_count)',
      unit: '%',
      compute: (g) => ratio(g('nvml_gputime'), mul(g('nvml_device_count'), 10)),
      origin: 'flowlens',
    },
    {
      metric: 'nvml_mem_utilization',
      formula: '100 × (nvml_mem_total − nvml_mem_free) / nvml_mem_total',
      unit: '%',
      compute: (g) => usedPct(g('nvml_mem_total'), g('nvml_mem_free')),
      origin: 'flowlens',
    },
  ],
};

// ---------------------------------------------------------------------------
// Generic mapping of every other record
// ---------------------------------------------------------------------------

/**
 * How generic records classify their numeric fields: the default kind, and
 * the fields of the other kind. Records not listed report raw values (gauges).
 */
const GENERIC_KINDS: Readonly<Record<string, { default: 'counter' | 'gauge'; except?: readonly string[] }>> =
  {
    tokenring_counters: { default: 'counter' },
    vg_counters: { default: 'counter' },
    ieee80211_counters: { default: 'counter', except: ['dot11AssociatedStationCount'] },
    slow_path_counts: { default: 'counter' },
    ib_counters: { default: 'counter' },
    radio_utilization: { default: 'counter' },
    queue_length: { default: 'counter', except: ['queueIndex', 'segmentSize', 'queueSegments'] },
    memcache_counters_deprecated: {
      default: 'counter',
      except: [
        'uptime',
        'currConnections',
        'connectionStructures',
        'limitMaxbytes',
        'acceptingConns',
        'threads',
        'bytes',
        'currItems',
      ],
    },
    memcache_counters: {
      default: 'counter',
      except: ['threads', 'currConnections', 'connectionStructures', 'currItems', 'bytes', 'limitMaxbytes'],
    },
    vdi_counters: {
      default: 'counter',
      except: [
        'sessionsCurrent',
        'rttMinMs',
        'rttMaxMs',
        'rttAvgMs',
        'audioTxLimit',
        'imgQualMin',
        'imgQualMax',
        'imgQualAvg',
      ],
    },
    energy: { default: 'gauge', except: ['energy', 'errors'] },
    temperature: { default: 'gauge', except: ['errors'] },
  };

function genericField(record: string, f: FieldSpec): FieldMetric {
  const metric = `${record}_${f.name.toLowerCase()}`;
  if (f.type === 'struct[]' || f.type.endsWith('[]')) {
    return { field: f.name, metric, kind: 'gauge', array: true, desc: `${f.name} (per element)` };
  }
  if (f.type !== 'u32' && f.type !== 'u64' && f.type !== 'i32' && f.type !== 'f32' && f.type !== 'f64') {
    return text(f.name, metric, f.name);
  }
  const k = GENERIC_KINDS[record];
  let kind: 'counter' | 'gauge' = k?.default ?? 'gauge';
  if (k?.except?.includes(f.name) === true) kind = kind === 'counter' ? 'gauge' : 'counter';
  // Only unsigned counts can be rates.
  if (kind === 'counter' && f.type !== 'u32' && f.type !== 'u64') kind = 'gauge';
  return { field: f.name, metric, kind, desc: f.name };
}

function genericMapping(layout: RecordLayout): RecordMapping {
  return {
    format: `${layout.enterprise}:${layout.format}`,
    record: layout.name,
    origin: 'generic',
    fields: layout.fields.map((f) => genericField(layout.name, f)),
  };
}

function layoutByFormat(format: string): RecordLayout {
  const l = COUNTER_RECORD_LAYOUTS.find((x) => `${x.enterprise}:${x.format}` === format);
  if (l === undefined) throw new Error(`no counter layout ${format}`);
  return l;
}

const EXPLICIT: readonly RecordMapping[] = [
  IF_COUNTERS,
  ETHERNET,
  VLAN,
  LAG,
  SFP,
  PFC,
  PROCESSOR,
  OF_PORT,
  PORT_NAME,
  HOST_DESCR,
  HOST_CPU,
  HOST_MEMORY,
  HOST_DISK,
  netIo('0:2006', 'host_net_io', '', 'app'),
  mib2('0:2007', 'mib2_ip_group', 'ip'),
  mib2('0:2008', 'mib2_icmp_group', 'icmp'),
  mib2('0:2009', 'mib2_tcp_group', 'tcp'),
  mib2('0:2010', 'mib2_udp_group', 'udp'),
  VIRT_NODE,
  VIRT_CPU,
  VIRT_MEMORY,
  VIRT_DISK,
  netIo('0:2104', 'virt_net_io', 'vir_', 'inferred'),
  JVM_RUNTIME,
  JVM_STATISTICS,
  HTTP_COUNTERS,
  APP_OPERATIONS,
  APP_RESOURCES,
  APP_WORKERS,
  OVS_DP,
  BST_DEVICE,
  BST_PORT,
  HW_TABLES,
  NVIDIA_GPU,
];

/** Every counter record the decoder knows, explicit mappings first, in layout order. */
export const RECORD_MAPPINGS: readonly RecordMapping[] = (() => {
  const explicit = new Map(EXPLICIT.map((m) => [m.format, m]));
  return COUNTER_RECORD_LAYOUTS.map((l) => explicit.get(`${l.enterprise}:${l.format}`) ?? genericMapping(l));
})();

export const MAPPING_BY_FORMAT: ReadonlyMap<string, RecordMapping> = new Map(
  RECORD_MAPPINGS.map((m) => [m.format, m]),
);

/** Field types by "format/field", for counter widths and unknown sentinels. */
export const FIELD_TYPES: ReadonlyMap<string, string> = new Map(
  COUNTER_RECORD_LAYOUTS.flatMap((l) =>
    l.fields.map((f) => [`${l.enterprise}:${l.format}/${f.name}`, f.type]),
  ),
);

/**
 * Counter records whose presence marks a sample as describing a virtual
 * machine or container: host_parent and the virt_* per-domain records.
 */
export const VIRTUAL_MARKERS: ReadonlySet<string> = new Set([
  '0:2002',
  '0:2101',
  '0:2102',
  '0:2103',
  '0:2104',
]);

export const VIR_PREFIX = 'vir_';
