import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Groups } from './groups.js';

test('longest prefix wins, IPv4 and IPv6, host addresses', () => {
  const g = new Groups();
  g.set('site', {
    external: ['0.0.0.0/0', '::/0'],
    private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
    lab: ['10.1.0.0/16'],
    host: ['10.1.2.3'],
  });
  assert.equal(g.lookup('site', '8.8.8.8'), 'external');
  assert.equal(g.lookup('site', '10.9.9.9'), 'private');
  assert.equal(g.lookup('site', '10.1.9.9'), 'lab');
  assert.equal(g.lookup('site', '10.1.2.3'), 'host');
  assert.equal(g.lookup('site', '172.31.255.1'), 'private');
  assert.equal(g.lookup('site', '172.32.0.1'), 'external');
  assert.equal(g.lookup('site', 'fd00::1'), 'private');
  assert.equal(g.lookup('site', '2001:db8::1'), 'external');
  assert.equal(g.lookup('site', 'not-an-address'), undefined);
  assert.equal(g.lookup('nosuch', '10.0.0.1'), undefined);
  assert.equal(g.lookup('site', '10.1.9.9'), 'lab', 'cached answer is the same');
});

test('bad group sets are refused with the entry named', () => {
  const g = new Groups();
  assert.throws(() => g.set('x', { a: ['10.0.0.0/33'] }), /'10.0.0.0\/33' has an invalid prefix length/);
  assert.throws(() => g.set('x', { a: ['300.1.1.1/8'] }), /not an IPv4 or IPv6/);
  assert.throws(() => g.set('x', { a: '10.0.0.0/8' }), /group 'a' must be a list/);
  assert.throws(() => g.set('x', ['10.0.0.0/8']), /JSON object/);
  assert.equal(g.size, 0);
});
