/**
 * An in-process collector for end-to-end tests: the real startCollector on
 * loopback and any free ports (sFlow on, IPFIX and NetFlow off unless the
 * flags say otherwise) with a temporary state directory, plus the REST calls
 * the tests share.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Collector, type CollectorOptions, startCollector } from '../collector.js';
import { loadConfig } from '../common/config.js';

/** The flags every test collector starts with: loopback only, any free port, sFlow only. */
const LOOPBACK_FLAGS: Readonly<Record<string, string>> = {
  'sflow.port': '0',
  'ipfix.port': '-1',
  'netflow.port': '-1',
  'http.port': '0',
  'http.host': '127.0.0.1',
  'udp.host': '127.0.0.1',
};

export interface TestCollectorOptions {
  /** Settings added to (or overriding) the loopback flags, e.g. `{ 'ipfix.port': '0' }`. */
  flags?: Record<string, string | boolean>;
  /** startCollector's options; the version defaults to '0.0.0-test'. */
  collector?: Partial<CollectorOptions>;
  /**
   * A state directory to use and keep (another collector's, to test persistence);
   * by default a new temporary one, removed by stop().
   */
  stateDir?: string;
}

export interface TestCollector {
  collector: Collector;
  /** http://127.0.0.1:<port> */
  base: string;
  stateDir: string;
  /** GETs `p` (a path under base) and asserts 200. */
  getJson<T>(p: string): Promise<T>;
  /** PUTs `body` as JSON to `p` (a path under base). */
  put(p: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /**
   * Stops the collector and starts another with the same options on the same
   * state directory; stop the one returned (it removes the directory if this one would have).
   */
  restart(): Promise<TestCollector>;
  /** Stops the collector, and removes the state directory if it was made for it. */
  stop(): Promise<void>;
}

export async function startTestCollector(options: TestCollectorOptions = {}): Promise<TestCollector> {
  const owned = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'flowlens-test-'));
  return launch(options, stateDir, owned);
}

async function launch(
  options: TestCollectorOptions,
  stateDir: string,
  owned: boolean,
): Promise<TestCollector> {
  const removeState = () => {
    if (owned) rmSync(stateDir, { recursive: true, force: true });
  };
  let collector: Collector;
  try {
    const config = loadConfig({ flags: { ...LOOPBACK_FLAGS, ...options.flags, 'state.dir': stateDir } });
    collector = await startCollector(config, { version: '0.0.0-test', ...options.collector });
  } catch (err) {
    removeState();
    throw err;
  }
  const base = `http://127.0.0.1:${collector.ports.http}`;
  return {
    collector,
    base,
    stateDir,
    async getJson<T>(p: string): Promise<T> {
      const r = await fetch(`${base}${p}`);
      assert.equal(r.status, 200, `${p}: ${r.status} ${await r.clone().text()}`);
      return (await r.json()) as T;
    },
    put(p: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
      return fetch(`${base}${p}`, {
        method: 'PUT',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...headers },
      });
    },
    async restart(): Promise<TestCollector> {
      await collector.stop();
      return launch(options, stateDir, owned);
    },
    async stop(): Promise<void> {
      try {
        await collector.stop();
      } finally {
        removeState();
      }
    },
  };
}
