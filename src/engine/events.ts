/**
 * The event log behind /events/json and /events/sse: threshold events with
 * increasing ids, kept in a bounded ring, with long-poll waiters and live
 * subscribers. Clients written for sFlow-RT ask for events after the last id
 * they saw and get them newest first.
 */

export interface ThresholdEvent {
  eventID: number;
  thresholdID: string;
  metric: string;
  agent: string;
  dataSource: string;
  flowKey?: string;
  value: number;
  threshold: number;
  timestamp: number;
  values?: (number | null)[];
}

export interface EventQuery {
  /** Only events with a larger id. */
  eventID?: number;
  thresholdID?: string;
  maxEvents?: number;
}

type Waiter = { query: EventQuery; resolve: (events: ThresholdEvent[]) => void; timer: NodeJS.Timeout };

export class EventLog {
  private readonly ring: ThresholdEvent[] = [];
  private nextId = 1;
  private readonly waiters = new Set<Waiter>();
  private readonly subscribers = new Set<(e: ThresholdEvent) => void>();
  total = 0;

  constructor(readonly capacity = 10_000) {}

  add(event: Omit<ThresholdEvent, 'eventID'>): ThresholdEvent {
    const e: ThresholdEvent = { eventID: this.nextId++, ...event };
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    this.total++;
    for (const s of this.subscribers) s(e);
    for (const w of [...this.waiters]) {
      const found = this.query(w.query);
      if (found.length > 0) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(found);
      }
    }
    return e;
  }

  /** Matching events, newest first. */
  query(q: EventQuery): ThresholdEvent[] {
    const after = q.eventID ?? -1;
    const max = q.maxEvents ?? 100;
    const out: ThresholdEvent[] = [];
    for (let i = this.ring.length - 1; i >= 0 && out.length < max; i--) {
      const e = this.ring[i];
      if (e.eventID <= after) break;
      if (q.thresholdID !== undefined && e.thresholdID !== q.thresholdID) continue;
      out.push(e);
    }
    return out;
  }

  /** Like query, but waits up to `timeoutMs` for a first matching event. */
  wait(q: EventQuery, timeoutMs: number): Promise<ThresholdEvent[]> {
    const now = this.query(q);
    if (now.length > 0 || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const w: Waiter = {
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

  subscribe(fn: (e: ThresholdEvent) => void): () => void {
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
