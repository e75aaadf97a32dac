/**
 * IPFIX (RFC 7011), NetFlow v9 (RFC 3954) and NetFlow v5 decoder.
 *
 * One decoder holds the template store, the options lookup tables, the held
 * data sets and the sequence state of every exporter it sees. `decode()` turns
 * one UDP payload into an ExportMessage and never throws on input: problems
 * become `errors[]` entries with a reason and an offset, counted in `stats`.
 *
 * Parsing is bounded by the smaller of the IPFIX message length and the
 * payload length; a set length below 4 ends the message (PAN-OS zero fill);
 * every loop consumes bytes, so decoding always ends.
 */
import { toHex } from '../../common/addr.js';
import {
  fieldKind,
  K_BASIC_LIST,
  K_SKIP,
  K_SUB_TEMPLATE_LIST,
  K_UINT,
  readValue,
  semanticName,
  u16,
  u32,
  VARLEN,
} from './fields.js';
import { lookupIe } from './ies.js';
import { flowKeys } from './keys.js';
import { type DomainLookups, LookupTables, samplingRate } from './lookups.js';
import { type HeldSet, type PendingCounters, PendingData, type PendingOptions } from './pending.js';
import {
  R_END_ABS,
  R_END_DELTA_US,
  R_END_UPTIME,
  R_SAMPLER_ID,
  R_SELECTOR_ID,
  R_START_ABS,
  R_START_DELTA_US,
  R_START_UPTIME,
  R_SYSTEM_INIT,
} from './roles.js';
import { type SequenceStream, type SequenceTotals, SequenceTracker } from './sequence.js';
import { Slots } from './slots.js';
import { ExportStats } from './stats.js';
import {
  exporterKey,
  TemplateStore,
  type TemplateStoreCounters,
  type TemplateStoreOptions,
} from './store.js';
import { type FieldSpec, Template, type TemplateProtocol, templateSignature } from './template.js';
import type {
  ExportError,
  ExporterAddress,
  ExportMessage,
  ExportRecord,
  FieldValue,
  SubTemplateListValue,
  TemplateEvent,
} from './types.js';

export type ExportTransport = 'udp' | 'tcp' | 'sctp';

/** What `FlowExportDecoder.report()` returns. */
export interface DecoderReport {
  datagrams: number;
  messages: { ipfix: number; netflow9: number; netflow5: number; unknown: number };
  datagramsWithErrors: number;
  dataRecords: number;
  optionsRecords: number;
  deferredRecords: number;
  templateRecords: number;
  optionsTemplateRecords: number;
  withdrawals: number;
  withdrawalsIgnored: number;
  sets: { data: number; template: number; optionsTemplate: number; reserved: number };
  dataSetsWithoutTemplate: number;
  zeroFilled: number;
  invalidStrings: number;
  lookupUpdates: number;
  errors: Record<string, number>;
  templates: TemplateStoreCounters & { size: number; exporters: number };
  pending: PendingCounters & { sets: number; bytes: number };
  sequence: SequenceTotals;
  streams: SequenceStream[];
}

export interface FlowExportDecoderOptions {
  /**
   * Transport the messages came over. With 'udp' (default) IPFIX template
   * withdrawals are counted and ignored (RFC 7011 §8.1) and templates expire;
   * with 'tcp' / 'sctp' withdrawals are applied and templates live until withdrawn.
   */
  transport?: ExportTransport;
  /** Compute sFlow-RT keys for data records (default true). */
  keys?: boolean;
  /** Sampling rate for records whose exporter sends none (default 1: unsampled). */
  defaultSamplingRate?: number;
  /** Per exporter address: a sampling rate that overrides whatever the exporter says. */
  samplingOverrides?: Record<string, number>;
  /** A template store to use (e.g. one restored with TemplateStore.fromJSON), or options for a new one. */
  templates?: TemplateStore | TemplateStoreOptions;
  /** Limits of the data held while its template is unknown; `false` disables holding. */
  pending?: PendingOptions | false;
  /** Most (exporter, domain) lookup tables and sequence streams kept. Default 10000. */
  maxDomains?: number;
  /** Deepest nesting of structured data (RFC 6313) decoded; deeper lists stay hex. Default 4. */
  maxListDepth?: number;
  stats?: ExportStats;
}

const IPFIX_HEADER = 16;
const NETFLOW9_HEADER = 20;
const NETFLOW5_HEADER = 24;
const NETFLOW5_RECORD = 48;
const HOUSEKEEPING_MS = 5000;

