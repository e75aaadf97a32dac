/** Unit tests of the eBPF tooling that need neither root nor a kernel: tool lookup, ports, map decoding. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { detectProtocol } from '../ingest/detect.js';
import { ipfixMessage } from '../testing/netns-ipfix.js';
import { keyPort, portKey, sumCounters } from './bpftool.js';
import { FIX_COUNTERS, filterAt, isOurFilter, parsePorts } from './csum-fix.js';
import { bpffsMounted } from './pins.js';
import { EbpfError, findTool, requireTools } from './tools.js';
import { decodeWatchEntry } from './watch.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'flowlens-ebpf-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('findTool: PATH, extra dirs, FLOWLENS_* overrides', () => {
  const bin = path.join(tmp, 'bin');
  const fake = path.join(tmp, 'bin', 'bpftool');
  mkdirSync(bin, { recursive: true });
  writeFileSync(fake, '#!/bin/sh\n');
  chmodSync(fake, 0o755);
  assert.equal(findTool('bpftool', { PATH: bin }, []), fake);
  assert.equal(findTool('bpftool', { PATH: '/nonexistent' }, []), undefined);
  assert.equal(findTool('bpftool', { PATH: '/nonexistent' }, [bin]), fake);
  assert.equal(findTool('bpftool', { PATH: '', FLOWLENS_BPFTOOL: fake }, []), fake);
  assert.equal(findTool('bpftool', { PATH: bin, FLOWLENS_BPFTOOL: '/nonexistent/bpftool' }, []), undefined);
});

test('requireTools: one error naming every missing tool and the Debian packages, exit 2', () => {
  try {
    requireTools(['clang', 'tc', 'bpftool'], { PATH: '/nonexistent' }, []);
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof EbpfError);
    assert.equal(err.exitCode, 2);
    assert.equal(
      err.message,
      'clang, tc, bpftool not found; install with: apt-get install -y clang iproute2 bpftool (Debian/Ubuntu packages)',
    );
  }
});

test('parsePorts', () => {
  assert.deepEqual(parsePorts('4739'), [4739]);
  assert.deepEqual(parsePorts('4739,6343, 2055 4739'), [4739, 6343, 2055]);
  for (const bad of ['', '0', '65536', 'abc', '47.39', '-1']) {
    assert.throws(
      () => parsePorts(bad),
      (e: unknown) => e instanceof EbpfError && e.exitCode === 2,
      bad,
    );
  }
  assert.throws(() => parsePorts(Array.from({ length: 65 }, (_, i) => i + 1).join(',')), /at most 64/);
});

test('port keys are network byte order', () => {
  assert.deepEqual([...portKey(4739)], [0x12, 0x83]);
  assert.equal(keyPort(Uint8Array.of(0x18, 0xc7)), 6343);
});

test('sumCounters adds per-CPU u64 counters', () => {
  const cpu = (vals: number[]) => {
    const b = new Uint8Array(8 * vals.length);
    const dv = new DataView(b.buffer);
    vals.forEach((v, i) => {
      dv.setBigUint64(i * 8, BigInt(v), true);
    });
    return b;
  };
  const names = ['a', 'b', 'c'] as const;
  assert.deepEqual(sumCounters(names, [cpu([1, 2, 3]), cpu([10, 20, 30])], true), { a: 11, b: 22, c: 33 });
  assert.deepEqual(sumCounters(names, [], true), { a: 0, b: 0, c: 0 });
  assert.equal(FIX_COUNTERS.length, 14, 'struct fix_stats has 14 counters');
});

test('decodeWatchEntry', () => {
  const key = new Uint8Array(20);
  key.set([0xfd, 0x00, 0, 0xf1], 0);
  key[15] = 1;
  key.set([0x12, 0x83], 16);
  key[18] = 6;
  key[19] = 0;
  const value = new Uint8Array(16);
  new DataView(value.buffer).setBigUint64(0, 20n, true);
  new DataView(value.buffer).setBigUint64(8, 3000n, true);
  assert.deepEqual(decodeWatchEntry(key, value, true), {
    address: 'fd00:f1::1',
    family: 6,
    port: 4739,
    verdict: 'invalid',
    packets: 20,
    bytes: 3000,
  });
  const k4 = new Uint8Array(20);
  k4.set([192, 0, 2, 7], 0);
  k4.set([0x08, 0x07], 16);
  k4[18] = 4;
  k4[19] = 3;
  const d4 = decodeWatchEntry(k4, value, true);
  assert.equal(d4.address, '192.0.2.7');
  assert.equal(d4.port, 2055);
  assert.equal(d4.verdict, 'pseudo');
});

test('our tc filters are recognised by object name or kernel program name', () => {
  const mine = { pref: 4739, protocol: 'all', kind: 'bpf', bpfName: 'csum_fix-0123456789ab.o:[tc]' };
  const byProg = {
    pref: 4739,
    protocol: 'all',
    kind: 'bpf',
    bpfName: 'renamed.o:[tc]',
    progName: 'flowlens_csum_f',
  };
  const watch = { pref: 4738, protocol: 'all', kind: 'bpf', bpfName: 'csum_watch-0123456789ab.o:[tc]' };
  const foreign = { pref: 4739, protocol: 'ip', kind: 'u32' };
  assert.ok(isOurFilter(mine, 'csum_fix'));
  assert.ok(isOurFilter(byProg, 'csum_fix'));
  assert.ok(!isOurFilter(watch, 'csum_fix'));
  assert.ok(isOurFilter(watch, 'csum_watch'));
  assert.deepEqual(filterAt([watch, mine], 4739, 'csum_fix'), { ours: mine });
  assert.deepEqual(filterAt([foreign], 4739, 'csum_fix'), { foreign });
  assert.deepEqual(filterAt([watch], 4739, 'csum_fix'), {});
});

test('bpffsMounted reads mountinfo', () => {
  const mi = path.join(tmp, 'mountinfo');
  writeFileSync(mi, '22 26 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n');
  assert.equal(bpffsMounted(mi), false);
  writeFileSync(
    mi,
    '22 26 0:21 / /sys rw shared:7 - sysfs sysfs rw\n40 22 0:33 / /sys/fs/bpf rw shared:15 - bpf bpf rw,mode=700\n',
  );
  assert.equal(bpffsMounted(mi), true);
  assert.equal(bpffsMounted('/nonexistent/mountinfo'), false);
});

test('the test IPFIX messages have the exact size and are detected as IPFIX', () => {
  for (const size of [16, 65, 100, 318, 319, 320, 600, 1400, 1436, 1444, 1452]) {
    const m = ipfixMessage(size, 7, 1);
    assert.equal(m.length, size);
    assert.equal(m.readUInt16BE(2), size);
    assert.equal(detectProtocol(m), 'ipfix');
    if (size > 16) {
      assert.equal(m.readUInt16BE(16 + 2), 20, 'template set length');
      assert.equal(m.readUInt16BE(36), 256, 'data set id');
      assert.equal(m.readUInt16BE(38), size - 36, 'data set length reaches the end');
    }
  }
});
