import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeSflow } from '../../decode/sflow/decode.js';
import { encodeSflow } from '../../decode/sflow/encode.js';
import type { CounterRecord, CountersSample, RtMetricSample } from '../../decode/sflow/types.js';
import { datagramArbitrary } from '../../testing/sflow-arbitrary.js';
import { CounterDeriver, type CounterSampleInput, counterDelta, dataSourceName } from './derive.js';

type Fields = Record<string, number | bigint | string | number[] | Record<string, number>[]>;

function rec(format: string, name: string, fields: Fields): CounterRecord {
  return { format, name, ...fields } as CounterRecord;
}

const IF_DEFAULTS: Fields = {
  ifIndex: 3,
  ifType: 6,
  ifSpeed: 1e9,
  ifDirection: 1,
  ifStatus: 3,
  ifInOctets: 0,
  ifInUcastPkts: 0,
  ifInMulticastPkts: 0,
  ifInBroadcastPkts: 0,
  ifInDiscards: 0,
  ifInErrors: 0,
  ifInUnknownProtos: 0,
  ifOutOctets: 0,
  ifOutUcastPkts: 0,
  ifOutMulticastPkts: 0,
  ifOutBroadcastPkts: 0,
  ifOutDiscards: 0,
  ifOutErrors: 0,
  ifPromiscuousMode: 2,
};

const ifc = (f: Fields = {}): CounterRecord =>
  rec('0:1', 'generic_interface_counters', { ...IF_DEFAULTS, ...f });

function sample(
  sequence: number,
  records: CounterRecord[],
  sourceIdType = 0,
  sourceIdIndex = 3,
): CountersSample {
  return { type: 'counters_sample', format: '0:2', sequence, sourceIdType, sourceIdIndex, records };
}

function input(s: CountersSample, timeMs: number, uptimeMs?: number, agent = '10.0.0.1'): CounterSampleInput {
  return uptimeMs === undefined ? { agent, sample: s, timeMs } : { agent, sample: s, timeMs, uptimeMs };
}

/** Derives a series of (sequence, time, records) for one data source; returns each result's values. */
function series(
  d: CounterDeriver,
  steps: { seq: number; t: number; records: CounterRecord[]; uptime?: number }[],
): (Map<string, number | string> | undefined)[] {
  return steps.map((s) => d.derive(input(sample(s.seq, s.records), s.t, s.uptime))?.values);
}

test('data source names follow sFlow-RT: ifIndex for type 0, type.index otherwise', () => {
  assert.equal(dataSourceName(0, 3), '3');
  assert.equal(dataSourceName(2, 1), '2.1');
  assert.equal(dataSourceName(3, 100001), '3.100001');
});

test('if_counters: the first sample gives gauges and texts but no rates', () => {
  const d = new CounterDeriver();
  const out = d.derive(input(sample(1, [ifc({ ifInOctets: 1000 })]), 0));
  assert.ok(out !== undefined);
  assert.equal(out.agent, '10.0.0.1');
  assert.equal(out.dataSource, '3');
  const v = out.values;
  assert.equal(v.get('ifindex'), '3');
  assert.equal(v.get('iftype'), 'ethernetCsmacd');
  assert.equal(v.get('ifspeed'), 1e9);
  assert.equal(v.get('ifdirection'), 'full-duplex');
  assert.equal(v.get('ifadminstatus'), 'up');
  assert.equal(v.get('ifoperstatus'), 'up');
  assert.equal(v.get('ifpromiscuousmode'), 'false');
  assert.equal(v.has('ifinoctets'), false);
  assert.equal(v.has('ifinutilization'), false);
  assert.equal(v.has('ifinpkts'), false);
});

