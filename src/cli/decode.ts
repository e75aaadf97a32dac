/**
 * `flowlens decode FILE...`: one JSON object per datagram on stdout (JSON
 * Lines), a summary on stderr. Bad input is reported in the output and the
 * command goes on; only an unreadable file makes it exit non-zero (2).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { toJson } from '../common/json.js';
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
      } else {
        // IPFIX and NetFlow decoding lands with their own decoders; until then say what was seen.
        await out.write(
          `${toJson({ ...meta, protocol, decoded: false, length: item.payload.length, note: protocol === 'unknown' ? 'not a recognised telemetry protocol' : 'recognised, not decoded yet' })}\n`,
        );
      }
    }
  }
  await out.end();
  if (!values['no-summary']) process.stderr.write(summary(stats, byProtocol, skips));
  return exitCode;
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
