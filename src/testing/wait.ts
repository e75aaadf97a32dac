/** Polls `cond` until it holds; throws naming `what` after `timeoutMs`. Loaded machines drain sockets late. */
export async function waitUntil(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
