/**
 * The decoded IPFIX / NetFlow model. It is also the JSON schema of
 * `flowlens decode` for these protocols (docs/decode-json.md), so names here
 * are stable.
 */
import type { KeyValue } from '../packet/keys.js';

export type ExportProtocol = 'ipfix' | 'netflow9' | 'netflow5';

/** Where a message came from: the exporter's transport address. */
export interface ExporterAddress {
  address: string;
  port: number;
}

/** One decoded field value. */
export type FieldValue =
  | number
  | bigint
  | string
  | boolean
  | EnterpriseValue
  | BasicListValue
  | SubTemplateListValue
  | SubTemplateMultiListValue;

/** An enterprise-specific IE: kept with its PEN and ID; `value` is hex unless flowlens knows the IE. */
export interface EnterpriseValue {
  pen: number;
  id: number;
  value: FieldValue;
}

/** RFC 6313 structured data. `semantic` is the registry name (`allOf`, ...) or the number. */
export interface BasicListValue {
  semantic: string | number;
  /** The element IE: `{id, name}` plus `pen` for enterprise IEs. */
  element: { id: number; name: string; pen?: number };
  values: FieldValue[];
}

export interface SubTemplateListValue {
  semantic: string | number;
  templateId: number;
  /** Decoded records; absent when the template is unknown (`data` then holds the hex). */
  records?: Record<string, FieldValue>[];
  data?: string;
}

export interface SubTemplateMultiListValue {
  semantic: string | number;
  lists: SubTemplateListValue[];
}

/** A field specifier of a template, as defined on the wire. */
export interface TemplateFieldInfo {
  id: number;
  name: string;
  /** 65535 = variable length. */
  length: number;
  /** Present for enterprise IEs. */
  pen?: number;
  /** Present (true) for options-template scope fields. */
  scope?: true;
}

export type TemplateAction = 'defined' | 'refreshed' | 'replaced' | 'withdrawn' | 'withdraw-ignored';

/** A template definition or withdrawal carried by the message. */
export interface TemplateEvent {
  id: number;
  options: boolean;
  /** Number of scope fields (options templates), 0 otherwise. */
  scopeCount: number;
  fields: TemplateFieldInfo[];
  /**
   * `defined` (new), `refreshed` (same content again), `replaced` (same ID, new content),
   * `withdrawn` (IPFIX, field count 0, applied over TCP/SCTP), `withdraw-ignored`
   * (a withdrawal received with transport 'udp', where RFC 7011 says to ignore it).
   * For "withdraw all" (ID 2 or 3) `id` is 2 or 3 and `fields` is empty.
   */
  action: TemplateAction;
}

/** A data or options data record. */
export interface ExportRecord {
  templateId: number;
  options: boolean;
  /** Named fields (IANA names; repeated IEs get `_2`, `_3`, ... suffixes). */
  fields: Record<string, FieldValue>;
  /** sFlow-RT flow keys (data records, unless the decoder runs with `keys: false`). */
  keys?: Record<string, KeyValue>;
  /** Flow start / end, ms since the Unix epoch, when the record's timestamps allow it. */
  start?: number;
  end?: number;
  /** Set when the record arrived before its template, was held, and is emitted with the message bringing the template. */
  deferred?: true;
}

export interface ExportError {
  /** Stable kebab-case reason; also the label of the error counters. */
  reason: string;
  /** Byte offset in the message where the problem was found. */
  offset: number;
  /** The set or FlowSet ID concerned, when any. */
  setId?: number;
  /** The template concerned, when any. */
  templateId?: number;
  /** `unknown-template`: the data set was held for the template to arrive (`false`: dropped, over the limits). */
  held?: boolean;
}

/** One IPFIX message, NetFlow v9 packet or NetFlow v5 packet. */
export interface ExportMessage {
  /** 'unknown' when the version word is none of 5, 9, 10. */
  protocol: ExportProtocol | 'unknown';
  version: number;
  exporter: ExporterAddress;
  /** IPFIX Observation Domain ID. */
  observationDomain?: number;
  /** NetFlow v9 Source ID. */
  sourceId?: number;
  /** IPFIX: data records sent before; v9: packets sent before; v5: flows sent before. */
  sequence?: number;
  /** Export time, seconds since the Unix epoch (header). */
  exportTime?: number;
  /** NetFlow v9 / v5: ms since the exporter booted (header). */
  sysUptime?: number;
  /** IPFIX: message length from the header. */
  length?: number;
  /** NetFlow v9 / v5: the header's count field (v9 exporters disagree on its meaning; parsing ignores it). */
  count?: number;
  /** NetFlow v5 header fields. */
  unixNsecs?: number;
  engineType?: number;
  engineId?: number;
  /** NetFlow v5: sampling mode (top 2 bits) and interval (low 14 bits) of the header. */
  samplingMode?: number;
  samplingInterval?: number;
  templates: TemplateEvent[];
  records: ExportRecord[];
  errors: ExportError[];
}

export type { KeyValue };
