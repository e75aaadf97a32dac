/**
 * Flow record layouts (flow_data context), everything except 0:1 sampled_header,
 * which the sample decoder handles by hand.
 *
 * Each layout lists the XDR fields in wire order. Sources were cross-checked
 * against the published sFlow documents named in `doc`, the reference decoder
 * (sflowtool) and the reference encoder (host-sflow); see docs/sflow-structures.md.
 */
import type { FieldSpec, RecordLayout, ScalarType } from './struct.js';

const f = (name: string, type: ScalarType): FieldSpec => ({ name, type });
const u32 = (...names: string[]): FieldSpec[] => names.map((n) => f(n, 'u32'));

const V5 = 'sflow_version_5.txt';
const WIFI = 'sflow_80211.txt';
const TUNNELS = 'sflow_tunnels.txt';
const DROPS = 'sflow_drops.txt';
const TRANSIT = 'sflow_transit.txt';
const HOST = 'sflow_host.txt';
const HTTP = 'sflow_http.txt';
const APP = 'sflow_application.txt';
const IB = 'draft_sflow_infiniband_2.txt';
const HSFLOWD = 'host-sflow src/sflow/sflow.h (no published spec)';
const TXN = 'sflow.org discussion: host performance statistics (application transactions)';

/** sampled_ethernet body, reused by the L2 tunnel records. */
const ETHERNET: readonly FieldSpec[] = [
  f('length', 'u32'),
  f('srcMac', 'mac'),
  f('dstMac', 'mac'),
  f('type', 'u32'),
];

/** sampled_ipv4 body, reused by the IPv4 tunnel records. */
const IPV4: readonly FieldSpec[] = [
  ...u32('length', 'protocol'),
  f('srcIp', 'ip4'),
  f('dstIp', 'ip4'),
  ...u32('srcPort', 'dstPort', 'tcpFlags', 'tos'),
];

/** sampled_ipv6 body, reused by the IPv6 tunnel records. */
const IPV6: readonly FieldSpec[] = [
  ...u32('length', 'protocol'),
  f('srcIp', 'ip6'),
  f('dstIp', 'ip6'),
  ...u32('srcPort', 'dstPort', 'tcpFlags', 'priority'),
];

/** extended_socket_ipv4 / extended_proxy_socket_ipv4 body (20 bytes). */
const SOCKET4: readonly FieldSpec[] = [
  f('protocol', 'u32'),
  f('localIp', 'ip4'),
  f('remoteIp', 'ip4'),
  ...u32('localPort', 'remotePort'),
];

/** extended_socket_ipv6 / extended_proxy_socket_ipv6 body (44 bytes). */
const SOCKET6: readonly FieldSpec[] = [
  f('protocol', 'u32'),
  f('localIp', 'ip6'),
  f('remoteIp', 'ip6'),
  ...u32('localPort', 'remotePort'),
];

/** The application `context` structure, inlined (three strings). */
const APP_CONTEXT: readonly FieldSpec[] = [
  f('application', 'string'),
  f('operation', 'string'),
  f('attributes', 'string'),
];

