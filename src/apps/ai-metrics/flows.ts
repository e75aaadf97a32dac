/**
 * The flows the app defines in the engine (sflow-rt-reference.md §3.1).
 * They are ordinary engine flows (visible in /flow/json, /activeflows and as
 * metrics), owned by the app: the `ai_` prefix keeps them out of the
 * persisted state (engine/persist.ts), and the app defines them again at
 * every start, so a restart picks up changed settings.
 */
import type { AiSettings } from './settings.js';

/** Packets whose protocol stack ends in an InfiniBand BTH: RoCEv2. */
const ROCE = 'suffix:stack:.:1=ibbt';

/** Names of every flow the app may define (ai_trim only when ai.trim.dscp >= 0). */
export const AI_FLOW_NAMES = [
  'ai_frames_fast',
  'ai_frames',
  'ai_bytes',
  'ai_ecn',
  'ai_cnp',
  'ai_trim',
  'ai_rdma_ops',
  'ai_operation',
  'ai_credits',
  'ai_drop_reasons',
] as const;

export type AiFlowName = (typeof AI_FLOW_NAMES)[number];

/** The flow definitions for `settings`, as the REST API (PUT /flow/{name}/json) takes them. */
export function aiFlows(s: AiSettings): Partial<Record<AiFlowName, Record<string, unknown>>> {
  const t = s['ai.flow.t'];
  const flows: Partial<Record<AiFlowName, Record<string, unknown>>> = {
    // RoCEv2 packet rate, fast: the period threshold watches it.
    ai_frames_fast: { value: 'frames', t: s['ai.flow.fast'], aggMode: 'edge', filter: ROCE },
    // The same, smoothed: the load baseline.
    ai_frames: { value: 'frames', t, aggMode: 'edge', filter: ROCE },
    // All traffic arriving on a port (summed over EDGE ports: traffic entering the fabric).
    ai_bytes: { value: 'bytes', t, filter: 'direction=ingress' },
    // RoCEv2 packets marked Congestion Experienced.
    ai_ecn: { value: 'frames', t, filter: 'ibbt_offset!=null&direction=ingress&(ipecn=11|ip6ecn=11)' },
    // Congestion notification packets (BTH opcode 129 with SE and M clear).
    ai_cnp: { value: 'frames', t, filter: 'ibbtopcode=129&ibbtse=false&ibbtm=false&direction=ingress' },
    // RDMA operations: packets carrying a RETH (first / only packet of an RDMA write, read requests),
    // with the DMA length of the operation. The §3.1 table lists no filter; in sFlow-RT a sample
    // lacking a value's key does not count, which is what the filter states explicitly here
    // (the engine counts the sample in `value` and skips only the missing `values`).
    ai_rdma_ops: {
      value: 'frames',
      values: ['avg:ibbtrdmalen'],
      t,
      aggMode: 'edge',
      filter: 'ibbtrdmalen!=null',
    },
    // RoCEv2 packets by transport and operation, e.g. RC:RDMA_WRITE_ONLY.
    ai_operation: { keys: 'concat:\\::ibbtoptransport:ibbtopname', value: 'frames', t, aggMode: 'edge' },
    // AETH credit count of acknowledgements.
    ai_credits: {
      value: 'avg:ibbtaethack',
      values: ['min:ibbtaethack', 'max:ibbtaethack'],
      t,
      aggMode: 'edge',
    },
    // Dropped-packet notifications by reason.
    ai_drop_reasons: { keys: 'reason', value: 'frames', t, dropped: true },
  };
  const dscp = s['ai.trim.dscp'];
  if (dscp >= 0) flows.ai_trim = { value: 'frames', t, filter: `ipdscp=${dscp}|ip6dscp=${dscp}` };
  return flows;
}
