/**
 * csum-fix and doctor end to end, in two network namespaces joined by a veth
 * pair: a raw-socket sender emits IPFIX over IPv6 with wrong UDP checksums,
 * a Node receiver listens on [::]:4739 and [::]:4740 in the other namespace.
 *
 * Needs root, clang, tc, bpftool, python3 and nsenter; skipped (with the
 * reason) otherwise. CI runs it as root with those installed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DoctorReport } from '../doctor/doctor.js';
import { readUdpCounters, type UdpCounterSnapshot } from '../doctor/proc.js';
import { NetnsTestbed, netnsUnavailable, type RunOutput } from '../testing/netns.js';
import { ipfixMessage } from '../testing/netns-ipfix.js';
import type { ReceivedDatagram } from '../testing/udp-receiver.js';
import { waitUntil } from '../testing/wait.js';
import type { AttachResult, DetachResult, FixCounters, FixStatus } from './csum-fix.js';
import { findTool } from './tools.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(HERE, '../cli/main.js');
const RECEIVER = path.resolve(HERE, '../testing/udp-receiver.js');
const SENDER = path.resolve(HERE, '../../../ebpf/testing/udp6_raw_send.py');
const SIZES = [16, 100, 600, 1400, 1452];

function skipReason(): string | undefined {
  const ns = netnsUnavailable();
  if (ns !== undefined) return ns;
  for (const t of ['clang', 'tc', 'bpftool'] as const) {
    if (findTool(t) === undefined) return `${t} not installed`;
  }
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 not installed';
  if (!existsSync(SENDER)) return `${SENDER} missing`;
  return undefined;
}

const skip = skipReason();
if (skip !== undefined) {
  process.stderr.write(`# netns csum-fix tests skipped: ${skip}\n`);
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

let tagCounter = 1;
/** `rounds` messages of each size (capped at `max`), all distinct. */
function payloads(rounds: number, max = 1452): Buffer[] {
  const tag = tagCounter++;
  const out: Buffer[] = [];
  let seq = 0;
  for (let r = 0; r < rounds; r++)
    for (const s of SIZES) out.push(ipfixMessage(Math.min(s, max), tag, seq++));
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('csum-fix and doctor in network namespaces', { skip, timeout: 120_000 }, () => {
  let tb: NetnsTestbed;
  let tmp: string;
  let receiver: ChildProcess;
  const received: ReceivedDatagram[] = [];
  let env: NodeJS.ProcessEnv;
  const t0 = Date.now();

  const counters = (): UdpCounterSnapshot => readUdpCounters(`/proc/${receiver.pid}`);
  const delta = (a: UdpCounterSnapshot, b: UdpCounterSnapshot) => ({
    csum: b.udp6.InCsumErrors - a.udp6.InCsumErrors,
    inErrors: b.udp6.InErrors - a.udp6.InErrors,
    inDatagrams: b.udp6.InDatagrams - a.udp6.InDatagrams,
    noPorts: b.udp6.NoPorts - a.udp6.NoPorts,
    rcvbuf: b.udp6.RcvbufErrors - a.udp6.RcvbufErrors,
  });

  interface SendOptions {
    mode: 'good' | 'bad' | 'zero';
    port?: number;
    src?: string;
    dst?: string;
    /** Whole frames on the sender's veth (AF_PACKET) with these tags, outermost first ("0x8100:0"). */
    vlans?: string[];
    packet?: boolean;
    hopopts?: boolean;
    dstopts?: boolean;
    atomicFrag?: boolean;
  }
  let fileNo = 0;
  function send(list: Buffer[], o: SendOptions): void {
    const file = path.join(tmp, `payloads-${fileNo++}.bin`);
    writeFileSync(
      file,
      Buffer.concat(
        list.flatMap((p) => {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(p.length);
          return [len, p];
        }),
      ),
    );
    const args = [
      SENDER,
      '--src',
      o.src ?? tb.sender.addr,
      '--dst',
      o.dst ?? tb.receiver.addr,
      '--port',
      String(o.port ?? 4739),
      '--mode',
      o.mode,
      '--payloads',
      file,
    ];
    if (o.packet === true || o.vlans !== undefined) {
      args.push('--link', tb.sender.dev, '--src-mac', tb.sender.mac, '--dst-mac', tb.receiver.mac);
      for (const v of o.vlans ?? []) args.push('--vlan', v);
    }
    if (o.hopopts === true) args.push('--hopopts');
    if (o.dstopts === true) args.push('--dstopts');
    if (o.atomicFrag === true) args.push('--atomic-frag');
    const r = tb.exec(tb.sender.ns, 'python3', args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { sent: number }).sent, list.length);
  }

  /** Sends through an ordinary UDP socket in the sender namespace: the kernel computes the checksum. */
  function sendLocal(list: Buffer[], port = 4739): void {
    const file = path.join(tmp, `local-${fileNo++}.json`);
    writeFileSync(file, JSON.stringify(list.map((b) => b.toString('base64'))));
    const script = `
      const dgram = require('node:dgram');
      const list = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'));
      const s = dgram.createSocket('udp6');
      s.bind({ address: ${JSON.stringify(tb.sender.addr)}, port: 0 }, () => {
        let i = 0;
        const next = () => (i < list.length
          ? s.send(Buffer.from(list[i++], 'base64'), ${port}, ${JSON.stringify(tb.receiver.addr)}, next)
          : s.close());
        next();
      });`;
    const r = tb.exec(tb.sender.ns, process.execPath, ['-e', script]);
    assert.equal(r.code, 0, r.stderr);
  }

  function flowlens(how: 'nsenter' | 'exec', ...args: string[]): RunOutput {
    const run = how === 'nsenter' ? tb.nsenter.bind(tb) : tb.exec.bind(tb);
    return run(tb.receiver.ns, process.execPath, [MAIN, ...args], env, 60_000);
  }

  function status(dev: string, how: 'nsenter' | 'exec' = 'exec'): FixStatus {
    const r = flowlens(how, 'ebpf', 'csum-fix', 'status', '--dev', dev, '--json');
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as FixStatus[];
    assert.equal(list.length, 1);
    return list[0];
  }

  function fixCounters(dev: string): FixCounters {
    const c = status(dev).counters;
    assert.ok(c !== undefined);
    return c;
  }

  /** Starts `flowlens doctor` in the receiver namespace; resolves once it is measuring. */
  async function startDoctor(args: string[]): Promise<() => Promise<{ code: number; report: DoctorReport }>> {
    const child = tb.spawn(tb.receiver.ns, process.execPath, [MAIN, 'doctor', '--json', ...args], env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 128)));
    await waitUntil(
      'doctor to start measuring',
      () => /measuring/.test(stderr) || child.exitCode !== null,
      20_000,
    );
    assert.match(stderr, /measuring/, stderr);
    return async () => {
      const code = await exited;
      assert.ok(stdout.trim() !== '', `doctor printed nothing; stderr: ${stderr}`);
      return { code, report: JSON.parse(stdout) as DoctorReport };
    };
  }

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'flowlens-netns-'));
    env = { ...process.env, FLOWLENS_STATE_DIR: path.join(tmp, 'state') };
    tb = NetnsTestbed.create();
    if (tb.vlanUnavailable !== undefined) {
      process.stderr.write(`# 802.1Q sub-interface cases skipped: ${tb.vlanUnavailable}\n`);
    }
    receiver = tb.spawn(tb.receiver.ns, process.execPath, [RECEIVER, '4739', '4740']);
    let buf = '';
    let listening = false;
    receiver.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const o = JSON.parse(buf.slice(0, nl)) as { event: string };
        buf = buf.slice(nl + 1);
        if (o.event === 'listening') listening = true;
        if (o.event === 'datagram') received.push(o as ReceivedDatagram);
        nl = buf.indexOf('\n');
      }
    });
    await waitUntil('the receiver to listen', () => listening, 10_000);
  });

  after(() => {
    // Best effort through the tool first (exercises detach), then remove everything regardless.
    try {
      if (tb !== undefined) {
        for (const dev of [tb.receiver.dev, tb.receiver.vlanDev]) {
          if (dev !== undefined) flowlens('nsenter', 'ebpf', 'csum-fix', 'detach', '--dev', dev);
        }
      }
    } finally {
      tb?.cleanup();
      if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
      process.stderr.write(`# netns csum-fix suite took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    }
  });

  test('without csum-fix: bad checksums are dropped, doctor counts them and names the exporters', async () => {
    const c0 = counters();
    const finish = await startDoctor([
      '--seconds',
      '2',
      '--ports',
      '4739,4740',
      '--watch-dev',
      tb.receiver.dev,
    ]);
    const plain = payloads(2);
    const tagged = payloads(2);
    send(plain, { mode: 'bad' });
    // Priority-tagged 802.1Q frames (VLAN 0) from a second exporter address.
    send(tagged, { mode: 'bad', src: 'fd00:f1::11', vlans: ['0x8100:0x2000'] });
    let total = plain.length + tagged.length;
    if (tb.sender.vlanDev !== undefined) {
      const viaVlan = payloads(2);
      send(viaVlan, { mode: 'bad', src: tb.sender.vlanAddr, dst: tb.receiver.vlanAddr });
      total += viaVlan.length;
    }
    await waitUntil('the checksum errors', () => delta(c0, counters()).csum >= total);
    const { code, report } = await finish();
    const d = delta(c0, counters());
    assert.equal(d.csum, total);
    assert.equal(d.inDatagrams, 0);
    assert.equal(received.length, 0);

    assert.equal(code, 1, 'problems found');
    assert.equal(report.counters.udp6.InCsumErrors.delta, total);
    assert.equal(report.counters.udp6.InErrors.delta, total);
    const w = report.watch;
    assert.ok(w !== undefined);
    assert.equal(w.dev, tb.receiver.dev);
    const byAddr = new Map(w.exporters.map((e) => [e.address, e]));
    assert.deepEqual(
      { ...byAddr.get('fd00:f1::1'), bytes: 0 },
      {
        address: 'fd00:f1::1',
        family: 6,
        port: 4739,
        valid: 0,
        invalid: plain.length,
        pseudo: 0,
        unchecked: 0,
        bytes: 0,
      },
    );
    assert.equal(byAddr.get('fd00:f1::11')?.invalid, tagged.length);
    if (tb.sender.vlanAddr !== undefined) assert.equal(byAddr.get(tb.sender.vlanAddr)?.invalid, plain.length);
    assert.equal(w.totals.invalid, total);
    const f = report.findings.find((x) => x.code === 'udp6-bad-checksums');
    assert.ok(f !== undefined, JSON.stringify(report.findings));
    assert.match(f.message, new RegExp(`Udp6InCsumErrors rose by ${total} in 2 s`));
    assert.match(f.message, /fd00:f1::1 \(port 4739/);
    assert.equal(
      f.fix,
      `if your exporter is known to compute checksums wrongly, run: flowlens ebpf csum-fix attach --dev ${tb.receiver.dev} --ports 4739`,
    );
    const l4739 = report.listeners.find((l) => l.port === 4739);
    assert.equal(l4739?.sockets[0]?.processes[0]?.pid, receiver.pid);
    // The watch is gone again.
    const filters = tb.exec(tb.receiver.ns, 'tc', [
      '-j',
      'filter',
      'show',
      'dev',
      tb.receiver.dev,
      'ingress',
    ]);
    assert.equal(filters.stdout.trim() === '' ? '[]' : filters.stdout.trim(), '[]');
    const qd = tb.exec(tb.receiver.ns, 'tc', ['qdisc', 'show', 'dev', tb.receiver.dev]);
    assert.doesNotMatch(qd.stdout, /clsact/);
  });

  test('with csum-fix: every datagram arrives intact; repaired equals sent, for all encapsulations', async () => {
    const r = flowlens('nsenter', 'ebpf', 'csum-fix', 'attach', '--dev', tb.receiver.dev, '--json');
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as AttachResult;
    assert.equal(a.action, 'attached');
    assert.deepEqual(a.ports, [4739]);
    const pins = tb.pinDirOf(tb.receiver.ns, tb.receiver.dev);
    assert.ok(existsSync(path.join(pins, 'fix_stats')), `pins in ${pins}`);
    assert.ok(existsSync(path.join(pins, 'fix_ports')));
    if (tb.receiver.vlanDev !== undefined) {
      const rv = flowlens('nsenter', 'ebpf', 'csum-fix', 'attach', '--dev', tb.receiver.vlanDev);
      assert.equal(rv.code, 0, rv.stderr);
    }

    const c0 = counters();
    const n0 = received.length;
    const sent: Buffer[] = [];
    const plain = payloads(2);
    send(plain, { mode: 'bad' });
    const zero = payloads(1);
    send(zero, { mode: 'zero' });
    // 802.1Q priority tag: the stack moves it to skb metadata before tc runs.
    const prio = payloads(2);
    send(prio, { mode: 'bad', vlans: ['0x8100:0x2000'] });
    // QinQ (802.1ad + 802.1Q, VLAN 0): the outer tag goes to metadata, the inner stays in the data.
    // AF_PACKET allows one 802.1Q tag beyond the MTU but not an 802.1ad one: 1444 fills the frame.
    const qinq = payloads(2, 1444);
    send(qinq, { mode: 'bad', vlans: ['0x88a8:0', '0x8100:0'] });
    // Extension headers: hop-by-hop + destination options through the kernel's raw socket,
    // and hop-by-hop inside QinQ frames.
    const ext = payloads(2, 1436);
    send(ext, { mode: 'bad', hopopts: true, dstopts: true });
    const extQinq = payloads(1, 1436);
    send(extQinq, { mode: 'bad', hopopts: true, vlans: ['0x88a8:0', '0x8100:0'] });
    // An atomic fragment (fragment header, offset 0, no more fragments) is a whole datagram.
    const atomic = payloads(1, 1444);
    send(atomic, { mode: 'bad', packet: true, atomicFrag: true });
    sent.push(...plain, ...zero, ...prio, ...qinq, ...ext, ...extQinq, ...atomic);
    let viaVlan: Buffer[] = [];
    if (tb.sender.vlanDev !== undefined) {
      viaVlan = payloads(2);
      send(viaVlan, { mode: 'bad', src: tb.sender.vlanAddr, dst: tb.receiver.vlanAddr });
      sent.push(...viaVlan);
    }
    await waitUntil('every datagram', () => received.length - n0 >= sent.length);
    await sleep(100);
    const got = received.slice(n0);
    assert.equal(got.length, sent.length);
    assert.deepEqual(got.map((g) => g.sha256).sort(), sent.map(sha).sort(), 'payloads intact');
    assert.ok(got.every((g) => g.protocol === 'ipfix' && g.port === 4739));
    // Every repaired datagram decodes as IPFIX with no errors: one data record each,
    // except the 16-byte messages, which are a bare header.
    assert.deepEqual(
      got
        .filter((g) => g.records !== (g.length === 16 ? 0 : 1) || g.errors.length > 0)
        .map((g) => [g.length, g.records, g.errors]),
      [],
    );
    assert.deepEqual(
      [...new Set(got.map((g) => g.length))].sort((x, y) => x - y),
      [...new Set(sent.map((s) => s.length))].sort((x, y) => x - y),
    );
    const d = delta(c0, counters());
    assert.deepEqual(d, { csum: 0, inErrors: 0, inDatagrams: sent.length, noPorts: 0, rcvbuf: 0 });

    const s = status(tb.receiver.dev);
    assert.equal(s.attached, true);
    assert.deepEqual(s.ports, [4739]);
    assert.deepEqual(s.counters, {
      seen: sent.length,
      repaired: sent.length,
      already_correct: 0,
      zero_checksum: zero.length,
      pseudo_only: 0,
      skipped_too_long: 0,
      skipped_malformed: 0,
      skipped_fragment: 0,
      skipped_gso: 0,
      skipped_other: 0,
      errors: 0,
      vlan_tag_metadata: prio.length + qinq.length + extQinq.length + viaVlan.length,
      vlan_tag_in_data: qinq.length + extQinq.length,
      ext_headers: ext.length + extQinq.length + atomic.length,
    });
    // Read through the pin (nsenter keeps the host's /sys/fs/bpf) and through the program (ip netns exec).
    assert.equal(status(tb.receiver.dev, 'nsenter').source, 'pinned');
    assert.equal(s.source, 'program');
    if (tb.receiver.vlanDev !== undefined) {
      // Already repaired on the parent: on the sub-interface the tag is gone and the checksum right.
      const v = fixCounters(tb.receiver.vlanDev);
      assert.equal(v.seen, viaVlan.length);
      assert.equal(v.already_correct, viaVlan.length);
      assert.equal(v.vlan_tag_metadata, 0);
    }
  });

  test('correct checksums pass unchanged and count as already correct', async () => {
    const before0 = fixCounters(tb.receiver.dev);
    const c0 = counters();
    const n0 = received.length;
    const good = payloads(2);
    const goodTagged = payloads(2, 1444);
    send(good, { mode: 'good' });
    send(goodTagged, { mode: 'good', vlans: ['0x88a8:0', '0x8100:0'] });
    const total = good.length + goodTagged.length;
    await waitUntil('the good datagrams', () => received.length - n0 >= total);
    assert.deepEqual(
      received
        .slice(n0)
        .map((g) => g.sha256)
        .sort(),
      [...good, ...goodTagged].map(sha).sort(),
    );
    const c = fixCounters(tb.receiver.dev);
    assert.equal(c.already_correct - before0.already_correct, total);
    assert.equal(c.repaired, before0.repaired);
    assert.equal(c.seen - before0.seen, total);
    assert.equal(delta(c0, counters()).csum, 0);
  });

  test('doctor --watch-dev beside csum-fix sees checksums as received; local traffic is told apart', async () => {
    const before0 = fixCounters(tb.receiver.dev);
    const c0 = counters();
    const n0 = received.length;
    const finish = await startDoctor(['--seconds', '1', '--ports', '4739', '--watch-dev', tb.receiver.dev]);
    const bad = payloads(1);
    send(bad, { mode: 'bad' });
    // A normal socket over veth: checksum offload is still pending (CHECKSUM_PARTIAL), so the
    // field holds the pseudo-header sum alone. The kernel accepts it; csum-fix rewrites it anyway
    // and counts it apart.
    const local = payloads(1);
    sendLocal(local);
    await waitUntil('all datagrams', () => received.length - n0 >= bad.length + local.length);
    const { code, report } = await finish();
    assert.equal(delta(c0, counters()).csum, 0, 'nothing dropped: csum-fix repaired the bad ones first');
    const c = fixCounters(tb.receiver.dev);
    assert.equal(c.repaired - before0.repaired, bad.length + local.length);
    assert.equal(c.pseudo_only - before0.pseudo_only, local.length);
    const w = report.watch;
    assert.ok(w !== undefined);
    assert.equal(w.csumFixAttached, true);
    const e = w.exporters.find((x) => x.address === tb.sender.addr);
    assert.deepEqual(
      { invalid: e?.invalid, pseudo: e?.pseudo, valid: e?.valid },
      { invalid: bad.length + local.length, pseudo: local.length, valid: 0 },
      'the watch runs before csum-fix',
    );
    assert.equal(code, 0);
    const f = report.findings.find((x) => x.code === 'udp6-bad-checksums-not-dropped');
    assert.ok(f !== undefined, JSON.stringify(report.findings));
    assert.match(f.message, /csum-fix on this device repairs them/);
  });

  test('other ports and fragmented datagrams are left alone (and still dropped)', async () => {
    const before0 = fixCounters(tb.receiver.dev);
    const c0 = counters();
    const n0 = received.length;
    // 4740 has a listener but is not configured: untouched, dropped by the kernel.
    const other = payloads(1);
    send(other, { mode: 'bad', port: 4740 });
    // 1452 bytes plus a hop-by-hop header exceed the MTU: the kernel fragments the datagram,
    // and a fragment cannot be checksummed on its own.
    const big = [ipfixMessage(1452, 999, 1)];
    send(big, { mode: 'bad', hopopts: true });
    await waitUntil('the drops', () => delta(c0, counters()).csum >= other.length + big.length);
    await sleep(100);
    assert.equal(received.length, n0);
    const d = delta(c0, counters());
    assert.equal(d.csum, other.length + big.length);
    assert.equal(d.inDatagrams, 0);
    const c = fixCounters(tb.receiver.dev);
    assert.equal(c.seen - before0.seen, 1, 'only the first fragment is seen');
    assert.equal(c.skipped_fragment - before0.skipped_fragment, 1);
    assert.equal(c.repaired, before0.repaired);
  });

  test('ports change without a reload; doctor reports a port nobody listens on', async () => {
    const prog = status(tb.receiver.dev).progId;
    const r = flowlens(
      'nsenter',
      'ebpf',
      'csum-fix',
      'attach',
      '--dev',
      tb.receiver.dev,
      '--ports',
      '4739,4740',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as AttachResult;
    assert.equal(a.action, 'unchanged');
    assert.equal(a.progId, prog);
    assert.deepEqual(a.portsAdded, [4740]);
    const before0 = fixCounters(tb.receiver.dev);
    const n0 = received.length;
    const to4740 = payloads(1);
    send(to4740, { mode: 'bad', port: 4740 });
    await waitUntil('the 4740 datagrams', () => received.length - n0 >= to4740.length);
    assert.ok(received.slice(n0).every((g) => g.port === 4740));
    assert.equal(fixCounters(tb.receiver.dev).repaired - before0.repaired, to4740.length);

    // doctor without --watch-dev: the /proc part only.
    const finish = await startDoctor(['--seconds', '1', '--ports', '4739,6343']);
    const closed = payloads(1);
    send(closed, { mode: 'good', port: 6343 });
    const { code, report } = await finish();
    assert.equal(code, 1);
    assert.equal(report.watch, undefined);
    assert.equal(report.counters.udp6.NoPorts.delta, closed.length);
    assert.equal(report.counters.udp6.InCsumErrors.delta, 0);
    assert.deepEqual(
      report.listeners.map((l) => [l.port, l.sockets.length]),
      [
        [4739, 1],
        [6343, 0],
      ],
    );
    const f = report.findings.find((x) => x.code === 'no-listener');
    assert.ok(f !== undefined, JSON.stringify(report.findings));
    assert.match(f.message, /Udp6NoPorts \+5 in 1 s and nothing listens on port 6343/);
  });

  test('detach restores the kernel behaviour and leaves nothing behind; detach again is a no-op', async () => {
    for (const dev of [tb.receiver.vlanDev, tb.receiver.dev]) {
      if (dev === undefined) continue;
      const r = flowlens('nsenter', 'ebpf', 'csum-fix', 'detach', '--dev', dev, '--json');
      assert.equal(r.code, 0, r.stderr);
      const d = JSON.parse(r.stdout) as DetachResult;
      assert.equal(d.detached, true);
      assert.equal(d.clsactRemoved, true);
      assert.equal(d.pinsRemoved.length, 2);
    }
    assert.ok(!existsSync(tb.pinDirOf(tb.receiver.ns, tb.receiver.dev)));
    const qd = tb.exec(tb.receiver.ns, 'tc', ['qdisc', 'show', 'dev', tb.receiver.dev]);
    assert.doesNotMatch(qd.stdout, /clsact/);
    const st = flowlens('exec', 'ebpf', 'csum-fix', 'status', '--dev', tb.receiver.dev);
    assert.equal(st.code, 1);
    assert.match(st.stdout, /not attached/);

    const c0 = counters();
    const bad = payloads(1);
    send(bad, { mode: 'bad' });
    await waitUntil('the drops', () => delta(c0, counters()).csum >= bad.length);
    assert.equal(delta(c0, counters()).csum, bad.length);

    const again = flowlens('nsenter', 'ebpf', 'csum-fix', 'detach', '--dev', tb.receiver.dev);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /not attached/);
  });

  test('clear errors: unknown device, not root, missing tools', () => {
    const nodev = flowlens('exec', 'ebpf', 'csum-fix', 'attach', '--dev', 'nosuchdev0');
    assert.equal(nodev.code, 2);
    assert.match(nodev.stderr, /device nosuchdev0 does not exist/);

    const noBpftool = tb.exec(tb.receiver.ns, process.execPath, [MAIN, 'ebpf', 'csum-fix', 'status'], {
      ...env,
      FLOWLENS_BPFTOOL: '/nonexistent/bpftool',
    });
    assert.equal(noBpftool.code, 2);
    assert.match(noBpftool.stderr, /bpftool .*not found; install with: apt-get install -y bpftool/);

    const noClang = tb.exec(
      tb.receiver.ns,
      process.execPath,
      [MAIN, 'ebpf', 'csum-fix', 'attach', '--dev', tb.receiver.dev],
      { ...env, FLOWLENS_CLANG: '/nonexistent/clang', FLOWLENS_STATE_DIR: path.join(tmp, 'empty-state') },
    );
    assert.equal(noClang.code, 2);
    assert.match(noClang.stderr, /clang .*not found; install with: apt-get install -y clang/);
    const qd = tb.exec(tb.receiver.ns, 'tc', ['qdisc', 'show', 'dev', tb.receiver.dev]);
    assert.doesNotMatch(qd.stdout, /clsact/, 'a failed attach changes nothing');

    const asNobody = (args: string[]) =>
      tb.exec(
        tb.receiver.ns,
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, MAIN, ...args],
        env,
      );
    const attach = asNobody(['ebpf', 'csum-fix', 'attach', '--dev', tb.receiver.dev]);
    assert.equal(attach.code, 2);
    assert.match(attach.stderr, /needs root/);
    const watch = asNobody(['doctor', '--seconds', '0', '--watch-dev', tb.receiver.dev]);
    assert.equal(watch.code, 2);
    assert.match(watch.stderr, /needs root/);
    // The /proc part works without root.
    const plain = asNobody(['doctor', '--seconds', '0', '--ports', '4739', '--json']);
    assert.ok(plain.code === 0 || plain.code === 1, plain.stderr);
    const rep = JSON.parse(plain.stdout) as DoctorReport;
    assert.equal(rep.listeners[0]?.sockets.length, 1);
  });
});
