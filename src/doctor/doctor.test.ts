/** doctor's /proc parsers and diagnosis, on fixtures: no root, no namespaces. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { type DoctorReport, diagnose, exitCodeFor, formatReport, runDoctorCheck } from './doctor.js';
import {
  defaultRouteDevice,
  parseProcNetUdp,
  parseSnmp,
  parseSnmp6,
  readSysctl,
  socketOwners,
  UDP_COUNTERS,
  udpCounters,
} from './proc.js';

const SNMP = `Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 1000
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 500 3 7 20 2 0 4 0 1
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
`;

const SNMP6 = `Ip6InReceives                   	1200
Udp6InDatagrams                 	900
Udp6NoPorts                     	5
Udp6InErrors                    	120
Udp6OutDatagrams                	3
Udp6RcvbufErrors                	0
Udp6SndbufErrors                	0
Udp6InCsumErrors                	120
Udp6IgnoredMulti                	0
Udp6MemErrors                   	0
`;

// Captured on a little-endian host: [::]:4739 (inode 4242, 3 drops), 0.0.0.0:6343, 127.0.0.1:2055 connected.
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  195: 00000000000000000000000000000000:1283 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 3
 1012: 0000FEFD000000000000000001000000:1284 00000000000000000000000000000000:0000 07 00000000:00000A00 00:00000000 00000000  1000        0 4243 2 0000000000000000 0
`;
const UDP4 = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:18C7 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5151 2 0000000000000000 0
  101: 0100007F:0807 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 5152 2 0000000000000000 0
`;

test('parseSnmp / parseSnmp6 / udpCounters', () => {
  const snmp = parseSnmp(SNMP);
  assert.equal(snmp.get('Ip')?.get('InReceives'), 1000);
  assert.equal(snmp.get('Udp')?.get('InCsumErrors'), 4);
  assert.equal(parseSnmp6(SNMP6).get('Udp6InCsumErrors'), 120);
  const c = udpCounters(SNMP, SNMP6);
  assert.deepEqual(c.udp, {
    InDatagrams: 500,
    NoPorts: 3,
    InErrors: 7,
    RcvbufErrors: 2,
    InCsumErrors: 4,
    MemErrors: 1,
  });
  assert.equal(c.udp6.InCsumErrors, 120);
  assert.equal(c.udp6.NoPorts, 5);
  // Missing files read as zeros rather than failing.
  assert.deepEqual(udpCounters('', '').udp6, Object.fromEntries(UDP_COUNTERS.map((n) => [n, 0])));
});

test('parseProcNetUdp decodes host-endian addresses, ports, queues, drops', () => {
  const v6 = parseProcNetUdp(UDP6, 6, true);
  assert.equal(v6.length, 2);
  assert.deepEqual(
    { a: v6[0].localAddress, p: v6[0].localPort, st: v6[0].state, i: v6[0].inode, d: v6[0].drops },
    { a: '::', p: 4739, st: 7, i: 4242, d: 3 },
  );
  assert.equal(v6[1].localAddress, 'fdfe::1');
  assert.equal(v6[1].localPort, 4740);
  assert.equal(v6[1].rxQueue, 0xa00);
  assert.equal(v6[1].uid, 1000);
  const v4 = parseProcNetUdp(UDP4, 4, true);
  assert.deepEqual(
    v4.map((s) => `${s.localAddress}:${s.localPort}>${s.remoteAddress}:${s.remotePort}/${s.state}`),
    ['0.0.0.0:6343>0.0.0.0:0/7', '127.0.0.1:2055>127.0.0.1:40000/1'],
  );
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'flowlens-doctor-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function fakeProc(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmp, 'proc-'));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), text);
  }
  return root;
}

test('socketOwners, readSysctl, defaultRouteDevice on a fake /proc', () => {
  const root = fakeProc({
    '4321/comm': 'collector\n',
    'sys/net/core/rmem_max': '212992\n',
    'net/ipv6_route':
      'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth1\n' +
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n',
  });
  mkdirSync(path.join(root, '4321/fd'), { recursive: true });
  symlinkSync('socket:[4242]', path.join(root, '4321/fd/7'));
  symlinkSync('/dev/null', path.join(root, '4321/fd/0'));
  const { owners, complete } = socketOwners(new Set([4242, 9999]), root);
  assert.equal(complete, true);
  assert.deepEqual(owners.get(4242), [{ pid: 4321, comm: 'collector' }]);
  assert.equal(owners.get(9999), undefined);
  assert.equal(readSysctl('net.core.rmem_max', root), 212992);
  assert.equal(readSysctl('net.core.nope', root), undefined);
  assert.equal(defaultRouteDevice(root), 'eth0');
  assert.equal(defaultRouteDevice(fakeProc({ 'net/dev': 'h1\nh2\n    lo: 0\n  ens3: 1 2\n' })), 'ens3');
});

type Input = Omit<DoctorReport, 'findings'>;

function report(changes: Partial<Record<string, number>>, extra: Partial<Input> = {}): Input {
  const counters = { udp: {}, udp6: {} } as DoctorReport['counters'];
  for (const fam of ['udp', 'udp6'] as const) {
    for (const n of UDP_COUNTERS) {
      const delta = changes[`${fam === 'udp' ? 'Udp' : 'Udp6'}${n}`] ?? 0;
      counters[fam][n] = { before: 100, after: 100 + delta, delta };
    }
  }
  return {
    seconds: 5,
    ports: [4739],
    counters,
    sysctl: { rmemMax: 64 * 1024 * 1024, rmemDefault: 64 * 1024 * 1024, requested: 32 * 1024 * 1024 },
    listeners: [
      {
        port: 4739,
        sockets: [
          {
            family: 6,
            local: '[::]:4739',
            inode: 1,
            rxQueue: 0,
            drops: 0,
            dropsDelta: 0,
            processes: [{ pid: 10, comm: 'flowlens' }],
          },
        ],
      },
    ],
    ownersComplete: true,
    suggestedDev: 'eth0',
    ...extra,
  };
}

test('diagnose: healthy', () => {
  const f = diagnose(report({}));
  assert.deepEqual(
    f.map((x) => x.code),
    ['healthy'],
  );
  assert.match(f[0].message, /no UDP receive errors in 5 s; listening on 4739/);
  assert.equal(exitCodeFor(f), 0);
});

test('diagnose: Udp6InCsumErrors growth suggests csum-fix with the exact command', () => {
  const f = diagnose(report({ Udp6InErrors: 100, Udp6InCsumErrors: 100 }));
  assert.equal(f[0].code, 'udp6-bad-checksums');
  assert.equal(f[0].severity, 'problem');
  assert.match(
    f[0].message,
    /^Udp6InCsumErrors rose by 100 in 5 s: IPv6 datagrams with bad UDP checksums are being dropped by the kernel/,
  );
  assert.equal(
    f[0].fix,
    'if your exporter is known to compute checksums wrongly, run: flowlens ebpf csum-fix attach --dev eth0 --ports 4739',
  );
  assert.ok(!f.some((x) => x.code === 'udp6-other-errors'), 'InErrors fully explained by checksum errors');
  assert.equal(exitCodeFor(f), 1);
});

test('diagnose: named exporters from the watch, and csum-fix already attached', () => {
  const watch = {
    dev: 'ens5',
    csumFixAttached: false,
    exporters: [
      {
        address: '2001:db8::7',
        family: 6 as const,
        port: 6343,
        valid: 0,
        invalid: 40,
        pseudo: 0,
        unchecked: 0,
        bytes: 0,
      },
      {
        address: '2001:db8::8',
        family: 6 as const,
        port: 4739,
        valid: 9,
        invalid: 0,
        pseudo: 0,
        unchecked: 0,
        bytes: 0,
      },
    ],
    totals: { seen: 49, valid: 9, invalid: 40, unchecked: 0, untracked: 0, pseudo: 0 },
  };
  const base = { ports: [4739, 6343], suggestedDev: 'ens5', watch };
  const f = diagnose(report({ Udp6InErrors: 40, Udp6InCsumErrors: 40 }, base));
  assert.match(
    f[0].message,
    /exporters sending bad checksums on ens5: 2001:db8::7 \(port 6343: 40 bad datagrams\)/,
  );
  assert.equal(
    f[0].fix,
    'if your exporter is known to compute checksums wrongly, run: flowlens ebpf csum-fix attach --dev ens5 --ports 6343',
  );
  const attached = diagnose(
    report(
      { Udp6InErrors: 40, Udp6InCsumErrors: 40 },
      { ...base, watch: { ...watch, csumFixAttached: true } },
    ),
  );
  assert.match(attached[0].message, /csum-fix is attached on ens5 but errors still rise/);
  // Bad on the wire but no kernel drops: csum-fix is doing its job.
  const repaired = diagnose(report({}, { ...base, watch: { ...watch, csumFixAttached: true } }));
  assert.ok(
    repaired.some((x) => x.code === 'udp6-bad-checksums-not-dropped' && /repairs them/.test(x.message)),
  );
  assert.equal(exitCodeFor(repaired), 0);
});

test('diagnose: receive buffer overflows, no listener, other errors, small rmem_max', () => {
  const r = report(
    { UdpRcvbufErrors: 12, UdpInErrors: 15, Udp6NoPorts: 8 },
    {
      ports: [4739, 6343],
      sysctl: { rmemMax: 212992, rmemDefault: 212992, requested: 33554432 },
      listeners: [
        {
          port: 4739,
          sockets: [
            {
              family: 6,
              local: '[::]:4739',
              inode: 1,
              rxQueue: 212000,
              drops: 50,
              dropsDelta: 12,
              processes: [{ pid: 10, comm: 'flowlens' }],
            },
          ],
        },
        { port: 6343, sockets: [] },
      ],
    },
  );
  const f = diagnose(r);
  const by = new Map(f.map((x) => [x.code, x]));
  assert.match(
    by.get('rcvbuf-errors')?.message ?? '',
    /UdpRcvbufErrors \+12.*socket drops: \[::\]:4739 \(flowlens pid 10\) dropped 12/,
  );
  assert.equal(
    by.get('rcvbuf-errors')?.fix,
    'sysctl -w net.core.rmem_max=33554432 and have the collector request a 32 MiB receive buffer (SO_RCVBUF)',
  );
  assert.match(
    by.get('no-listener')?.message ?? '',
    /Udp6NoPorts \+8 in 5 s and nothing listens on port 6343/,
  );
  assert.match(by.get('udp-other-errors')?.message ?? '', /UdpInErrors rose by 3 in 5 s/);
  assert.equal(by.get('rmem-max-low')?.severity, 'warning');
  assert.match(by.get('rmem-max-low')?.message ?? '', /net\.core\.rmem_max is 212992 \(208 KiB\)/);
  assert.equal(
    by.get('rmem-max-low')?.fix,
    "sysctl -w net.core.rmem_max=33554432; to keep it: echo 'net.core.rmem_max = 33554432' > /etc/sysctl.d/90-flowlens.conf",
  );
  assert.ok(!by.has('healthy'));
  assert.deepEqual(
    f.map((x) => x.severity),
    [...f.map((x) => x.severity)].sort(
      (a, b) =>
        ['problem', 'warning', 'ok', 'info'].indexOf(a) - ['problem', 'warning', 'ok', 'info'].indexOf(b),
    ),
  );
  const text = formatReport({ ...r, findings: f });
  assert.match(text, /Udp6NoPorts\s+\+8\s+\(108\)/);
  assert.match(text, /6343\/udp {2}nothing listens/);
  assert.match(text, /PROBLEM/);
});

test('diagnose: socket drops from checksum failures at read time are not called buffer overflows', () => {
  const r = report({ Udp6InErrors: 80, Udp6InCsumErrors: 80 });
  r.listeners[0].sockets[0].dropsDelta = 80;
  const codes = diagnose(r).map((x) => x.code);
  assert.ok(codes.includes('udp6-bad-checksums'));
  assert.ok(!codes.includes('rcvbuf-errors'));
});

test('diagnose: only a small rmem_max is a warning, not a failure; --seconds 0 measures nothing', () => {
  const f = diagnose(
    report({}, { seconds: 0, sysctl: { rmemMax: 212992, rmemDefault: 212992, requested: 33554432 } }),
  );
  assert.deepEqual(
    f.map((x) => x.code),
    ['rmem-max-low', 'rmem-default'],
  );
  assert.equal(exitCodeFor(f), 0);
});

test('runDoctorCheck reads a fake /proc end to end (no root needed)', async () => {
  const root = fakeProc({
    'net/snmp': SNMP,
    'net/snmp6': SNMP6,
    'net/udp': UDP4,
    'net/udp6': UDP6,
    'sys/net/core/rmem_max': '212992',
    'sys/net/core/rmem_default': '212992',
  });
  let measuring = 0;
  const r = await runDoctorCheck({
    ports: [4739, 2055],
    seconds: 0,
    rcvbuf: 33554432,
    procRoot: root,
    onMeasuring: () => measuring++,
  });
  assert.equal(measuring, 1);
  assert.equal(r.counters.udp6.InCsumErrors.after, 120);
  assert.equal(r.listeners[0].sockets[0].local, '[::]:4739');
  assert.equal(r.listeners[0].sockets[0].drops, 3);
  // 127.0.0.1:2055 is a connected client socket, not a listener.
  assert.equal(r.listeners[1].sockets.length, 0);
  assert.ok(r.findings.some((x) => x.code === 'rmem-max-low'));
});
