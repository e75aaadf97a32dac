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
import type { KeyReader } from './expr.js';
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
  bytes = 0;
  frames = 1;
  /** From a dropped-packet notification (sFlow discard sample) rather than a packet sample. */
  dropped = false;
  /** Milliseconds since the Unix epoch when the sample was received. */
  timeMs = 0;

  abstract key(id: number): KeyValue | undefined;
}

/** Reader of one key name, for any kind of sample view. */
export function sampleReader(name: string): KeyReader<SampleView> {
  const id = keyId(name);
  return (s) => s.key(id);
}

/** A getter table filled on demand for one kind of view. */
export class GetterTable<V> {
  private readonly getters: (((v: V) => KeyValue | undefined) | undefined)[] = [];

  constructor(private readonly resolve: (name: string) => (v: V) => KeyValue | undefined) {}

  get(id: number): (v: V) => KeyValue | undefined {
    let g = this.getters[id];
    if (g === undefined) {
      g = this.resolve(keyName(id));
      this.getters[id] = g;
    }
    return g;
  }
}

export const absent = (): undefined => undefined;
