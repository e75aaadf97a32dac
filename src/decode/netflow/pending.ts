/**
 * Data sets that arrived before their template (after a collector restart,
 * or reordering), held per exporter until the template comes, within bounds:
 * a count and a byte budget per exporter, a byte budget in all, and an age.
 * Held sets are copies (the receive buffer is reused by the caller).
 */
import type { TemplateProtocol } from './template.js';

export interface HeldSet {
  exKey: string;
  protocol: TemplateProtocol;
  domain: number;
  templateId: number;
  /** The set body (records and padding), copied. */
  data: Buffer;
  receivedAt: number;
  /** Header fields the records' times depend on. */
  exportTime: number;
  sysUptime: number;
}

export interface PendingOptions {
  /** Held sets per exporter. Default 64. */
  maxSetsPerExporter?: number;
  /** Held bytes per exporter. Default 256 KiB. */
  maxBytesPerExporter?: number;
  /** Held bytes in all. Default 8 MiB. */
  maxBytes?: number;
  /** A held set older than this (ms) is dropped and counted as expired. Default 30 s. */
  maxAgeMs?: number;
}

export interface PendingCounters {
  held: number;
  /** Held sets decoded when their template arrived. */
  decoded: number;
  /** Held sets whose template never came in time. */
  expired: number;
  /** Sets not held or pushed out by the size limits. */
  dropped: number;
}

interface ExporterHeld {
  sets: HeldSet[];
  bytes: number;
}

export class PendingData {
  readonly maxSetsPerExporter: number;
  readonly maxBytesPerExporter: number;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly counters: PendingCounters = { held: 0, decoded: 0, expired: 0, dropped: 0 };
  private readonly byExporter = new Map<string, ExporterHeld>();
  /** Every held set, oldest first. */
  private readonly order = new Set<HeldSet>();
  private bytes = 0;

  constructor(options: PendingOptions = {}) {
    this.maxSetsPerExporter = Math.max(0, options.maxSetsPerExporter ?? 64);
    this.maxBytesPerExporter = Math.max(0, options.maxBytesPerExporter ?? 256 * 1024);
    this.maxBytes = Math.max(0, options.maxBytes ?? 8 * 1024 * 1024);
    this.maxAgeMs = Math.max(0, options.maxAgeMs ?? 30_000);
  }

  /** Sets held now. */
  get size(): number {
    return this.order.size;
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Holds a copy of a set; false when it cannot be held (over the limits; counted as dropped). */
  hold(set: Omit<HeldSet, 'data'>, buf: Buffer, start: number, end: number): boolean {
    const size = end - start;
    if (this.maxSetsPerExporter === 0 || size > this.maxBytesPerExporter || size > this.maxBytes) {
      this.counters.dropped++;
      return false;
    }
    let ex = this.byExporter.get(set.exKey);
    if (ex === undefined) {
      ex = { sets: [], bytes: 0 };
      this.byExporter.set(set.exKey, ex);
    }
    while (
      ex.sets.length > 0 &&
      (ex.sets.length >= this.maxSetsPerExporter || ex.bytes + size > this.maxBytesPerExporter)
    ) {
      this.remove(ex.sets[0]!);
      this.counters.dropped++;
    }
    while (this.order.size > 0 && this.bytes + size > this.maxBytes) {
      const oldest = this.order.values().next().value as HeldSet;
      this.remove(oldest);
      this.counters.dropped++;
    }
    // remove() may have dropped the (now empty) exporter entry.
    ex = this.byExporter.get(set.exKey);
    if (ex === undefined) {
      ex = { sets: [], bytes: 0 };
      this.byExporter.set(set.exKey, ex);
    }
    const held: HeldSet = { ...set, data: Buffer.from(buf.subarray(start, end)) };
    ex.sets.push(held);
    ex.bytes += size;
    this.bytes += size;
    this.order.add(held);
    this.counters.held++;
    return true;
  }

  /** Removes and returns the held sets for one template, oldest first. */
  take(exKey: string, protocol: TemplateProtocol, domain: number, templateId: number): HeldSet[] {
    const ex = this.byExporter.get(exKey);
    if (ex === undefined) return [];
    let out: HeldSet[] | undefined;
    for (const s of ex.sets) {
      if (s.templateId === templateId && s.domain === domain && s.protocol === protocol) {
        if (out === undefined) out = [];
        out.push(s);
      }
    }
    if (out === undefined) return [];
    for (const s of out) this.remove(s);
    this.counters.decoded += out.length;
    return out;
  }

  /** Drops held sets older than the age limit; returns how many. */
  expire(nowMs: number): number {
    let n = 0;
    for (const s of this.order) {
      if (nowMs - s.receivedAt <= this.maxAgeMs) break;
      this.remove(s);
      n++;
    }
    this.counters.expired += n;
    return n;
  }

  /** Drops everything still held, counted as expired (end of input). */
  flush(): number {
    const n = this.order.size;
    for (const s of [...this.order]) this.remove(s);
    this.counters.expired += n;
    return n;
  }

  private remove(s: HeldSet): void {
    if (!this.order.delete(s)) return;
    const ex = this.byExporter.get(s.exKey);
    if (ex === undefined) return;
    const i = ex.sets.indexOf(s);
    if (i >= 0) ex.sets.splice(i, 1);
    ex.bytes -= s.data.length;
    this.bytes -= s.data.length;
    if (ex.sets.length === 0) this.byExporter.delete(s.exKey);
  }
}
