/**
 * `flowlens decode FILE...`: one JSON object per datagram on stdout (JSON
 * Lines), a summary on stderr. Bad input is reported in the output and the
 * command goes on; only an unreadable file makes it exit non-zero (2).
 *
 * IPFIX and NetFlow need templates from earlier messages: all files of one
 * call share one decoder (one template store), in command-line order, so a
 * template file followed by a data file decodes. Raw payload files have no
 * exporter address; they all use the pseudo exporter {address: 'file', port: 0}.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { toJson } from '../common/json.js';
import { FlowExportDecoder } from '../decode/netflow/decoder.js';
import type { ExportStats } from '../decode/netflow/stats.js';
import { decodeSflow } from '../decode/sflow/decode.js';
import { sflowView } from '../decode/sflow/view.js';
import { DecodeStats } from '../decode/stats.js';
import { readCapture } from '../ingest/capture.js';
import { detectProtocol } from '../ingest/detect.js';
import { OutputStream } from './output.js';

export async function runDecode(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      raw: { type: 'boolean', default: false },
      'no-summary': { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) {
    process.stderr.write('flowlens decode: no input file (usage: flowlens decode FILE... [--raw])\n');
    return 2;
  }
  const out = new OutputStream(process.stdout);
  const stats = new DecodeStats({ countRecordFormats: true });
  const byProtocol = new Map<string, number>();
  const skips = new Map<string, number>();
  // Offline decoding: templates never expire (capture times may be far apart or 0 for raw files).
  const exportDecoder = new FlowExportDecoder({ keys: !values.raw, templates: { lifetimeMs: 0 } });
  let exitCode = 0;

  for (const file of positionals) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      process.stderr.write(`flowlens decode: cannot read ${file}: ${code}\n`);
      exitCode = 2;
      continue;
    }
    for (const item of readCapture(data, file)) {
      if (out.closed) return exitCode;
      if (item.kind === 'skip') {
        skips.set(item.reason, (skips.get(item.reason) ?? 0) + 1);
        continue;
      }
      const protocol = detectProtocol(item.payload);
      byProtocol.set(protocol, (byProtocol.get(protocol) ?? 0) + 1);
      const source =
        item.srcAddr === ''
          ? file
          : `${item.srcAddr.includes(':') ? `[${item.srcAddr}]` : item.srcAddr}:${item.srcPort}`;
      const meta = { source, file, frame: item.frame, timestamp: item.timestamp };
      if (protocol === 'sflow5') {
        const d = decodeSflow(item.payload, stats);
        const view = 'samples' in d ? sflowView(d, { raw: values.raw }) : d;
        await out.write(`${toJson({ ...meta, ...view })}\n`);
      } else if (protocol === 'ipfix' || protocol === 'netflow9' || protocol === 'netflow5') {
        const exporter = item.srcAddr === '' ? FILE_EXPORTER : { address: item.srcAddr, port: item.srcPort };
        const msg = exportDecoder.decode(item.payload, exporter, item.timestamp);
        await out.write(`${toJson({ ...meta, ...msg })}\n`);
      } else {
        await out.write(
          `${toJson({ ...meta, protocol, decoded: false, length: item.payload.length, note: 'not a recognised telemetry protocol' })}\n`,
        );
      }
    }
  }
  await out.end();
  // Data still waiting for a template at the end of the input will never decode.
  exportDecoder.flushPending();
  if (!values['no-summary']) {
    process.stderr.write(summary(stats, byProtocol, skips) + exportSummary(exportDecoder));
  }
  return exitCode;
}

/** The exporter identity of raw payload files (no addresses): shared, so template and data files match. */
const FILE_EXPORTER = { address: 'file', port: 0 } as const;

/** IPFIX / NetFlow lines of the summary; empty when none was decoded. */
function exportSummary(d: FlowExportDecoder): string {
  const s: ExportStats = d.stats;
  const m = s.messages;
  const total = m.ipfix + m.netflow9 + m.netflow5;
  if (total === 0) return '';
  const byProtocol = new Map<string, number>();
  for (const [k, v] of Object.entries(m)) if (v > 0 && k !== 'unknown') byProtocol.set(k, v);
  const t = d.templates.counters;
  const p = d.pending.counters;
  const q = d.sequences.totals;
  const lines = [
    `  ipfix/netflow messages: ${total}${fmtMap(byProtocol)}`,
    `  ipfix/netflow records: ${s.dataRecords + s.optionsRecords} (data=${s.dataRecords}, options=${s.optionsRecords}, deferred=${s.deferredRecords})`,
    `  templates: ${s.templateRecords} template records, ${s.optionsTemplateRecords} options template records (defined=${t.defined}, refreshed=${t.refreshed}, replaced=${t.replaced}, withdrawn=${t.withdrawn}, withdrawals ignored=${s.withdrawalsIgnored})`,
    `  data sets without template: ${s.dataSetsWithoutTemplate} (held=${p.held}, decoded later=${p.decoded}, expired=${p.expired}, dropped=${p.dropped})`,
    `  ipfix/netflow errors: ${s.errorCount()}${fmtMap(s.errorsByReason)}`,
    `  sequence: ${q.streams} streams, missing=${q.missing}, late=${q.late}, resets=${q.resets}`,
  ];
  return `${lines.join('\n')}\n`;
}

function summary(stats: DecodeStats, byProtocol: Map<string, number>, skips: Map<string, number>): string {
  const lines: string[] = ['flowlens decode summary:'];
  const total = [...byProtocol.values()].reduce((a, b) => a + b, 0);
  lines.push(`  datagrams: ${total}${fmtMap(byProtocol)}`);
  lines.push(`  samples: ${stats.samples}${fmtMap(stats.sampleTypes())}`);
  lines.push(`  records: ${stats.records}${fmtMap(stats.recordsByFormat)}`);
  lines.push(`  errors: ${stats.errorCount()}${fmtMap(stats.errorsByReason)}`);
  if (skips.size > 0)
    lines.push(`  frames skipped: ${[...skips.values()].reduce((a, b) => a + b, 0)}${fmtMap(skips)}`);
  return `${lines.join('\n')}\n`;
}

function fmtMap(m: Map<string, number>): string {
  if (m.size === 0) return '';
  const parts = [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
  return ` (${parts.join(', ')})`;
}
