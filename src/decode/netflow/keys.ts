/**
 * sFlow-RT flow keys of an IPFIX / NetFlow data record, so the engine treats
 * exported flows like sFlow samples (docs/decode-json.md lists the mapping).
 * Values come from the role slots filled while the record was decoded; MACs
 * and the sampled frame (IE 315) are read again from the buffer in the
 * formats the packet dissector uses.
 */
import { dissect, HEADER_ETHERNET, Packet } from '../packet/dissect.js';
import { formatMac, TCPFLAGS_TEXT } from '../packet/format.js';
import { type KeyValue, packetKeys } from '../packet/keys.js';
import type { DomainLookups } from './lookups.js';
import {
  R_BGP_DST_AS,
  R_BGP_NEXTHOP4,
  R_BGP_NEXTHOP6,
  R_BGP_SRC_AS,
  R_DIRECTION,
  R_DOT1Q_VLAN,
  R_DPORT,
  R_DSCP,
  R_DST_MAC,
  R_DST_MASK4,
  R_DST_MASK6,
  R_DST4,
  R_DST6,
  R_FLOW_LABEL,
  R_FRAME_SECTION,
  R_FRAME_SIZE,
  R_ICMP_CODE4,
  R_ICMP_CODE6,
  R_ICMP_TYPE4,
  R_ICMP_TYPE6,
  R_ICMP_TYPECODE4,
  R_ICMP_TYPECODE6,
  R_IN_IF,
  R_IN_PHYS_IF,
  R_IN_VRF,
  R_INIT_OCTETS,
  R_INIT_PACKETS,
  R_IP_VERSION,
  R_NEXTHOP4,
  R_NEXTHOP6,
  R_OCTETS,
  R_OUT_IF,
  R_OUT_PHYS_IF,
  R_OUT_VRF,
  R_PACKETS,
  R_POST_DST_MAC,
  R_POST_OCTETS,
  R_POST_PACKETS,
  R_POST_SRC_MAC,
  R_PROTO,
  R_RESP_OCTETS,
  R_RESP_PACKETS,
  R_SPORT,
  R_SRC_MAC,
  R_SRC_MASK4,
  R_SRC_MASK6,
  R_SRC4,
  R_SRC6,
  R_TCPFLAGS,
  R_TOS,
  R_TOTAL_OCTETS,
  R_TOTAL_PACKETS,
  R_VLAN,
} from './roles.js';
import type { Slots } from './slots.js';

const scratch = new Packet();

function isZeroAddress(s: string): boolean {
  return s === '0.0.0.0' || s === '::';
}

function macKey(s: Slots, role: number, alt: number): string | undefined {
  const r = s.has(role) ? role : s.has(alt) ? alt : -1;
  if (r < 0 || s.len[r] !== 6) return undefined;
  return formatMac(s.buf, s.pos[r]!);
}

/** Octets of the record: octetDeltaCount, else postOctetDeltaCount, else initiator + responder octets, else octetTotalCount. */
function octets(s: Slots): number | undefined {
  const v = s.num(R_OCTETS) ?? s.num(R_POST_OCTETS);
  if (v !== undefined) return v;
  const i = s.num(R_INIT_OCTETS);
  const r = s.num(R_RESP_OCTETS);
  if (i !== undefined || r !== undefined) return (i ?? 0) + (r ?? 0);
  return s.num(R_TOTAL_OCTETS);
}

function packets(s: Slots): number | undefined {
  const v = s.num(R_PACKETS) ?? s.num(R_POST_PACKETS);
  if (v !== undefined) return v;
  const i = s.num(R_INIT_PACKETS);
  const r = s.num(R_RESP_PACKETS);
  if (i !== undefined || r !== undefined) return (i ?? 0) + (r ?? 0);
  return s.num(R_TOTAL_PACKETS);
}

/**
 * Keys of one data record. `agent` is the exporter address; `samplingRate`
 * the rate resolved for this record; `lookups` (optional) names interfaces and VRFs.
 */
