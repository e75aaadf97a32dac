import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventLog } from './events.js';
import { type Observation, type ObservationSource, Thresholds } from './thresholds.js';

/** A source whose values the test sets directly. */
function source(values: Map<string, number>, byFlowKeys = false): ObservationSource {
  return {
    observe(metric, byFlow) {
      if (metric !== 'm') return undefined;
      const out: Observation[] = [];
      for (const [k, value] of values) {
        const [agent, ds, flow] = k.split('|');
        out.push(
          byFlow && byFlowKeys
            ? { agent, dataSource: ds, flowKey: flow, value }
            : { agent, dataSource: ds, value },
        );
      }
      return out;
    },
    attribute: (_a, ds, name) =>
      name === 'ifspeed' ? (ds === '1' ? '10000000000' : '1000000000') : undefined,
  };
}

test('one event per crossing; re-armed only after the timeout below', () => {
  const log = new EventLog();
  const th = new Thresholds(log);
  th.set('hot', { metric: 'm', value: 100, timeout: 2 });
  const v = new Map([['10.0.0.1|1|', 50]]);
  const src = source(v);
  const series = [50, 150, 200, 150, 50, 150, 50, 50, 50, 150, 160];
  series.forEach((x, i) => {
    v.set('10.0.0.1|1|', x);
    th.evaluate(src, i * 1000);
  });
  // Crossings at t=1 (fires), t=5 (below for only 1 s: still triggered), t=9 (below 3 s: fires).
  assert.deepEqual(
    log.events({}).map((e) => e.timestamp),
    [9000, 1000],
  );
  const [last] = log.events({});
  assert.deepEqual(
    [last.thresholdID, last.agent, last.dataSource, last.value, last.threshold],
    ['hot', '10.0.0.1', '1', 150, 100],
  );
});

test('timeout 0 re-arms as soon as the value is below; byFlow tracks keys separately; filters', () => {
  const log = new EventLog();
  const th = new Thresholds(log);
  th.set('fast', { metric: 'm', value: 10, timeout: 0, byFlow: true });
  th.set('fast10g', { metric: 'm', value: 10, timeout: 0, filter: { ifspeed: ['10000000000'] } });
  const v = new Map([
    ['a|1|x', 20],
    ['a|2|y', 20],
  ]);
  const src = source(v, true);
  th.evaluate(src, 0);
  th.evaluate(src, 100);
  v.set('a|1|x', 5);
  th.evaluate(src, 200);
  v.set('a|1|x', 20);
  th.evaluate(src, 300);
  const fast = log.events({ thresholdID: 'fast' });
  assert.deepEqual(
    fast.map((e) => [e.flowKey, e.timestamp]),
    [
      ['x', 300],
      ['y', 0],
      ['x', 0],
    ],
  );
  assert.deepEqual(
    log.events({ thresholdID: 'fast10g' }).map((e) => [e.dataSource, e.timestamp]),
    [
      ['1', 300],
      ['1', 0],
    ],
  );
});

test('long poll returns newest first after the given id, and times out empty', async () => {
  const log = new EventLog(3);
  const waiting = log.waitEvents({ eventID: 0 }, 5000);
  log.add({
    thresholdID: 't',
    metric: 'm',
    agent: 'a',
    dataSource: '1',
    value: 1,
    threshold: 0,
    timestamp: 1,
  });
  assert.deepEqual(
    (await waiting).map((e) => e.eventID),
    [1],
  );
  for (let i = 0; i < 4; i++)
    log.add({
      thresholdID: 't',
      metric: 'm',
      agent: 'a',
      dataSource: '1',
      value: 1,
      threshold: 0,
      timestamp: 1,
    });
  assert.deepEqual(
    log.events({ eventID: 2 }).map((e) => e.eventID),
    [5, 4, 3],
  );
  assert.deepEqual(
    log.events({ eventID: 2, maxEvents: 1 }).map((e) => e.eventID),
    [5],
  );
  assert.deepEqual(await log.waitEvents({ eventID: 5 }, 20), []);
});

test('threshold definitions are validated', () => {
  const th = new Thresholds(new EventLog(), 1);
  assert.throws(() => th.set('x', { value: 1 }), /'metric'/);
  assert.throws(() => th.set('x', { metric: 'm', value: 'a' }), /'value' must be a number/);
  assert.throws(() => th.set('x', { metric: 'm', value: 1, timeout: -1 }), /'timeout'/);
  assert.throws(() => th.set('x', { metric: 'm', value: 1, extra: 1 }), /unknown attribute 'extra'/);
  th.set('x', { metric: 'm', value: 1 });
  assert.throws(() => th.set('y', { metric: 'm', value: 1 }), /at most 1 thresholds/);
  assert.deepEqual(th.get('x'), { metric: 'm', value: 1, byFlow: false, timeout: 60 });
});
