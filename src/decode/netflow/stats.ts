/**
 * Counters of the IPFIX / NetFlow decoder. It extends the shared DecodeStats
 * (datagrams, datagramsWithErrors, records, errorsByReason) so summaries and
 * metrics can read every decoder the same way; the rest is specific to
 * template-based export. Template store, held data and sequence counters live
 * with those components (decoder.templates.counters, decoder.pending.counters,
 * decoder.sequences.totals).
 */
import { DecodeStats } from '../stats.js';

export class ExportStats extends DecodeStats {
  readonly messages = { ipfix: 0, netflow9: 0, netflow5: 0, unknown: 0 };
  /** Data records decoded (flows; deferred ones included). */
  dataRecords = 0;
  /** Options data records decoded. */
  optionsRecords = 0;
  /** Records decoded from held data sets once their template arrived. */
  deferredRecords = 0;
  /** Template / options template records seen (definitions and refreshes). */
  templateRecords = 0;
  optionsTemplateRecords = 0;
  /** IPFIX withdrawals applied (TCP/SCTP) and ignored (UDP, RFC 7011 §8.1). */
  withdrawals = 0;
  withdrawalsIgnored = 0;
  /** Sets by kind: data, template (IPFIX 2 / v9 0), options template (3 / 1), reserved IDs. */
  readonly sets = { data: 0, template: 0, optionsTemplate: 0, reserved: 0 };
  dataSetsWithoutTemplate = 0;
  /** Trailing bytes after the last record of a set, by count (padding length: sets). */
  readonly paddingBytes = new Map<number, number>();
  /** Messages whose last set was followed by zeros with a set length < 4 (PAN-OS zero fill). */
  zeroFilled = 0;
  /** String values dropped for not being UTF-8 (RFC 7011 §6.1.6). */
  invalidStrings = 0;
  /** Options records that updated a lookup table (sampling, interface names, VRF names, init time). */
  lookupUpdates = 0;

  padding(n: number): void {
    this.paddingBytes.set(n, (this.paddingBytes.get(n) ?? 0) + 1);
  }
}
