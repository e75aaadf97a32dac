/**
 * A collector for the app's end-to-end tests: the shared test collector
 * (loopback, free ports, a temporary state directory) running the ai-metrics
 * app, plus the app's REST helpers.
 */
import assert from 'node:assert/strict';
import {
  type TestCollector as BaseTestCollector,
  startTestCollector as startBase,
} from '../../testing/collector.js';
import type { AiSettings } from './settings.js';

/** Where the app's REST paths are served. */
export const APP = '/app/ai-metrics/scripts/metrics.js';

/** metric/json: the numeric points and the two top-5 families. */
export type Points = Record<string, number> & {
  operations: Record<string, number>;
  drops: Record<string, number>;
};

export interface TestCollector extends BaseTestCollector {
  /** PUT /topology/json, asserting 204. */
  putTopology(topology: unknown): Promise<void>;
}

/** Starts a collector (sFlow on a free loopback port, IPFIX and NetFlow off) running the app with `aiMetrics`. */
export async function startTestCollector(aiMetrics: Partial<AiSettings> = {}): Promise<TestCollector> {
  const tc = await startBase({ collector: { aiMetrics } });
  return {
    ...tc,
    async putTopology(topology: unknown): Promise<void> {
      const r = await tc.put('/topology/json', topology);
      assert.equal(r.status, 204, `PUT /topology/json: ${r.status} ${await r.text()}`);
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
