/**
 * Telemetry protocol detection from the UDP payload alone (never from the port: NetFlow v5 is sent
 * to the sFlow port 6343 in real captures).
 *
 * Rules, checked in this order:
 * - sFlow v5: u32 version = 5 followed by u32 agent address type 1 (IPv4) or 2 (IPv6), and at least
 *   the datagram header (28 bytes with an IPv4 agent, 40 with IPv6).
 * - IPFIX: u16 version = 10, u16 message length >= 16 (header), payload >= 16 bytes. The message
 *   length may exceed the payload (truncated capture): the decoder reports that.
 * - NetFlow v9: u16 version = 9, payload >= 20 bytes (header).
 * - NetFlow v5: u16 version = 5, u16 count 1..30, payload >= 24 + 48 * count bytes.
 * sFlow's first u16 is 0 (0x0000_0005), so it cannot collide with the NetFlow/IPFIX u16 versions.
 */
import { u16be, u32be } from './bytes.js';

export type TelemetryProtocol = 'sflow5' | 'ipfix' | 'netflow9' | 'netflow5' | 'unknown';

export const SFLOW5_MIN_HEADER_V4 = 28;
export const SFLOW5_MIN_HEADER_V6 = 40;
export const IPFIX_HEADER_LENGTH = 16;
export const NETFLOW9_HEADER_LENGTH = 20;
export const NETFLOW5_HEADER_LENGTH = 24;
export const NETFLOW5_RECORD_LENGTH = 48;
export const NETFLOW5_MAX_RECORDS = 30;

export function detectProtocol(payload: Uint8Array): TelemetryProtocol {
  const n = payload.length;
  if (n < 4) return 'unknown';
  const v16 = u16be(payload, 0);
  if (v16 === 0) {
    if (n < 8 || u32be(payload, 0) !== 5) return 'unknown';
    const addrType = u32be(payload, 4);
    if (addrType === 1 && n >= SFLOW5_MIN_HEADER_V4) return 'sflow5';
    if (addrType === 2 && n >= SFLOW5_MIN_HEADER_V6) return 'sflow5';
    return 'unknown';
  }
  switch (v16) {
    case 10:
      return n >= IPFIX_HEADER_LENGTH && u16be(payload, 2) >= IPFIX_HEADER_LENGTH ? 'ipfix' : 'unknown';
    case 9:
      return n >= NETFLOW9_HEADER_LENGTH ? 'netflow9' : 'unknown';
    case 5: {
      const count = u16be(payload, 2);
      if (count < 1 || count > NETFLOW5_MAX_RECORDS) return 'unknown';
      return n >= NETFLOW5_HEADER_LENGTH + NETFLOW5_RECORD_LENGTH * count ? 'netflow5' : 'unknown';
    }
    default:
      return 'unknown';
  }
}
