/**
 * Template store: templates keyed by (exporter address, exporter port,
 * protocol version, observation domain / source ID, template ID), as RFC 7011
 * §8 and RFC 3954 §5.1 scope them.
 *
 * Memory is bounded: at most `maxTemplatesPerExporter` per exporter (address
 * and port), `maxTemplates` in all and `maxExporters` exporters. Beyond a cap
 * the least recently used template (or exporter, with all its templates) is
 * evicted and counted. Templates not refreshed for `lifetimeMs` expire (UDP).
 *
 * Recency is kept in intrusive doubly-linked lists (a global one and one per
 * exporter), so a lookup costs a Map get and a few pointer moves.
 */
import { type FieldSpec, Template, type TemplateProtocol } from './template.js';
import type { ExporterAddress, TemplateAction } from './types.js';

export interface TemplateStoreOptions {
  /** Templates kept per exporter (address and port, all domains). Default 2048. */
  maxTemplatesPerExporter?: number;
  /** Templates kept in all. Default 100000. */
  maxTemplates?: number;
  /** Exporters kept. Default 10000. */
  maxExporters?: number;
  /** A template not refreshed for this long is dropped (ms); 0 keeps templates forever. Default 30 min. */
  lifetimeMs?: number;
  /** Fields accepted in one template; longer definitions are refused. Default 1024. */
  maxFieldsPerTemplate?: number;
}

export interface TemplateStoreCounters {
  defined: number;
  refreshed: number;
  replaced: number;
  withdrawn: number;
  expired: number;
  /** Templates evicted by the per-exporter or total cap. */
  evicted: number;
  /** Exporters evicted by the exporter cap (their templates count in `evicted` too). */
  exportersEvicted: number;
}

/** One template as persisted: fields are [id, length] or [id, length, pen]. */
export interface StoredTemplate {
  address: string;
  port: number;
  protocol: TemplateProtocol;
  domain: number;
  id: number;
  options: boolean;
  scopeCount: number;
  fields: number[][];
  refreshedAt: number;
}

export interface TemplateStoreJson {
  format: 'flowlens-templates';
  version: 1;
  templates: StoredTemplate[];
}

class ExporterEntry {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly templates = new Map<number, Template>();
  head: Template | null = null;
  tail: Template | null = null;
  prev: ExporterEntry | null = null;
  next: ExporterEntry | null = null;

  constructor(key: string, address: string, port: number) {
    this.key = key;
    this.address = address;
    this.port = port;
  }
}

/** The string an exporter is keyed by. */
export function exporterKey(address: string, port: number): string {
  return `${address}|${port}`;
}

const TWO_48 = 2 ** 48;

function templateKey(protocol: TemplateProtocol, domain: number, id: number): number {
  return (protocol === 'ipfix' ? TWO_48 : 0) + domain * 65536 + id;
}

export class TemplateStore {
  readonly maxTemplatesPerExporter: number;
  readonly maxTemplates: number;
  readonly maxExporters: number;
  readonly lifetimeMs: number;
  readonly maxFieldsPerTemplate: number;
  readonly counters: TemplateStoreCounters = {
    defined: 0,
    refreshed: 0,
    replaced: 0,
    withdrawn: 0,
    expired: 0,
    evicted: 0,
    exportersEvicted: 0,
  };
  /** Called after every change of content (not on lookups or refreshes of identical templates). */
  onChange: (() => void) | undefined;

  private readonly exporters = new Map<string, ExporterEntry>();
  private total = 0;
  // Global template recency: head = most recently used.
  private head: Template | null = null;
  private tail: Template | null = null;
  private exHead: ExporterEntry | null = null;
  private exTail: ExporterEntry | null = null;

  constructor(options: TemplateStoreOptions = {}) {
    this.maxTemplatesPerExporter = Math.max(1, options.maxTemplatesPerExporter ?? 2048);
    this.maxTemplates = Math.max(1, options.maxTemplates ?? 100_000);
    this.maxExporters = Math.max(1, options.maxExporters ?? 10_000);
    this.lifetimeMs = Math.max(0, options.lifetimeMs ?? 30 * 60_000);
    this.maxFieldsPerTemplate = Math.max(1, options.maxFieldsPerTemplate ?? 1024);
  }

  /** Templates held. */
  get size(): number {
    return this.total;
  }

