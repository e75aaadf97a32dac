/**
 * UDP listeners over loopback, through both ways in: the recvmmsg addon and
 * Node's dgram. The addon tests run wherever it is built and are required
 * in CI (CI=true), where `npm ci` builds it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../testing/wait.js';
import { loadRecvmmsg, resetRecvmmsgForTests } from './recvmmsg.js';
import { type DatagramHandler, listenUdp, procUdpSockets, type UdpMode, udpModeFromEnv } from './udp.js';

const addon = loadRecvmmsg();
const ci = process.env.CI === 'true';

test('recvmmsg addon is built (required in CI)', { skip: !ci && addon.addon === undefined }, () => {
  assert.ok(addon.addon !== undefined, addon.addon === undefined ? addon.reason : '');
});

function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp6');
    s.once('error', () => resolve(false));
    s.bind(0, '::1', () => s.close(() => resolve(true)));
  });
}
const hasIpv6 = await ipv6Loopback();

interface Got {
  index: number;
  length: number;
  address: string;
  port: number;
  localPort: number;
  intact: boolean;
}

/** Payload i: a 4-byte index, then `size - 4` bytes of (i + k) & 255. */
function payload(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32BE(i, 0);
  for (let k = 4; k < size; k++) b[k] = (i + k) & 255;
  return b;
}

function check(p: Buffer): boolean {
  const i = p.readUInt32BE(0);
  for (let k = 4; k < p.length; k++) if (p[k] !== ((i + k) & 255)) return false;
  return true;
}

const recorder = (got: Got[]): DatagramHandler => {
  return (p, address, port, localPort) => {
    // The payload is only valid during the call: inspect it here, keep nothing.
    got.push({ index: p.readUInt32BE(0), length: p.length, address, port, localPort, intact: check(p) });
  };
};

function bindSender(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type);
    s.once('error', reject);
    s.bind(0, address, () => resolve(s));
  });
}

function send(s: dgram.Socket, buf: Buffer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => s.send(buf, port, host, (err) => (err ? reject(err) : resolve())));
}

const waitFor = (cond: () => boolean, ms = 3000) => waitUntil('datagrams', cond, ms);

const modes: { mode: UdpMode; skip: string | false }[] = [
  { mode: 'dgram', skip: false },
  { mode: 'recvmmsg', skip: addon.addon === undefined ? `addon not available: ${addon.reason}` : false },
];

