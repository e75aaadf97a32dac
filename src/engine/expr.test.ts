import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileKey, ExprError, type KeyEnv, type KeyValue, splitKeyList } from './expr.js';
import { compileFilter } from './filter.js';

type Sample = Record<string, KeyValue>;

const env: KeyEnv<Sample> = {
  reader: (name) => (s) => s[name],
  group: (set, addr) => (set === 'site' ? (addr.startsWith('10.') ? 'inside' : 'outside') : undefined),
  map: (name, v) =>
    name === 'svc' ? ({ '80': 'web', '443': 'web', '53': 'dns' } as Record<string, string>)[v] : undefined,
  link: (agent, ifIndex) => (agent === '192.0.2.1' && ifIndex === '49' ? 'leaf1-spine1' : undefined),
};

const pkt: Sample = {
  agent: '192.0.2.1',
  ipsource: '10.0.0.1',
  ipdestination: '8.8.8.8',
  ipprotocol: 17,
  udpsourceport: 5353,
  udpdestinationport: 53,
  stack: 'eth.ip.udp.ibbt',
  tcpflags: '000010010',
  ibbtoptransport: 'RC',
  ibbtopname: 'SEND_ONLY',
  inputifindex: 49,
  outputifindex: 3,
  bgpsourceas: 65001,
  bgpas: 65001,
  bytes: 100,
  ip6flowlabel: 0x3f05c,
};

const k = (expr: string, s: Sample = pkt) => compileKey(expr, env)(s);

test('plain keys and the key list splitter', () => {
  assert.equal(k('ipsource'), '10.0.0.1');
  assert.equal(k('ip6source'), undefined);
  assert.deepEqual(splitKeyList('ipsource, ipdestination,or:tcpsourceport:udpsourceport'), [
    'ipsource',
    'ipdestination',
    'or:tcpsourceport:udpsourceport',
  ]);
  assert.deepEqual(splitKeyList('if:[first:stack:.:ip:ip6]:ip:[a,b]:c,d'), [
    'if:[first:stack:.:ip:ip6]:ip:[a,b]:c',
    'd',
  ]);
});

test('key functions', () => {
  assert.equal(k('or:tcpsourceport:udpsourceport'), 5353);
  assert.equal(k('prefix:stack:.:2'), 'eth.ip');
  assert.equal(k('suffix:stack:.:1'), 'ibbt');
  assert.equal(k('first:stack:.:ip:ip6'), 'ip');
  assert.equal(k('first:stack:.:ip6:arp'), undefined);
  assert.equal(k('concat:\\::ibbtoptransport:ibbtopname'), 'RC:SEND_ONLY');
  assert.equal(k('concat:-:ipsource:ip6source'), undefined, 'any missing part makes it missing');
  assert.equal(k('null:ip6source:none'), 'none');
  assert.equal(k('null:ipsource:none'), '10.0.0.1');
  assert.equal(k('range:bytes:65:127'), 'true');
  assert.equal(k('range:bytes:101'), 'false');
  assert.equal(k('eq:bgpsourceas:bgpas'), 'true');
  assert.equal(k('bits:ip6flowlabel:261884'), 0x3f05c & 261884);
  assert.equal(k('group:ipsource:site'), 'inside');
  assert.equal(k('group:ipdestination:nosuch:site'), 'outside');
  assert.equal(k('map:udpdestinationport:svc'), 'dns');
  assert.equal(k('link:inputifindex'), 'leaf1-spine1');
  assert.equal(k('link:outputifindex'), undefined);
  assert.equal(k('if:[first:stack:.:ip:ip6]:ip:[group:ipsource:site]:[group:ip6source:site]'), 'inside');
  assert.equal(k('prefix:[concat:.:ipsource:ipdestination]:.:4'), '10.0.0.1');
});

test('bad key expressions are rejected with a reason', () => {
  assert.throws(() => k('nosuchfn:ipsource'), /unknown key function 'nosuchfn'/);
  assert.throws(() => k('prefix:stack:.'), /takes 3 arguments/);
  assert.throws(() => k('range:bytes:x'), /must be a number/);
  assert.throws(() => k('or:[ipsource'), ExprError);
  assert.throws(() => k(''), /empty key/);
});

test('filters: operators, alternatives, null, regex, precedence', () => {
  const f = (text: string, s: Sample = pkt) => compileFilter(text, env)(s);
  assert.equal(f(''), true);
  assert.equal(f('ipprotocol=6,17'), true);
  assert.equal(f('ipprotocol=6'), false);
  assert.equal(f('ipprotocol!=6'), true);
  assert.equal(f('ip6source=null'), true);
  assert.equal(f('ipsource!=null'), true);
  assert.equal(f('ibbt_offset!=null'), false);
  assert.equal(f('tcpflags~....1..1.'), true);
  assert.equal(f('tcpflags~.......1.'), true, 'SYN set in a SYN-ACK');
  assert.equal(f('tcpflags~.......1.', { ...pkt, tcpflags: '000010000' }), false, 'a bare ACK');
  assert.equal(f('stack~.*\\.ibbt'), true);
  assert.equal(f('stack!~eth\\.ip6.*'), true);
  assert.equal(f('ipprotocol=6|ipprotocol=17&udpdestinationport=53'), true, '& binds tighter than |');
  assert.equal(f('(ipprotocol=6|ipprotocol=17)&udpdestinationport=54'), false);
  assert.equal(f('suffix:stack:.:1=ibbt&direction!=egress'), true);
  assert.equal(f('link:inputifindex=null'), false);
  assert.equal(f('stack~eth.(ip|ip6).*'), true, 'regex alternation inside parentheses');
  assert.equal(f('!(ipprotocol=17)'), false);
});

test('bad filters are rejected with a reason', () => {
  assert.throws(() => compileFilter('ipprotocol', env), /expected a comparison/);
  assert.throws(() => compileFilter('(ipprotocol=6', env), /missing '\)'/);
  assert.throws(() => compileFilter('ipprotocol=6)', env), /unexpected '\)'/);
  assert.throws(() => compileFilter('stack~(', env), /invalid regular expression/);
  assert.throws(() => compileFilter('=6', env), /missing key/);
});
