/**
 * HTTP for the traffic matrix, mounted at /app/matrix:
 *
 *   GET /app/matrix/json?mode=range&start=10.0.0.0&end=10.255.255.255&inset=0.05&layer=&value=bytes&maxFlows=1000
 *   GET /app/matrix/json?mode=topology&family=ip
 *   GET /app/matrix/hosts/json            the static host map, and how many hosts were learned
 *   PUT /app/matrix/hosts/json            {"10.0.0.1": {"node": "leaf1", "port": "swp1"}, ...}
 *
 * Errors are JSON {status, error} like the rest of the API.
 */
import { Hono } from 'hono';
import { LimitError } from '../../engine/engine.js';
import { DefinitionError } from '../../engine/flow-def.js';
import { LocationError } from './locate.js';
import { MatrixError, type MatrixService } from './matrix.js';
import { AddressRangeError } from './scale.js';

const BAD_REQUEST = [MatrixError, AddressRangeError, LocationError, LimitError, DefinitionError];

export interface MatrixRouteOptions {
  /** Called after the static host map changed. */
  changed?: () => void;
}

export function matrixRoutes(matrix: MatrixService, options: MatrixRouteOptions = {}): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    if (BAD_REQUEST.some((E) => err instanceof E)) return c.json({ status: 400, error: err.message }, 400);
    return c.json({ status: 500, error: 'internal error' }, 500);
  });
  app.get('/json', (c) => {
    const body = matrix.query((name) => c.req.query(name));
    c.header('cache-control', 'no-store');
    return c.json(body);
  });
  app.get('/hosts/json', (c) =>
    c.json({ hosts: matrix.locator.staticMap(), learned: matrix.locator.learnedCount }),
  );
  app.put('/hosts/json', async (c) => {
    const text = await c.req.text();
    if (text.length > 16 << 20) return c.json({ status: 413, error: 'request body larger than 16 MiB' }, 413);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return c.json({ status: 400, error: `request body is not valid JSON: ${(err as Error).message}` }, 400);
    }
    matrix.locator.setStatic(body);
    options.changed?.();
    return c.body(null, 204);
  });
  return app;
}
