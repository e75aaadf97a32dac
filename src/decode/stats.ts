/**
 * Counters of what the decoders saw. The decoders only ever increment these;
 * summaries (the CLI's stderr report, /metrics) read them.
 */
export class DecodeStats {
  datagrams = 0;
  /** Datagrams that decoded with at least one error anywhere inside. */
  datagramsWithErrors = 0;
  samples = 0;
  records = 0;
  readonly samplesByType = new Map<string, number>();
  /**
   * Records by "context ent:fmt" (e.g. "flow 0:1"). Counted only when
   * `countRecordFormats` is set, because it costs a map update per record.
   */
  readonly recordsByFormat = new Map<string, number>();
  readonly errorsByReason = new Map<string, number>();
  countRecordFormats: boolean;

  constructor(options: { countRecordFormats?: boolean } = {}) {
    this.countRecordFormats = options.countRecordFormats ?? false;
  }

  sample(type: string): void {
    this.samples++;
    this.samplesByType.set(type, (this.samplesByType.get(type) ?? 0) + 1);
  }

  record(context: string, format: string): void {
    this.records++;
    if (this.countRecordFormats) {
      const key = `${context} ${format}`;
      this.recordsByFormat.set(key, (this.recordsByFormat.get(key) ?? 0) + 1);
    }
  }

  error(reason: string): void {
    this.errorsByReason.set(reason, (this.errorsByReason.get(reason) ?? 0) + 1);
  }

  errorCount(): number {
    let n = 0;
    for (const v of this.errorsByReason.values()) n += v;
    return n;
  }
}
