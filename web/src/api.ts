/**
 * Talking to the flowlens REST API from the console: JSON fetches with the
 * optional bearer token, errors that carry the API's message, and a poller
 * that never overlaps requests and stops when its page goes away.
 */

const TOKEN_KEY = 'flowlens.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function token(): string | undefined {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function setToken(value: string | undefined): void {
  try {
    if (value === undefined || value === '') localStorage.removeItem(TOKEN_KEY);
    else localStorage.setItem(TOKEN_KEY, value);
  } catch {
    // Storage may be unavailable (private mode); the token then lasts for this page only.
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token();
  return t === undefined ? extra : { ...extra, authorization: `Bearer ${t}` };
}

async function failure(r: Response): Promise<ApiError> {
  let message = `${r.status} ${r.statusText}`;
  try {
    const body = (await r.json()) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(r.status, message);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const r = await fetch(path, {
    headers: headers({ accept: 'application/json' }),
    signal,
    cache: 'no-store',
  });
  if (!r.ok) throw await failure(r);
  return (await r.json()) as T;
}

export async function getText(path: string, signal?: AbortSignal): Promise<string> {
  const r = await fetch(path, { headers: headers(), signal, cache: 'no-store' });
  if (!r.ok) throw await failure(r);
  return r.text();
}

export async function putJson(path: string, body: unknown): Promise<void> {
  const r = await fetch(path, {
    method: 'PUT',
    headers: headers({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  });
  if (!r.ok) throw await failure(r);
}

/** DELETE; `keepalive` lets it finish while the page unloads. A 404 (already gone) is fine. */
export async function del(path: string, keepalive = false): Promise<void> {
  const r = await fetch(path, { method: 'DELETE', headers: headers(), keepalive });
  if (!r.ok && r.status !== 404) throw await failure(r);
}

/**
 * Calls `tick` now and then every `ms` after each call settles (so slow
 * answers never pile up). Returns a stop function; `tick` gets a signal that
 * aborts on stop.
 */
export function poll(ms: number, tick: (signal: AbortSignal) => Promise<void>): () => void {
  const ctl = new AbortController();
  let timer: number | undefined;
  const run = async () => {
    if (ctl.signal.aborted) return;
    const started = performance.now();
    try {
      await tick(ctl.signal);
    } catch (err) {
      if (!ctl.signal.aborted) console.warn('poll failed', err);
    }
    if (ctl.signal.aborted) return;
    timer = window.setTimeout(run, Math.max(50, ms - (performance.now() - started)));
  };
  void run();
  return () => {
    ctl.abort();
    if (timer !== undefined) clearTimeout(timer);
  };
}

/** True for an AbortError (a request cancelled because its page went away). */
export function aborted(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