/** NetFlow v5 flow record as a template of IANA IEs (padding as paddingOctets, skipped). */
const NETFLOW5_SPECS: FieldSpec[] = [
  [8, 4],
  [12, 4],
  [15, 4],
  [10, 2],
  [14, 2],
  [2, 4],
  [1, 4],
  [22, 4],
  [21, 4],
  [7, 2],
  [11, 2],
  [210, 1],
  [6, 1],
  [4, 1],
  [5, 1],
  [16, 2],
  [17, 2],
  [9, 1],
  [13, 1],
  [210, 2],
].map(([id, length]) => ({ id: id!, length: length!, pen: 0 }));
const NETFLOW5_TEMPLATE = new Template('netflow9', 0, 0, false, 0, NETFLOW5_SPECS);

/** Header values record times are computed from (those of the message that carried the records). */
interface Timing {
  exportTime: number;
  sysUptime: number;
  /** NetFlow v5: nanoseconds part of the export time. */
  nsecs: number;
}

/** State of the message being decoded; one instance, reused. */
interface MessageContext {
  msg: ExportMessage;
  exKey: string;
  protocol: TemplateProtocol;
  domain: number;
  nowMs: number;
  /** Data records counted for the IPFIX sequence; -1 once a set could not be counted. */
  seqCount: number;
}

function emptyMessage(
  protocol: ExportMessage['protocol'],
  version: number,
  exporter: ExporterAddress,
): ExportMessage {
  return { protocol, version, exporter, templates: [], records: [], errors: [] };
}

