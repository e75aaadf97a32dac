/** Decodes every sFlow datagram of a capture file; a datagram that fails to decode fails the test. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeSflow } from '../decode/sflow/decode.js';
import type { SflowDatagram } from '../decode/sflow/types.js';
import { DecodeStats } from '../decode/stats.js';
import { readCapture } from '../ingest/capture.js';
import { detectProtocol } from '../ingest/detect.js';

export function decodeCaptureFile(file: string, stats = new DecodeStats()): SflowDatagram[] {
  const out: SflowDatagram[] = [];
  for (const item of readCapture(readFileSync(file), file)) {
    if (item.kind !== 'datagram' || detectProtocol(item.payload) !== 'sflow5') continue;
    const d = decodeSflow(item.payload, stats);
    if (!('samples' in d)) assert.fail(`${path.basename(file)} frame ${item.frame}: ${JSON.stringify(d)}`);
    out.push(d);
  }
  return out;
}