  get exporterCount(): number {
    return this.exporters.size;
  }

  /** Templates held for one exporter. */
  exporterSize(address: string, port: number): number {
    return this.exporters.get(exporterKey(address, port))?.templates.size ?? 0;
  }

  /**
   * The live template, or undefined. A template older than the lifetime is
   * removed here (counted as expired). Marks template and exporter as used.
   */
  get(
    exKey: string,
    protocol: TemplateProtocol,
    domain: number,
    id: number,
    nowMs: number,
  ): Template | undefined {
    const ex = this.exporters.get(exKey);
    if (ex === undefined) return undefined;
    const t = ex.templates.get(templateKey(protocol, domain, id));
    if (t === undefined) return undefined;
    if (this.lifetimeMs > 0 && nowMs - t.refreshedAt > this.lifetimeMs) {
      this.remove(ex, t);
      this.counters.expired++;
      this.changed();
      return undefined;
    }
    this.touch(ex, t);
    return t;
  }

  /** Looks a template up without expiring or touching it (inspection, tests). */
  peek(address: string, port: number, protocol: TemplateProtocol, domain: number, id: number) {
    return this.exporters.get(exporterKey(address, port))?.templates.get(templateKey(protocol, domain, id));
  }

  /**
   * Refreshes the template when an identical definition (same signature) is
   * held, without compiling it again. Returns the template, or undefined when
   * there is none (the caller then compiles and `define`s it).
   */
  refresh(
    exKey: string,
    protocol: TemplateProtocol,
    domain: number,
    id: number,
    signature: string,
    nowMs: number,
  ): Template | undefined {
    const ex = this.exporters.get(exKey);
    const t = ex?.templates.get(templateKey(protocol, domain, id));
    if (ex === undefined || t === undefined || t.signature !== signature) return undefined;
    t.refreshedAt = nowMs;
    this.touch(ex, t);
    this.counters.refreshed++;
    return t;
  }

  /**
   * Adds or refreshes a template. Same content again is a refresh; the same ID
   * with new content replaces the old definition (normal over UDP).
   */
  define(exporter: ExporterAddress, t: Template, nowMs: number): TemplateAction {
    const key = exporterKey(exporter.address, exporter.port);
    let ex = this.exporters.get(key);
    if (ex === undefined) {
      if (this.exporters.size >= this.maxExporters && this.exTail !== null) this.evictExporter(this.exTail);
      ex = new ExporterEntry(key, exporter.address, exporter.port);
      this.exporters.set(key, ex);
      this.linkExporter(ex);
    }
    const k = templateKey(t.protocol, t.domain, t.id);
    const old = ex.templates.get(k);
    t.refreshedAt = nowMs;
    if (old !== undefined) {
      if (old.signature === t.signature) {
        old.refreshedAt = nowMs;
        this.touch(ex, old);
        this.counters.refreshed++;
        return 'refreshed';
      }
      this.remove(ex, old);
      this.insert(ex, k, t);
      this.counters.replaced++;
      this.changed();
      return 'replaced';
    }
    if (ex.templates.size >= this.maxTemplatesPerExporter && ex.tail !== null) {
      this.remove(ex, ex.tail);
      this.counters.evicted++;
    }
    if (this.total >= this.maxTemplates && this.tail !== null) {
      const victim = this.tail;
      const owner = victim.owner as ExporterEntry;
      this.remove(owner, victim);
      this.counters.evicted++;
      if (owner.templates.size === 0 && owner !== ex) this.dropExporter(owner);
    }
    this.insert(ex, k, t);
    this.counters.defined++;
    this.changed();
    return 'defined';
  }

  /** Removes one template; true when it was there. */
  withdraw(exKey: string, protocol: TemplateProtocol, domain: number, id: number): boolean {
    const ex = this.exporters.get(exKey);
    const t = ex?.templates.get(templateKey(protocol, domain, id));
    if (ex === undefined || t === undefined) return false;
    this.remove(ex, t);
    this.counters.withdrawn++;
    this.changed();
    return true;
  }