for (const { mode, skip } of modes) {
  describe(`listenUdp (${mode})`, { skip }, () => {
    test('IPv4 loopback: every datagram, with its source address and port', async () => {
      const got: Got[] = [];
      const l = await listenUdp({ port: 0, host: '127.0.0.1', receiveBuffer: 1 << 20, mode }, recorder(got));
      assert.equal(l.mode, mode);
      assert.ok(l.port > 0);
      assert.ok(l.receiveBuffer > 0);
      const a = await bindSender('udp4', '127.0.0.1');
      const b = await bindSender('udp4', '127.0.0.1');
      for (let i = 0; i < 50; i++)
        await send(i % 2 === 0 ? a : b, payload(i, 100 + i * 20), l.port, '127.0.0.1');
      await waitFor(() => got.length >= 50);
      assert.equal(got.length, 50);
      for (const g of got) {
        assert.ok(g.intact, `payload ${g.index} intact`);
        assert.equal(g.length, 100 + g.index * 20);
        assert.equal(g.address, '127.0.0.1');
        assert.equal(g.port, (g.index % 2 === 0 ? a : b).address().port);
        assert.equal(g.localPort, l.port);
      }
      assert.deepEqual(
        got.map((g) => g.index).sort((x, y) => x - y),
        Array.from({ length: 50 }, (_, i) => i),
      );
      assert.equal(l.datagrams, 50);
      assert.equal(l.stats().datagrams, 50);
      a.close();
      b.close();
      await l.close();
    });

    test('IPv6 loopback, and IPv4 senders on a dual-stack socket reported as IPv4', {
      skip: !hasIpv6,
    }, async () => {
      const got: Got[] = [];
      const l = await listenUdp({ port: 0, host: '::', receiveBuffer: 1 << 20, mode }, recorder(got));
      const v6 = await bindSender('udp6', '::1');
      const v4 = await bindSender('udp4', '127.0.0.1');
      for (let i = 0; i < 20; i++) {
        if (i % 2 === 0) await send(v6, payload(i, 1400), l.port, '::1');
        else await send(v4, payload(i, 1400), l.port, '127.0.0.1');
      }
      await waitFor(() => got.length >= 20);
      for (const g of got) {
        assert.ok(g.intact);
        if (g.index % 2 === 0) {
          assert.equal(g.address, '::1');
          assert.equal(g.port, v6.address().port);
        } else {
          assert.equal(g.address, '127.0.0.1');
          assert.equal(g.port, v4.address().port);
        }
      }
      v6.close();
      v4.close();
      await l.close();
    });

    test('a large datagram arrives whole (60,000 bytes)', async () => {
      const got: Got[] = [];
      const l = await listenUdp({ port: 0, host: '127.0.0.1', receiveBuffer: 1 << 20, mode }, recorder(got));
      const s = await bindSender('udp4', '127.0.0.1');
      await send(s, payload(7, 60_000), l.port, '127.0.0.1');
      await send(s, payload(8, 10), l.port, '127.0.0.1');
      await waitFor(() => got.length >= 2);
      assert.deepEqual(
        got.map((g) => [g.index, g.length, g.intact]),
        [
          [7, 60_000, true],
          [8, 10, true],
        ],
      );
      assert.equal(l.stats().truncated, 0);
      s.close();
      await l.close();
    });

    test('bursts larger than a batch: nothing lost, nothing duplicated', async () => {
      const got: Got[] = [];
      const l = await listenUdp(
        { port: 0, host: '127.0.0.1', receiveBuffer: 1 << 20, mode, batch: 16 },
        recorder(got),
      );
      const s = await bindSender('udp4', '127.0.0.1');
      const total = 3000;
      // Bursts of 100 (several batches each) with a turn of the event loop in between, so a
      // small default receive buffer (CI: rmem_max 208 KiB) holds each burst.
      for (let i = 0; i < total; i += 100) {
        const burst: Promise<void>[] = [];
        for (let k = i; k < i + 100; k++) burst.push(send(s, payload(k, 64), l.port, '127.0.0.1'));
        await Promise.all(burst);
        await new Promise((r) => setImmediate(r));
      }
      await waitFor(() => got.length >= total - l.kernelDrops());
      await new Promise((r) => setTimeout(r, 20));
      const drops = l.kernelDrops();
      const seen = new Set(got.map((g) => g.index));
      assert.equal(seen.size, got.length, 'no duplicates');
      assert.ok(
        got.every((g) => g.intact),
        'payloads intact',
      );
      assert.equal(got.length + drops, total);
      assert.ok(drops <= total / 10, `kernel drops ${drops}`);
      if (mode === 'recvmmsg') {
        const st = l.stats();
        assert.ok(st.batches > 1 && st.batches < got.length, `batches ${st.batches}`);
      }
      s.close();
      await l.close();
    });

    test('close is clean: the port is free at once, nothing arrives after, closing twice is fine', async () => {
      const got: Got[] = [];
      const l = await listenUdp({ port: 0, host: '127.0.0.1', receiveBuffer: 1 << 20, mode }, recorder(got));
      const port = l.port;
      await l.close();
      await l.close();
      const s = await bindSender('udp4', '127.0.0.1');
      await send(s, payload(1, 10), port, '127.0.0.1').catch(() => {});
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(got.length, 0);
      // Rebinding the same port works: the socket is gone.
      const again = await listenUdp({ port, host: '127.0.0.1', receiveBuffer: 1 << 20, mode }, recorder(got));
      assert.equal(again.port, port);
      await again.close();
      s.close();
    });

    test('a port in use is an error, not a crash', async () => {
      const l = await listenUdp({ port: 0, host: '127.0.0.1', receiveBuffer: 1 << 16, mode }, () => {});
      await assert.rejects(
        listenUdp({ port: l.port, host: '127.0.0.1', receiveBuffer: 1 << 16, mode }, () => {}),
        /EADDRINUSE/,
      );
      await l.close();
    });

    test('close from inside the handler stops delivery', async () => {
      const got: number[] = [];
      const l = await listenUdp({ port: 0, host: '127.0.0.1', receiveBuffer: 1 << 20, mode }, (p) => {
        got.push(p.readUInt32BE(0));
        if (got.length === 1) void l.close();
      });
      const s = await bindSender('udp4', '127.0.0.1');
      const burst: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) burst.push(send(s, payload(i, 20), l.port, '127.0.0.1'));
      await Promise.all(burst);
      await new Promise((r) => setTimeout(r, 50));
      // dgram may still hand over what it had already read in the same turn; the addon stops at once.
      if (mode === 'recvmmsg') assert.ok(got.length <= 16, `after close: ${got.length}`);
      assert.ok(got.length >= 1);
      s.close();
    });
  });
}

