/**
 * Field values on the real captures (../shared/captures): sampling rates
 * resolved per record, VRF and interface names from options data, reverse
 * IEs, times, sampled frames (IE 315). Skips cleanly when the captures are absent.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readCapture } from '../../ingest/capture.js';
import { capturesDir } from '../../testing/captures.js';
import { FlowExportDecoder } from './decoder.js';
import { decodeExportFile } from './facts.test-helper.js';
import type { EnterpriseValue, ExportMessage, ExportRecord } from './types.js';

const dir = capturesDir();
const skip = dir === undefined && 'no ../shared/captures';

function decode(
  name: string,
  decoder = new FlowExportDecoder(),
): { d: FlowExportDecoder; messages: ExportMessage[] } {
  return { d: decoder, messages: decodeExportFile(decoder, path.join(dir as string, name)) };
}

function dataRecords(messages: ExportMessage[]): ExportRecord[] {
  return messages.flatMap((m) => m.records.filter((r) => !r.options));
}

test('akvorado multiple sampling rates: each record gets the rate of its sampler (IE 48)', { skip }, () => {
  const { d, messages } = decode('nfv9_multiple_sampling_rates_options_merged_akvorado.pcap');
  const records = dataRecords(messages);
  assert.equal(records.length, 12);
  assert.deepEqual(
    records.map((r) => [r.fields.samplerId, r.keys?.samplingrate]),
    [[2, 4000], ...Array.from({ length: 11 }, () => [1, 2000])],
  );
  const t = d.lookupTables(messages[0]!.exporter, 'netflow9', 0)!;
  assert.deepEqual(t.samplers.get(1), { rate: 2000, name: 'SPM_1OUT2000' });
  assert.deepEqual(t.samplers.get(2), { rate: 4000, name: 'SPM_1OUT4000' });
  // Uptime-relative times became absolute (Nov 30, 2023).
  assert.equal(records[0]!.start, 1_701_360_969_980);
  assert.equal(records[0]!.end, 1_701_360_974_891);
});

test('Cisco IPFIX selector options (random 1 out of 256) apply to the data records through selectorId (302)', {
  skip,
}, () => {
  const records = dataRecords(decode('ipfix_cisco_ipv6_sampling_options_pmacct.pcap').messages);
  assert.deepEqual(
    records.map((r) => [r.fields.selectorId, r.keys?.samplingrate]),
    [
      [1, 256],
      [1, 256],
      [1, 256],
    ],
  );
});

test('akvorado mpls: sampling scoped to the template ((1 + 9) / 1) and ten MPLS label IEs', { skip }, () => {
  const records = dataRecords(decode('ipfix_mpls_labels_options_akvorado.pcap').messages);
  assert.deepEqual(
    records.map((r) => r.keys?.samplingrate),
    [10, 10],
  );
  const f = records[0]!.fields;
  for (const name of ['mplsTopLabelStackSection', 'mplsLabelStackSection2', 'mplsLabelStackSection10']) {
    assert.equal(typeof f[name], 'string', name);
  }
  assert.equal(records[1]!.start, 1_699_893_297_901);
});

test('Huawei: VRF ID to name from options data, PEN 2011 IEs kept, times from systemInitTimeMilliseconds', {
  skip,
}, () => {
  const { d, messages } = decode('ipfix_huawei_pen2011_varlen_vrfname_pmacct.pcap');
  const t = d.lookupTables(messages[0]!.exporter, 'ipfix', 2149482752)!;
  assert.equal(t.vrfs.get(1), 'A4');
  const records = dataRecords(messages);
  assert.equal(records.length, 3);
  const v4 = records.find((r) => r.templateId === 6017)!;
  assert.equal(v4.keys?.egressvrf, 'A4');
  assert.deepEqual(v4.fields.e2011_232 as EnterpriseValue, { pen: 2011, id: 232, value: '0001' });
  assert.equal(v4.fields.systemInitTimeMilliseconds, 1_736_229_475_000);
  assert.equal(v4.start, 1_736_229_475_000 + 1_759_771_000);
  // The SRv6 template carries the outer IPv6 header and the inner IPv4 one: keys follow the IPv6 (outer) one.
  const v6 = records.find((r) => r.templateId === 2599)!;
  assert.equal(v6.keys?.ip6source, 'fd00::2');
  assert.equal(v6.keys?.tcpdestinationport, 179);
  assert.equal(v6.keys?.ingressvrf, 'A4');
  assert.equal(typeof v6.fields.srhSegmentIPv6ListSection, 'string', 'variable-length IE 497');
});

test('Cisco options re-assignment: VRF and interface names are replaced when re-sent', { skip }, () => {
  // The exporter restarted (new source port) half way: tables are per transport session.
  const { d, messages } = decode('ipfix_cisco_options_reassignment_pmacct.pcap');
  const ports = [...new Set(messages.map((m) => m.exporter.port))];
  assert.equal(ports.length, 2);
  const before = d.lookupTables({ address: messages[0]!.exporter.address, port: ports[0]! }, 'ipfix', 33312)!;
  const afterRestart = d.lookupTables(
    { address: messages[0]!.exporter.address, port: ports[1]! },
    'ipfix',
    33312,
  )!;
  assert.equal(before.vrfs.get(1610612740), 'A2_TEST_1');
  assert.equal(afterRestart.vrfs.get(1610612740), 'A2_TEST_0');
  assert.equal(before.interfaces.get(167)?.name, 'TenGigE0_0_0_16.121');
  assert.deepEqual(afterRestart.interfaces.get(167), {
    name: 'TenGigE0_0_0_16.100',
    description: 'TenGigE0/0/0/16.100',
  });
  assert.deepEqual(afterRestart.samplers.get(4), { rate: 1024, name: 'RICCARDO-SAMPLER-MAP-C' });
  assert.equal(afterRestart.systemInitMs, 1_782_907_651_879);

  // Seen as one session (one exporter identity), the later definitions replace the earlier ones.
  const single = new FlowExportDecoder();
  const one = { address: 'one', port: 1 };
  for (const item of readCapture(
    readFileSync(path.join(dir as string, 'ipfix_cisco_options_reassignment_pmacct.pcap')),
  )) {
    if (item.kind === 'datagram') single.decode(item.payload, one, item.timestamp);
  }
  const t = single.lookupTables(one, 'ipfix', 33312)!;
  assert.equal(t.vrfs.get(1610612740), 'A2_TEST_0');
  assert.equal(t.vrfs.get(1610612749), 'A2_TEST_10');
  assert.equal(t.interfaces.get(167)?.name, 'TenGigE0_0_0_16.100');
  assert.equal(t.vrfs.size, 17);
});

test('ipfixprobe biflow: reverse IEs (PEN 29305) and NTP microsecond timestamps', { skip }, () => {
  const records = dataRecords(decode('ipfix_ipfixprobe_reverse_pen29305_merged_akvorado.pcap').messages);
  assert.equal(records.length, 4);
  const smtp = records.find((r) => r.keys?.tcpdestinationport === 25)!;
  assert.equal(smtp.fields.reverseOctetDeltaCount, 1546);
  assert.equal(smtp.fields.reversePacketDeltaCount, 25);
  assert.equal(smtp.fields.reverseTcpControlBits, 27);
  assert.equal(smtp.keys?.bytes, 21673);
  assert.equal(smtp.keys?.tcpflags, '000011011');
  assert.ok(Math.abs(smtp.start! - 1_254_722_767_529.046) < 0.01);
  assert.ok(smtp.end! > smtp.start!);
});

test('dataLinkFrameSection (315): akvorado and Juniper sampled frames give sampled-header keys', {
  skip,
}, () => {
  const [a] = dataRecords(decode('ipfix_datalink_frame_section_315_merged_akvorado.pcap').messages);
  assert.equal(a!.keys?.stack, 'eth.q.ip.udp');
  assert.equal(a!.keys?.vlan, 231);
  assert.equal(a!.keys?.ipsource, '51.51.51.51');
  assert.equal(a!.keys?.udpdestinationport, 11777);
  assert.equal(a!.keys?.inputifindex, 582);
  assert.equal(a!.keys?.bytes, a!.fields.dataLinkFrameSize);
  assert.equal(a!.keys?.frames, 1);

  const [j] = dataRecords(decode('ipfix_juniper_pen2636_cpid_merged_akvorado.pcap').messages);
  assert.equal(j!.keys?.stack, 'eth.ip6.ip.icmp');
  assert.equal(j!.keys?.['ipsource.1'], '8.8.8.8');
  const cpids = Object.keys(j!.fields).filter((k) => k.startsWith('juniperCommonPropertiesId'));
  assert.equal(cpids.length, 6, 'the 6 repeated PEN 2636 IE 137 fields are all kept');
  assert.deepEqual((j!.fields.juniperCommonPropertiesId as EnterpriseValue).pen, 2636);
});

test('templates and data in one packet: the data set ahead of its template is decoded, deferred', {
  skip,
}, () => {
  const { messages } = decode('nfv9_templates_and_data_same_packet_akvorado.pcap');
  const [m] = messages;
  const deferred = m!.records.filter((r) => r.deferred);
  assert.equal(deferred.length, 11);
  assert.equal(m!.errors.length, 1);
  assert.equal(m!.errors[0]!.reason, 'unknown-template');
  assert.equal(m!.errors[0]!.held, true);
  // Header count = every record: 1 template + 1 options template + 22 data and options records.
  assert.equal(m!.count, m!.templates.length + m!.records.length);
});

test('two NetFlow v9 source IDs from one exporter keep separate templates and sequences', { skip }, () => {
  const { d } = decode('nfv9_cisco_two_source_ids_padding_pmacct.pcap');
  const streams = d.sequences.list();
  assert.deepEqual(streams.map((s) => s.domain).sort(), [2081, 2193]);
  for (const s of streams) assert.equal(s.resets, 0);
});