export const FLOW_RECORD_LAYOUTS: readonly RecordLayout[] = [
  { enterprise: 0, format: 2, name: 'sampled_ethernet', fields: ETHERNET, doc: V5 },
  { enterprise: 0, format: 3, name: 'sampled_ipv4', fields: IPV4, doc: V5 },
  { enterprise: 0, format: 4, name: 'sampled_ipv6', fields: IPV6, doc: V5 },
  {
    enterprise: 0,
    format: 1001,
    name: 'extended_switch',
    fields: u32('srcVlan', 'srcPriority', 'dstVlan', 'dstPriority'),
    doc: `${V5} (errata: 0xFFFFFFFF = unknown)`,
  },
  {
    enterprise: 0,
    format: 1002,
    name: 'extended_router',
    fields: [f('nextHop', 'address'), ...u32('srcMaskLen', 'dstMaskLen')],
    doc: V5,
  },
  {
    enterprise: 0,
    format: 1003,
    name: 'extended_gateway',
    fields: [
      f('nextHop', 'address'),
      ...u32('as', 'srcAs', 'srcPeerAs'),
      // as_path_type: type 1 = AS_SET, 2 = AS_SEQUENCE, then the AS numbers
      { name: 'dstAsPath', type: 'struct[]', of: [f('type', 'u32'), f('asns', 'u32[]')] },
      f('communities', 'u32[]'),
      f('localPref', 'u32'),
    ],
    doc: V5,
  },
  {
    enterprise: 0,
    format: 1004,
    name: 'extended_user',
    // src_user/dst_user are opaque<> in the spec, tagged by an IANA MIBenum charset (106 = UTF-8)
    fields: [f('srcCharset', 'u32'), f('srcUser', 'string'), f('dstCharset', 'u32'), f('dstUser', 'string')],
    doc: V5,
  },
  {
    enterprise: 0,
    format: 1005,
    name: 'extended_url',
    fields: [f('direction', 'u32'), f('url', 'string'), f('host', 'string')],
    doc: `${V5} (deprecated)`,
  },
  {
    enterprise: 0,
    format: 1006,
    name: 'extended_mpls',
    fields: [f('nextHop', 'address'), f('inStack', 'u32[]'), f('outStack', 'u32[]')],
    doc: V5,
  },
  {
    enterprise: 0,
    format: 1007,
    name: 'extended_nat',
    fields: [f('srcAddress', 'address'), f('dstAddress', 'address')],
    doc: V5,
  },
  {
    enterprise: 0,
    format: 1008,
    name: 'extended_mpls_tunnel',
    fields: [f('tunnelLspName', 'string'), ...u32('tunnelId', 'tunnelCos')],
    doc: V5,
  },
  {
    enterprise: 0,
    format: 1009,
    name: 'extended_mpls_vc',
    fields: [f('vcInstanceName', 'string'), ...u32('vllVcId', 'vcLabelCos')],
    doc: V5,
  },
  {
    enterprise: 0,
    format: 1010,
    name: 'extended_mpls_FTN',
    fields: [f('mplsFTNDescr', 'string'), f('mplsFTNMask', 'u32')],
    doc: V5,
  },
  {
    enterprise: 0,
    format: 1011,
    name: 'extended_mpls_LDP_FEC',
    fields: u32('mplsFecAddrPrefixLength'),
    doc: V5,
  },
  { enterprise: 0, format: 1012, name: 'extended_vlantunnel', fields: [f('stack', 'u32[]')], doc: V5 },
  {
    enterprise: 0,
    format: 1013,
    name: 'extended_80211_payload',
    // Spec layout. sflowtool instead parses the payload as a sampled_header body.
    fields: [f('cipherSuite', 'u32'), f('data', 'opaque')],
    doc: WIFI,
  },
  {
    enterprise: 0,
    format: 1014,
    name: 'extended_80211_rx',
    fields: [
      f('ssid', 'string'),
      f('bssid', 'mac'),
      ...u32('version', 'channel'),
      f('speed', 'u64'),
      ...u32('rsni', 'rcpi', 'packetDurationUs'),
    ],
    doc: WIFI,
  },
  {
    enterprise: 0,
    format: 1015,
    name: 'extended_80211_tx',
    fields: [
      f('ssid', 'string'),
      f('bssid', 'mac'),
      ...u32('version', 'transmissions', 'packetDurationUs', 'retransDurationUs', 'channel'),
      f('speed', 'u64'),
      f('powerMw', 'u32'),
    ],
    doc: WIFI,
  },
  {
    enterprise: 0,
    format: 1016,
    name: 'extended_80211_aggregation',
    // pdu pdus<>, where pdu = flow_record records<> and flow_record = {data_format; opaque flow_data<>}.
    // The nested records are kept as (dataFormat, raw body) so the record re-encodes byte for byte.
    fields: [
      {
        name: 'pdus',
        type: 'struct[]',
        of: [{ name: 'records', type: 'struct[]', of: [f('dataFormat', 'u32'), f('data', 'opaque')] }],
      },
    ],
    doc: WIFI,
  },
  {
    enterprise: 0,
    format: 1017,
    name: 'extended_openflow_v1',
    // wildcards and actions are 32-bit bit arrays (OpenFlow 1.0 ofp_match wildcards, ofp_action_type bits)
    fields: [f('flowCookie', 'u64'), ...u32('flowMatch', 'flowActions')],
    doc: 'draft sflow_openflow (extended_openflow_v1, deprecated)',
  },
  {
    enterprise: 0,
    format: 1018,
    name: 'extended_fc',
    fields: u32('srcMaskLen', 'dstMaskLen', 'nextHop', 'metric'),
    doc: 'sflow.org discussion: sFlow, CEE and FCoE (RFC 4625 routing entry)',
  },
  {
    enterprise: 0,
    format: 1019,
    name: 'extended_queue_length',
    fields: u32('queueIndex', 'queueLength'),
    doc: 'sflow.org discussion: queue length monitoring',
  },
  {
    enterprise: 0,
    format: 1020,
    name: 'extended_nat_port',
    fields: u32('srcPort', 'dstPort'),
    doc: 'sflow_pnat.txt',
  },
  { enterprise: 0, format: 1021, name: 'extended_L2_tunnel_egress', fields: ETHERNET, doc: TUNNELS },
  { enterprise: 0, format: 1022, name: 'extended_L2_tunnel_ingress', fields: ETHERNET, doc: TUNNELS },
  { enterprise: 0, format: 1023, name: 'extended_ipv4_tunnel_egress', fields: IPV4, doc: TUNNELS },
  { enterprise: 0, format: 1024, name: 'extended_ipv4_tunnel_ingress', fields: IPV4, doc: TUNNELS },
  { enterprise: 0, format: 1025, name: 'extended_ipv6_tunnel_egress', fields: IPV6, doc: TUNNELS },
  { enterprise: 0, format: 1026, name: 'extended_ipv6_tunnel_ingress', fields: IPV6, doc: TUNNELS },
  {
    enterprise: 0,
    format: 1027,
    name: 'extended_decapsulate_egress',
    fields: u32('innerHeaderOffset'),
    doc: TUNNELS,
  },
  {
    enterprise: 0,
    format: 1028,
    name: 'extended_decapsulate_ingress',
    fields: u32('innerHeaderOffset'),
    doc: TUNNELS,
  },
  { enterprise: 0, format: 1029, name: 'extended_vni_egress', fields: u32('vni'), doc: TUNNELS },
  { enterprise: 0, format: 1030, name: 'extended_vni_ingress', fields: u32('vni'), doc: TUNNELS },
  {
    enterprise: 0,
    format: 1031,
    name: 'extended_ib_lrh',
    fields: u32(
      'srcVl',
      'srcSl',
      'srcDlid',
      'srcSlid',
      'srcLnh',
      'dstVl',
      'dstSl',
      'dstDlid',
      'dstSlid',
      'dstLnh',
    ),
    doc: IB,
  },
  {
    enterprise: 0,
    format: 1032,
    name: 'extended_ib_grh',
    // gid = opaque[16], shown in IPv6 notation (a GID is IPv6-formatted)
    fields: [...u32('flowLabel', 'tc'), f('sGid', 'ip6'), f('dGid', 'ip6'), ...u32('nextHeader', 'length')],
    doc: IB,
  },
  { enterprise: 0, format: 1033, name: 'extended_ib_bth', fields: u32('pkey', 'dstQp', 'opcode'), doc: IB },
  {
    enterprise: 0,
    format: 1034,
    name: 'extended_vlanin',
    fields: [f('stack', 'u32[]')],
    doc: 'sflow.org discussion (extended_vlanin)',
  },
  {
    enterprise: 0,
    format: 1035,
    name: 'extended_vlanout',
    fields: [f('stack', 'u32[]')],
    doc: 'sflow.org discussion (extended_vlanout)',
  },
  { enterprise: 0, format: 1036, name: 'extended_egress_queue', fields: u32('queue'), doc: DROPS },
  {
    enterprise: 0,
    format: 1037,
    name: 'extended_acl',
    // spec field `name` is `aclName` here: decoded records already use `name` for the structure name
    fields: [f('number', 'u32'), f('aclName', 'string'), f('direction', 'u32')],
    doc: DROPS,
  },
  { enterprise: 0, format: 1038, name: 'extended_function', fields: [f('symbol', 'string')], doc: DROPS },
  { enterprise: 0, format: 1039, name: 'extended_transit', fields: u32('delay'), doc: TRANSIT },
  { enterprise: 0, format: 1040, name: 'extended_queue', fields: u32('depth'), doc: TRANSIT },
  {
    enterprise: 0,
    format: 1041,
    name: 'extended_hw_trap',
    fields: [f('group', 'string'), f('trap', 'string')],
    doc: HSFLOWD,
  },
  {
    enterprise: 0,
    format: 1042,
    name: 'extended_linux_drop_reason',
    fields: [f('reason', 'string')],
    doc: HSFLOWD,
  },
  {
    enterprise: 0,
    format: 1043,
    name: 'extended_timestamp',
    fields: [f('nanoseconds', 'u64')],
    doc: HSFLOWD,
  },
  {
    enterprise: 0,
    format: 2000,
    name: 'transaction',
    fields: [
      ...u32('direction', 'wait', 'duration', 'status'),
      f('bytesReceived', 'u64'),
      f('bytesSent', 'u64'),
    ],
    doc: TXN,
  },
  {
    enterprise: 0,
    format: 2001,
    name: 'extended_nfs_storage_transaction',
    fields: [f('path', 'string'), ...u32('operation', 'status')],
    doc: TXN,
  },
  {
    enterprise: 0,
    format: 2002,
    name: 'extended_scsi_storage_transaction',
    fields: u32('lun', 'operation', 'status'),
    doc: TXN,
  },
  {
    enterprise: 0,
    format: 2003,
    name: 'extended_http_transaction',
    fields: [
      f('url', 'string'),
      f('host', 'string'),
      f('referer', 'string'),
      f('useragent', 'string'),
      f('user', 'string'),
      f('status', 'u32'),
    ],
    doc: TXN,
  },
  { enterprise: 0, format: 2100, name: 'extended_socket_ipv4', fields: SOCKET4, doc: HOST },
  { enterprise: 0, format: 2101, name: 'extended_socket_ipv6', fields: SOCKET6, doc: HOST },
  { enterprise: 0, format: 2102, name: 'extended_proxy_socket_ipv4', fields: SOCKET4, doc: HTTP },
  { enterprise: 0, format: 2103, name: 'extended_proxy_socket_ipv6', fields: SOCKET6, doc: HTTP },
  {
    enterprise: 0,
    format: 2200,
    name: 'memcache_operation',
    fields: [
      ...u32('protocol', 'cmd'),
      f('key', 'string'),
      ...u32('nkeys', 'valueBytes', 'durationUs', 'status'),
    ],
    doc: 'sflow_memcache.txt',
  },
  {
    enterprise: 0,
    format: 2201,
    name: 'http_request_deprecated',
    // As encoded by the InMon agent library and decoded by sflowtool: no xff, a single byte count.
    fields: [
      ...u32('method', 'protocol'),
      f('uri', 'string'),
      f('host', 'string'),
      f('referer', 'string'),
      f('useragent', 'string'),
      f('authuser', 'string'),
      f('mimeType', 'string'),
      f('bytes', 'u64'),
      ...u32('durationUs', 'status'),
    ],
    doc: 'sflow_http draft (deprecated); layout of the InMon agent encoder and sflowtool',
  },
  {
    enterprise: 0,
    format: 2202,
    name: 'app_operation',
    fields: [
      ...APP_CONTEXT,
      f('statusDescr', 'string'),
      f('reqBytes', 'u64'),
      f('respBytes', 'u64'),
      ...u32('durationUs', 'status'),
    ],
    doc: APP,
  },
  { enterprise: 0, format: 2203, name: 'app_parent_context', fields: APP_CONTEXT, doc: APP },
  { enterprise: 0, format: 2204, name: 'app_initiator', fields: [f('actor', 'string')], doc: APP },
  { enterprise: 0, format: 2205, name: 'app_target', fields: [f('actor', 'string')], doc: APP },
  {
    enterprise: 0,
    format: 2206,
    name: 'http_request',
    fields: [
      ...u32('method', 'protocol'),
      f('uri', 'string'),
      f('host', 'string'),
      f('referer', 'string'),
      f('useragent', 'string'),
      f('xff', 'string'),
      f('authuser', 'string'),
      f('mimeType', 'string'),
      f('reqBytes', 'u64'),
      f('respBytes', 'u64'),
      f('durationUs', 'u32'),
      f('status', 'i32'),
    ],
    doc: HTTP,
  },
  {
    enterprise: 0,
    format: 2207,
    name: 'extended_proxy_request',
    fields: [f('uri', 'string'), f('host', 'string')],
    doc: HTTP,
  },
  {
    enterprise: 0,
    format: 2208,
    name: 'extended_nav_timing',
    // W3C Navigation Timing, in ms normalised so the smallest time is 1; 0 = event not fired
    fields: u32(
      'type',
      'redirectCount',
      'navigationStart',
      'unloadEventStart',
      'unloadEventEnd',
      'redirectStart',
      'redirectEnd',
      'fetchStart',
      'domainLookupStart',
      'domainLookupEnd',
      'connectStart',
      'connectEnd',
      'secureConnectionStart',
      'requestStart',
      'responseStart',
      'responseEnd',
      'domLoading',
      'domInteractive',
      'domContentLoadedEventStart',
      'domContentLoadedEventEnd',
      'domComplete',
      'loadEventStart',
      'loadEventEnd',
    ),
    doc: 'sflow.org discussion: navigation timing',
  },
  {
    enterprise: 0,
    format: 2209,
    name: 'extended_tcp_info',
    fields: u32(
      'direction',
      'sndMss',
      'rcvMss',
      'unacked',
      'lost',
      'retrans',
      'pmtu',
      'rttUs',
      'rttvarUs',
      'sndCwnd',
      'reordering',
      'minRttUs',
    ),
    doc: 'sflow.org discussion: TCP performance (host-sflow, sflowtool)',
  },
  {
    enterprise: 0,
    format: 2210,
    name: 'extended_entities',
    fields: u32('srcDsClass', 'srcDsIndex', 'dstDsClass', 'dstDsIndex'),
    doc: 'sflow.org discussion: systemd traffic marking (host-sflow, sflowtool)',
  },
  {
    enterprise: 4413,
    format: 1,
    name: 'extended_bst_egress_queue',
    fields: u32('queue'),
    doc: 'sFlow Broadcom buffer structures (bv-sflow.txt)',
  },
];