describe('recvmmsg specifics', { skip: modes[1].skip }, () => {
  test('kernel drops are seen through /proc (by inode) and the SO_RXQ_OVFL counter', async () => {
    const lib = loadRecvmmsg().addon!;
    let n = 0;
    const l = await listenUdp({ port: 0, host: '127.0.0.1', receiveBuffer: 4096, mode: 'recvmmsg' }, () => {
      n++;
    });
    const sender = lib.openSender({ host: '127.0.0.1', port: l.port });
    const buf = Buffer.alloc(1000, 1);
    const offsets = new Uint32Array(200);
    const lengths = new Uint32Array(200).fill(1000);
    // The event loop is busy here, so the tiny buffer overflows.
    assert.equal(sender.send(buf, offsets, lengths, 200), 200);
    await waitFor(() => n > 0);
    const drops = l.kernelDrops();
    assert.ok(drops > 0, 'drops in /proc/net/udp');
    assert.equal(n + drops, 200);
    const mine = procUdpSockets().filter((s) => s.localPort === l.port);
    assert.equal(mine.length, 1);
    sender.send(buf, offsets, lengths, 1);
    await waitFor(() => n + drops >= 201);
    sender.close();
    await l.close();
  });

  test('an exception in the handler reaches uncaughtException, and every datagram is still delivered', () => {
    const here = fileURLToPath(new URL('./udp.js', import.meta.url));
    const script = `
      import { listenUdp } from ${JSON.stringify(here)};
      import dgram from 'node:dgram';
      let seen = 0, uncaught = 0;
      process.on('uncaughtException', () => { uncaught++; });
      const l = await listenUdp({ port: 0, host: '127.0.0.1', receiveBuffer: 1 << 20, mode: 'recvmmsg' }, () => {
        seen++;
        if (seen % 5 === 1) throw new Error('handler bug');
      });
      const s = dgram.createSocket('udp4');
      for (let i = 0; i < 40; i++) s.send(Buffer.alloc(10), l.port, '127.0.0.1');
      setTimeout(async () => {
        s.close();
        await l.close();
        process.stdout.write(JSON.stringify({ seen, uncaught }));
      }, 300);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { seen: number; uncaught: number };
    assert.equal(out.seen, 40);
    assert.ok(out.uncaught >= 1 && out.uncaught <= 8, `uncaught ${out.uncaught}`);
  });
});

describe('choosing the way in', () => {
  const saved = process.env.FLOWLENS_RECVMMSG_ADDON;
  after(() => {
    if (saved === undefined) delete process.env.FLOWLENS_RECVMMSG_ADDON;
    else process.env.FLOWLENS_RECVMMSG_ADDON = saved;
    resetRecvmmsgForTests();
  });

  test('the dgram fallback engages when the addon is missing; forcing recvmmsg then fails', async () => {
    process.env.FLOWLENS_RECVMMSG_ADDON = '/nonexistent/recvmmsg.node';
    resetRecvmmsgForTests();
    const got: Got[] = [];
    const l = await listenUdp({ port: 0, host: '127.0.0.1', receiveBuffer: 1 << 16 }, recorder(got));
    assert.equal(l.mode, 'dgram');
    assert.match(l.fallbackReason ?? '', /not built/);
    const s = await bindSender('udp4', '127.0.0.1');
    await send(s, payload(3, 30), l.port, '127.0.0.1');
    await waitFor(() => got.length === 1);
    assert.equal(got[0].address, '127.0.0.1');
    s.close();
    await l.close();
    await assert.rejects(
      listenUdp({ port: 0, host: '127.0.0.1', receiveBuffer: 1 << 16, mode: 'recvmmsg' }, () => {}),
      /recvmmsg is not available/,
    );
  });

  test('FLOWLENS_UDP picks the way in', () => {
    assert.equal(udpModeFromEnv({}), 'auto');
    assert.equal(udpModeFromEnv({ FLOWLENS_UDP: 'dgram' }), 'dgram');
    assert.equal(udpModeFromEnv({ FLOWLENS_UDP: 'RECVMMSG' }), 'recvmmsg');
    assert.throws(() => udpModeFromEnv({ FLOWLENS_UDP: 'epoll' }), /FLOWLENS_UDP/);
  });
});
