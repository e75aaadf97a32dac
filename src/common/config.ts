/**
 * Settings of `flowlens run`, from (lowest to highest precedence) defaults,
 * a JSON config file, FLOWLENS_* environment variables and command-line
 * flags. Every setting is validated at start; a bad one stops start-up with
 * a message that names it and says where it came from.
 */
import { readFileSync } from 'node:fs';

type Kind = 'port' | 'int' | 'string' | 'bool' | 'host';

interface Setting {
  kind: Kind;
  default: string | number | boolean | undefined;
  help: string;
  min?: number;
  max?: number;
}

export const SETTINGS = {
  'sflow.port': { kind: 'port', default: 6343, help: 'UDP port for sFlow (0 = any free port, -1 = off)' },
  'ipfix.port': { kind: 'port', default: 4739, help: 'UDP port for IPFIX (0 = any free port, -1 = off)' },
  'netflow.port': {
    kind: 'port',
    default: 2055,
    help: 'UDP port for NetFlow v5/v9 (0 = any free port, -1 = off)',
  },
  'udp.host': {
    kind: 'host',
    default: '::',
    help: "address the UDP listeners bind ('::' = all, IPv4 and IPv6)",
  },
  'udp.buffer': {
    kind: 'int',
    default: 32 * 1024 * 1024,
    min: 65536,
    max: 2 ** 31 - 1,
    help: 'kernel receive buffer per UDP socket, bytes',
  },
  'http.port': {
    kind: 'port',
    default: 8008,
    help: 'HTTP port of the REST API and console (0 = any free port)',
  },
  'http.host': { kind: 'host', default: '::', help: 'address the HTTP server binds' },
  'http.readonly': { kind: 'bool', default: false, help: 'refuse every change through the API' },
  'http.token': {
    kind: 'string',
    default: undefined,
    help: 'bearer token required for changes through the API',
  },
  'state.dir': {
    kind: 'string',
    default: '.flowlens',
    help: 'directory where definitions and templates persist',
  },
  'limits.flows': { kind: 'int', default: 100, min: 1, max: 100_000, help: 'flow definitions at most' },
  'limits.thresholds': { kind: 'int', default: 1000, min: 1, max: 100_000, help: 'thresholds at most' },
  'limits.flowsPerSource': {
    kind: 'int',
    default: 1000,
    min: 10,
    max: 1_000_000,
    help: 'active flows tracked per data source and flow definition',
  },
  demo: { kind: 'bool', default: false, help: 'feed the built-in simulated traffic into the engine' },
  'apps.aiMetrics': {
    kind: 'bool',
    default: true,
    help: 'run the ai-metrics app (its 10 flows cost CPU on every sample; turn off when not needed)',
  },
} satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

export interface Config {
  sflowPort: number;
  ipfixPort: number;
  netflowPort: number;
  udpHost: string;
  udpBuffer: number;
  httpPort: number;
  httpHost: string;
  readonly: boolean;
  token: string | undefined;
  stateDir: string;
  maxFlows: number;
  maxThresholds: number;
  flowsPerSource: number;
  demo: boolean;
  /** Whether the ai-metrics app runs. */
  aiMetrics: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** FLOWLENS_SFLOW_PORT for sflow.port, FLOWLENS_LIMITS_FLOWSPERSOURCE for limits.flowsPerSource. */
export function envName(setting: string): string {
  return `FLOWLENS_${setting.replace(/\./g, '_').toUpperCase()}`;
}

function parseValue(name: string, s: Setting, raw: unknown, origin: string): string | number | boolean {
  const where = `setting '${name}' (from ${origin})`;
  switch (s.kind) {
    case 'port': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isInteger(n) || n < -1 || n > 65535)
        throw new ConfigError(`${where}: '${raw}' is not a port number (0-65535, or -1 to turn it off)`);
      return n;
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isInteger(n)) throw new ConfigError(`${where}: '${raw}' is not a whole number`);
      if ((s.min !== undefined && n < s.min) || (s.max !== undefined && n > s.max)) {
        throw new ConfigError(`${where}: ${n} is outside ${s.min}..${s.max}`);
      }
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const t = String(raw).trim().toLowerCase();
      if (['true', 'yes', '1', 'on', ''].includes(t)) return true;
      if (['false', 'no', '0', 'off'].includes(t)) return false;
      throw new ConfigError(`${where}: '${raw}' is not true or false`);
    }
    case 'host': {
      const t = String(raw).trim();
      if (!/^[0-9a-fA-F:.]+$|^localhost$/.test(t))
        throw new ConfigError(`${where}: '${raw}' is not an IP address`);
      return t;
    }
    case 'string': {
      if (typeof raw !== 'string' || raw === '')
        throw new ConfigError(`${where}: must be a non-empty string`);
      return raw;
    }
  }
}

/** Flattens {"sflow": {"port": 1}} and {"sflow.port": 1} alike. */
function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flags as setting name -> raw value (`--sflow.port 6343`). */
  flags?: Record<string, string | boolean>;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const values = new Map<string, string | number | boolean | undefined>();
  for (const [name, s] of Object.entries(SETTINGS)) values.set(name, s.default);
  const apply = (entries: Record<string, unknown>, origin: (name: string) => string) => {
    for (const [name, raw] of Object.entries(entries)) {
      const s = (SETTINGS as Record<string, Setting>)[name];
      if (s === undefined)
        throw new ConfigError(
          `unknown setting '${name}' (from ${origin(name)}); known settings: ${Object.keys(SETTINGS).join(', ')}`,
        );
      values.set(name, parseValue(name, s, raw, origin(name)));
    }
  };
  if (sources.file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(sources.file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${sources.file}: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new ConfigError(`config file ${sources.file}: must hold a JSON object`);
    apply(flatten(parsed as Record<string, unknown>), () => `config file ${sources.file}`);
  }
  const env = sources.env ?? {};
  const fromEnv: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS)) {
    const v = env[envName(name)];
    if (v !== undefined) fromEnv[name] = v;
  }
  apply(fromEnv, (name) => `environment variable ${envName(name)}`);
  apply(sources.flags ?? {}, (name) => `flag --${name}`);
  const get = <T>(name: SettingName) => values.get(name) as T;
  return {
    sflowPort: get('sflow.port'),
    ipfixPort: get('ipfix.port'),
    netflowPort: get('netflow.port'),
    udpHost: get('udp.host'),
    udpBuffer: get('udp.buffer'),
    httpPort: get('http.port'),
    httpHost: get('http.host'),
    readonly: get('http.readonly'),
    token: get('http.token'),
    stateDir: get('state.dir'),
    maxFlows: get('limits.flows'),
    maxThresholds: get('limits.thresholds'),
    flowsPerSource: get('limits.flowsPerSource'),
    demo: get('demo'),
    aiMetrics: get('apps.aiMetrics'),
  };
}

export function settingsHelp(): string {
  return Object.entries(SETTINGS)
    .map(
      ([name, s]) =>
        `  --${name.padEnd(22)} ${s.help} (default ${s.default ?? 'none'}; env ${envName(name)})`,
    )
    .join('\n');
}
