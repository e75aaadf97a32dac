import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ADDRESS_MAX,
  AddressRangeError,
  type AxisRange,
  addressAt,
  checkRange,
  formatIPv4,
  formatIPv6,
  fullRange,
  ipv4Number,
  parseAddress,
  parseIPv4,
  parseIPv6,
  position,
  position4,
} from './scale.js';

const v4 = (s: string) => parseIPv4(s) as bigint;
const v6 = (s: string) => parseIPv6(s) as bigint;
const close = (a: number | undefined, b: number, eps = 1e-12) =>
  assert.ok(a !== undefined && Math.abs(a - b) <= eps, `${a} is not within ${eps} of ${b}`);

test('IPv4 text parses to integers and back; malformed text is refused', () => {
  assert.equal(parseIPv4('0.0.0.0'), 0n);
  assert.equal(parseIPv4('255.255.255.255'), ADDRESS_MAX.ip);
  assert.equal(parseIPv4('10.1.2.3'), (10n << 24n) | (1n << 16n) | (2n << 8n) | 3n);
  assert.equal(formatIPv4(v4('192.0.2.77')), '192.0.2.77');
  for (const bad of [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1..2.3',
    '01.2.3.4',
    ' 1.2.3.4',
    '1.2.3.4/8',
    'a.b.c.d',
  ])
    assert.equal(parseIPv4(bad), undefined, bad);
  assert.equal(ipv4Number('172.16.0.1'), 172 * 2 ** 24 + 16 * 2 ** 16 + 1);
});

test('IPv6 text parses in all its forms and prints in RFC 5952 form', () => {
  assert.equal(parseIPv6('::'), 0n);
  assert.equal(parseIPv6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), ADDRESS_MAX.ip6);
  assert.equal(parseIPv6('::1'), 1n);
  assert.equal(parseIPv6('2001:db8::1'), (0x20010db8n << 96n) | 1n);
  assert.equal(parseIPv6('2001:DB8:0:0:0:0:0:1'), parseIPv6('2001:db8::1'));
  assert.equal(parseIPv6('::ffff:192.0.2.1'), (0xffffn << 32n) | v4('192.0.2.1'));
  for (const bad of [
    '',
    ':',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7::8',
  ])
    assert.equal(parseIPv6(bad), undefined, bad);
  assert.equal(formatIPv6(v6('2001:0db8:0000:0000:0001:0000:0000:0001')), '2001:db8::1:0:0:1');
  assert.equal(formatIPv6(0n), '::');
  assert.equal(formatIPv6(1n), '::1');
  assert.equal(formatIPv6(v6('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1');
  assert.equal(formatIPv6(v6('::ffff:10.0.0.1')), '::ffff:10.0.0.1');
  assert.deepEqual(parseAddress('10.0.0.1'), { family: 'ip', value: v4('10.0.0.1') });
  assert.equal(parseAddress('2001:db8::')?.family, 'ip6');
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: ADDRESS_MAX.ip6 }), (v) => parseIPv6(formatIPv6(v)) === v));
});

test('range mode: the range fills the centre, the borders take the rest of the space', () => {
  const r = checkRange({ family: 'ip', start: v4('10.0.0.0'), end: v4('10.255.255.255'), inset: 0.05 });
  // The range's ends sit exactly on the inset box.
  close(position(r, r.start), 0.05);
  close(position(r, r.end), 0.95);
  // The ends of the address space sit on the axis ends.
  close(position(r, 0n), 0);
  close(position(r, ADDRESS_MAX.ip), 1);
  // Inside: linear in the address.
  close(position(r, v4('10.128.0.0')), 0.05 + 0.9 * (0x800000 / 0xffffff));
  // Below the range: v / start of the lower border.
  close(position(r, v4('5.0.0.0')), (Number(v4('5.0.0.0')) / Number(r.start)) * 0.05);
  // Above: the distance past end over what is left of the space, in the upper border.
  const above = v4('192.168.0.1');
  close(position(r, above), 0.95 + (Number(above - r.end) / Number(ADDRESS_MAX.ip - r.end)) * 0.05);
  // Just outside on either side lands in the border, next to the box.
  assert.ok((position(r, r.start - 1n) ?? 1) < 0.05);
  assert.ok((position(r, r.end + 1n) ?? 0) > 0.95);
});

test('range mode without an inset drops addresses outside the range', () => {
  const r = checkRange({ family: 'ip', start: v4('10.0.0.0'), end: v4('10.0.0.255'), inset: 0 });
  assert.equal(position(r, v4('9.255.255.255')), undefined);
  assert.equal(position(r, v4('10.0.1.0')), undefined);
  close(position(r, v4('10.0.0.0')), 0);
  close(position(r, v4('10.0.0.255')), 1);
  close(position(r, v4('10.0.0.51')), 0.2);
  // The whole space with no inset: plain value / MAX.
  close(position(fullRange('ip'), v4('128.0.0.0')), 2 ** 31 / (2 ** 32 - 1));
  // A one-address range puts that address in the middle.
  close(position({ family: 'ip', start: 5n, end: 5n, inset: 0.1 }, 5n), 0.5);
});