  /** Removes every data (or options) template of one domain; returns how many. */
  withdrawAll(exKey: string, protocol: TemplateProtocol, domain: number, options: boolean): number {
    const ex = this.exporters.get(exKey);
    if (ex === undefined) return 0;
    let n = 0;
    for (const t of [...ex.templates.values()]) {
      if (t.protocol === protocol && t.domain === domain && t.options === options) {
        this.remove(ex, t);
        n++;
      }
    }
    this.counters.withdrawn += n;
    if (n > 0) this.changed();
    return n;
  }

  /** Drops templates older than the lifetime; returns how many. */
  expire(nowMs: number): number {
    if (this.lifetimeMs <= 0) return 0;
    let n = 0;
    for (let t = this.tail; t !== null; ) {
      const prev = t.prev;
      if (nowMs - t.refreshedAt > this.lifetimeMs) {
        const owner = t.owner as ExporterEntry;
        this.remove(owner, t);
        if (owner.templates.size === 0) this.dropExporter(owner);
        n++;
      }
      t = prev;
    }
    this.counters.expired += n;
    if (n > 0) this.changed();
    return n;
  }

  /** Every template with its exporter, least recently used first. */
  *entries(): Generator<{ address: string; port: number; template: Template }> {
    for (let t = this.tail; t !== null; t = t.prev) {
      const ex = t.owner as ExporterEntry;
      yield { address: ex.address, port: ex.port, template: t };
    }
  }

  clear(): void {
    for (const ex of [...this.exporters.values()]) {
      for (const t of [...ex.templates.values()]) this.remove(ex, t);
      this.dropExporter(ex);
    }
    this.changed();
  }

  toJSON(): TemplateStoreJson {
    const templates: StoredTemplate[] = [];
    for (const { address, port, template: t } of this.entries()) {
      templates.push({
        address,
        port,
        protocol: t.protocol,
        domain: t.domain,
        id: t.id,
        options: t.options,
        scopeCount: t.scopeCount,
        fields: t.specs.map((s) => (s.pen === 0 ? [s.id, s.length] : [s.id, s.length, s.pen])),
        refreshedAt: t.refreshedAt,
      });
    }
    return { format: 'flowlens-templates', version: 1, templates };
  }

  /** A store holding the templates of a `toJSON()` document (invalid entries are skipped). */
  static fromJSON(json: unknown, options: TemplateStoreOptions = {}): TemplateStore {
    const store = new TemplateStore(options);
    store.load(json);
    return store;
  }

  /**
   * Adds the templates of a `toJSON()` document, keeping their refresh times.
   * Never throws: entries that are not well-formed are skipped. Returns the number loaded.
   */
  load(json: unknown): number {
    if (json === null || typeof json !== 'object') return 0;
    const doc = json as { format?: unknown; version?: unknown; templates?: unknown };
    if (doc.format !== 'flowlens-templates' || doc.version !== 1 || !Array.isArray(doc.templates)) return 0;
    const saved = this.onChange;
    this.onChange = undefined;
    let n = 0;
    for (const entry of doc.templates as unknown[]) {
      const t = parseStored(entry, this.maxFieldsPerTemplate);
      if (t === null) continue;
      const tpl = new Template(t.protocol, t.domain, t.id, t.options, t.scopeCount, t.specs);
      this.define({ address: t.address, port: t.port }, tpl, t.refreshedAt);
      n++;
    }
    this.onChange = saved;
    return n;
  }

  // --- internals ---------------------------------------------------------------------

  private changed(): void {
    this.onChange?.();
  }

  private insert(ex: ExporterEntry, k: number, t: Template): void {
    t.storeKey = k;
    t.owner = ex;
    ex.templates.set(k, t);
    this.total++;
    // Global list, at the head.
    t.prev = null;
    t.next = this.head;
    if (this.head !== null) this.head.prev = t;
    this.head = t;
    if (this.tail === null) this.tail = t;
    // Exporter list, at the head.
    t.ownerPrev = null;
    t.ownerNext = ex.head;
    if (ex.head !== null) ex.head.ownerPrev = t;
    ex.head = t;
    if (ex.tail === null) ex.tail = t;
    this.touchExporter(ex);
  }

  private remove(ex: ExporterEntry, t: Template): void {
    if (ex.templates.get(t.storeKey) !== t) return;
    ex.templates.delete(t.storeKey);
    this.total--;
    if (t.prev !== null) t.prev.next = t.next;
    else this.head = t.next;
    if (t.next !== null) t.next.prev = t.prev;
    else this.tail = t.prev;
    if (t.ownerPrev !== null) t.ownerPrev.ownerNext = t.ownerNext;
    else ex.head = t.ownerNext;
    if (t.ownerNext !== null) t.ownerNext.ownerPrev = t.ownerPrev;
    else ex.tail = t.ownerPrev;
    t.prev = t.next = t.ownerPrev = t.ownerNext = null;
    t.owner = null;
  }

