/**
 * The storage of a flow table: entries in typed arrays, found by a numeric
 * hash of (source, key values), so the per-sample path builds no strings.
 *
 * A flow key is a fixed number of components. Each component is held as a
 * (kind, value) pair: numbers as themselves, strings as ids from a
 * reference-counted interner (the strings a table's live entries use, so a
 * flood of random keys cannot grow it past the table's own bound). Cached
 * strings from the dissector (addresses, protocol stacks) carry V8's hash
 * already, so interning them is a single Map probe.
 *
 * The index is open addressing with linear probing over entry numbers; a
 * removal shifts the following run back instead of leaving tombstones, so
 * probe lengths stay short under heavy churn. Entries of one source form a
 * doubly linked list for per-source eviction, sweeping and reporting.
 */

/** String components are stored as this plus their interned id. */
const STRING_BASE = 2 ** 52;

class Interner {
  private readonly ids = new Map<string, number>();
  readonly strings: string[] = [];
  private refs = new Int32Array(64);
  private readonly free: number[] = [];

  get size(): number {
    return this.ids.size;
  }

  /** The id of an interned string, or -1. */
  lookup(s: string): number {
    const id = this.ids.get(s);
    return id === undefined ? -1 : id;
  }

  acquire(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.free.pop() ?? this.strings.length;
      if (id >= this.refs.length) {
        const grown = new Int32Array(this.refs.length * 2);
        grown.set(this.refs);
        this.refs = grown;
      }
      this.strings[id] = s;
      this.refs[id] = 0;
      this.ids.set(s, id);
    }
    this.refs[id]++;
    return id;
  }

  retain(id: number): void {
    this.refs[id]++;
  }

  release(id: number): void {
    if (--this.refs[id] > 0) return;
    this.ids.delete(this.strings[id]);
    this.strings[id] = '';
    this.free.push(id);
  }
}

/** Mixes one 32-bit word into a running hash. */
function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1);
  return (h << 15) | (h >>> 17);
}

export class FlowStore {
  /** Key components per entry. */
  readonly width: number;
  /** Float64 slots per entry for the table's own state (values, log bookkeeping). */
  readonly stride: number;

  /** The key being looked up, filled by the caller component by component. */
  private readonly query: Float64Array;
  private readonly queryWords: Int32Array;
  /** The query's strings that are not interned yet (only for a key no entry has). */
  private readonly queryStrings: (string | undefined)[];
  private queryMissing = false;
  private queryHash = 0;

  private capacity = 0;
  /**
   * Key components, `width` per entry: non-negative integers below 2^52 as
   * themselves, codes (negative) as themselves, anything else as STRING_BASE
   * + the id of its text. One array and one comparison per component.
   */
  private keys = new Float64Array(0);
  /** Owning source of each entry; -1 when the entry number is free. */
  source = new Int32Array(0);
  private hashes = new Int32Array(0);
  /** Per-source lists: next and previous entry, -1 at the ends. */
  next = new Int32Array(0);
  private prev = new Int32Array(0);
  /** When each entry last had a sample. */
  lastMs = new Float64Array(0);
  /** The table's per-entry state, `stride` slots each. */
  state = new Float64Array(0);
  /** The flow key text of each entry, built once when the entry is created. */
  readonly text: string[] = [];
  private readonly freeEntries: number[] = [];
  /**
   * The index, four Int32 per bucket (one cache line holds whole buckets):
   * entry + 1 (0 = empty), the entry's hash, its source.
   */
  private buckets = new Int32Array(0);
  private mask = 0;
  private readonly strings = new Interner();
  count = 0;

  constructor(width: number, stride: number, initial = 64) {
    this.width = width;
    this.stride = stride;
    this.query = new Float64Array(width);
    this.queryWords = new Int32Array(this.query.buffer);
    this.queryStrings = new Array(width).fill(undefined);
    this.grow(initial);
  }

  /** Interned strings held (for tests and stats). */
  get internedStrings(): number {
    return this.strings.size;
  }

  /** Starts a query. */
  begin(): void {
    this.queryMissing = false;
  }

  setNumber(i: number, v: number): void {
    if (v >= 0 && v < STRING_BASE && Math.floor(v) === v) {
      // + 0 turns -0 into 0: equal values must hash the same.
      this.query[i] = v + 0;
      this.queryStrings[i] = undefined;
    } else this.setString(i, String(v));
  }

  /** A negative code standing for the value (see CodeReader in expr.ts). */
  setCode(i: number, c: number): void {
    this.query[i] = c;
    this.queryStrings[i] = undefined;
  }

  setString(i: number, s: string): void {
    const id = this.strings.lookup(s);
    if (id < 0) {
      // No entry can hold a string that is not interned: the key is new.
      this.queryMissing = true;
      this.queryStrings[i] = s;
      this.query[i] = -1;
    } else {
      this.queryStrings[i] = undefined;
      this.query[i] = STRING_BASE + id;
    }
  }

