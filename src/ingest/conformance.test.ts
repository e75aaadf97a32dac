/**
 * Conformance against the real captures in ../shared/captures (outside the repository; override
 * with FLOWLENS_CAPTURES). Checks the transport facts (frames, UDP datagrams, destination ports)
 * and the protocol detected per datagram against expected/*.json. Skips when the folder is absent.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectCapture } from './capture.js';
import { detectProtocol, type TelemetryProtocol } from './detect.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

const CAPTURES = process.env.FLOWLENS_CAPTURES ?? resolve(repoRoot(), '../shared/captures');
const EXPECTED = join(CAPTURES, 'expected');
const DAT_DIR = 'logstash_codec_netflow_dat';
const present = existsSync(EXPECTED);

type Expected = Record<string, unknown>;

const PROTOCOL_KEYS: [keyof Counts, TelemetryProtocol][] = [
  ['sflow_datagrams', 'sflow5'],
  ['ipfix_messages', 'ipfix'],
  ['nfv9_packets', 'netflow9'],
  ['nfv5_packets', 'netflow5'],
];

interface Counts {
  frames: number;
  udp_packets: number;
  udp_dst_ports: Record<string, number>;
  sflow_datagrams: number;
  ipfix_messages: number;
  nfv9_packets: number;
  nfv5_packets: number;
  skips: number;
  truncated: number;
}

function countCapture(path: string): Counts {
  const r = collectCapture(readFileSync(path), path);
  const c: Counts = {
    frames: r.frames,
    udp_packets: 0,
    udp_dst_ports: {},
    sflow_datagrams: 0,
    ipfix_messages: 0,
    nfv9_packets: 0,
    nfv5_packets: 0,
    skips: 0,
    truncated: 0,
  };
  for (const item of r.items) {
    if (item.kind === 'skip') {
      c.skips++;
      continue;
    }
    c.udp_packets++;
    if (item.truncated) c.truncated++;
    const port = String(item.dstPort);
    c.udp_dst_ports[port] = (c.udp_dst_ports[port] ?? 0) + 1;
    const proto = detectProtocol(item.payload);
    for (const [key, p] of PROTOCOL_KEYS) if (p === proto) c[key]++;
  }
  return c;
}

function locate(name: string): string {
  const top = join(CAPTURES, name);
  return existsSync(top) ? top : join(CAPTURES, DAT_DIR, name);
}

/** `=== <path>` followed by one JSON object, repeated. */
function parseGroup(text: string): [string, Expected][] {
  const out: [string, Expected][] = [];
  const parts = text.split(/^=== (.+)$/m);
  for (let i = 1; i + 1 < parts.length; i += 2)
    out.push([parts[i]!.trim(), JSON.parse(parts[i + 1]!) as Expected]);
  return out;
}

function checkCounts(name: string, got: Counts, exp: Expected, raw: boolean): void {
  for (const [key] of PROTOCOL_KEYS) {
    assert.equal(got[key], (exp[key] as number | undefined) ?? 0, `${name}: ${key}`);
  }
  if (raw) {
    assert.equal(got.udp_packets, 1, `${name}: a raw file is one payload`);
    return;
  }
  assert.equal(got.frames, exp.frames ?? 0, `${name}: frames`);
  assert.equal(got.udp_packets, exp.udp_packets ?? 0, `${name}: udp_packets`);
  assert.deepEqual(got.udp_dst_ports, exp.udp_dst_ports ?? {}, `${name}: udp_dst_ports`);
  assert.equal(got.truncated, 0, `${name}: no truncated datagrams`);
  assert.equal(got.skips, got.frames - got.udp_packets, `${name}: one skip per non-UDP frame`);
}

describe('conformance: shared captures', () => {
  it('every capture matches expected/<name>.json', (t) => {
    if (!present) {
      t.skip(`captures not found at ${CAPTURES}`);
      return;
    }
    const files = readdirSync(EXPECTED).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0);
    for (const f of files) {
      const name = f.slice(0, -'.json'.length);
      const exp = JSON.parse(readFileSync(join(EXPECTED, f), 'utf8')) as Expected;
      const path = locate(name);
      assert.ok(existsSync(path), `capture for ${f}`);
      checkCounts(name, countCapture(path), exp, !name.endsWith('.pcap') && !name.endsWith('.pcapng'));
    }
  });

  it('every capture file has expected facts', (t) => {
    if (!present) {
      t.skip(`captures not found at ${CAPTURES}`);
      return;
    }
    const expected = new Set(readdirSync(EXPECTED));
    const captures = readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng|bin)$/.test(f));
    assert.ok(captures.length >= 20);
    for (const c of captures) assert.ok(expected.has(`${c}.json`), `expected/${c}.json`);
  });

  it('.dat group files (templates first) detect as their protocol', (t) => {
    if (!present) {
      t.skip(`captures not found at ${CAPTURES}`);
      return;
    }
    const checked = new Set<string>();
    for (const g of readdirSync(EXPECTED).filter((f) => f.endsWith('_group.txt'))) {
      for (const [rel, exp] of parseGroup(readFileSync(join(EXPECTED, g), 'utf8'))) {
        const path = join(CAPTURES, rel);
        checkCounts(rel, countCapture(path), exp, true);
        checked.add(path);
      }
    }
    assert.ok(checked.size >= 6);
    const datDir = join(CAPTURES, DAT_DIR);
    const dats = readdirSync(datDir).filter((f) => f.endsWith('.dat'));
    assert.ok(dats.length > 0);
    for (const f of dats) {
      const want: TelemetryProtocol = f.startsWith('ipfix_')
        ? 'ipfix'
        : f.startsWith('netflow9_')
          ? 'netflow9'
          : 'unknown';
      const r = collectCapture(readFileSync(join(datDir, f)), f);
      assert.equal(r.format, 'raw', f);
      assert.equal(r.items.length, 1, f);
      const item = r.items[0]!;
      assert.equal(item.kind, 'datagram', f);
      if (item.kind === 'datagram') assert.equal(detectProtocol(item.payload), want, f);
    }
  });

  it('reads the 1.3 MB sFlow capture quickly', (t) => {
    const path = join(CAPTURES, 'sflow_v5_real_1agent_flow_counters_overflowd.pcap');
    if (!existsSync(path)) {
      t.skip(`captures not found at ${CAPTURES}`);
      return;
    }
    const data = readFileSync(path);
    collectCapture(data, path); // warm up
    const runs = 5;
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) collectCapture(data, path);
    const ms = (performance.now() - t0) / runs;
    t.diagnostic(`${(data.length / 1e6).toFixed(2)} MB in ${ms.toFixed(2)} ms`);
    assert.ok(ms < 250, `${ms} ms`);
  });
});
