/**
 * The web console's files (dist/web, built by web/build.mjs) served by the
 * REST API's HTTP server: `/` is the console, `/assets/...` its bundles.
 *
 * Only these paths are claimed, so API routes are never shadowed; requests
 * cannot leave the root (no '..', no encoded separators, no dot files);
 * content types come from the extension; bundles with a content hash in
 * their name are cached for a year, everything else revalidates (ETag).
 * A precompressed `.gz` beside a file is sent to clients that accept gzip.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The console's own policy: everything from this origin, nothing inline but styles set by script. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** A bundle name with esbuild's content hash, e.g. app-4KQ2ZL7C.js: safe to cache for good. */
const HASHED = /-[A-Z0-9]{8}\.[a-z0-9]+$/;

export interface StaticOptions {
  /** Folder to serve; default dist/web next to the compiled server. */
  root?: string;
}

export function defaultWebRoot(): string {
  // dist/src/api/static.js -> dist/web
  return fileURLToPath(new URL('../../web/', import.meta.url));
}

/**
 * The file a URL path names inside root, or undefined when the path is not a
 * plain relative file path (traversal, dot files, encoded separators, NUL).
 */
export function resolveInside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.length === 0) return undefined;
  for (const s of segments) if (s.startsWith('.')) return undefined;
  const base = path.resolve(root);
  const file = path.resolve(base, ...segments);
  if (!file.startsWith(base + path.sep)) return undefined;
  return file;
}

async function regularFile(file: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const st = await fs.stat(file);
    return st.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

async function send(c: Context, file: string, cacheControl: string): Promise<Response | undefined> {
  const st = await regularFile(file);
  if (st === undefined) return undefined;
  const ext = path.extname(file).toLowerCase();
  const headers: Record<string, string> = {
    'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'cache-control': cacheControl,
    'x-content-type-options': 'nosniff',
    vary: 'accept-encoding',
  };
  if (ext === '.html') {
    headers['content-security-policy'] = CSP;
    headers['referrer-policy'] = 'no-referrer';
    headers['x-frame-options'] = 'DENY';
  }
  let body = file;
  let stat = st;
  if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
    const gz = await regularFile(`${file}.gz`);
    if (gz !== undefined) {
      body = `${file}.gz`;
      stat = gz;
      headers['content-encoding'] = 'gzip';
    }
  }
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}${body === file ? '' : '-gz'}"`;
  headers.etag = etag;
  const match = c.req.header('if-none-match');
  if (match?.split(/\s*,\s*/).includes(etag)) return c.body(null, 304, headers);
  const data = await fs.readFile(body);
  headers['content-length'] = String(data.length);
  return c.body(data, 200, headers);
}

/**
 * Adds the console's routes: GET (and HEAD) `/`, `/index.html`, `/favicon.ico`
 * and `/assets/*`. Mount after the API routes.
 */
export function mountStatic(app: Hono, options: StaticOptions = {}): void {
  const root = options.root ?? defaultWebRoot();
  const notBuilt = (c: Context) =>
    c.json({ status: 404, error: 'the web console is not built here: run npm run build' }, 404);
  const index = async (c: Context) =>
    (await send(c, path.join(root, 'index.html'), 'no-cache')) ?? notBuilt(c);
  app.get('/', index);
  app.get('/index.html', index);
  app.get(
    '/favicon.ico',
    async (c) => (await send(c, path.join(root, 'favicon.ico'), 'public, max-age=86400')) ?? c.notFound(),
  );
  app.get('/assets/*', async (c) => {
    const file = resolveInside(path.join(root, 'assets'), c.req.path.slice('/assets/'.length));
    if (file === undefined) return c.json({ status: 400, error: 'bad asset path' }, 400);
    const cache = HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
    return (await send(c, file, cache)) ?? c.notFound();
  });
}
