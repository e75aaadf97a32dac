/**
 * Flow definitions with sFlow-RT's attributes and defaults
 * (sflow-rt-reference.md §2.1), validated with messages that name the
 * attribute at fault, and compiled against a key environment.
 */
import {
  type CodeReader,
  compileCode,
  compileKey,
  ExprError,
  type KeyEnv,
  type KeyReader,
  splitKeyList,
} from './expr.js';
import { compileFilter, type Predicate } from './filter.js';

export type AggMode = 'max' | 'sum' | 'edge' | 'core' | 'agent';
export const AGG_MODES: readonly AggMode[] = ['max', 'sum', 'edge', 'core', 'agent'];

/** A flow definition as the REST API takes and returns it. */
export interface FlowDefinition {
  keys: string;
  value: string;
  values?: string[];
  filter?: string;
  t: number;
  n: number;
  fs: string;
  dropped: boolean;
  log: boolean;
  flowStart: boolean;
  activeTimeout: number;
  aggMode?: AggMode;
}

export class DefinitionError extends Error {
  override name = 'DefinitionError';
}

const ATTRIBUTES = new Set([
  'name',
  'keys',
  'value',
  'values',
  'filter',
  't',
  'n',
  'fs',
  'dropped',
  'log',
  'flowStart',
  'activeTimeout',
  'aggMode',
  'ipfixCollectors',
]);

function num(
  input: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = input[name];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new DefinitionError(`'${name}' must be a number`);
  if (n < min || n > max) throw new DefinitionError(`'${name}' must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(input: Record<string, unknown>, name: string): boolean {
  const v = input[name];
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new DefinitionError(`'${name}' must be true or false`);
}

function text(input: Record<string, unknown>, name: string, fallback: string): string {
  const v = input[name];
  if (v === undefined || v === null) return fallback;
  if (Array.isArray(v) && name === 'keys' && v.every((x) => typeof x === 'string')) return v.join(',');
  if (typeof v !== 'string') throw new DefinitionError(`'${name}' must be a string`);
  return v;
}

/** Fills in defaults and checks types and ranges; does not compile expressions. */
export function normalizeFlow(input: unknown): FlowDefinition {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new DefinitionError('a flow definition must be a JSON object');
  }
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!ATTRIBUTES.has(k)) throw new DefinitionError(`unknown attribute '${k}'`);
  let values: string[] | undefined;
  if (o.values !== undefined && o.values !== null) {
    const v = typeof o.values === 'string' ? splitKeyList(o.values) : o.values;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      throw new DefinitionError("'values' must be a list of value expressions");
    }
    values = v;
  }
  let aggMode: AggMode | undefined;
  if (o.aggMode !== undefined && o.aggMode !== null) {
    const m = String(o.aggMode).toLowerCase();
    if (!(AGG_MODES as readonly string[]).includes(m)) {
      throw new DefinitionError(`'aggMode' must be one of ${AGG_MODES.join(', ')}`);
    }
    aggMode = m as AggMode;
  }
  const def: FlowDefinition = {
    keys: text(o, 'keys', ''),
    value: text(o, 'value', 'bytes'),
    t: num(o, 't', 2, 0.05, 3600),
    n: num(o, 'n', 5, 1, 1000),
    fs: text(o, 'fs', ','),
    dropped: bool(o, 'dropped'),
    log: bool(o, 'log'),
    flowStart: bool(o, 'flowStart'),
    activeTimeout: num(o, 'activeTimeout', 60, 1, 86400),
  };
  if (values !== undefined) def.values = values;
  if (o.filter !== undefined && o.filter !== null && o.filter !== '') def.filter = text(o, 'filter', '');
  if (aggMode !== undefined) def.aggMode = aggMode;
  if (def.fs === '') throw new DefinitionError("'fs' must not be empty");
  return def;
}

/** How a sample contributes to a flow's value before sampling-rate scaling. */
export type ValueKind = 'sum' | 'avg' | 'min' | 'max' | 'count';

export interface CompiledValue<S> {
  kind: ValueKind;
  /** The per-sample quantity: bytes, frames, or a numeric key. */
  read: (sample: S) => number | undefined;
  /** For count: the key whose distinct values are counted. */
  readKey?: KeyReader<S>;
}

export interface CompiledFlow<S> {
  name: string;
  def: FlowDefinition;
  keys: KeyReader<S>[];
  /** Per key, a code reader when the key has one (see CodeReader). */
  codes: (CodeReader<S> | undefined)[];
  filter: Predicate<S>;
  value: CompiledValue<S>;
  values: CompiledValue<S>[];
}

/** Samples the engine sees carry these besides their keys. */
export interface SampleBasics {
  bytes: number;
  frames: number;
}

function compileValue<S extends SampleBasics>(expr: string, env: KeyEnv<S>, what: string): CompiledValue<S> {
  const m = /^(avg|min|max|count):(.+)$/.exec(expr.trim());
  const kind: ValueKind = m === null ? 'sum' : (m[1] as ValueKind);
  const target = m === null ? expr.trim() : m[2];
  try {
    if (kind === 'count') {
      const readKey = compileKey(target, env);
      return { kind, read: () => 1, readKey };
    }
    if (target === 'bytes') return { kind, read: (s) => s.bytes };
    if (target === 'frames') return { kind, read: (s) => s.frames };
    const reader = compileKey(target, env);
    return {
      kind,
      read: (s) => {
        const v = reader(s);
        if (v === undefined) return undefined;
        const n = typeof v === 'number' ? v : Number(v);
        return Number.isFinite(n) ? n : undefined;
      },
    };
  } catch (err) {
    if (err instanceof ExprError) throw new DefinitionError(`'${what}': ${err.message}`);
    throw err;
  }
}

export function compileFlow<S extends SampleBasics>(
  name: string,
  def: FlowDefinition,
  env: KeyEnv<S>,
): CompiledFlow<S> {
  try {
    const list = splitKeyList(def.keys);
    const keys = list.map((k) => compileKey(k, env));
    const filter = compileFilter(def.filter, env);
    return {
      name,
      def,
      keys,
      codes: list.map((k) => compileCode(k, env)),
      filter,
      value: compileValue(def.value, env, 'value'),
      values: (def.values ?? []).map((v, i) => compileValue(v, env, `values[${i}]`)),
    };
  } catch (err) {
    if (err instanceof ExprError) throw new DefinitionError(err.message);
    throw err;
  }
}
