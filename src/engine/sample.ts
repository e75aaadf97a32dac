/**
 * What the engine analyses: one sampled packet (an sFlow flow or discard
 * sample) or one flow record (IPFIX/NetFlow), seen through a reusable view.
 *
 * Keys are read through small integer ids: a flow definition interns its key
 * names once, and each kind of view keeps a per-id getter table that it fills
 * the first time a key is asked for. Reading a key per sample is then an
 * array index and a call, with no string handling.
 */
import type { KeyValue } from '../decode/packet/keys.js';
import { CODE_ABSENT, CODE_TEXT, type CodeReader, type KeyReader } from './expr.js';
import type { FlowSample } from './flow-table.js';

const ids = new Map<string, number>();
const names: string[] = [];

export function keyId(name: string): number {
  let id = ids.get(name);
  if (id === undefined) {
    id = names.length;
    names.push(name);
    ids.set(name, id);
  }
  return id;
}

export function keyName(id: number): string {
  return names[id];
}

export abstract class SampleView implements FlowSample {
  agent = '';
  dataSource = '';
  samplingRate = 1;
  /** The (agent, dataSource) pair in the engine's SourceRegistry; -1 when not resolved. */
  sourceId = -1;
  bytes = 0;
  frames = 1;
  /** From a dropped-packet notification (sFlow discard sample) rather than a packet sample. */
  dropped = false;
  /** Milliseconds since the Unix epoch when the sample was received. */
  timeMs = 0;

  abstract key(id: number): KeyValue | undefined;

  /** The key's code (CodeReader in expr.ts); views with faster paths override this. */
  code(id: number): number {
    const v = this.key(id);
    return v === undefined || v === '' ? CODE_ABSENT : CODE_TEXT;
  }
}

/**
 * Keys whose values have codes, with the offset of the address in the IPv4
 * header: hashed as numbers instead of text (views decide how to read them).
 */
export const IPV4_CODED_KEYS: Readonly<Record<string, number>> = { ipsource: 12, ipdestination: 16 };

/** Code reader of a key name, for the names that have codes. */
export function sampleCodeReader(name: string): CodeReader<SampleView> | undefined {
  if (!Object.hasOwn(IPV4_CODED_KEYS, name)) return undefined;
  const id = keyId(name);
  return (s) => s.code(id);
}

/** Reader of one key name, for any kind of sample view. */
export function sampleReader(name: string): KeyReader<SampleView> {
  const id = keyId(name);
  return (s) => s.key(id);
}

/** Keys every kind of view answers from the sample's own fields; undefined for other names. */
export function sampleFieldGetter(name: string): ((v: SampleView) => KeyValue | undefined) | undefined {
  switch (name) {
    case 'agent':
      return (v) => v.agent;
    case 'bytes':
      return (v) => v.bytes;
    case 'frames':
      return (v) => v.frames;
    case 'datasource':
      return (v) => v.dataSource;
  }
  return undefined;
}

/** A getter table filled on demand for one kind of view. */
export class GetterTable<V, R = KeyValue | undefined> {
  private readonly getters: (((v: V) => R) | undefined)[] = [];

  constructor(private readonly resolve: (name: string) => (v: V) => R) {}

  get(id: number): (v: V) => R {
    let g = this.getters[id];
    if (g === undefined) {
      g = this.resolve(keyName(id));
      this.getters[id] = g;
    }
    return g;
  }
}

export const absent = (): undefined => undefined;
