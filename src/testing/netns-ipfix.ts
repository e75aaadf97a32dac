/**
 * IPFIX test messages for the network-namespace tests (src/ebpf/netns.test.ts).
 * Hand-built because they must have an exact size; swap for the IPFIX encoder
 * (src/decode/netflow/encode.ts) once it exists if it can pad to a size.
 */

/**
 * A minimal valid IPFIX message of exactly `size` bytes: 16 = header only;
 * otherwise a template (sourceIPv6Address, octetDeltaCount,
 * ipHeaderPacketSection variable-length) and one data record padded out with
 * the variable-length field. `tag` goes into the observation domain and the
 * sequence number makes every message distinct.
 */
export function ipfixMessage(size: number, tag: number, seq: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt16BE(10, 0);
  b.writeUInt16BE(size, 2);
  b.writeUInt32BE(1_700_000_000, 4);
  b.writeUInt32BE(seq, 8);
  b.writeUInt32BE(tag, 12);
  if (size === 16) return b;
  const fixed = 16 + 20 + 4 + 16 + 8; // header, template set, data set header, fixed fields
  const room = size - fixed;
  if (room < 1) throw new Error(`no IPFIX layout for ${size} bytes`);
  let o = 16;
  b.writeUInt16BE(2, o); // template set
  b.writeUInt16BE(20, o + 2);
  b.writeUInt16BE(256, o + 4);
  b.writeUInt16BE(3, o + 6);
  b.writeUInt16BE(27, o + 8); // sourceIPv6Address
  b.writeUInt16BE(16, o + 10);
  b.writeUInt16BE(1, o + 12); // octetDeltaCount
  b.writeUInt16BE(8, o + 14);
  b.writeUInt16BE(313, o + 16); // ipHeaderPacketSection, variable length
  b.writeUInt16BE(0xffff, o + 18);
  o += 20;
  b.writeUInt16BE(256, o);
  b.writeUInt16BE(size - o, o + 2);
  o += 4;
  b.writeUInt16BE(0xfd00, o);
  b.writeUInt32BE(tag, o + 12);
  o += 16;
  b.writeBigUInt64BE(BigInt(size), o);
  o += 8;
  let len = room - 1;
  if (len >= 255) {
    len = room - 3;
    b[o] = 0xff;
    b.writeUInt16BE(len, o + 1);
    o += 3;
  } else {
    b[o++] = len;
  }
  for (let i = 0; i < len; i++) b[o + i] = (i * 31 + seq) & 0xff;
  return b;
}
