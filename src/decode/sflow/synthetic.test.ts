/**
 * Field-level checks of the synthetic capture built from the specifications
 * (discards, transit delay, queue depth, PFC, RoCEv2). Expected values come
 * from SOURCES.md and, for header fields, from reading the sampled bytes at
 * the offsets the specifications give, independently of the dissector.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { capturesDir } from '../../testing/captures.js';
import { decodeCaptureFile } from '../../testing/sflow-capture.js';
import { dissect } from '../packet/dissect.js';
import { type KeyValue, packetKeys } from '../packet/keys.js';
import { sampleKeys } from './keys.js';
import {
  type DiscardedPacketSample,
  type FlowRecord,
  type FlowSample,
  SampledHeader,
  type SflowRecord,
} from './types.js';

const dir = capturesDir();
const FILE = 'synthetic_sflow_v5_discards_transit_rocev2.pcap';

function header(records: FlowRecord[]): SampledHeader {
  const h = records.find((r): r is SampledHeader => r instanceof SampledHeader);
  assert.ok(h, 'sampled_header present');
  return h;
}

function record(records: FlowRecord[], format: string): SflowRecord {
  const r = records.find((x) => x.format === format && !('error' in x));
  assert.ok(r, `record ${format} present`);
  return r as SflowRecord;
}

function keysOf(h: SampledHeader): Record<string, KeyValue> {
  return packetKeys(dissect(h.buffer, h.headerOffset, h.headerLength, h.headerProtocol));
}

/** BTH fields straight from the bytes (IBA Annex A17 §3.2), at the BTH offset. */
function bth(h: SampledHeader, at: number) {
  const b = h.header;
  return {
    opcode: b[at],
    se: (b[at + 1] & 0x80) !== 0,
    pkey: b.readUInt16BE(at + 2),
    becn: (b[at + 4] & 0x40) !== 0,
    destQp: b.readUIntBE(at + 5, 3),
    ackReq: (b[at + 8] & 0x80) !== 0,
    psn: b.readUIntBE(at + 9, 3),
  };
}