test('if_counters: rates per second, utilization in percent of ifSpeed, packet sums', () => {
  const d = new CounterDeriver();
  const [, v] = series(d, [
    { seq: 1, t: 0, records: [ifc({ ifInOctets: 1000, ifOutOctets: 0, ifInUcastPkts: 10 })] },
    {
      seq: 2,
      t: 10000,
      records: [
        ifc({
          ifInOctets: 1000 + 125_000_000 * 10, // 1 Gbit/s for 10 s = 100 %
          ifOutOctets: 12_500_000 * 10, // 10 %
          ifInUcastPkts: 1010,
          ifInMulticastPkts: 50,
          ifInBroadcastPkts: 30,
          ifInErrors: 7,
        }),
      ],
    },
  ]);
  assert.ok(v !== undefined);
  assert.equal(v.get('ifinoctets'), 125_000_000);
  assert.equal(v.get('ifoutoctets'), 12_500_000);
  assert.equal(v.get('ifinutilization'), 100);
  assert.equal(v.get('ifoututilization'), 10);
  assert.equal(v.get('ifinucastpkts'), 100);
  assert.equal(v.get('ifinpkts'), 100 + 5 + 3);
  assert.equal(v.get('ifinerrors'), 0.7);
  assert.equal(v.get('ifoutpkts'), 0);
});

test('interface status bits and code names', () => {
  const d = new CounterDeriver();
  const v = d.derive(
    input(sample(1, [ifc({ ifStatus: 1, ifType: 161, ifDirection: 2, ifPromiscuousMode: 1 })]), 0),
  )?.values;
  assert.equal(v?.get('ifadminstatus'), 'up');
  assert.equal(v?.get('ifoperstatus'), 'down');
  assert.equal(v?.get('iftype'), 'ieee8023adLag');
  assert.equal(v?.get('ifdirection'), 'half-duplex');
  assert.equal(v?.get('ifpromiscuousmode'), 'true');
  const w = d.derive(input(sample(2, [ifc({ ifStatus: 0, ifType: 9999 })]), 1000))?.values;
  assert.equal(w?.get('ifadminstatus'), 'down');
  assert.equal(w?.get('iftype'), '9999');
});

test('no utilization when ifSpeed is 0 or unknown', () => {
  for (const ifSpeed of [0, 0xffffffffffffffffn]) {
    const d = new CounterDeriver();
    const [, v] = series(d, [
      { seq: 1, t: 0, records: [ifc({ ifSpeed })] },
      { seq: 2, t: 1000, records: [ifc({ ifSpeed, ifInOctets: 500 })] },
    ]);
    assert.equal(v?.get('ifinoctets'), 500);
    assert.equal(v?.has('ifinutilization'), false);
    assert.equal(v?.get('ifspeed'), ifSpeed === 0 ? 0 : undefined);
  }
});

test('32-bit counters wrap; a large decrease is a reset with no rate', () => {
  const d = new CounterDeriver();
  const [, wrapped, reset, after] = series(d, [
    { seq: 1, t: 0, records: [ifc({ ifInUcastPkts: 0xffffff00 })] },
    { seq: 2, t: 1000, records: [ifc({ ifInUcastPkts: 0x100 })] },
    { seq: 3, t: 2000, records: [ifc({ ifInUcastPkts: 5 })] },
    { seq: 4, t: 3000, records: [ifc({ ifInUcastPkts: 25 })] },
  ]);
  assert.equal(wrapped?.get('ifinucastpkts'), 0x200);
  assert.equal(reset?.has('ifinucastpkts'), false);
  assert.equal(after?.get('ifinucastpkts'), 20);
  assert.equal(d.stats.wraps, 1);
  assert.equal(d.stats.discontinuities, 1);
});

test('64-bit counters: true wraps, 32-bit values carried in 64-bit fields, resets', () => {
  const d = new CounterDeriver();
  const [, top, , small, , mid] = series(d, [
    { seq: 1, t: 0, records: [ifc({ ifInOctets: 2n ** 64n - 1000n })] },
    { seq: 2, t: 1000, records: [ifc({ ifInOctets: 500 })] },
    { seq: 3, t: 2000, records: [ifc({ ifInOctets: 0xfffffff0 })] },
    { seq: 4, t: 3000, records: [ifc({ ifInOctets: 0x10 })] },
    { seq: 5, t: 4000, records: [ifc({ ifInOctets: 2 ** 40 })] },
    { seq: 6, t: 5000, records: [ifc({ ifInOctets: 5 })] },
  ]);
  assert.equal(top?.get('ifinoctets'), 1500);
  assert.equal(small?.get('ifinoctets'), 0x20);
  assert.equal(mid?.has('ifinoctets'), false);
  assert.equal(d.stats.wraps, 2);
});

