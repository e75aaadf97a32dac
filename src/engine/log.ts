/**
 * A bounded log of records with increasing ids, for the long-poll and SSE
 * endpoints (/events/json, /flows/json). Clients written for sFlow-RT ask for
 * records after the last id they saw and get them newest first.
 */

export interface LogQuery<T> {
  /** Only records with a larger id. */
  after?: number;
  max?: number;
  match?: (record: T) => boolean;
}

type Waiter<T> = { query: LogQuery<T>; resolve: (records: T[]) => void; timer: NodeJS.Timeout };

export class IdLog<T> {
  private readonly ring: T[] = [];
  private nextId = 1;
  private readonly waiters = new Set<Waiter<T>>();
  private readonly subscribers = new Set<(record: T) => void>();
  total = 0;

  constructor(
    private readonly idOf: (record: T) => number,
    readonly capacity = 10_000,
  ) {}

  /** Builds the record with the next id and appends it. */
  append(make: (id: number) => T): T {
    const record = make(this.nextId++);
    this.ring.push(record);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    this.total++;
    for (const s of this.subscribers) s(record);
    for (const w of [...this.waiters]) {
      const found = this.query(w.query);
      if (found.length > 0) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(found);
      }
    }
    return record;
  }

  /** Matching records, newest first. */
  query(q: LogQuery<T>): T[] {
    const after = q.after ?? -1;
    const max = q.max ?? 100;
    const out: T[] = [];
    for (let i = this.ring.length - 1; i >= 0 && out.length < max; i--) {
      const r = this.ring[i];
      if (this.idOf(r) <= after) break;
      if (q.match !== undefined && !q.match(r)) continue;
      out.push(r);
    }
    return out;
  }

  /** Like query, but waits up to `timeoutMs` for a first matching record. */
  wait(q: LogQuery<T>, timeoutMs: number): Promise<T[]> {
    const now = this.query(q);
    if (now.length > 0 || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const w: Waiter<T> = {
        query: q,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          resolve([]);
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  subscribe(fn: (record: T) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Ends every pending long poll (shutdown). */
  close(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve([]);
    }
    this.waiters.clear();
    this.subscribers.clear();
  }

  get lastId(): number {
    return this.nextId - 1;
  }
}
