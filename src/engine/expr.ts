/**
 * sFlow-RT key expressions: plain keys (`ipsource`, `ipsource.1`) and key
 * functions (`prefix:stack:.:2`, `or:tcpsourceport:udpsourceport`,
 * `if:[first:stack:.:ip:ip6]:ip:[group:ipsource:site]:[group:ip6source:site]`).
 *
 * Expressions are compiled once, when a flow, filter or threshold is defined,
 * into closures over the sample; nothing is parsed per sample. Parse errors
 * throw `ExprError` with a message meant for the API user.
 */

import type { KeyValue } from '../decode/packet/keys.js';

export type { KeyValue };

/** Reads a base key (one without functions) from a sample of type S. */
export type KeyReader<S> = (sample: S) => KeyValue | undefined;

/**
 * A numeric stand-in for a key's value, for flow tables to hash without
 * building text: a negative number that identifies the value within its key
 * (an IPv4 address is -(address + 1)), CODE_ABSENT when the sample lacks the
 * key, or CODE_TEXT (NaN) when this sample's value has no code and must be
 * read as text.
 */
export type CodeReader<S> = (sample: S) => number;
export const CODE_ABSENT = Number.NEGATIVE_INFINITY;
export const CODE_TEXT = Number.NaN;

export interface KeyEnv<S> {
  /** A reader for a base key name; unknown names read as absent. */
  reader(name: string): KeyReader<S>;
  /** A code reader for a base key name, for the few keys that have one. */
  code?(name: string): CodeReader<S> | undefined;
  /** `group:<key>:<set>...`: the label of the longest matching prefix in the named group set. */
  group(set: string, address: string): string | undefined;
  /** `map:<key>:<map>`: the label the named map gives the value. */
  map(name: string, value: string): string | undefined;
  /** `link:<ifindex key>`: the topology link of (agent, ifIndex), or undefined for an edge port. */
  link(agent: string, ifIndex: string): string | undefined;
}

export class ExprError extends Error {
  override name = 'ExprError';
}

/** Key functions flowlens implements, with their argument counts (min, max; -1 = any). */
const FUNCTIONS: Record<string, [number, number]> = {
  group: [2, -1],
  map: [2, 2],
  prefix: [3, 3],
  suffix: [3, 3],
  first: [3, -1],
  concat: [2, -1],
  or: [1, -1],
  if: [4, 4],
  null: [1, 2],
  range: [2, 3],
  eq: [2, 2],
  bits: [2, 2],
  link: [1, 1],
};

export const KEY_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

/** Splits on `sep` outside `[ ]`, honouring `\` escapes (kept in the parts). */
export function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') depth++;
    else if (c === ']') {
      depth--;
      if (depth < 0) throw new ExprError(`unbalanced ']' in '${text}'`);
    } else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new ExprError(`unbalanced '[' in '${text}'`);
  parts.push(text.slice(start));
  return parts;
}

/**
 * Remembers a pure string function's results. Its inputs (protocol stacks,
 * addresses) come from caches upstream and repeat heavily, so most calls are
 * one Map probe on an already-hashed string instead of a split and a join.
 */
function memoize(fn: (v: string) => string | undefined): (v: string) => string | undefined {
  const limit = 4096;
  const seen = new Map<string, string | undefined>();
  return (v) => {
    const hit = seen.get(v);
    if (hit !== undefined || seen.has(v)) return hit;
    const out = fn(v);
    if (seen.size >= limit) seen.clear();
    seen.set(v, out);
    return out;
  };
}

