/**
 * The app's REST paths, as sFlow-RT serves them under
 * /app/ai-metrics/scripts/metrics.js/ (so its UI, the Grafana dashboard and
 * Prometheus scrape configurations work unchanged):
 *
 *   metric/json           every point of the last second
 *   metric/{name}/json    one point (a number, or for operations / drops a key → value map)
 *   prometheus/txt        the points in Prometheus text format
 *   trend/json?after=ms   the trend, only points after `after` when given
 *   period/json           the period detector: {value, period, threshold, baselineLoad, baselinePeriod}
 */
import { type Context, Hono } from 'hono';
import { escapeLabelValue, prometheusName } from '../../engine/metrics/index.js';
import { type AiMetricsApp, type AiPoints, FAMILY_POINTS, type FamilyPoint, NUMERIC_POINTS } from './app.js';

function fail(c: Context, status: 400 | 404, message: string): Response {
  return c.json({ status, error: message }, status);
}

function formatValue(v: number): string {
  return Number.isFinite(v) ? String(v) : 'NaN';
}

/**
 * The points as Prometheus gauges: `<prefix>ai_<name> <value>` for the
 * numeric points, `<prefix>ai_operations{name="RC:SEND_ONLY"} <value>` and
 * `<prefix>ai_drops{reason="..."} <value>` for the families.
 */
export function prometheusText(points: AiPoints, prefix = 'sflow_', types = true): string {
  const lines: string[] = [];
  for (const name of NUMERIC_POINTS) {
    const metric = prometheusName(prefix, `ai_${name}`);
    if (types) lines.push(`# TYPE ${metric} gauge`);
    lines.push(`${metric} ${formatValue(points[name])}`);
  }
  for (const [family, label] of Object.entries(FAMILY_POINTS) as [FamilyPoint, string][]) {
    const entries = Object.entries(points[family]);
    if (entries.length === 0) continue;
    const metric = prometheusName(prefix, `ai_${family}`);
    if (types) lines.push(`# TYPE ${metric} gauge`);
    for (const [key, v] of entries)
      lines.push(`${metric}{${label}="${escapeLabelValue(key)}"} ${formatValue(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The handlers, to be mounted at AiMetricsApp.PATH. */
export function aiMetricsRoutes(app: AiMetricsApp): Hono {
  const r = new Hono();
  r.get('/metric/json', (c) => c.json(app.points()));
  r.get('/metric/:name/json', (c) => {
    const name = c.req.param('name');
    const points = app.points();
    if (!Object.hasOwn(points, name)) return fail(c, 404, `no metric '${name}'`);
    return c.json(points[name as keyof AiPoints]);
  });
  r.get('/prometheus/txt', (c) =>
    c.text(
      prometheusText(app.points(), app.settings['prometheus.metric.prefix'], app.settings['prometheus.type']),
      200,
      { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
    ),
  );
  r.get('/trend/json', (c) => {
    const raw = c.req.query('after');
    let after: number | undefined;
    if (raw !== undefined && raw !== '') {
      after = Number(raw);
      if (!Number.isFinite(after)) return fail(c, 400, "query parameter 'after' must be a time in ms");
    }
    return c.json({ trend: app.trend.after(after) });
  });
  r.get('/period/json', (c) => c.json(app.periodStatus(app.now())));
  return r;
}