test('counterDelta agrees with modular arithmetic within half the counter space', () => {
  fc.assert(
    fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), (prev, cur) => {
      const mod = (((cur - prev) % 2 ** 32) + 2 ** 32) % 2 ** 32;
      const r = counterDelta(prev, cur, 32);
      if (cur >= prev) assert.deepEqual(r, { delta: cur - prev, wrapped: false });
      else if (mod <= 2 ** 31) assert.deepEqual(r, { delta: mod, wrapped: true });
      else assert.equal(r, undefined);
    }),
  );
  fc.assert(
    fc.property(
      fc.bigInt({ min: 2n ** 32n, max: 2n ** 64n - 1n }),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      (p, c) => {
        const r = counterDelta(p, c, 64);
        const mod = (c - p + 2n ** 64n) % 2n ** 64n;
        if (c >= p) assert.equal(r?.delta, Number(c - p));
        else if (mod <= 2n ** 63n) assert.equal(r?.delta, Number(mod));
        else assert.equal(r, undefined);
      },
    ),
  );
});

test('a sequence number going back is a restart: no rates for that interval, then rates resume', () => {
  const d = new CounterDeriver();
  const [, restart, resumed] = series(d, [
    { seq: 100, t: 0, records: [ifc({ ifInOctets: 1_000_000 })] },
    { seq: 1, t: 10000, records: [ifc({ ifInOctets: 2_000_000 })] },
    { seq: 2, t: 20000, records: [ifc({ ifInOctets: 2_000_500 })] },
  ]);
  assert.equal(restart?.has('ifinoctets'), false);
  assert.equal(restart?.get('ifspeed'), 1e9);
  assert.equal(resumed?.get('ifinoctets'), 50);
  assert.equal(d.stats.restarts, 1);
});

test('a repeated sequence number is a duplicate and gives nothing', () => {
  const d = new CounterDeriver();
  const [, dup, next] = series(d, [
    { seq: 7, t: 0, records: [ifc({ ifInOctets: 0 })] },
    { seq: 7, t: 1000, records: [ifc({ ifInOctets: 100 })] },
    { seq: 8, t: 2000, records: [ifc({ ifInOctets: 200 })] },
  ]);
  assert.equal(dup, undefined);
  assert.equal(next?.get('ifinoctets'), 100);
  assert.equal(d.stats.duplicates, 1);
});

test('sequence numbers wrap around 2^32 without a restart', () => {
  const d = new CounterDeriver();
  const [, v] = series(d, [
    { seq: 0xffffffff, t: 0, records: [ifc({ ifInOctets: 0 })] },
    { seq: 0, t: 1000, records: [ifc({ ifInOctets: 100 })] },
  ]);
  assert.equal(v?.get('ifinoctets'), 100);
  assert.equal(d.stats.restarts, 0);
});

test('uptime going back is a restart, but its 2^32 ms wrap is not', () => {
  const d = new CounterDeriver();
  const [, wrap, restart] = series(d, [
    { seq: 1, t: 0, uptime: 2 ** 32 - 5000, records: [ifc({ ifInOctets: 0 })] },
    { seq: 2, t: 10000, uptime: 5000, records: [ifc({ ifInOctets: 1000 })] },
    { seq: 3, t: 20000, uptime: 100, records: [ifc({ ifInOctets: 2000 })] },
  ]);
  assert.equal(wrap?.get('ifinoctets'), 100);
  assert.equal(restart?.has('ifinoctets'), false);
  assert.equal(d.stats.restarts, 1);
});