function unescapeText(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

function isBracketed(part: string): boolean {
  return part.startsWith('[') && part.endsWith(']');
}

/** Parses a comma-separated key list (`keys` of a flow) into its expressions. */
export function splitKeyList(text: string): string[] {
  if (text.trim() === '') return [];
  return splitTopLevel(text, ',').map((k) => k.trim());
}

/** True when the value counts as present: sFlow-RT treats missing keys as null. */
function present(v: KeyValue | undefined): v is KeyValue {
  return v !== undefined && v !== '';
}

/**
 * A code reader for a key expression, when it has one: a plain key with a
 * code, or `or:` over keys of which at least one has a code.
 */
export function compileCode<S>(expr: string, env: KeyEnv<S>): CodeReader<S> | undefined {
  const text = expr.trim();
  if (isBracketed(text)) return compileCode(text.slice(1, -1), env);
  const parts = splitTopLevel(text, ':');
  if (parts.length === 1) return env.code?.(unescapeText(text));
  if (parts[0] !== 'or') return undefined;
  const args = parts.slice(1);
  const codes = args.map((a) => compileCode(a, env));
  if (codes.every((c) => c === undefined)) return undefined;
  const readers: CodeReader<S>[] = codes.map((c, i) => {
    if (c !== undefined) return c;
    const k = compileKey(args[i], env);
    return (s) => (present(k(s)) ? CODE_TEXT : CODE_ABSENT);
  });
  return (s) => {
    for (let i = 0; i < readers.length; i++) {
      const c = readers[i](s);
      if (c !== CODE_ABSENT) return c;
    }
    return CODE_ABSENT;
  };
}

export function compileKey<S>(expr: string, env: KeyEnv<S>): KeyReader<S> {
  const text = expr.trim();
  if (text === '') throw new ExprError('empty key');
  if (isBracketed(text)) return compileKey(text.slice(1, -1), env);
  const parts = splitTopLevel(text, ':');
  if (parts.length === 1) {
    if (/[\s=!~&|()]/.test(text)) throw new ExprError(`invalid key name '${text}'`);
    return env.reader(unescapeText(text));
  }
  const fn = parts[0];
  const limits = FUNCTIONS[fn];
  if (limits === undefined) throw new ExprError(`unknown key function '${fn}' in '${text}'`);
  const args = parts.slice(1);
  const [min, max] = limits;
  if (args.length < min || (max >= 0 && args.length > max)) {
    throw new ExprError(
      `key function '${fn}' takes ${max === min ? min : `${min} or more`} arguments: '${text}'`,
    );
  }
  /** An argument used as a key: a key name or a bracketed expression. */
  const key = (i: number): KeyReader<S> => compileKey(args[i], env);
  /** An argument used as a literal. */
  const lit = (i: number): string => {
    if (isBracketed(args[i]))
      throw new ExprError(`argument ${i + 1} of '${fn}' must be a literal: '${text}'`);
    return unescapeText(args[i]);
  };
  const num = (i: number): number => {
    const n = Number(lit(i));
    if (!Number.isFinite(n)) throw new ExprError(`argument ${i + 1} of '${fn}' must be a number: '${text}'`);
    return n;
  };

  switch (fn) {
    case 'group': {
      const k = key(0);
      const sets = args.slice(1).map((_, i) => lit(i + 1));
      return (s) => {
        const v = k(s);
        if (!present(v)) return undefined;
        for (const set of sets) {
          const label = env.group(set, String(v));
          if (label !== undefined) return label;
        }
        return undefined;
      };
    }
    case 'map': {
      const k = key(0);
      const name = lit(1);
      return (s) => {
        const v = k(s);
        return present(v) ? env.map(name, String(v)) : undefined;
      };
    }
    case 'prefix':
    case 'suffix': {
      const k = key(0);
      const sep = lit(1);
      const n = num(2);
      if (sep === '') throw new ExprError(`'${fn}' needs a separator: '${text}'`);
      const part = memoize((v) => {
        const items = v.split(sep);
        if (n <= 0) return undefined;
        return (fn === 'prefix' ? items.slice(0, n) : items.slice(-n)).join(sep);
      });
      return (s) => {
        const v = k(s);
        return present(v) ? part(String(v)) : undefined;
      };
    }
    case 'first': {
      const k = key(0);
      const sep = lit(1);
      const tokens = new Set(args.slice(2).map((_, i) => lit(i + 2)));
      const pick = memoize((v) => {
        for (const item of v.split(sep)) if (tokens.has(item)) return item;
        return undefined;
      });
      return (s) => {
        const v = k(s);
        return present(v) ? pick(String(v)) : undefined;
      };
    }
    case 'concat': {
      const sep = lit(0);
      const keys = args.slice(1).map((_, i) => key(i + 1));
      return (s) => {
        let out = '';
        for (let i = 0; i < keys.length; i++) {
          const v = keys[i](s);
          if (!present(v)) return undefined;
          out += i === 0 ? String(v) : sep + String(v);
        }
        return out;
      };
    }
    case 'or': {
      const keys = args.map((_, i) => key(i));
      return (s) => {
        for (const k of keys) {
          const v = k(s);
          if (present(v)) return v;
        }
        return undefined;
      };
    }
    case 'if': {
      const cond = key(0);
      const want = lit(1);
      const then = key(2);
      const other = key(3);
      return (s) => (String(cond(s)) === want ? then(s) : other(s));
    }
    case 'null': {
      const k = key(0);
      const fallback = args.length > 1 ? lit(1) : 'null';
      return (s) => {
        const v = k(s);
        return present(v) ? v : fallback;
      };
    }
    case 'range': {
      const k = key(0);
      const lo = num(1);
      const hi = args.length > 2 ? num(2) : Number.POSITIVE_INFINITY;
      return (s) => {
        const v = k(s);
        if (!present(v)) return undefined;
        const n = Number(v);
        return n >= lo && n <= hi ? 'true' : 'false';
      };
    }
    case 'eq': {
      const a = key(0);
      const b = key(1);
      return (s) => {
        const x = a(s);
        const y = b(s);
        if (!present(x) || !present(y)) return undefined;
        return String(x) === String(y) ? 'true' : 'false';
      };
    }
    case 'bits': {
      const k = key(0);
      const mask = num(1);
      return (s) => {
        const v = k(s);
        if (!present(v)) return undefined;
        return Number(BigInt.asUintN(64, BigInt(Math.trunc(Number(v)))) & BigInt(Math.trunc(mask)));
      };
    }
    case 'link': {
      const k = key(0);
      const agent = env.reader('agent');
      return (s) => {
        const v = k(s);
        const a = agent(s);
        if (!present(v) || !present(a)) return undefined;
        return env.link(String(a), String(v));
      };
    }
  }
  throw new ExprError(`unknown key function '${fn}'`);
}
