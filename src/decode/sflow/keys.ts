/**
 * sFlow-RT keys that come from the sample and its non-header records rather
 * than from the sampled packet: agent, interfaces, direction, discard reason,
 * transit delay and queue, VLANs from extended_switch, routing and BGP.
 */
import type { KeyValue } from '../packet/keys.js';
import type {
  DiscardedPacketSample,
  FlowSample,
  SflowDatagram,
  SflowInterface,
  SflowRecord,
} from './types.js';

/** sFlow-RT's text for an output interface that is not a single ifIndex. */
function interfaceKey(i: SflowInterface): KeyValue {
  if (i.format === 2) return 'multiple';
  if (i.format === 1) return 'discard';
  if (i.local === true) return 'internal';
  return i.value;
}

/** The sample's own keys; records the decoder could not read are skipped. */
export function sampleKeys(
  d: SflowDatagram,
  s: FlowSample | DiscardedPacketSample,
): Record<string, KeyValue> {
  const keys: Record<string, KeyValue> = { agent: d.agent };
  if (s.type === 'discarded_packet') {
    keys.inputifindex = s.input;
    keys.outputifindex = s.output;
    keys.reason = s.reasonName;
  } else {
    keys.inputifindex = interfaceKey(s.input);
    keys.outputifindex = interfaceKey(s.output);
    if (s.output.format === 1 && s.output.reasonName !== undefined) keys.reason = s.output.reasonName;
    if (s.sourceIdType === 0 && s.sourceIdIndex !== 0) {
      if (s.input.format === 0 && s.input.value === s.sourceIdIndex) keys.direction = 'ingress';
      else if (s.output.format === 0 && s.output.value === s.sourceIdIndex) keys.direction = 'egress';
    }
    keys.samplingrate = s.samplingRate;
  }
  for (const r of s.records) {
    if (!('name' in r) || 'error' in r) continue;
    recordKeys(r as SflowRecord, keys);
  }
  return keys;
}

function recordKeys(r: SflowRecord, keys: Record<string, KeyValue>): void {
  switch (r.format) {
    case '0:1001':
      setNum(keys, 'vlansource', r.srcVlan);
      setNum(keys, 'prioritysource', r.srcPriority);
      setNum(keys, 'vlandestination', r.dstVlan);
      setNum(keys, 'prioritydestination', r.dstPriority);
      return;
    case '0:1002':
      if (typeof r.nextHop === 'string' && r.nextHop !== '') keys.ipnexthoprouter = r.nextHop;
      setNum(keys, 'ipsourcemaskbits', r.srcMaskLen);
      setNum(keys, 'ipdestinationmaskbits', r.dstMaskLen);
      return;
    case '0:1003': {
      if (typeof r.nextHop === 'string' && r.nextHop !== '') keys.bgpnexthop = r.nextHop;
      setNum(keys, 'bgpas', r.as);
      setNum(keys, 'bgpsourceas', r.srcAs);
      setNum(keys, 'bgpsourcepeeras', r.srcPeerAs);
      const path: number[] = [];
      for (const seg of (r.dstAsPath as { asns?: number[] }[] | undefined) ?? [])
        path.push(...(seg.asns ?? []));
      if (path.length > 0) {
        keys.bgpdestinationaspath = path.join('-');
        keys.bgpdestinationpeeras = path[0];
        keys.bgpdestinationas = path[path.length - 1];
      }
      const communities = r.communities as number[] | undefined;
      if (communities !== undefined && communities.length > 0) {
        keys.bgpcommunities = communities.map((c) => `${c >>> 16}:${c & 0xffff}`).join('-');
      }
      setNum(keys, 'bgplocalpref', r.localPref);
      return;
    }
    case '0:1036':
      setNum(keys, 'queueindex', r.queue);
      return;
    case '0:1037':
      setNum(keys, 'aclnumber', r.number);
      if (typeof r.aclName === 'string') keys.aclname = r.aclName;
      return;
    case '0:1038':
      if (typeof r.symbol === 'string') keys.dropfunction = r.symbol;
      return;
    case '0:1039':
      setNum(keys, 'transitdelay', r.delay);
      return;
    case '0:1040':
      setNum(keys, 'queuedepth', r.depth);
      return;
    case '0:1041':
      if (typeof r.group === 'string') keys.hwtrapgroup = r.group;
      if (typeof r.trap === 'string') keys.hwtrap = r.trap;
      return;
    case '0:1042':
      if (typeof r.reason === 'string') keys.linuxdropreason = r.reason;
      return;
  }
}

function setNum(keys: Record<string, KeyValue>, name: string, v: unknown): void {
  // 0xFFFFFFFF marks an unknown value in sFlow (errata for extended_switch).
  if (typeof v === 'number' && v !== 0xffffffff) keys[name] = v;
}