test('unknown values give no metric and no rate in the next interval', () => {
  const d = new CounterDeriver();
  const [a, b, c, e] = series(d, [
    { seq: 1, t: 0, records: [ifc({ ifInErrors: 0xffffffff, ifInOctets: 0 })] },
    { seq: 2, t: 1000, records: [ifc({ ifInErrors: 0xffffffff, ifInOctets: 0xffffffffffffffffn })] },
    { seq: 3, t: 2000, records: [ifc({ ifInErrors: 4, ifInOctets: 1000 })] },
    { seq: 4, t: 3000, records: [ifc({ ifInErrors: 6, ifInOctets: 3000 })] },
  ]);
  assert.equal(a?.has('ifinerrors'), false);
  assert.equal(b?.has('ifinerrors'), false);
  assert.equal(b?.has('ifinoctets'), false);
  assert.equal(b?.has('ifinutilization'), false);
  assert.equal(c?.has('ifinerrors'), false);
  assert.equal(c?.has('ifinoctets'), false);
  assert.equal(e?.get('ifinerrors'), 2);
  assert.equal(e?.get('ifinoctets'), 2000);
  assert.equal(d.stats.unknown, 3);
});

test('samples too far apart (or not after the previous one) give no rates', () => {
  const d = new CounterDeriver({ maxIntervalMs: 60000 });
  const [, far, , same] = series(d, [
    { seq: 1, t: 0, records: [ifc({ ifInOctets: 0 })] },
    { seq: 2, t: 120000, records: [ifc({ ifInOctets: 100 })] },
    { seq: 3, t: 130000, records: [ifc({ ifInOctets: 200 })] },
    { seq: 4, t: 130000, records: [ifc({ ifInOctets: 300 })] },
  ]);
  assert.equal(far?.has('ifinoctets'), false);
  assert.equal(same?.has('ifinoctets'), false);
  assert.equal(d.stats.gaps, 2);
});

test('data sources and agents keep separate baselines', () => {
  const d = new CounterDeriver();
  d.derive(input(sample(1, [ifc({ ifInOctets: 0 })], 0, 1), 0));
  d.derive(input(sample(1, [ifc({ ifInOctets: 5000 })], 0, 2), 0));
  d.derive(input(sample(1, [ifc({ ifInOctets: 9000 })], 0, 1), 0, undefined, '10.0.0.2'));
  const a = d.derive(input(sample(2, [ifc({ ifInOctets: 100 })], 0, 1), 1000));
  const b = d.derive(input(sample(2, [ifc({ ifInOctets: 5200 })], 0, 2), 1000));
  const c = d.derive(input(sample(2, [ifc({ ifInOctets: 9300 })], 0, 1), 1000, undefined, '10.0.0.2'));
  assert.deepEqual(
    [a?.values.get('ifinoctets'), b?.values.get('ifinoctets'), c?.values.get('ifinoctets')],
    [100, 200, 300],
  );
});

test('baselines are bounded: the least recently updated are evicted', () => {
  const d = new CounterDeriver({ maxSources: 2 });
  for (let i = 1; i <= 3; i++) d.derive(input(sample(1, [ifc()], 0, i), 0));
  assert.equal(d.stats.sources, 2);
  assert.equal(d.stats.evictions, 1);
  // data source 1 lost its baseline: its next sample gives no rate
  const v = d.derive(input(sample(2, [ifc({ ifInOctets: 100 })], 0, 1), 1000))?.values;
  assert.equal(v?.has('ifinoctets'), false);
});

test('ethernet counters are eth_* rates', () => {
  const eth = (n: number) =>
    rec('0:2', 'ethernet_interface_counters', {
      dot3StatsAlignmentErrors: n,
      dot3StatsFCSErrors: 2 * n,
      dot3StatsSingleCollisionFrames: 0,
      dot3StatsMultipleCollisionFrames: 0,
      dot3StatsSQETestErrors: 0,
      dot3StatsDeferredTransmissions: 0,
      dot3StatsLateCollisions: 0,
      dot3StatsExcessiveCollisions: 0,
      dot3StatsInternalMacTransmitErrors: 0,
      dot3StatsCarrierSenseErrors: 0,
      dot3StatsFrameTooLongs: 0,
      dot3StatsInternalMacReceiveErrors: 0,
      dot3StatsSymbolErrors: 0xffffffff,
    });
  const d = new CounterDeriver();
  const [, v] = series(d, [
    { seq: 1, t: 0, records: [ifc(), eth(0)] },
    { seq: 2, t: 2000, records: [ifc(), eth(10)] },
  ]);
  assert.equal(v?.get('eth_alignmenterrors'), 5);
  assert.equal(v?.get('eth_fcserrors'), 10);
  assert.equal(v?.get('eth_deferredtx'), 0);
  assert.equal(v?.has('eth_symbolerrors'), false);
});

