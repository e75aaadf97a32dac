/**
 * Fuzzing of the sFlow decoder: random bytes and mutated valid datagrams must
 * never throw, never hang, never read outside the datagram (checked by
 * decoding inside a larger buffer of junk), and every error must carry a
 * reason and an offset inside the datagram.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { toJson } from '../../common/json.js';
import { BasicStream } from '../../simulate/basic.js';
import { datagramArbitrary } from '../../testing/sflow-arbitrary.js';
import { dissect } from '../packet/dissect.js';
import { packetKeys } from '../packet/keys.js';
import { DecodeStats } from '../stats.js';
import { decodeSflow } from './decode.js';
import { encodeSflow } from './encode.js';
import { SampledHeader, type SflowDatagram, type SflowDatagramError } from './types.js';

/** Checks one decode result against the buffer it came from. */
function checkResult(buf: Buffer, d: SflowDatagram | SflowDatagramError): void {
  // Serialisable whatever the input (bigints, floats that are NaN on the wire).
  toJson(d);
  const errors: { reason: string; offset: number }[] = [];
  if (d.error !== undefined) errors.push(d.error);
  if ('samples' in d) {
    for (const s of d.samples) {
      if ('error' in s && s.error !== undefined) errors.push(s.error);
      if (!('records' in s)) continue;
      for (const r of s.records) {
        if ('error' in r && r.error !== undefined) errors.push(r.error as { reason: string; offset: number });
        if (r instanceof SampledHeader) {
          assert.ok(
            r.headerOffset >= 0 && r.headerOffset + r.headerLength <= buf.length,
            'header inside the datagram',
          );
          packetKeys(dissect(r.buffer, r.headerOffset, r.headerLength, r.headerProtocol));
        }
      }
    }
  }
  for (const e of errors) {
    assert.match(e.reason, /^[a-z0-9-]+$/);
    assert.ok(e.offset >= 0 && e.offset <= buf.length, `offset ${e.offset} of ${buf.length}`);
  }
}

/** Boundary values that hostile or broken agents put in length and count fields. */
const nasty = fc.constantFrom(
  0,
  1,
  3,
  4,
  7,
  0x7ffffffc,
  0x7fffffff,
  0x80000000,
  0xfffffffc,
  0xffffffff,
  65536,
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: nasty }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
);

function mutate(buf: Buffer, ms: { kind: 'byte' | 'u32' | 'cut'; at: number; value: number }[]): Buffer {
  let out = Buffer.from(buf);
  for (const m of ms) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === 'byte') out[at] = m.value;
    // u32 fields sit on 4-byte boundaries in XDR: hit those, where lengths and counts live.
    else if (m.kind === 'u32' && out.length >= 4)
      out.writeUInt32BE(m.value >>> 0, Math.min(at & ~3, out.length - 4));
    else if (m.kind === 'cut') out = out.subarray(0, at);
  }
  return out;
}

const stream = new BasicStream({ seed: 11, counterShare: 0.3 });
const realistic = Array.from({ length: 64 }, () => stream.next());

test('random bytes after a valid sFlow header never throw', () => {
  const head = Buffer.from('00000005000000010a000001000000000000000100000001', 'hex');
  const stats = new DecodeStats({ countRecordFormats: true });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => {
      const buf = Buffer.concat([head, tail]);
      checkResult(buf, decodeSflow(buf, stats));
      checkResult(Buffer.from(tail), decodeSflow(Buffer.from(tail), stats));
    }),
    { numRuns: 30000 },
  );
});

test('mutated realistic datagrams never throw and keep errors inside the datagram', () => {
  fc.assert(
    fc.property(fc.nat(realistic.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, ms) => {
      const buf = mutate(realistic[i], ms);
      checkResult(buf, decodeSflow(buf));
    }),
    { numRuns: 40000 },
  );
});

test('mutated datagrams of every structure never throw', () => {
  fc.assert(
    fc.property(datagramArbitrary, fc.array(mutation, { minLength: 1, maxLength: 4 }), (input, ms) => {
      const buf = mutate(encodeSflow(input), ms);
      checkResult(buf, decodeSflow(buf));
    }),
    { numRuns: 30000 },
  );
});

test('a datagram inside a larger buffer decodes the same as alone (no reads outside its range)', () => {
  fc.assert(
    fc.property(
      fc.nat(realistic.length - 1),
      fc.array(mutation, { maxLength: 3 }),
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      (i, ms, junk) => {
        const buf = mutate(realistic[i], ms);
        const padded = Buffer.concat([Buffer.from(junk), buf, Buffer.from(junk)]);
        const inner = padded.subarray(junk.length, junk.length + buf.length);
        assert.equal(toJson(decodeSflow(inner)), toJson(decodeSflow(Buffer.from(buf))));
      },
    ),
    { numRuns: 5000 },
  );
});