function allZero(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

export class FlowExportDecoder {
  readonly templates: TemplateStore;
  readonly stats: ExportStats;
  readonly pending: PendingData;
  readonly sequences: SequenceTracker;
  readonly lookups: LookupTables;
  readonly transport: ExportTransport;
  readonly keysEnabled: boolean;
  readonly defaultSamplingRate: number;
  readonly samplingOverrides: ReadonlyMap<string, number>;
  readonly maxListDepth: number;
  private readonly holdData: boolean;
  private readonly slots = new Slots();
  private readonly timing: Timing = { exportTime: 0, sysUptime: 0, nsecs: 0 };
  private lastHousekeeping = Number.NaN;
  private listError = false;
  private readonly values: (FieldValue | undefined)[][] = [];

  constructor(options: FlowExportDecoderOptions = {}) {
    this.transport = options.transport ?? 'udp';
    const t = options.templates;
    if (t instanceof TemplateStore) this.templates = t;
    else {
      const o: TemplateStoreOptions = { ...(t ?? {}) };
      if (this.transport !== 'udp' && t?.lifetimeMs === undefined) o.lifetimeMs = 0;
      this.templates = new TemplateStore(o);
    }
    this.stats = options.stats ?? new ExportStats();
    this.holdData = options.pending !== false;
    this.pending = new PendingData(options.pending === false ? {} : (options.pending ?? {}));
    this.sequences = new SequenceTracker({ maxStreams: options.maxDomains });
    this.lookups = new LookupTables(options.maxDomains);
    this.keysEnabled = options.keys ?? true;
    this.defaultSamplingRate = options.defaultSamplingRate ?? 1;
    this.samplingOverrides = new Map(Object.entries(options.samplingOverrides ?? {}));
    this.maxListDepth = options.maxListDepth ?? 4;
  }

  /** The options lookup tables of one domain (sampling, interface and VRF names), if any were learned. */
  lookupTables(
    exporter: ExporterAddress,
    protocol: TemplateProtocol,
    domain: number,
  ): DomainLookups | undefined {
    return this.lookups.get(LookupTables.key(exporterKey(exporter.address, exporter.port), protocol, domain));
  }

  /**
   * Every counter in one JSON-ready object (for /metrics, logs and summaries):
   * decode counters, template store, held data, and sequence totals and streams.
   */
  report(): DecoderReport {
    const s = this.stats;
    return {
      datagrams: s.datagrams,
      messages: { ...s.messages },
      datagramsWithErrors: s.datagramsWithErrors,
      dataRecords: s.dataRecords,
      optionsRecords: s.optionsRecords,
      deferredRecords: s.deferredRecords,
      templateRecords: s.templateRecords,
      optionsTemplateRecords: s.optionsTemplateRecords,
      withdrawals: s.withdrawals,
      withdrawalsIgnored: s.withdrawalsIgnored,
      sets: { ...s.sets },
      dataSetsWithoutTemplate: s.dataSetsWithoutTemplate,
      zeroFilled: s.zeroFilled,
      invalidStrings: s.invalidStrings,
      lookupUpdates: s.lookupUpdates,
      errors: Object.fromEntries(s.errorsByReason),
      templates: {
        size: this.templates.size,
        exporters: this.templates.exporterCount,
        ...this.templates.counters,
      },
      pending: { sets: this.pending.size, bytes: this.pending.heldBytes, ...this.pending.counters },
      sequence: { ...this.sequences.totals },
      streams: this.sequences.list(),
    };
  }

  /** Drops held data sets (end of input); they count as expired. */
  flushPending(): number {
    return this.pending.flush();
  }

  /** Expires templates and held data by the given time (also done while decoding, every 5 s of receive time). */
  housekeeping(nowMs: number): void {
    this.lastHousekeeping = nowMs;
    this.templates.expire(nowMs);
    this.pending.expire(nowMs);
  }

  /**
   * Decodes one IPFIX message, NetFlow v9 packet or NetFlow v5 packet.
   * `receivedAtMs` drives template expiry and the held-data timeout.
   */
  decode(payload: Buffer, exporter: ExporterAddress, receivedAtMs: number = Date.now()): ExportMessage {
    const stats = this.stats;
    stats.datagrams++;
    if (!(Math.abs(receivedAtMs - this.lastHousekeeping) < HOUSEKEEPING_MS)) this.housekeeping(receivedAtMs);
    const version = payload.length >= 2 ? u16(payload, 0) : -1;
    const exKey = exporterKey(exporter.address, exporter.port);
    let msg: ExportMessage;
    if (version === 10) msg = this.decodeIpfix(payload, exporter, exKey, receivedAtMs);
    else if (version === 9) msg = this.decodeNetflow9(payload, exporter, exKey, receivedAtMs);
    else if (version === 5) msg = this.decodeNetflow5(payload, exporter, exKey);
    else {
      msg = emptyMessage('unknown', version, exporter);
      this.error(msg, payload.length < 2 ? 'truncated-header' : 'unsupported-version', 0);
    }
    stats.messages[msg.protocol]++;
    if (msg.errors.length > 0) stats.datagramsWithErrors++;
    return msg;
  }

  // --- IPFIX ------------------------------------------------------------------------

  private decodeIpfix(buf: Buffer, exporter: ExporterAddress, exKey: string, nowMs: number): ExportMessage {
    if (buf.length < IPFIX_HEADER) {
      const m = emptyMessage('ipfix', 10, exporter);
      this.error(m, 'truncated-header', 0);
      return m;
    }
    const length = u16(buf, 2);
    const domain = u32(buf, 12);
    const msg: ExportMessage = {
      protocol: 'ipfix',
      version: 10,
      exporter,
      observationDomain: domain,
      sequence: u32(buf, 8),
      exportTime: u32(buf, 4),
      length,
      templates: [],
      records: [],
      errors: [],
    };
    if (length < IPFIX_HEADER) {
      this.error(msg, 'bad-message-length', 2);
      return msg;
    }
    let end = length;
    if (length > buf.length) {
      this.error(msg, 'message-length-exceeds-payload', 2);
      end = buf.length;
    } else if (length < buf.length) {
      this.error(msg, 'payload-longer-than-message', length);
    }
    const ctx = this.begin(msg, exKey, 'ipfix', domain, nowMs);
    this.timing.exportTime = msg.exportTime!;
    this.timing.sysUptime = 0;
    this.decodeSets(ctx, buf, IPFIX_HEADER, end, 2, 3);
    this.sequences.observe(
      `${exKey}|ipfix|${domain}`,
      'ipfix',
      exporter.address,
      exporter.port,
      domain,
      msg.sequence!,
      ctx.seqCount,
    );
    return msg;
  }

  // --- NetFlow v9 -------------------------------------------------------------------

  private decodeNetflow9(
    buf: Buffer,
    exporter: ExporterAddress,
    exKey: string,
    nowMs: number,
  ): ExportMessage {
    if (buf.length < NETFLOW9_HEADER) {
      const m = emptyMessage('netflow9', 9, exporter);
      this.error(m, 'truncated-header', 0);
      return m;
    }
    const sourceId = u32(buf, 16);
    const sequence = u32(buf, 12);
    const exportTime = u32(buf, 8);
    const sysUptime = u32(buf, 4);
    const msg: ExportMessage = {
      protocol: 'netflow9',
      version: 9,
      exporter,
      sourceId,
      sequence,
      exportTime,
      sysUptime,
      count: u16(buf, 2),
      templates: [],
      records: [],
      errors: [],
    };
    const ctx = this.begin(msg, exKey, 'netflow9', sourceId, nowMs);
    this.timing.exportTime = exportTime;
    this.timing.sysUptime = sysUptime;
    this.decodeSets(ctx, buf, NETFLOW9_HEADER, buf.length, 0, 1);
    // RFC 3954 §5.1: the sequence counts export packets per (exporter, source ID).
    this.sequences.observe(
      `${exKey}|netflow9|${sourceId}`,
      'netflow9',
      exporter.address,
      exporter.port,
      sourceId,
      sequence,
      1,
      sysUptime,
    );
    return msg;
  }

  // --- NetFlow v5 -------------------------------------------------------------------

  private decodeNetflow5(buf: Buffer, exporter: ExporterAddress, exKey: string): ExportMessage {
    if (buf.length < NETFLOW5_HEADER) {
      const m = emptyMessage('netflow5', 5, exporter);
      this.error(m, 'truncated-header', 0);
      return m;
    }
    const count = u16(buf, 2);
    const sampling = u16(buf, 22);
    const sequence = u32(buf, 16);
    const engineType = buf[20]!;
    const engineId = buf[21]!;
    const samplingInterval = sampling & 0x3fff;
    const msg: ExportMessage = {
      protocol: 'netflow5',
      version: 5,
      exporter,
      sequence,
      exportTime: u32(buf, 8),
      unixNsecs: u32(buf, 12),
      sysUptime: u32(buf, 4),
      count,
      engineType,
      engineId,
      samplingMode: sampling >> 14,
      samplingInterval,
      templates: [],
      records: [],
      errors: [],
    };
    const available = Math.floor((buf.length - NETFLOW5_HEADER) / NETFLOW5_RECORD);
    let n = count;
    if (count > available) {
      this.error(msg, 'truncated-records', NETFLOW5_HEADER + available * NETFLOW5_RECORD);
      n = available;
    }
    this.timing.exportTime = msg.exportTime!;
    this.timing.sysUptime = msg.sysUptime!;
    this.timing.nsecs = msg.unixNsecs!;
    const domain = (engineType << 8) | engineId;
    const headerRate = samplingInterval > 0 ? samplingInterval : undefined;
    const slots = this.slots;
    for (let i = 0; i < n; i++) {
      const p = NETFLOW5_HEADER + i * NETFLOW5_RECORD;
      slots.reset(buf);
      this.decodeRecord(NETFLOW5_TEMPLATE, buf, p, p + NETFLOW5_RECORD, true, 0, null);
      const rec: ExportRecord = {
        templateId: 0,
        options: false,
        fields: NETFLOW5_TEMPLATE.build(this.values[0]!),
      };
      this.recordTimes(rec, 'netflow5', undefined);
      if (this.keysEnabled) {
        const rate = this.samplingOverrides.get(exporter.address) ?? headerRate ?? this.defaultSamplingRate;
        rec.keys = flowKeys(slots, exporter.address, rate, undefined);
      }
      msg.records.push(rec);
    }
    this.timing.nsecs = 0;
    this.stats.records += n;
    this.stats.dataRecords += n;
    this.sequences.observe(
      `${exKey}|netflow5|${domain}`,
      'netflow5',
      exporter.address,
      exporter.port,
      domain,
      sequence,
      n,
      msg.sysUptime,
    );
    return msg;
  }

  // --- sets -------------------------------------------------------------------------

  private begin(
    msg: ExportMessage,
    exKey: string,
    protocol: TemplateProtocol,
    domain: number,
    nowMs: number,
  ): MessageContext {
    return { msg, exKey, protocol, domain, nowMs, seqCount: 0 };
  }

  private decodeSets(
    ctx: MessageContext,
    buf: Buffer,
    start: number,
    end: number,
    templateSetId: number,
    optionsSetId: number,
  ): void {
    const stats = this.stats;
    let pos = start;
    while (end - pos >= 4) {
      const setId = u16(buf, pos);
      const setLen = u16(buf, pos + 2);
      if (setLen < 4) {
        // PAN-OS fills the rest of the packet with zeros: a set length of 0 ends the message.
        if (allZero(buf, pos, end)) stats.zeroFilled++;
        else this.error(ctx.msg, 'bad-set-length', pos, setId);
        return;
      }
      if (setLen > end - pos) {
        this.error(ctx.msg, 'set-length-exceeds-message', pos, setId);
        return;
      }
      const body = pos + 4;
      const setEnd = pos + setLen;
      if (setId === templateSetId) {
        stats.sets.template++;
        this.decodeTemplateSet(ctx, buf, body, setEnd, false);
      } else if (setId === optionsSetId) {
        stats.sets.optionsTemplate++;
        this.decodeTemplateSet(ctx, buf, body, setEnd, true);
      } else if (setId >= 256) {
        stats.sets.data++;
        this.decodeDataSet(ctx, buf, pos, setEnd);
      } else {
        stats.sets.reserved++;
        this.error(ctx.msg, 'reserved-set-id', pos, setId);
      }
      pos = setEnd;
    }
    if (pos < end && !allZero(buf, pos, end)) this.error(ctx.msg, 'trailing-bytes', pos);
  }

  private decodeTemplateSet(
    ctx: MessageContext,
    buf: Buffer,
    start: number,
    end: number,
    options: boolean,
  ): void {
    const ipfix = ctx.protocol === 'ipfix';
    const setId = ipfix ? (options ? 3 : 2) : options ? 1 : 0;
    const maxFields = this.templates.maxFieldsPerTemplate;
    let p = start;
    // Records are at least 4 bytes (v9 options: 6); fewer bytes left are padding.
    while (end - p >= (options && !ipfix ? 6 : 4)) {
      const at = p;
      const id = u16(buf, p);
      const count = u16(buf, p + 2);
      if (ipfix && count === 0) {
        // Withdrawal (IPFIX only): one template, or all data (ID 2) / options (ID 3) templates.
        p += 4;
        if (id < 256 && id !== setId) {
          if (id === 0 && allZero(buf, at, end)) return;
          this.error(ctx.msg, 'bad-template-id', at, setId, id);
          return;
        }
        this.withdraw(ctx, id, options);
        continue;
      }
      if (id < 256) {
        if (!allZero(buf, at, end)) this.error(ctx.msg, 'bad-template-id', at, setId, id);
        return;
      }
      let fieldCount: number;
      let scopeCount = 0;
      if (!ipfix && options) {
        // v9 options template: scope and option lengths in bytes, 4 per field.
        const scopeLen = count;
        const optLen = u16(buf, p + 4);
        p += 6;
        if (scopeLen % 4 !== 0 || optLen % 4 !== 0) {
          this.error(ctx.msg, 'bad-options-template', at, setId, id);
          return;
        }
        scopeCount = scopeLen / 4;
        fieldCount = scopeCount + optLen / 4;
      } else {
        fieldCount = count;
        p += 4;
        if (options) {
          if (end - p < 2) {
            this.error(ctx.msg, 'truncated-template', at, setId, id);
            return;
          }
          scopeCount = u16(buf, p);
          p += 2;
          if (scopeCount === 0 || scopeCount > fieldCount) {
            this.error(ctx.msg, 'bad-scope-count', at, setId, id);
            return;
          }
        }
      }
      if (fieldCount === 0) {
        this.error(ctx.msg, 'empty-template', at, setId, id);
        continue;
      }
      if (fieldCount > maxFields) {
        this.error(ctx.msg, 'too-many-fields', at, setId, id);
        return;
      }
      const specs: FieldSpec[] = new Array<FieldSpec>(fieldCount);
      let ok = true;
      for (let i = 0; i < fieldCount; i++) {
        if (end - p < 4) {
          ok = false;
          break;
        }
        let ie = u16(buf, p);
        const length = u16(buf, p + 2);
        p += 4;
        let pen = 0;
        if (ipfix && ie & 0x8000) {
          if (end - p < 4) {
            ok = false;
            break;
          }
          pen = u32(buf, p);
          p += 4;
          ie &= 0x7fff;
        }
        specs[i] = { id: ie, length, pen };
      }
      if (!ok) {
        this.error(ctx.msg, 'truncated-template', at, setId, id);
        return;
      }
      this.defineTemplate(ctx, id, options, scopeCount, specs);
    }
  }

  private withdraw(ctx: MessageContext, id: number, options: boolean): void {
    const all = id < 256;
    const event: TemplateEvent = { id, options, scopeCount: 0, fields: [], action: 'withdraw-ignored' };
    if (this.transport === 'udp') {
      // RFC 7011 §8.1: withdrawals are not sent over UDP and must be ignored.
      this.stats.withdrawalsIgnored++;
    } else {
      this.stats.withdrawals++;
      event.action = 'withdrawn';
      if (all) this.templates.withdrawAll(ctx.exKey, ctx.protocol, ctx.domain, options);
      else this.templates.withdraw(ctx.exKey, ctx.protocol, ctx.domain, id);
    }
    ctx.msg.templates.push(event);
  }

  private defineTemplate(
    ctx: MessageContext,
    id: number,
    options: boolean,
    scopeCount: number,
    specs: FieldSpec[],
  ): void {
    const stats = this.stats;
    if (options) stats.optionsTemplateRecords++;
    else stats.templateRecords++;
    const signature = templateSignature(ctx.protocol, options, scopeCount, specs);
    let t = this.templates.refresh(ctx.exKey, ctx.protocol, ctx.domain, id, signature, ctx.nowMs);
    let action: TemplateEvent['action'] = 'refreshed';
    if (t === undefined) {
      t = new Template(ctx.protocol, ctx.domain, id, options, scopeCount, specs);
      action = this.templates.define(ctx.msg.exporter, t, ctx.nowMs);
    }
    ctx.msg.templates.push({ id, options, scopeCount: t.scopeCount, fields: t.fieldInfo(), action });
    if (this.pending.size > 0) {
      const held = this.pending.take(ctx.exKey, ctx.protocol, ctx.domain, id);
      for (const h of held) this.decodeHeld(ctx, t, h);
    }
  }

  private decodeHeld(ctx: MessageContext, t: Template, h: HeldSet): void {
    const saved = { ...this.timing };
    this.timing.exportTime = h.exportTime;
    this.timing.sysUptime = h.sysUptime;
    this.timing.nsecs = 0;
    const n = this.decodeRecords(ctx, t, h.data, 0, h.data.length, true, 0);
    this.stats.deferredRecords += n;
    Object.assign(this.timing, saved);
  }

  private decodeDataSet(ctx: MessageContext, buf: Buffer, setStart: number, setEnd: number): void {
    const id = u16(buf, setStart);
    const t = this.templates.get(ctx.exKey, ctx.protocol, ctx.domain, id, ctx.nowMs);
    if (t === undefined) {
      this.stats.dataSetsWithoutTemplate++;
      ctx.seqCount = -1;
      let held = false;
      if (this.holdData) {
        held = this.pending.hold(
          {
            exKey: ctx.exKey,
            protocol: ctx.protocol,
            domain: ctx.domain,
            templateId: id,
            receivedAt: ctx.nowMs,
            exportTime: this.timing.exportTime,
            sysUptime: this.timing.sysUptime,
          },
          buf,
          setStart + 4,
          setEnd,
        );
      }
      const e = this.error(ctx.msg, 'unknown-template', setStart, id, id);
      e.held = held;
      return;
    }
    const n = this.decodeRecords(ctx, t, buf, setStart + 4, setEnd, false, setStart);
    if (ctx.seqCount >= 0) ctx.seqCount += n;
  }

  /**
   * Decodes the records of one data set and appends them to the message.
   * Returns how many were decoded; trailing bytes shorter than a record are padding.
   */
  private decodeRecords(
    ctx: MessageContext,
    t: Template,
    buf: Buffer,
    start: number,
    end: number,
    deferred: boolean,
    errorOffset: number,
  ): number {
    const stats = this.stats;
    const min = t.minLength;
    if (min === 0) {
      this.error(ctx.msg, 'zero-length-template', errorOffset, t.id, t.id);
      return 0;
    }
    const msg = ctx.msg;
    const slots = this.slots;
    const options = t.options;
    let lookups: DomainLookups | undefined;
    const lookupKey = LookupTables.key(ctx.exKey, ctx.protocol, ctx.domain);
    if (options) lookups = this.lookups.getOrCreate(lookupKey);
    else lookups = this.lookups.get(lookupKey);
    let p = start;
    let n = 0;
    while (end - p >= min) {
      slots.reset(buf);
      this.listError = false;
      const next = this.decodeRecord(t, buf, p, end, true, 0, ctx);
      if (next < 0) {
        this.error(msg, 'truncated-record', deferred ? errorOffset : p, t.id, t.id);
        return n;
      }
      if (this.listError) this.error(msg, 'bad-structured-data', deferred ? errorOffset : p, t.id, t.id);
      p = next;
      n++;
      const rec: ExportRecord = { templateId: t.id, options, fields: t.build(this.values[0]!) };
      if (deferred) rec.deferred = true;
      if (options) {
        stats.optionsRecords++;
        if (t.hasRoles && lookups!.learn(slots)) stats.lookupUpdates++;
      } else {
        stats.dataRecords++;
        if (t.hasRoles) {
          this.recordTimes(rec, ctx.protocol, lookups);
          if (this.keysEnabled) {
            rec.keys = flowKeys(slots, msg.exporter.address, this.rateFor(msg, t, lookups), lookups);
          }
        } else if (this.keysEnabled) {
          rec.keys = { agent: msg.exporter.address, samplingrate: this.rateFor(msg, t, lookups) };
        }
      }
      msg.records.push(rec);
    }
    stats.records += n;
    if (p < end) stats.padding(end - p);
    return n;
  }

  /** Sampling rate of a data record (see docs/netflow.md for the order). */
  private rateFor(msg: ExportMessage, t: Template, lookups: DomainLookups | undefined): number {
    const override = this.samplingOverrides.get(msg.exporter.address);
    if (override !== undefined) return override;
    const slots = this.slots;
    const own = samplingRate(slots);
    if (own !== undefined) return own;
    if (lookups !== undefined) {
      const sampler = slots.num(R_SELECTOR_ID) ?? slots.num(R_SAMPLER_ID);
      if (sampler !== undefined) {
        const info = lookups.samplers.get(sampler);
        if (info !== undefined) return info.rate;
      }
      const byTemplate = lookups.templateRates.get(t.id);
      if (byTemplate !== undefined) return byTemplate;
      if (lookups.domainRate !== undefined) return lookups.domainRate;
    }
    return this.defaultSamplingRate;
  }

  /** Flow start / end in ms since the epoch, from whichever time IEs the record has. */
  private recordTimes(rec: ExportRecord, protocol: string, lookups: DomainLookups | undefined): void {
    const s = this.slots;
    const timing = this.timing;
    let start = s.num(R_START_ABS);
    let end = s.num(R_END_ABS);
    if (start === undefined || end === undefined) {
      const startUp = s.num(R_START_UPTIME);
      const endUp = s.num(R_END_UPTIME);
      if (startUp !== undefined || endUp !== undefined) {
        if (protocol === 'ipfix') {
          // IPFIX sysUpTime IEs need systemInitTimeMilliseconds: in the record, or learned from options data.
          const init = s.num(R_SYSTEM_INIT) ?? lookups?.systemInitMs;
          if (init !== undefined) {
            if (start === undefined && startUp !== undefined) start = init + startUp;
            if (end === undefined && endUp !== undefined) end = init + endUp;
          }
        } else {
          // NetFlow v9 / v5: ms of uptime; the header pairs an uptime with a wall-clock time.
          const base = timing.exportTime * 1000 + Math.floor(timing.nsecs / 1e6);
          if (start === undefined && startUp !== undefined) start = base - ((timing.sysUptime - startUp) | 0);
          if (end === undefined && endUp !== undefined) end = base - ((timing.sysUptime - endUp) | 0);
        }
      }
      const startDelta = s.num(R_START_DELTA_US);
      const endDelta = s.num(R_END_DELTA_US);
      if (start === undefined && startDelta !== undefined)
        start = timing.exportTime * 1000 - startDelta / 1000;
      if (end === undefined && endDelta !== undefined) end = timing.exportTime * 1000 - endDelta / 1000;
    }
    if (start !== undefined) rec.start = start;
    if (end !== undefined) rec.end = end;
  }

  /**
   * Decodes one record's fields into `fields`. Returns the offset after the
   * record, or -1 when it runs past `end`. With `roles`, role slots are filled.
   */
  private decodeRecord(
    t: Template,
    buf: Buffer,
    p: number,
    end: number,
    roles: boolean,
    depth: number,
    ctx: MessageContext | null,
  ): number {
    const n = t.n;
    const kinds = t.kinds;
    const lengths = t.lengths;
    const values = this.scratch(depth);
    for (let i = 0; i < n; i++) {
      let len = lengths[i]!;
      if (len < 0) {
        // Variable length: 1-byte length, or 255 then a 2-byte length (RFC 7011 §7).
        if (p >= end) return -1;
        len = buf[p++]!;
        if (len === 255) {
          if (end - p < 2) return -1;
          len = (buf[p]! << 8) | buf[p + 1]!;
          p += 2;
        }
      }
      if (len > end - p) return -1;
      const kind = kinds[i]!;
      if (kind !== K_SKIP) {
        let v: FieldValue | undefined;
        // Fast paths for the commonest fields: small counters, ports, interfaces, protocol.
        if (kind === K_UINT && len <= 4 && len !== 3) {
          v =
            len === 1
              ? buf[p]!
              : len === 2
                ? (buf[p]! << 8) | buf[p + 1]!
                : len === 4
                  ? ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0
                  : readValue(buf, p, len, kind);
        } else {
          v =
            kind < K_BASIC_LIST
              ? readValue(buf, p, len, kind)
              : this.decodeList(kind, buf, p, p + len, depth, ctx);
        }
        if (v === undefined) {
          this.stats.invalidStrings++;
        } else {
          if (roles) {
            const r = t.roles[i]!;
            if (r >= 0) this.slots.set(r, v, p, len);
          }
          if (t.wrap[i] === 1) v = { pen: t.pens[i]!, id: t.ids[i]!, value: v };
        }
        values[i] = v;
      }
      p += len;
    }
    return p;
  }

  /** Values of the record being decoded at one nesting depth (sub-template records nest). */
  private scratch(depth: number): (FieldValue | undefined)[] {
    let s = this.values[depth];
    if (s === undefined) {
      s = [];
      this.values[depth] = s;
    }
    return s;
  }

  // --- structured data (RFC 6313) -----------------------------------------------------

  private decodeList(
    kind: number,
    buf: Buffer,
    start: number,
    end: number,
    depth: number,
    ctx: MessageContext | null,
  ): FieldValue {
    if (depth >= this.maxListDepth || end - start < 1) {
      if (end - start < 1) this.listError = true;
      return toHex(buf, start, end);
    }
    const semantic = semanticName(buf[start]!);
    if (kind === K_BASIC_LIST) return this.decodeBasicList(buf, start, end, semantic, depth, ctx);
    if (kind === K_SUB_TEMPLATE_LIST) {
      if (end - start < 3) {
        this.listError = true;
        return toHex(buf, start, end);
      }
      return this.decodeSubTemplateList(buf, start + 3, end, semantic, u16(buf, start + 1), depth, ctx);
    }
    // subTemplateMultiList: semantic, then {template ID, length, records} blocks.
    const lists: SubTemplateListValue[] = [];
    let p = start + 1;
    while (end - p >= 4) {
      const tid = u16(buf, p);
      const len = u16(buf, p + 2);
      if (len < 4 || len > end - p) {
        this.listError = true;
        break;
      }
      lists.push(this.decodeSubTemplateList(buf, p + 4, p + len, semantic, tid, depth, ctx));
      p += len;
    }
    return { semantic, lists };
  }

  private decodeBasicList(
    buf: Buffer,
    start: number,
    end: number,
    semantic: string | number,
    depth: number,
    ctx: MessageContext | null,
  ): FieldValue {
    if (end - start < 5) {
      this.listError = true;
      return toHex(buf, start, end);
    }
    let id = u16(buf, start + 1);
    const elementLength = u16(buf, start + 3);
    let p = start + 5;
    let pen = 0;
    if (id & 0x8000) {
      if (end - p < 4) {
        this.listError = true;
        return toHex(buf, start, end);
      }
      pen = u32(buf, p);
      p += 4;
      id &= 0x7fff;
    }
    const ie = lookupIe(id, pen);
    const kind = fieldKind(ie.type, elementLength);
    const values: FieldValue[] = [];
    const element: { id: number; name: string; pen?: number } = { id, name: ie.name };
    if (pen !== 0) element.pen = pen;
    if (elementLength === 0) return { semantic, element, values };
    while (p < end) {
      let len = elementLength;
      if (len === VARLEN) {
        len = buf[p++]!;
        if (len === 255) {
          if (end - p < 2) {
            this.listError = true;
            break;
          }
          len = u16(buf, p);
          p += 2;
        }
      }
      if (len > end - p) {
        this.listError = true;
        break;
      }
      if (kind !== K_SKIP) {
        const v =
          kind < K_BASIC_LIST
            ? readValue(buf, p, len, kind)
            : this.decodeList(kind, buf, p, p + len, depth + 1, ctx);
        if (v !== undefined) values.push(v);
      }
      p += len;
    }
    return { semantic, element, values };
  }

  private decodeSubTemplateList(
    buf: Buffer,
    start: number,
    end: number,
    semantic: string | number,
    templateId: number,
    depth: number,
    ctx: MessageContext | null,
  ): SubTemplateListValue {
    const t =
      ctx === null
        ? undefined
        : this.templates.get(ctx.exKey, ctx.protocol, ctx.domain, templateId, ctx.nowMs);
    if (t === undefined || t.minLength === 0) return { semantic, templateId, data: toHex(buf, start, end) };
    const records: Record<string, FieldValue>[] = [];
    let p = start;
    while (end - p >= t.minLength) {
      const next = this.decodeRecord(t, buf, p, end, false, depth + 1, ctx);
      if (next < 0) {
        this.listError = true;
        break;
      }
      records.push(t.build(this.values[depth + 1]!));
      p = next;
    }
    return { semantic, templateId, records };
  }

  // --- errors -----------------------------------------------------------------------

  private error(
    msg: ExportMessage,
    reason: string,
    offset: number,
    setId?: number,
    templateId?: number,
  ): ExportError {
    const e: ExportError = { reason, offset };
    if (setId !== undefined) e.setId = setId;
    if (templateId !== undefined) e.templateId = templateId;
    msg.errors.push(e);
    this.stats.error(reason);
    return e;
  }
}