const hostDescr = (hostname: string) =>
  rec('0:2000', 'host_descr', {
    hostname,
    uuid: '8f1d6c3a-1111-2222-3333-444455556666',
    machineType: 3,
    osName: 2,
    osRelease: '6.1.0',
  });

function hostCpu(t: { user: number; nice: number; system: number; idle: number; wio: number; intr: number }) {
  return rec('0:2003', 'host_cpu', {
    loadOne: 0.5,
    loadFive: 1,
    loadFifteen: 2,
    procRun: 3,
    procTotal: 300,
    cpuNum: 4,
    cpuSpeed: 2400,
    uptime: 86400,
    cpuUser: t.user,
    cpuNice: t.nice,
    cpuSystem: t.system,
    cpuIdle: t.idle,
    cpuWio: t.wio,
    cpuIntr: t.intr,
    cpuSintr: 0,
    interrupts: 1000,
    contexts: 5000,
  });
}

test('host_descr, host_cpu: names, code names, CPU percentages from time counters', () => {
  const d = new CounterDeriver();
  const zero = { user: 0, nice: 0, system: 0, idle: 0, wio: 0, intr: 0 };
  const [first, v] = series(d, [
    { seq: 1, t: 0, records: [hostDescr('web1'), hostCpu(zero)] },
    // 4 CPUs × 10 s = 40 000 ms: 30 % user, 10 % system, 50 % idle, 10 % wio
    {
      seq: 2,
      t: 10000,
      records: [
        hostDescr('web1'),
        hostCpu({ user: 12000, nice: 0, system: 4000, idle: 20000, wio: 4000, intr: 0 }),
      ],
    },
  ]);
  assert.equal(first?.get('host_name'), 'web1');
  assert.equal(first?.get('os_name'), 'linux');
  assert.equal(first?.get('machine_type'), 'x86_64');
  assert.equal(first?.get('os_release'), '6.1.0');
  assert.equal(first?.get('uuid'), '8f1d6c3a-1111-2222-3333-444455556666');
  assert.equal(first?.get('load_one'), 0.5);
  assert.equal(first?.get('load_one_per_cpu'), 0.125);
  assert.equal(first?.get('cpu_num'), 4);
  assert.equal(first?.has('cpu_user'), false);
  assert.equal(v?.get('cpu_user'), 30);
  assert.equal(v?.get('cpu_system'), 10);
  assert.equal(v?.get('cpu_idle'), 50);
  assert.equal(v?.get('cpu_wio'), 10);
  assert.equal(v?.get('cpu_utilization'), 40);
  assert.equal(v?.get('interrupts'), 0);
  assert.equal(v?.has('.cpu_user'), false, 'internal time counters are not reported');
  assert.equal(v?.has('cpu_steal'), false, 'absent optional fields give nothing');
});

