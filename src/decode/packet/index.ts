// Public API of the sampled packet header dissector.
export {
  dissect,
  HEADER_ETHERNET,
  HEADER_IPV4,
  HEADER_IPV6,
  LAYER_NAMES,
  MAX_TUNNEL_DEPTH,
  Packet,
} from './dissect.js';
export {
  type KeyGetter,
  type KeyValue,
  keyGetter,
  PACKET_KEY_ALIASES,
  PACKET_KEY_NAMES,
  packetKeys,
} from './keys.js';
export { AETH_TYPE_NAMES, OPCODE_CNP, OPCODE_NAMES, TRANSPORT_NAMES } from './roce.js';
