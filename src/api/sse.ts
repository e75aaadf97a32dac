/**
 * Server-sent events that follow an IdLog: records the client missed (from
 * Last-Event-ID or ?after=) first, then new ones as they arrive, with a
 * keep-alive comment every 15 s so proxies keep the stream open.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { IdLog } from '../engine/log.js';

export function followLog<T>(
  c: Context,
  log: IdLog<T>,
  idOf: (record: T) => number,
  eventName: string,
  match: (record: T) => boolean,
  resumeFrom: number,
): Response {
  return streamSSE(c, async (stream) => {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = log.subscribe((r) => {
      if (!match(r)) return;
      queue.push(r);
      wake?.();
    });
    stream.onAbort(() => {
      unsubscribe();
      wake?.();
    });
    if (Number.isFinite(resumeFrom)) {
      for (const r of log.query({ after: resumeFrom, max: log.capacity, match }).reverse()) {
        await stream.writeSSE({ id: String(idOf(r)), event: eventName, data: JSON.stringify(r) });
      }
    }
    while (!stream.aborted) {
      while (queue.length > 0) {
        const r = queue.shift() as T;
        await stream.writeSSE({ id: String(idOf(r)), event: eventName, data: JSON.stringify(r) });
      }
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, 15_000);
        timer.unref();
      });
      clearTimeout(timer);
      wake = undefined;
      if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
    }
    unsubscribe();
  });
}