  private touch(ex: ExporterEntry, t: Template): void {
    if (this.head !== t) {
      // Unlink from the global list and put at the head.
      if (t.prev !== null) t.prev.next = t.next;
      if (t.next !== null) t.next.prev = t.prev;
      else this.tail = t.prev;
      t.prev = null;
      t.next = this.head;
      if (this.head !== null) this.head.prev = t;
      this.head = t;
    }
    if (ex.head !== t) {
      if (t.ownerPrev !== null) t.ownerPrev.ownerNext = t.ownerNext;
      if (t.ownerNext !== null) t.ownerNext.ownerPrev = t.ownerPrev;
      else ex.tail = t.ownerPrev;
      t.ownerPrev = null;
      t.ownerNext = ex.head;
      if (ex.head !== null) ex.head.ownerPrev = t;
      ex.head = t;
    }
    this.touchExporter(ex);
  }

  private linkExporter(ex: ExporterEntry): void {
    ex.prev = null;
    ex.next = this.exHead;
    if (this.exHead !== null) this.exHead.prev = ex;
    this.exHead = ex;
    if (this.exTail === null) this.exTail = ex;
  }

  private unlinkExporter(ex: ExporterEntry): void {
    if (ex.prev !== null) ex.prev.next = ex.next;
    else this.exHead = ex.next;
    if (ex.next !== null) ex.next.prev = ex.prev;
    else this.exTail = ex.prev;
    ex.prev = ex.next = null;
  }

  private touchExporter(ex: ExporterEntry): void {
    if (this.exHead === ex) return;
    this.unlinkExporter(ex);
    this.linkExporter(ex);
  }

  private dropExporter(ex: ExporterEntry): void {
    if (this.exporters.get(ex.key) !== ex) return;
    this.exporters.delete(ex.key);
    this.unlinkExporter(ex);
  }

  private evictExporter(ex: ExporterEntry): void {
    const n = ex.templates.size;
    for (const t of [...ex.templates.values()]) this.remove(ex, t);
    this.dropExporter(ex);
    this.counters.evicted += n;
    this.counters.exportersEvicted++;
  }
}

interface ParsedStored {
  address: string;
  port: number;
  protocol: TemplateProtocol;
  domain: number;
  id: number;
  options: boolean;
  scopeCount: number;
  specs: FieldSpec[];
  refreshedAt: number;
}

function isUint(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function parseStored(entry: unknown, maxFields: number): ParsedStored | null {
  if (entry === null || typeof entry !== 'object') return null;
  const e = entry as Record<string, unknown>;
  if (typeof e.address !== 'string' || !isUint(e.port, 65535)) return null;
  if (e.protocol !== 'ipfix' && e.protocol !== 'netflow9') return null;
  if (!isUint(e.domain, 0xffffffff) || !isUint(e.id, 65535) || e.id < 256) return null;
  if (typeof e.options !== 'boolean' || !isUint(e.scopeCount, 65535)) return null;
  if (!Array.isArray(e.fields) || e.fields.length === 0 || e.fields.length > maxFields) return null;
  if (typeof e.refreshedAt !== 'number' || !Number.isFinite(e.refreshedAt)) return null;
  const specs: FieldSpec[] = [];
  for (const f of e.fields as unknown[]) {
    if (!Array.isArray(f) || f.length < 2 || f.length > 3) return null;
    const [id, length, pen = 0] = f as unknown[];
    if (!isUint(id, 65535) || !isUint(length, 65535) || !isUint(pen, 0xffffffff)) return null;
    specs.push({ id, length, pen });
  }
  if (e.options && (e.scopeCount === 0 || e.scopeCount > specs.length)) return null;
  return {
    address: e.address,
    port: e.port,
    protocol: e.protocol,
    domain: e.domain,
    id: e.id,
    options: e.options,
    scopeCount: e.options ? e.scopeCount : 0,
    specs,
    refreshedAt: e.refreshedAt,
  };
}
