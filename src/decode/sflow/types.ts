/**
 * The decoded sFlow v5 model. Field names are the JSON schema of
 * `flowlens decode` (docs/decode-json.md) and the input of the engine.
 */
import type { FieldRecord } from './struct.js';

export interface DecodeError {
  /** Stable, kebab-case reason; also the label of the error counters. */
  reason: string;
  /** Byte offset in the datagram where the problem was found. */
  offset: number;
}

/**
 * An interface reference of a flow sample.
 * format 0: ifIndex in `value` (0 unknown; the device itself, flagged `local`, is 0x3FFFFFFF in
 *   compact samples and 0xFFFFFFFF in expanded ones, per the errata);
 * format 1: packet discarded, `value` is the drop reason;
 * format 2: multiple interfaces, `value` is their count (0 = unknown, more than one).
 */
export interface SflowInterface {
  format: number;
  value: number;
  local?: true;
  reasonName?: string;
}

export const IFINDEX_LOCAL = 0x3fffffff;

/** A flow or counter record the decoder has a layout for. */
export interface SflowRecord extends FieldRecord {
  format: string;
  name: string;
}

/** A record of a format the decoder does not know: kept and skipped by its length. */
export interface UnknownRecord {
  format: string;
  length: number;
}

/** A record whose body was inconsistent with its length; decoding went on with the next. */
export interface ErrorRecord {
  format: string;
  name?: string;
  length: number;
  error: DecodeError;
}

/** 0:1 sampled_header. `header` is a view into the datagram, created only when read. */
export class SampledHeader {
  readonly format = '0:1';
  readonly name = 'sampled_header';
  headerProtocol: number;
  frameLength: number;
  stripped: number;
  headerLength: number;
  /** The datagram buffer and the header's offset in it, for zero-copy dissection. */
  readonly buffer: Buffer;
  readonly headerOffset: number;

  constructor(
    headerProtocol: number,
    frameLength: number,
    stripped: number,
    buffer: Buffer,
    headerOffset: number,
    headerLength: number,
  ) {
    this.headerProtocol = headerProtocol;
    this.frameLength = frameLength;
    this.stripped = stripped;
    this.buffer = buffer;
    this.headerOffset = headerOffset;
    this.headerLength = headerLength;
  }

  get header(): Buffer {
    return this.buffer.subarray(this.headerOffset, this.headerOffset + this.headerLength);
  }
}

export type FlowRecord = SampledHeader | SflowRecord | UnknownRecord | ErrorRecord;
export type CounterRecord = SflowRecord | UnknownRecord | ErrorRecord;

interface SampleBase {
  /** "enterprise:format" of the sample. */
  format: string;
  sequence: number;
  sourceIdType: number;
  sourceIdIndex: number;
  /** Set when a record of this sample could not be decoded. */
  error?: DecodeError;
}

export interface FlowSample extends SampleBase {
  type: 'flow_sample' | 'flow_sample_expanded';
  samplingRate: number;
  samplePool: number;
  drops: number;
  input: SflowInterface;
  output: SflowInterface;
  records: FlowRecord[];
}

export interface CountersSample extends SampleBase {
  type: 'counters_sample' | 'counters_sample_expanded';
  records: CounterRecord[];
}

export interface DiscardedPacketSample extends SampleBase {
  type: 'discarded_packet';
  /** Discard notifications lost to the agent's rate limit. */
  drops: number;
  /** Plain ifIndex values (0 = unknown). */
  input: number;
  output: number;
  reason: number;
  reasonName: string;
  records: FlowRecord[];
}

export type RtValue = string | number | bigint;

export interface RtMetricSample {
  type: 'rtmetric';
  format: string;
  datasource: string;
  metrics: { name: string; type: number; value: RtValue }[];
  error?: DecodeError;
}

export interface RtFlowSample {
  type: 'rtflow';
  format: string;
  datasource: string;
  samplingRate: number;
  samplePool: number;
  fields: { name: string; type: number; value: RtValue }[];
  error?: DecodeError;
}

export interface UnknownSample {
  type: 'unknown';
  format: string;
  length: number;
}

/** A sample whose length ran past the datagram: nothing after it can be trusted. */
export interface ErrorSample {
  type: 'error';
  format: string;
  length: number;
  error: DecodeError;
}

export type SflowSample =
  | FlowSample
  | CountersSample
  | DiscardedPacketSample
  | RtMetricSample
  | RtFlowSample
  | UnknownSample
  | ErrorSample;

export interface SflowDatagram {
  protocol: 'sflow5';
  version: 5;
  agent: string;
  subAgentId: number;
  sequence: number;
  /** Milliseconds since the agent booted. */
  uptime: number;
  samples: SflowSample[];
  /** Datagram-level problems (sample list cut short); samples before it are kept. */
  error?: DecodeError;
}

/** A datagram that could not be decoded at all (bad version, header cut short). */
export interface SflowDatagramError {
  protocol: 'sflow5';
  error: DecodeError;
}

export function isErrorRecord(r: FlowRecord | CounterRecord): r is ErrorRecord {
  return (r as ErrorRecord).error !== undefined;
}
