/**
 * The interface counters the simulators send: the sFlow generic interface
 * counters record (format 0:1) of a full-duplex Ethernet port that is up, and
 * the counters_sample that carries it, with the wire rules in one place.
 */
import type { RecordInput, SampleInput } from '../decode/sflow/encode.js';

/** A 32-bit counter as sent: whole, wrapping at 2^32 (as `>>> 0` for values below 2^53). */
export function u32(v: number): number {
  return Math.floor(v) % 4294967296;
}

/** A port's counters since it came up; the counts are totals, wrapped for the wire here. */
export interface InterfaceCounters {
  ifIndex: number;
  /** Bits/s. */
  speed: number;
  /** Octets, sent as 64-bit counters. */
  inOctets: number;
  outOctets: number;
  /** Unicast packets; these and the other counts are 32-bit counters (0 where not given). */
  inPackets: number;
  outPackets: number;
  inMulticast?: number;
  inBroadcast?: number;
  inDiscards?: number;
  inErrors?: number;
  outMulticast?: number;
  outBroadcast?: number;
  outDiscards?: number;
  outErrors?: number;
}

export function interfaceCounters(c: InterfaceCounters): RecordInput {
  return {
    format: '0:1',
    ifIndex: c.ifIndex,
    ifType: 6, // ethernetCsmacd
    ifSpeed: c.speed,
    ifDirection: 1, // full-duplex
    ifStatus: 3, // admin up, oper up
    ifInOctets: Math.floor(c.inOctets),
    ifInUcastPkts: u32(c.inPackets),
    ifInMulticastPkts: u32(c.inMulticast ?? 0),
    ifInBroadcastPkts: u32(c.inBroadcast ?? 0),
    ifInDiscards: u32(c.inDiscards ?? 0),
    ifInErrors: u32(c.inErrors ?? 0),
    ifInUnknownProtos: 0,
    ifOutOctets: Math.floor(c.outOctets),
    ifOutUcastPkts: u32(c.outPackets),
    ifOutMulticastPkts: u32(c.outMulticast ?? 0),
    ifOutBroadcastPkts: u32(c.outBroadcast ?? 0),
    ifOutDiscards: u32(c.outDiscards ?? 0),
    ifOutErrors: u32(c.outErrors ?? 0),
    ifPromiscuousMode: 0,
  };
}

/** A counters_sample of the port `ifIndex` (source id type 0: an interface). */
export function countersSample(sequence: number, ifIndex: number, records: RecordInput[]): SampleInput {
  return { type: 'counters_sample', sequence, sourceIdType: 0, sourceIdIndex: ifIndex, records };
}