test('host_memory, host_disk_io, host_net_io', () => {
  const GB = 2 ** 30;
  const mem = rec('0:2004', 'host_memory', {
    memTotal: 16 * GB,
    memFree: 4 * GB,
    memShared: 0,
    memBuffers: 2 * GB,
    memCached: 2 * GB,
    swapTotal: 4 * GB,
    swapFree: 3 * GB,
    pageIn: 0,
    pageOut: 0,
    swapIn: 0,
    swapOut: 0,
  });
  const disk = (bytesRead: number, partMaxUsed: number) =>
    rec('0:2005', 'host_disk_io', {
      diskTotal: 100 * GB,
      diskFree: 25 * GB,
      partMaxUsed,
      reads: 0,
      bytesRead,
      readTime: 0,
      writes: 0,
      bytesWritten: 0,
      writeTime: 0,
    });
  const net = (bytesIn: number) =>
    rec('0:2006', 'host_net_io', {
      bytesIn,
      pktsIn: 0,
      errsIn: 0,
      dropsIn: 0,
      bytesOut: 0,
      pktsOut: 0,
      errsOut: 0,
      dropsOut: 0,
    });
  const d = new CounterDeriver();
  const [a, b] = series(d, [
    { seq: 1, t: 0, records: [mem, disk(0, 8150), net(0)] },
    { seq: 2, t: 4000, records: [mem, disk(4e6, -1), net(8000)] },
  ]);
  assert.equal(a?.get('mem_used'), 8 * GB);
  assert.equal(a?.get('mem_utilization'), 50);
  assert.equal(a?.get('swap_utilization'), 25);
  assert.equal(a?.get('disk_utilization'), 75);
  assert.equal(a?.get('part_max_used'), 81.5);
  assert.equal(b?.has('part_max_used'), false, '-1 = unknown');
  assert.equal(b?.get('disk_bytes_read'), 1e6);
  assert.equal(b?.get('bytes_in'), 2000);
});

test('VM and container samples get vir_ names', () => {
  const vcpu = (cpuTime: number) => rec('0:2101', 'virt_cpu', { state: 1, cpuTime, nrVirtCpu: 2 });
  const vmem = rec('0:2102', 'virt_memory', { memory: 512, maxMemory: 2048 });
  const gpu = (gpuTime: number) =>
    rec('5703:1', 'nvidia_gpu', {
      deviceCount: 2,
      processes: 1,
      gpuTime,
      memTime: 0,
      memTotal: 1000,
      memFree: 250,
      eccErrors: 0,
      energy: 0,
      temperature: 60,
      fanSpeed: 40,
    });
  const d = new CounterDeriver();
  const [a, b] = [0, 1].map(
    (i) =>
      d.derive(
        input(sample(i + 1, [hostDescr('vm1'), vcpu(i * 15000), vmem, gpu(i * 10000)], 3, 7), i * 10000),
      )?.values,
  );
  assert.equal(a?.get('vir_host_name'), 'vm1');
  assert.equal(a?.has('host_name'), false);
  assert.equal(a?.get('vir_os_name'), 'linux');
  assert.equal(a?.get('vir_cpu_state'), 'running');
  assert.equal(a?.get('vir_cpu_num'), 2);
  assert.equal(a?.get('vir_mem_utilization'), 25);
  assert.equal(a?.get('vir_nvml_mem_utilization'), 75);
  assert.equal(b?.get('vir_cpu_utilization'), 150);
  assert.equal(b?.get('vir_nvml_gputime'), 1000);
  assert.equal(b?.get('vir_nvml_gpu_utilization'), 50);
  assert.equal(b?.has('nvml_gputime'), false);

  // the same GPU record on a physical host keeps its plain name
  const h = new CounterDeriver().derive(input(sample(1, [hostDescr('h'), gpu(0)], 2, 1), 0))?.values;
  assert.equal(h?.get('host_name'), 'h');
  assert.equal(h?.get('nvml_device_count'), 2);
});

