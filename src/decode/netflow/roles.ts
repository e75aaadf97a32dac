/**
 * Field roles: which IEs feed the flow keys, the record times and the options
 * lookup tables. A template maps each field to a role once, when it is
 * defined; while a record is decoded the first value of each role is kept in a
 * reusable slot array, so keys need no lookup by name.
 */

export const R_SRC4 = 0;
export const R_DST4 = 1;
export const R_SRC6 = 2;
export const R_DST6 = 3;
export const R_PROTO = 4;
export const R_SPORT = 5;
export const R_DPORT = 6;
export const R_TCPFLAGS = 7;
export const R_TOS = 8;
export const R_DSCP = 9;
export const R_IN_IF = 10;
export const R_OUT_IF = 11;
export const R_IN_PHYS_IF = 12;
export const R_OUT_PHYS_IF = 13;
export const R_VLAN = 14;
export const R_DOT1Q_VLAN = 15;
export const R_SRC_MAC = 16;
export const R_DST_MAC = 17;
export const R_POST_SRC_MAC = 18;
export const R_POST_DST_MAC = 19;
export const R_NEXTHOP4 = 20;
export const R_NEXTHOP6 = 21;
export const R_BGP_SRC_AS = 22;
export const R_BGP_DST_AS = 23;
export const R_BGP_NEXTHOP4 = 24;
export const R_BGP_NEXTHOP6 = 25;
export const R_SRC_MASK4 = 26;
export const R_DST_MASK4 = 27;
export const R_SRC_MASK6 = 28;
export const R_DST_MASK6 = 29;
export const R_ICMP_TYPECODE4 = 30;
export const R_ICMP_TYPE4 = 31;
export const R_ICMP_CODE4 = 32;
export const R_ICMP_TYPECODE6 = 33;
export const R_ICMP_TYPE6 = 34;
export const R_ICMP_CODE6 = 35;
export const R_OCTETS = 36;
export const R_POST_OCTETS = 37;
export const R_INIT_OCTETS = 38;
export const R_RESP_OCTETS = 39;
export const R_TOTAL_OCTETS = 40;
export const R_PACKETS = 41;
export const R_POST_PACKETS = 42;
export const R_INIT_PACKETS = 43;
export const R_RESP_PACKETS = 44;
export const R_TOTAL_PACKETS = 45;
export const R_SAMPLER_ID = 46;
export const R_SELECTOR_ID = 47;
export const R_SAMPLING_INTERVAL = 48;
export const R_SAMPLER_RANDOM_INTERVAL = 49;
export const R_PACKET_INTERVAL = 50;
export const R_PACKET_SPACE = 51;
export const R_SAMPLING_SIZE = 52;
export const R_SAMPLING_POPULATION = 53;
export const R_SAMPLING_PROBABILITY = 54;
export const R_FRAME_SECTION = 55;
export const R_FRAME_SIZE = 56;
export const R_DIRECTION = 57;
export const R_IP_VERSION = 58;
export const R_FLOW_LABEL = 59;
export const R_START_UPTIME = 60;
export const R_END_UPTIME = 61;
export const R_START_ABS = 62;
export const R_END_ABS = 63;
export const R_START_DELTA_US = 64;
export const R_END_DELTA_US = 65;
export const R_SYSTEM_INIT = 66;
export const R_IF_NAME = 67;
export const R_IF_DESCRIPTION = 68;
export const R_IN_VRF = 69;
export const R_OUT_VRF = 70;
export const R_VRF_NAME = 71;
export const R_SAMPLER_NAME = 72;
export const R_SELECTOR_NAME = 73;
export const R_TEMPLATE_ID = 74;
export const R_TTL = 75;
export const NUM_ROLES = 76;

/** Role of an IANA IE (PEN 0), or -1. Time IEs map to one role per end: the first present wins. */
const BY_IE = new Map<number, number>([
  [8, R_SRC4],
  [12, R_DST4],
  [27, R_SRC6],
  [28, R_DST6],
  [4, R_PROTO],
  [7, R_SPORT],
  [11, R_DPORT],
  [6, R_TCPFLAGS],
  [5, R_TOS],
  [195, R_DSCP],
  [10, R_IN_IF],
  [14, R_OUT_IF],
  [252, R_IN_PHYS_IF],
  [253, R_OUT_PHYS_IF],
  [58, R_VLAN],
  [243, R_DOT1Q_VLAN],
  [56, R_SRC_MAC],
  [80, R_DST_MAC],
  [81, R_POST_SRC_MAC],
  [57, R_POST_DST_MAC],
  [15, R_NEXTHOP4],
  [62, R_NEXTHOP6],
  [16, R_BGP_SRC_AS],
  [17, R_BGP_DST_AS],
  [18, R_BGP_NEXTHOP4],
  [63, R_BGP_NEXTHOP6],
  [9, R_SRC_MASK4],
  [13, R_DST_MASK4],
  [29, R_SRC_MASK6],
  [30, R_DST_MASK6],
  [32, R_ICMP_TYPECODE4],
  [176, R_ICMP_TYPE4],
  [177, R_ICMP_CODE4],
  [139, R_ICMP_TYPECODE6],
  [178, R_ICMP_TYPE6],
  [179, R_ICMP_CODE6],
  [1, R_OCTETS],
  [23, R_POST_OCTETS],
  [231, R_INIT_OCTETS],
  [232, R_RESP_OCTETS],
  [85, R_TOTAL_OCTETS],
  [2, R_PACKETS],
  [24, R_POST_PACKETS],
  [298, R_INIT_PACKETS],
  [299, R_RESP_PACKETS],
  [86, R_TOTAL_PACKETS],
  [48, R_SAMPLER_ID],
  [302, R_SELECTOR_ID],
  [34, R_SAMPLING_INTERVAL],
  [50, R_SAMPLER_RANDOM_INTERVAL],
  [305, R_PACKET_INTERVAL],
  [306, R_PACKET_SPACE],
  [309, R_SAMPLING_SIZE],
  [310, R_SAMPLING_POPULATION],
  [311, R_SAMPLING_PROBABILITY],
  [315, R_FRAME_SECTION],
  [312, R_FRAME_SIZE],
  [61, R_DIRECTION],
  [60, R_IP_VERSION],
  [31, R_FLOW_LABEL],
  [22, R_START_UPTIME],
  [21, R_END_UPTIME],
  [150, R_START_ABS],
  [152, R_START_ABS],
  [154, R_START_ABS],
  [156, R_START_ABS],
  [151, R_END_ABS],
  [153, R_END_ABS],
  [155, R_END_ABS],
  [157, R_END_ABS],
  [158, R_START_DELTA_US],
  [159, R_END_DELTA_US],
  [160, R_SYSTEM_INIT],
  [82, R_IF_NAME],
  [83, R_IF_DESCRIPTION],
  [234, R_IN_VRF],
  [235, R_OUT_VRF],
  [236, R_VRF_NAME],
  [84, R_SAMPLER_NAME],
  [335, R_SELECTOR_NAME],
  [145, R_TEMPLATE_ID],
  [192, R_TTL],
]);

export function roleOf(id: number, pen: number, netflow9: boolean): number {
  if (pen !== 0 || (netflow9 && id >= 32768)) return -1;
  return BY_IE.get(id) ?? -1;
}

/** NetFlow v9 options scope types (RFC 3954): only the interface scope feeds a role (interface names). */
export function netflow9ScopeRole(type: number): number {
  return type === 2 ? R_IN_IF : -1;
}
