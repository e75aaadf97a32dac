import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SflowDatagram } from '../decode/sflow/types.js';
import { AgentTracker } from './agents.js';

const dg = (sequence: number, subAgentId = 0): SflowDatagram => ({
  protocol: 'sflow5',
  version: 5,
  agent: '10.0.0.1',
  subAgentId,
  sequence,
  uptime: 0,
  samples: [],
});

test('sequence gaps, reordering, duplicates, restarts and wrap-around', () => {
  const t = new AgentTracker();
  for (const s of [1, 2, 3, 6, 7, 5, 5, 8, 100000, 1, 2]) t.sflow(dg(s), 100, 0);
  const c = t.get('10.0.0.1');
  assert.ok(c);
  // 4 and 5 missing at 6; 5 arrives late (out of order, no longer lost); 5 again is a duplicate;
  // the jump to 100000 is a gap of 99991; 1 after that is a restart.
  assert.equal(c.outOfOrder, 1);
  assert.equal(c.duplicates, 1);
  assert.equal(c.sequenceGaps, 1 + 99991);
  assert.equal(c.restarts, 1);
  assert.equal(c.datagrams, 11);
  const w = new AgentTracker();
  for (const s of [0xfffffffe, 0xffffffff, 0, 1]) w.sflow(dg(s), 1, 0);
  assert.equal(w.get('10.0.0.1')?.sequenceGaps, 0, 'the 32-bit sequence wraps cleanly');
  const sub = new AgentTracker();
  sub.sflow(dg(10, 0), 1, 0);
  sub.sflow(dg(500, 1), 1, 0);
  sub.sflow(dg(11, 0), 1, 0);
  assert.deepEqual(
    [sub.get('10.0.0.1')?.sequenceGaps, sub.get('10.0.0.1')?.subAgents],
    [0, 2],
    'per sub-agent streams',
  );
});