test('processor, pfc_counters, ovs_dp_stats, app_resources', () => {
  const proc = rec('0:1001', 'processor', {
    fiveSecCpu: 2550,
    oneMinCpu: -1,
    fiveMinCpu: 1000,
    totalMemory: 1000,
    freeMemory: 400,
  });
  const pfc = (n: number) =>
    rec('0:11', 'pfc_counters', {
      requests: 10 * n,
      indications: 20 * n,
      pauseDuration: 250000 * n,
      stormDetected: 0,
      stormRestored: 0,
    });
  const ovs = (n: number) =>
    rec('0:2207', 'ovs_dp_stats', {
      nHit: 90 * n,
      nMissed: 10 * n,
      nLost: 0,
      nMaskHit: 300 * n,
      nFlows: 4,
      nMasks: 2,
    });
  const app = (n: number) =>
    rec('0:2203', 'app_resources', {
      userTime: 100 * n,
      systemTime: 50 * n,
      memUsed: 1,
      memMax: 2,
      fdOpen: 3,
      fdMax: 4,
      connOpen: 5,
      connMax: 6,
    });
  const d = new CounterDeriver();
  const [a, b] = [0, 1].map(
    (i) => d.derive(input(sample(i + 1, [proc, pfc(i), ovs(i), app(i)], 2, 1), i * 1000))?.values,
  );
  assert.equal(a?.get('cpu_utilization'), 25.5);
  assert.equal(a?.has('cpu_utilization_1m'), false);
  assert.equal(a?.get('cpu_utilization_5m'), 10);
  assert.equal(a?.get('mem_utilization'), 60);
  assert.equal(a?.get('ovs_dp_flows'), 4);
  assert.equal(a?.get('app_conn_max'), 6);
  assert.equal(b?.get('pfc_requests'), 10);
  assert.equal(b?.get('pfc_indications'), 20);
  assert.equal(b?.get('pfc_pause_duration'), 250000);
  assert.equal(b?.get('pfc_pause_utilization'), 25);
  assert.equal(b?.get('ovs_dp_hitrate'), 90);
  assert.equal(b?.get('ovs_dp_missrate'), 10);
  assert.equal(b?.get('ovs_dp_maskhitsperpacket'), 3);
  assert.equal(b?.get('app_usertime'), 100);
});

test('hw_tables utilizations, of_port and port_name identification', () => {
  const fields: Fields = {};
  for (const f of ['hostEntries', 'macEntries', 'totalRoutes']) {
    fields[f] = 250;
    fields[`${f}Max`] = 1000;
  }
  const d = new CounterDeriver();
  const v = d.derive(
    input(
      sample(1, [
        rec('4413:3', 'hw_tables', fields),
        rec('0:1004', 'of_port', { datapathId: 0x7294fc095d43, portNo: 3 }),
        rec('0:1005', 'port_name', { portName: 'swp3' }),
      ]),
      0,
    ),
  )?.values;
  assert.equal(v?.get('bcm_host_utilization'), 25);
  assert.equal(v?.get('bcm_mac_utilization'), 25);
  assert.equal(v?.get('bcm_total_routes_utilization'), 25);
  assert.equal(v?.get('bcm_host_entries_max'), 1000);
  assert.equal(v?.has('bcm_ipv4_utilization'), false);
  assert.equal(v?.get('of_dpid'), '00007294fc095d43');
  assert.equal(v?.get('of_port'), '3');
  assert.equal(v?.get('ifname'), 'swp3');
});

test('records without a mapping get generic names; arrays one metric per element', () => {
  const ib = (n: number) =>
    rec('0:9', 'ib_counters', {
      portXmitPkts: 100 * n,
      portRcvPkts: 0,
      symbolErrorCounter: 0,
      linkErrorRecoveryCounter: 0,
      linkDownedCounter: 0,
      portRcvErrors: 0,
      portRcvRemotePhysicalErrors: 0,
      portRcvSwitchRelayErrors: 0,
      portXmitDiscards: 0,
      portXmitConstraintErrors: 0,
      portRcvConstraintErrors: 0,
      localLinkIntegrityErrors: 0,
      excessiveBufferOverrunErrors: 0,
      vl15Dropped: 0,
    });
  const temp = rec('0:3001', 'temperature', { minimum: -5, maximum: 45, errors: 0 });
  const sfp = rec('0:10', 'sfp', {
    moduleId: 1,
    moduleTotalLanes: 2,
    moduleSupplyVoltage: 3300,
    moduleTemperature: 40000,
    lanes: [
      { index: 1, txBiasCurrent: 6000, txPower: 500, rxPower: 450 },
      { index: 2, txBiasCurrent: 6100, txPower: 0xffffffff, rxPower: 440 },
    ],
  });
  const bst = rec('4413:2', 'bst_port_buffers', {
    ingressUcPc: 1000,
    ingressMcPc: 0,
    egressUcPc: 0,
    egressMcPc: 0,
    egressQueueUcPc: [500, -1, 250],
    egressQueueMcPc: [],
  });
  const d = new CounterDeriver();
  const [a, b] = [0, 1].map((i) => d.derive(input(sample(i + 1, [ib(i), temp, sfp, bst]), i * 1000))?.values);
  assert.equal(a?.get('temperature_minimum'), -5);
  assert.equal(a?.get('temperature_maximum'), 45);
  assert.equal(a?.has('temperature_errors'), false, 'a counter: no rate yet');
  assert.equal(b?.get('ib_counters_portxmitpkts'), 100);
  assert.equal(a?.get('sfp_supply_voltage'), 3300);
  assert.equal(a?.get('sfp_lane_1_txpower'), 500);
  assert.equal(a?.get('sfp_lane_2_rxpower'), 440);
  assert.equal(a?.has('sfp_lane_2_txpower'), false);
  assert.equal(a?.get('bcm_port_ingress_uc_pc'), 10);
  assert.equal(a?.get('bcm_port_egress_queue_uc_pc_0'), 5);
  assert.equal(a?.has('bcm_port_egress_queue_uc_pc_1'), false);
  assert.equal(a?.get('bcm_port_egress_queue_uc_pc_2'), 2.5);
});

