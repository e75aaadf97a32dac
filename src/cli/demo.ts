/**
 * `flowlens demo`: the collector with its built-in simulated traffic, on any
 * machine with no network and no root. It defines a few flows, serves the
 * REST API, and prints the top flows every second.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCollector } from '../collector.js';
import { loadConfig } from '../common/config.js';

const DEMO_FLOWS: Record<string, Record<string, unknown>> = {
  tuple: {
    keys: 'ipsource,ipdestination,ipprotocol,or:tcpsourceport:udpsourceport,or:tcpdestinationport:udpdestinationport',
    value: 'bytes',
  },
  roce: { keys: 'concat:\\::ibbtoptransport:ibbtopname', value: 'frames', filter: 'suffix:stack:.:1=ibbt' },
  ip6: { keys: 'ip6source,ip6destination', value: 'bytes' },
};

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '0' },
      port: { type: 'string', default: '8008' },
    },
  });
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new Error('--seconds must be a number >= 0 (0 runs until Ctrl-C)');
  const config = loadConfig({
    env: process.env,
    flags: {
      demo: true,
      'http.port': values.port as string,
      'sflow.port': '-1',
      'ipfix.port': '-1',
      'netflow.port': '-1',
      'state.dir': path.join(os.tmpdir(), `flowlens-demo-${process.pid}`),
    },
  });
  const version = (
    JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  try {
    collector = await startCollector(config, { version });
  } catch (err) {
    // Port 8008 taken: any free port will do for a demo.
    if (!String((err as Error).message).includes('EADDRINUSE')) throw err;
    collector = await startCollector({ ...config, httpPort: 0 }, { version });
  }
  for (const [name, def] of Object.entries(DEMO_FLOWS)) collector.engine.setFlow(name, def);
  const url = `http://localhost:${collector.ports.http}`;
  process.stdout.write(
    `flowlens demo: a simulated AI fabric (2 spines, 4 leaves, 32 GPU hosts; RoCEv2 collectives, services, front-end traffic) and a general traffic mix send sFlow into flowlens. Ctrl-C to stop.\n` +
      `Console:  ${url}/\n` +
      `REST API: ${url}/activeflows/ALL/tuple/json, ${url}/app/ai-metrics/scripts/metrics.js/metric/json, ${url}/api-docs\n`,
  );
  const started = Date.now();
  return new Promise<number>((resolve) => {
    const tick = setInterval(() => {
      const now = Date.now();
      const top = collector.engine.activeFlows('tuple', { maxFlows: 5 }, now) ?? [];
      const ops = collector.engine.activeFlows('roce', { maxFlows: 3 }, now) ?? [];
      const t = collector.agents.totals();
      const lines = [
        `\n[${((now - started) / 1000).toFixed(0)} s] agents ${t.agents}, datagrams ${t.datagrams}, samples ${collector.decodeStats.samples}, lost ${t.sequenceGaps}, decode errors ${collector.decodeStats.errorCount()}`,
        ...top.map((f) => `  ${((f.value * 8) / 1e9).toFixed(2).padStart(8)} Gbit/s  ${f.key}`),
        ...ops.map((f) => `  ${(f.value / 1e3).toFixed(1).padStart(8)} kpkt/s  RoCEv2 ${f.key}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      if (seconds > 0 && now - started >= seconds * 1000) finish();
    }, 1000);
    const finish = () => {
      clearInterval(tick);
      collector.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
}
