/**
 * A collector for the app's end-to-end tests: the real startCollector with
 * the ai-metrics app, on loopback with any free ports and a temporary state
 * directory, plus the REST helpers the tests share.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Collector, startCollector } from '../../collector.js';
import { loadConfig } from '../../common/config.js';
import type { AiSettings } from './settings.js';

/** Where the app's REST paths are served. */
export const APP = '/app/ai-metrics/scripts/metrics.js';

/** metric/json: the numeric points and the two top-5 families. */
export type Points = Record<string, number> & {
  operations: Record<string, number>;
  drops: Record<string, number>;
};

export interface TestCollector {
  collector: Collector;
  /** http://127.0.0.1:<port> */
  base: string;
  stateDir: string;
  /** GETs `p` (a path under base) and asserts 200. */
  getJson<T>(p: string): Promise<T>;
  /** PUT /topology/json, asserting 204. */
  putTopology(topology: unknown): Promise<void>;
  /** Stops the collector and removes its state directory. */
  stop(): Promise<void>;
}

/** Starts a collector (sFlow on a free loopback port, IPFIX and NetFlow off) running the app with `aiMetrics`. */
export async function startTestCollector(aiMetrics: Partial<AiSettings> = {}): Promise<TestCollector> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'flowlens-ai-'));
  const config = loadConfig({
    flags: {
      'sflow.port': '0',
      'ipfix.port': '-1',
      'netflow.port': '-1',
      'http.port': '0',
      'http.host': '127.0.0.1',
      'udp.host': '127.0.0.1',
      'state.dir': stateDir,
    },
  });
  const collector = await startCollector(config, { version: '0.0.0-test', aiMetrics });
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
    async putTopology(topology: unknown): Promise<void> {
      const r = await fetch(`${base}/topology/json`, {
        method: 'PUT',
        body: JSON.stringify(topology),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 204, `PUT /topology/json: ${r.status} ${await r.text()}`);
    },
    async stop(): Promise<void> {
      await collector.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Asserts `got` is within `tolerance` (relative) of `want`; a `want` of 0 wants exactly 0. */
export function near(what: string, got: number, want: number, tolerance = 0.1): void {
  assert.ok(
    want === 0 ? got === 0 : Math.abs(got - want) / want < tolerance,
    `${what}: got ${got}, want ${want}`,
  );
}