test('the IPv4 fast path agrees with the BigInt mapping', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.double({ min: 0, max: 0.2, noNaN: true }),
      (a, b, v, inset) => {
        const [s, e] = a <= b ? [a, b] : [b, a];
        const r: AxisRange = { family: 'ip', start: BigInt(s), end: BigInt(e), inset };
        const big = position(r, BigInt(v));
        const fast = position4(s, e, inset, v);
        if (big === undefined || fast === undefined) return big === fast;
        return Math.abs(big - fast) < 1e-12 && fast >= 0 && fast <= 1;
      },
    ),
  );
});

test('IPv6: 128-bit ranges map exactly, even a few addresses deep inside the space', () => {
  const r = checkRange({ family: 'ip6', start: v6('2001:db8::'), end: v6('2001:db8::ffff'), inset: 0.1 });
  close(position(r, v6('2001:db8::')), 0.1);
  close(position(r, v6('2001:db8::ffff')), 0.9);
  close(position(r, v6('2001:db8::8000')), 0.1 + 0.8 * (0x8000 / 0xffff));
  close(position(r, 0n), 0);
  close(position(r, ADDRESS_MAX.ip6), 1);
  const below = v6('2001:db7::');
  close(position(r, below), (Number(below) / Number(r.start)) * 0.1);
  // Three addresses around 2^127: doubles alone could not tell them apart.
  const mid = 1n << 127n;
  const tiny: AxisRange = { family: 'ip6', start: mid, end: mid + 2n, inset: 0 };
  close(position(tiny, mid + 1n), 0.5);
  close(position(tiny, mid + 2n), 1);
  assert.equal(position(tiny, mid + 3n), undefined);
  // The full space.
  close(position(fullRange('ip6'), 1n << 127n), 0.5);
});

test('positions never leave [0, 1] and keep address order', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: ADDRESS_MAX.ip6 }),
      fc.bigInt({ min: 0n, max: ADDRESS_MAX.ip6 }),
      fc.bigInt({ min: 0n, max: ADDRESS_MAX.ip6 }),
      fc.bigInt({ min: 0n, max: ADDRESS_MAX.ip6 }),
      fc.double({ min: 0.001, max: 0.2, noNaN: true }),
      (a, b, p, q, inset) => {
        const [s, e] = a <= b ? [a, b] : [b, a];
        const r: AxisRange = { family: 'ip6', start: s, end: e, inset };
        const x = position(r, p);
        const y = position(r, q);
        if (x === undefined || y === undefined) return false;
        if (x < 0 || x > 1 || y < 0 || y > 1) return false;
        return p <= q ? x <= y + 1e-15 : y <= x + 1e-15;
      },
    ),
  );
});

test('addressAt inverts position (zooming turns a rectangle back into a range)', () => {
  const r = checkRange({ family: 'ip', start: v4('10.0.0.0'), end: v4('10.255.255.255'), inset: 0.05 });
  assert.equal(addressAt(r, 0.05), r.start);
  assert.equal(addressAt(r, 0.95), r.end);
  assert.equal(addressAt(r, 0), 0n);
  assert.equal(addressAt(r, 1), ADDRESS_MAX.ip);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
      const v = BigInt(n);
      const p = position(r, v) as number;
      const back = addressAt(r, p);
      // Inside the range the inverse is exact; in the borders each pixel spans many addresses.
      const inside = v >= r.start && v <= r.end;
      const err = back > v ? back - v : v - back;
      return inside ? err <= 1n : err <= 2n ** 12n;
    }),
  );
  const r6 = checkRange({ family: 'ip6', start: v6('2001:db8::'), end: v6('2001:db8:ffff::'), inset: 0 });
  assert.equal(formatIPv6(addressAt(r6, 0.5)), '2001:db8:7fff:8000::');
  assert.equal(addressAt(r6, 0), r6.start);
  assert.equal(addressAt(r6, 1), r6.end);
});

test('checkRange refuses reversed ranges, a bad inset and addresses outside the family', () => {
  assert.throws(() => checkRange({ family: 'ip', start: 10n, end: 5n, inset: 0 }), AddressRangeError);
  assert.throws(() => checkRange({ family: 'ip', start: 0n, end: 5n, inset: 0.3 }), /inset/);
  assert.throws(() => checkRange({ family: 'ip', start: 0n, end: 5n, inset: -0.1 }), /inset/);
  assert.throws(() => checkRange({ family: 'ip', start: 0n, end: ADDRESS_MAX.ip + 1n, inset: 0 }), /outside/);
  assert.doesNotThrow(() => checkRange({ family: 'ip6', start: 0n, end: ADDRESS_MAX.ip6, inset: 0.2 }));
});