  private hash(source: number): number {
    let h = mix(0x12345679, source);
    const words = this.queryWords;
    for (let i = 0; i < words.length; i++) h = mix(h, words[i]);
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    return h ^ (h >>> 15);
  }

  /** The entry holding the query at `source`, or -1. */
  find(source: number): number {
    if (this.queryMissing) return -1;
    const h = this.hash(source);
    this.queryHash = h;
    const buckets = this.buckets;
    const mask = this.mask;
    const w = this.width;
    const q = this.query;
    const keys = this.keys;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const b = i << 2;
      const s = buckets[b];
      if (s === 0) return -1;
      if (buckets[b + 1] !== h || buckets[b + 2] !== source) continue;
      const base = (s - 1) * w;
      let j = 0;
      while (j < w && keys[base + j] === q[j]) j++;
      if (j === w) return s - 1;
    }
  }

  /**
   * Adds the query, after a `find` that returned -1, as a new entry at
   * `source` at the front of its list (`head`). Its state slots are zero.
   */
  insert(source: number, text: string, head: number): number {
    if (this.count + 1 > this.mask || this.count + 1 > this.capacity) {
      this.grow(Math.max(64, this.capacity * 2));
    }
    const w = this.width;
    const q = this.query;
    for (let j = 0; j < w; j++) {
      const pending = this.queryStrings[j];
      if (pending !== undefined) {
        q[j] = STRING_BASE + this.strings.acquire(pending);
        this.queryStrings[j] = undefined;
      } else if (q[j] >= STRING_BASE) this.strings.retain(q[j] - STRING_BASE);
    }
    const h = this.queryMissing ? this.hash(source) : this.queryHash;
    this.queryMissing = false;
    const e = this.freeEntries.pop() ?? this.count;
    this.keys.set(q, e * w);
    this.source[e] = source;
    this.hashes[e] = h;
    this.text[e] = text;
    this.state.fill(0, e * this.stride, (e + 1) * this.stride);
    this.lastMs[e] = 0;
    this.prev[e] = -1;
    this.next[e] = head;
    if (head >= 0) this.prev[head] = e;
    this.place(e);
    this.count++;
    return e;
  }

  /** Removes an entry; returns the entry that followed it in its source's list. */
  remove(e: number): number {
    const mask = this.mask;
    const buckets = this.buckets;
    let i = this.hashes[e] & mask;
    while (buckets[i << 2] !== e + 1) i = (i + 1) & mask;
    // Backward-shift deletion: pull later members of the run into the hole.
    for (let j = (i + 1) & mask; buckets[j << 2] !== 0; j = (j + 1) & mask) {
      const ideal = buckets[(j << 2) + 1] & mask;
      const between = i <= j ? ideal > i && ideal <= j : ideal > i || ideal <= j;
      if (!between) {
        buckets.copyWithin(i << 2, j << 2, (j << 2) + 4);
        i = j;
      }
    }
    buckets[i << 2] = 0;
    const w = this.width;
    for (let j = 0; j < w; j++) {
      const k = this.keys[e * w + j];
      if (k >= STRING_BASE) this.strings.release(k - STRING_BASE);
    }
    const after = this.next[e];
    const before = this.prev[e];
    if (before >= 0) this.next[before] = after;
    if (after >= 0) this.prev[after] = before;
    this.source[e] = -1;
    this.text[e] = '';
    this.freeEntries.push(e);
    this.count--;
    return after;
  }

  private place(e: number): void {
    const mask = this.mask;
    const buckets = this.buckets;
    let i = this.hashes[e] & mask;
    while (buckets[i << 2] !== 0) i = (i + 1) & mask;
    buckets[i << 2] = e + 1;
    buckets[(i << 2) + 1] = this.hashes[e];
    buckets[(i << 2) + 2] = this.source[e];
  }

  private grow(capacity: number): void {
    const old = this.capacity;
    const copy = <T extends Float64Array | Int32Array>(a: T, n: number, make: (n: number) => T) => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.keys = copy(this.keys, capacity * this.width, (n) => new Float64Array(n));
    this.source = copy(this.source, capacity, (n) => new Int32Array(n));
    this.source.fill(-1, old);
    this.hashes = copy(this.hashes, capacity, (n) => new Int32Array(n));
    this.next = copy(this.next, capacity, (n) => new Int32Array(n));
    this.prev = copy(this.prev, capacity, (n) => new Int32Array(n));
    this.lastMs = copy(this.lastMs, capacity, (n) => new Float64Array(n));
    this.state = copy(this.state, capacity * this.stride, (n) => new Float64Array(n));
    this.capacity = capacity;
    // At most half the buckets in use keeps probe runs short.
    let size = 1;
    while (size < capacity * 2) size *= 2;
    if (size - 1 !== this.mask) {
      this.buckets = new Int32Array(size * 4);
      this.mask = size - 1;
      for (let e = 0; e < old; e++) if (this.source[e] >= 0) this.place(e);
    }
  }
}
