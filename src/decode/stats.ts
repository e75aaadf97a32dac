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
  private readonly samplesByType = new Map<string, number>();
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
    // Consecutive samples are mostly of one type: skip the map for repeats.
    if (type === this.lastType) {
      this.lastTypeCount++;
      return;
    }
    this.flushType();
    this.lastType = type;
    this.lastTypeCount = 1;
  }

  private lastType = '';
  private lastTypeCount = 0;

  private flushType(): void {
    if (this.lastTypeCount === 0) return;
    this.samplesByType.set(this.lastType, (this.samplesByType.get(this.lastType) ?? 0) + this.lastTypeCount);
    this.lastTypeCount = 0;
  }

  /** Samples by type (flow_sample, counters_sample, ...). */
  sampleTypes(): Map<string, number> {
    this.flushType();
    return this.samplesByType;
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
