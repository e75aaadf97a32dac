// InfiniBand / RoCEv2 Base Transport Header opcode tables (IBA vol. 1 ch. 9, Annex A17).
// The opcode's top 3 bits select the transport, the low 5 bits the operation.
// For every opcode we precompute its name and the extended transport headers that
// follow the BTH, so the dissector does one table lookup per packet.

export const ETH_RDETH = 1;
export const ETH_DETH = 2;
export const ETH_XRCETH = 4;
export const ETH_RETH = 8;
export const ETH_ATOMIC = 16;
export const ETH_AETH = 32;
export const ETH_ATOMICACK = 64;
export const ETH_IMM = 128;
export const ETH_IETH = 256;

/** Extended header sizes in bytes. */
export const SIZE_RDETH = 4;
export const SIZE_DETH = 8;
export const SIZE_XRCETH = 4;
export const SIZE_RETH = 16;
export const SIZE_ATOMIC = 28;
export const SIZE_AETH = 4;
export const SIZE_ATOMICACK = 8;
export const SIZE_IMM = 4;
export const SIZE_IETH = 4;
export const SIZE_BTH = 12;

export const OPCODE_CNP = 0x81;

/** ibbtoptransport values, indexed by opcode >> 5. */
export const TRANSPORT_NAMES: readonly string[] = [
  'RC',
  'UC',
  'RD',
  'UD',
  'CNP',
  'XRC',
  'UNKNOWN',
  'UNKNOWN',
];

/** Operation names by low 5 bits (upper-case, underscores; 0x11 shortened to ACK). */
const OP_NAMES: readonly string[] = [
  'SEND_FIRST', // 0x00
  'SEND_MIDDLE', // 0x01
  'SEND_LAST', // 0x02
  'SEND_LAST_WITH_IMMEDIATE', // 0x03
  'SEND_ONLY', // 0x04
  'SEND_ONLY_WITH_IMMEDIATE', // 0x05
  'RDMA_WRITE_FIRST', // 0x06
  'RDMA_WRITE_MIDDLE', // 0x07
  'RDMA_WRITE_LAST', // 0x08
  'RDMA_WRITE_LAST_WITH_IMMEDIATE', // 0x09
  'RDMA_WRITE_ONLY', // 0x0a
  'RDMA_WRITE_ONLY_WITH_IMMEDIATE', // 0x0b
  'RDMA_READ_REQUEST', // 0x0c
  'RDMA_READ_RESPONSE_FIRST', // 0x0d
  'RDMA_READ_RESPONSE_MIDDLE', // 0x0e
  'RDMA_READ_RESPONSE_LAST', // 0x0f
  'RDMA_READ_RESPONSE_ONLY', // 0x10
  'ACK', // 0x11
  'ATOMIC_ACK', // 0x12
  'COMPARE_SWAP', // 0x13
  'FETCH_ADD', // 0x14
  'RESYNC', // 0x15
  'SEND_LAST_WITH_INVALIDATE', // 0x16
  'SEND_ONLY_WITH_INVALIDATE', // 0x17
];

/** Extended headers of an RC/UC/XRC operation (before transport-specific additions). */
function baseHeaders(op: number): number {
  switch (op) {
    case 0x03:
    case 0x05:
    case 0x09:
      return ETH_IMM;
    case 0x06:
    case 0x0a:
    case 0x0c:
      return ETH_RETH;
    case 0x0b:
      return ETH_RETH | ETH_IMM;
    case 0x0d:
    case 0x0f:
    case 0x10:
    case 0x11:
      return ETH_AETH;
    case 0x12:
      return ETH_AETH | ETH_ATOMICACK;
    case 0x13:
    case 0x14:
      return ETH_ATOMIC;
    case 0x16:
    case 0x17:
      return ETH_IETH;
    default:
      return 0;
  }
}

/** Responses (read responses and acknowledgements) carry no DETH (RD) or XRCETH (XRC). */
function isResponse(op: number): boolean {
  return op >= 0x0d && op <= 0x12;
}

function valid(transport: number, op: number): boolean {
  switch (transport) {
    case 0: // RC
    case 5: // XRC
      return op <= 0x14 || op === 0x16 || op === 0x17;
    case 1: // UC
      return op <= 0x0b;
    case 2: // RD
      return op <= 0x15;
    case 3: // UD
      return op === 0x04 || op === 0x05;
    default:
      return false;
  }
}

/** ibbtopname by full opcode; 'UNKNOWN' for reserved / manufacturer-specific codes. */
export const OPCODE_NAMES: readonly string[] = [];
/** Extended-header bit set (ETH_*) by full opcode. */
export const OPCODE_HEADERS: Uint16Array = new Uint16Array(256);

for (let opcode = 0; opcode < 256; opcode++) {
  const transport = opcode >> 5;
  const op = opcode & 0x1f;
  let name = 'UNKNOWN';
  let headers = 0;
  if (opcode === OPCODE_CNP) {
    name = 'CNP';
  } else if (valid(transport, op)) {
    name = OP_NAMES[op]!;
    headers = baseHeaders(op);
    if (transport === 2) {
      headers |= ETH_RDETH;
      if (!isResponse(op)) headers |= ETH_DETH;
    } else if (transport === 3) {
      headers |= ETH_DETH;
    } else if (transport === 5 && !isResponse(op)) {
      headers |= ETH_XRCETH;
    }
  }
  (OPCODE_NAMES as string[]).push(name);
  OPCODE_HEADERS[opcode] = headers;
}

/** ibbtaethtype values by syndrome bits 6..5. */
export const AETH_TYPE_NAMES: readonly string[] = ['ACK', 'RNR_NAK', 'RESERVED', 'NAK'];
