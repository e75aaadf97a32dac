/** Threshold events, kept in an IdLog for /events/json (long poll) and /events/sse. */
import { IdLog } from './log.js';
import type { ThresholdEvent } from './threshold-event.js';

export type { ThresholdEvent };

export interface EventQuery {
  /** Only events with a larger id. */
  eventID?: number;
  thresholdID?: string;
  maxEvents?: number;
}

export class EventLog extends IdLog<ThresholdEvent> {
  constructor(capacity = 10_000) {
    super((e) => e.eventID, capacity);
  }

  add(event: Omit<ThresholdEvent, 'eventID'>): ThresholdEvent {
    return this.append((eventID) => ({ eventID, ...event }));
  }

  events(q: EventQuery): ThresholdEvent[] {
    return this.query(toLogQuery(q));
  }

  waitEvents(q: EventQuery, timeoutMs: number): Promise<ThresholdEvent[]> {
    return this.wait(toLogQuery(q), timeoutMs);
  }
}

function toLogQuery(q: EventQuery) {
  const id = q.thresholdID;
  return {
    ...(q.eventID !== undefined ? { after: q.eventID } : {}),
    ...(q.maxEvents !== undefined ? { max: q.maxEvents } : {}),
    ...(id !== undefined ? { match: (e: ThresholdEvent) => e.thresholdID === id } : {}),
  };
}