test('synthetic sFlow capture: discards, transit, queue, PFC and RoCEv2 fields', {
  skip: dir === undefined && 'no ../shared/captures',
}, () => {
  const datagrams = decodeCaptureFile(path.join(dir as string, FILE));
  assert.equal(datagrams.length, 2);
  const flows = datagrams[0].samples as FlowSample[];
  assert.equal(flows.length, 5);
  assert.ok(flows.every((s) => s.type === 'flow_sample' && s.samplingRate === 1000));

  // Sample 1: egress queue 3, queue depth 123456 B, transit delay 84000 ns, RDMA WRITE First, ECN CE.
  const s1 = flows[0];
  assert.equal(record(s1.records, '0:1036').queue, 3);
  assert.equal(record(s1.records, '0:1040').depth, 123456);
  assert.equal(record(s1.records, '0:1039').delay, 84000);
  assert.equal(typeof record(s1.records, '0:1043').nanoseconds, 'bigint');
  const sk1 = sampleKeys(datagrams[0], s1);
  assert.deepEqual([sk1.queueindex, sk1.queuedepth, sk1.transitdelay], [3, 123456, 84000]);
  const h1 = header(s1.records);
  const k1 = keysOf(h1);
  const raw1 = bth(h1, 42);
  assert.equal(k1.stack, 'eth.ip.udp.ibbt');
  assert.equal(k1.ibbt_offset, 42);
  assert.equal(k1.ipecn, '11', 'ECN CE');
  assert.equal(h1.header[15] & 3, 3, 'ECN bits in the IPv4 TOS byte');
  assert.equal(raw1.opcode, 0x06);
  assert.deepEqual([k1.ibbtopcode, k1.ibbtopname, k1.ibbtoptransport], [6, 'RDMA_WRITE_FIRST', 'RC']);
  assert.equal(k1.ibbtdestqp, raw1.destQp);
  assert.equal(k1.ibbtpsn, raw1.psn);
  assert.equal(k1.ibbtpkey, raw1.pkey);
  assert.equal(k1.ibbtack, String(raw1.ackReq));
  assert.equal(k1.ibbtse, String(raw1.se));
  assert.equal(k1.ibbtrdmalen, h1.header.readUInt32BE(42 + 12 + 12), 'RETH DMA length after VA and R_Key');

  // Sample 2: CNP, opcode 0x81, BECN set.
  const k2 = keysOf(header(flows[1].records));
  assert.deepEqual([k2.ibbtopcode, k2.ibbtopname, k2.ibbtbecn], [129, 'CNP', 'true']);
  assert.equal(bth(header(flows[1].records), 42).becn, true);

  // Sample 3: RC Acknowledge with AETH syndrome 0x1F (ACK, credit field 31 = no credit information).
  const h3 = header(flows[2].records);
  const k3 = keysOf(h3);
  assert.equal(h3.header[54], 0x1f, 'AETH syndrome byte after the 12-byte BTH');
  assert.deepEqual(
    [k3.ibbtopcode, k3.ibbtaethtype, k3.ibbtaethack, k3.ibbtaethsyndrome],
    [0x11, 'ACK', 31, 0x1f],
  );
  assert.equal(k3.ibbtaethmsn, h3.header.readUIntBE(55, 3));

  // Sample 4: RC NAK, syndrome 0x60 = NAK type with code 0, PSN sequence error.
  const h4 = header(flows[3].records);
  const k4 = keysOf(h4);
  assert.equal(h4.header[54], 0x60);
  assert.deepEqual([k4.ibbtaethtype, k4.ibbtaethnak, k4.ibbtaethack], ['NAK', 0, undefined]);

  // Sample 5: IPv6 UD SEND Only with DETH, ECN ECT(1).
  const h5 = header(flows[4].records);
  const k5 = keysOf(h5);
  assert.equal(k5.stack, 'eth.ip6.udp.ibbt');
  assert.equal(k5.ibbt_offset, 62);
  assert.deepEqual([k5.ibbtopcode, k5.ibbtoptransport, k5.ibbtopname], [0x64, 'UD', 'SEND_ONLY']);
  assert.equal(k5.ip6ecn, '01');
  assert.equal(k5.ibbtdethqkey, h5.header.readUInt32BE(62 + 12));
  assert.equal(k5.ibbtdethsrcqp, h5.header.readUIntBE(62 + 12 + 5, 3));

  // Datagram 2: three discards and a counter sample with PFC.
  const second = datagrams[1].samples;
  const discards = second.filter((s): s is DiscardedPacketSample => s.type === 'discarded_packet');
  assert.deepEqual(
    discards.map((s) => [s.reason, s.reasonName]),
    [
      [259, 'no_buffer_space'],
      [258, 'acl'],
      [33, 'dev_hdr'],
    ],
  );
  const trap = record(discards[0].records, '0:1041');
  assert.deepEqual([trap.group, trap.trap], ['buffer_drops', 'tail_drop']);
  assert.equal(record(discards[0].records, '0:1036').queue, 3);
  assert.equal(record(discards[1].records, '0:1037').name, 'extended_acl');
  assert.equal(record(discards[2].records, '0:1042').reason, 'DEV_HDR');
  assert.equal(record(discards[2].records, '0:1038').symbol, '__netif_receive_skb_core');
  assert.equal(sampleKeys(datagrams[1], discards[2]).reason, 'dev_hdr');
  for (const s of discards) assert.equal(header(s.records).headerProtocol, 1);

  const counters = second.find((s) => s.type === 'counters_sample');
  assert.ok(counters !== undefined && counters.type === 'counters_sample');
  const formats = counters.records.map((r) => r.format);
  assert.deepEqual(formats, ['0:1', '0:11']);
  const pfc = counters.records[1] as SflowRecord;
  assert.equal(pfc.name, 'pfc_counters');
  for (const f of ['requests', 'indications', 'pauseDuration', 'stormDetected', 'stormRestored']) {
    assert.equal(typeof pfc[f], 'number', f);
  }
});
