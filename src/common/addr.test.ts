import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatIPv4, formatIPv6 } from './addr.js';

/** RFC 5952 text by an independent route: Node's URL parser canonicalises IPv6 hosts. */
function canonical(bytes: Uint8Array): string {
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

test('cached IPv6 and IPv4 text is always the text of the bytes asked for (fast-check)', () => {
  // Many addresses, each formatted twice in a shuffled order, so direct-mapped cache
  // slots are shared and overwritten between the two calls.
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 9000 }),
      (list) => {
        const first = list.map((b) => formatIPv6(b, 0));
        for (let i = list.length - 1; i >= 0; i--) {
          assert.equal(formatIPv6(list[i], 0), first[i]);
          assert.equal(formatIPv4(list[i], 4), [...list[i].subarray(4, 8)].join('.'));
        }
        for (let i = 0; i < Math.min(list.length, 200); i++) {
          assert.ok(isIPv6(first[i]), first[i]);
          // URL keeps ::ffff:a.b.c.d as hex; compare the other forms exactly.
          if (!first[i].startsWith('::ffff:')) assert.equal(first[i], canonical(list[i]));
        }
      },
    ),
    { numRuns: 30 },
  );
});
