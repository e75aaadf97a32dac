/**
 * `flowlens run`: the collector. Settings come from --config FILE, FLOWLENS_*
 * environment variables and --<setting> flags (see `flowlens run --help`).
 */
import { readFileSync } from 'node:fs';
import { type Collector, startCollector } from '../collector.js';
import { ConfigError, loadConfig, SETTINGS, settingsHelp } from '../common/config.js';

export function runHelp(): string {
  return `Settings (a JSON --config file may hold them too, as {"sflow": {"port": 6343}}):\n${settingsHelp()}\n`;
}

function version(): string {
  return (
    JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
}

/** --name value, --name=value, and bare --name for true/false settings. */
export function parseRunFlags(argv: string[]): { file?: string; flags: Record<string, string | boolean> } {
  const flags: Record<string, string | boolean> = {};
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--'))
      throw new ConfigError(`unexpected argument '${arg}' (settings are given as --name value)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    let value: string | boolean | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    const setting = (SETTINGS as Record<string, { kind: string }>)[name];
    if (value === undefined) {
      const next = argv[i + 1];
      if (setting?.kind === 'bool' && (next === undefined || next.startsWith('--'))) value = true;
      else if (next !== undefined) {
        value = next;
        i++;
      } else throw new ConfigError(`flag --${name} needs a value`);
    }
    if (name === 'config') file = String(value);
    else flags[name] = value;
  }
  return file === undefined ? { flags } : { file, flags };
}

export async function startFromArgs(argv: string[], log: (line: string) => void): Promise<Collector> {
  const { file, flags } = parseRunFlags(argv);
  const config = loadConfig({ ...(file !== undefined ? { file } : {}), env: process.env, flags });
  const collector = await startCollector(config, { version: version(), log });
  const p = collector.ports;
  log(
    `flowlens ${version()} listening: sFlow udp/${p.sflow ?? 'off'}, IPFIX udp/${p.ipfix ?? 'off'}, NetFlow udp/${p.netflow ?? 'off'}, HTTP ${config.httpHost === '::' ? 'localhost' : config.httpHost}:${p.http}`,
  );
  log(`REST API: http://localhost:${p.http}/  (health metrics at /metrics, API description at /api-docs)`);
  return collector;
}

export async function runRun(argv: string[]): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let collector: Collector;
  try {
    collector = await startFromArgs(argv, log);
  } catch (err) {
    if (err instanceof ConfigError) {
      log(`flowlens run: ${err.message}`);
      return 2;
    }
    log(`flowlens run: ${(err as Error).message}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`flowlens: ${signal}, shutting down`);
      collector.stop().then(
        () => resolve(0),
        (err: unknown) => {
          log(`flowlens: error while stopping: ${(err as Error).message}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