export function flowKeys(
  s: Slots,
  agent: string,
  samplingRate: number,
  lookups: DomainLookups | undefined,
): Record<string, KeyValue> {
  let keys: Record<string, KeyValue>;
  let frameLength = -1;
  if (s.has(R_FRAME_SECTION)) {
    // A sampled L2 frame (PSAMP): the same keys as an sFlow sampled header.
    frameLength = s.len[R_FRAME_SECTION]!;
    keys = packetKeys(dissect(s.buf, s.pos[R_FRAME_SECTION]!, frameLength, HEADER_ETHERNET, scratch));
  } else {
    keys = {};
  }
  keys.agent = agent;

  const src4 = s.str(R_SRC4);
  const dst4 = s.str(R_DST4);
  const src6 = s.str(R_SRC6);
  const dst6 = s.str(R_DST6);
  // Address family: ipVersion (60) when present; otherwise the family with non-zero addresses,
  // IPv6 when both are (Huawei SRv6 templates carry the outer IPv6 and the inner IPv4 header).
  const ipVersion = s.num(R_IP_VERSION);
  const has6 = (src6 !== undefined && src6 !== '::') || (dst6 !== undefined && dst6 !== '::');
  const has4 = (src4 !== undefined && src4 !== '0.0.0.0') || (dst4 !== undefined && dst4 !== '0.0.0.0');
  const v6 =
    ipVersion === 6 ||
    (ipVersion !== 4 && (has6 || (!has4 && src4 === undefined && dst4 === undefined && src6 !== undefined)));
  const proto = s.num(R_PROTO);
  if (v6) {
    if (src6 !== undefined) keys.ip6source = src6;
    if (dst6 !== undefined) keys.ip6destination = dst6;
    if (proto !== undefined) keys.ip6nexthdr = proto;
    const label = s.num(R_FLOW_LABEL);
    if (label !== undefined) keys.ip6flowlabel = label & 0xfffff;
  } else {
    if (src4 !== undefined) keys.ipsource = src4;
    if (dst4 !== undefined) keys.ipdestination = dst4;
    if (proto !== undefined) keys.ipprotocol = proto;
  }

  const sport = s.num(R_SPORT);
  const dport = s.num(R_DPORT);
  if (proto === 6) {
    if (sport !== undefined) keys.tcpsourceport = sport;
    if (dport !== undefined) keys.tcpdestinationport = dport;
    const flags = s.num(R_TCPFLAGS);
    if (flags !== undefined) keys.tcpflags = TCPFLAGS_TEXT[flags & 0x1ff]!;
  } else if (proto === 17) {
    if (sport !== undefined) keys.udpsourceport = sport;
    if (dport !== undefined) keys.udpdestinationport = dport;
  } else if (proto === 1 || proto === 58) {
    // ICMP type and code: their own IEs, the combined IE, or (NetFlow convention) the destination port.
    const v4 = proto === 1;
    let type = s.num(v4 ? R_ICMP_TYPE4 : R_ICMP_TYPE6);
    let code = s.num(v4 ? R_ICMP_CODE4 : R_ICMP_CODE6);
    const combined = s.num(v4 ? R_ICMP_TYPECODE4 : R_ICMP_TYPECODE6) ?? dport;
    if (type === undefined && combined !== undefined) type = (combined >> 8) & 0xff;
    if (code === undefined && combined !== undefined) code = combined & 0xff;
    if (type !== undefined) keys[v4 ? 'icmptype' : 'icmp6type'] = type;
    if (code !== undefined) keys[v4 ? 'icmpcode' : 'icmp6code'] = code;
  }

  const tos = s.num(R_TOS);
  if (tos !== undefined) {
    keys[v6 ? 'ip6tos' : 'iptos'] = tos & 0xff;
    keys[v6 ? 'ip6dscp' : 'ipdscp'] = (tos & 0xff) >> 2;
  }
  const dscp = s.num(R_DSCP);
  if (dscp !== undefined) keys[v6 ? 'ip6dscp' : 'ipdscp'] = dscp & 0x3f;

  const inIf = s.num(R_IN_IF) ?? s.num(R_IN_PHYS_IF);
  const outIf = s.num(R_OUT_IF) ?? s.num(R_OUT_PHYS_IF);
  if (inIf !== undefined) keys.inputifindex = inIf;
  if (outIf !== undefined) keys.outputifindex = outIf;
  const direction = s.num(R_DIRECTION);
  if (direction === 0) keys.direction = 'ingress';
  else if (direction === 1) keys.direction = 'egress';

  // VLAN 0 is what exporters report for untagged traffic.
  const vlan = (s.num(R_VLAN) || s.num(R_DOT1Q_VLAN) || 0) & 0xfff;
  if (vlan !== 0) keys.vlan = vlan;
  const macSrc = macKey(s, R_SRC_MAC, R_POST_SRC_MAC);
  if (macSrc !== undefined) keys.macsource = macSrc;
  const macDst = macKey(s, R_DST_MAC, R_POST_DST_MAC);
  if (macDst !== undefined) keys.macdestination = macDst;

  const nextHop = s.str(R_NEXTHOP4) ?? s.str(R_NEXTHOP6);
  if (nextHop !== undefined && !isZeroAddress(nextHop)) keys.ipnexthoprouter = nextHop;
  const bgpNextHop = s.str(R_BGP_NEXTHOP4) ?? s.str(R_BGP_NEXTHOP6);
  if (bgpNextHop !== undefined && !isZeroAddress(bgpNextHop)) keys.bgpnexthop = bgpNextHop;
  const srcAs = s.num(R_BGP_SRC_AS);
  const dstAs = s.num(R_BGP_DST_AS);
  if (srcAs !== undefined) keys.bgpsourceas = srcAs;
  if (dstAs !== undefined) keys.bgpdestinationas = dstAs;
  const srcMask = s.num(R_SRC_MASK4) ?? s.num(R_SRC_MASK6);
  const dstMask = s.num(R_DST_MASK4) ?? s.num(R_DST_MASK6);
  if (srcMask !== undefined) keys.ipsourcemaskbits = srcMask;
  if (dstMask !== undefined) keys.ipdestinationmaskbits = dstMask;

  if (lookups !== undefined) {
    if (inIf !== undefined) {
      const name = lookups.interfaces.get(inIf)?.name;
      if (name !== undefined) keys.inputifname = name;
    }
    if (outIf !== undefined) {
      const name = lookups.interfaces.get(outIf)?.name;
      if (name !== undefined) keys.outputifname = name;
    }
    const inVrf = s.num(R_IN_VRF);
    const outVrf = s.num(R_OUT_VRF);
    if (inVrf !== undefined) {
      const name = lookups.vrfs.get(inVrf);
      if (name !== undefined) keys.ingressvrf = name;
    }
    if (outVrf !== undefined) {
      const name = lookups.vrfs.get(outVrf);
      if (name !== undefined) keys.egressvrf = name;
    }
  }

  const bytes = octets(s) ?? (frameLength >= 0 ? (s.num(R_FRAME_SIZE) ?? frameLength) : undefined);
  if (bytes !== undefined) keys.bytes = bytes;
  const frames = packets(s) ?? (frameLength >= 0 ? 1 : undefined);
  if (frames !== undefined) keys.frames = frames;
  keys.samplingrate = samplingRate;
  return keys;
}