test('unknown formats and records with decode errors are skipped', () => {
  const d = new CounterDeriver();
  const v = d.derive(
    input(
      sample(1, [
        { format: '0:9999', length: 8 },
        {
          format: '0:1',
          name: 'generic_interface_counters',
          length: 4,
          error: { reason: 'short', offset: 0 },
        },
        ifc(),
      ]),
      0,
    ),
  )?.values;
  assert.equal(v?.get('ifindex'), '3');
  assert.equal(d.stats.skippedRecords, 2);
});

test('rtmetric samples: names as sent, counters as rates', () => {
  const rt = (c: number): RtMetricSample => ({
    type: 'rtmetric',
    format: '4300:1002',
    datasource: 'my-app',
    metrics: [
      { name: 'requests', type: 1, value: c },
      { name: 'bytes', type: 2, value: BigInt(c) * 1000n },
      { name: 'queue', type: 3, value: 5 },
      { name: 'ratio', type: 6, value: 0.25 },
      { name: 'version', type: 0, value: '1.2' },
    ],
  });
  const d = new CounterDeriver();
  const a = d.deriveRtMetric('10.0.0.9', rt(100), 0);
  const b = d.deriveRtMetric('10.0.0.9', rt(300), 2000);
  assert.equal(a.dataSource, 'my-app');
  assert.equal(a.values.has('requests'), false);
  assert.equal(a.values.get('queue'), 5);
  assert.equal(a.values.get('version'), '1.2');
  assert.equal(b.values.get('requests'), 100);
  assert.equal(b.values.get('bytes'), 100000);
  assert.equal(b.values.get('ratio'), 0.25);
});

test('fuzz: any decoded counters sample derives without throwing, with clean names and values', () => {
  fc.assert(
    fc.property(fc.array(datagramArbitrary, { minLength: 1, maxLength: 3 }), (datagrams) => {
      const d = new CounterDeriver();
      let t = 0;
      for (const input of datagrams) {
        const dg = decodeSflow(encodeSflow(input));
        if (!('samples' in dg)) continue;
        t += 1000;
        for (const s of dg.samples) {
          if (s.type !== 'counters_sample' && s.type !== 'counters_sample_expanded') continue;
          // twice, so counters give rates
          for (const dt of [0, 500]) {
            const out = d.derive({
              agent: dg.agent,
              sample: { ...s, sequence: s.sequence + dt },
              timeMs: t + dt,
            });
            for (const [name, v] of out?.values ?? []) {
              assert.match(name, /^[a-z][a-z0-9_]*$/, name);
              assert.ok(typeof v === 'string' || Number.isFinite(v), `${name}=${v}`);
            }
          }
        }
      }
    }),
    { numRuns: 300 },
  );
});
