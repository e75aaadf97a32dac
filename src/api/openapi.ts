/**
 * OpenAPI description of the REST API, served at /api-docs. Written by hand
 * so that it documents the sFlow-RT-compatible paths as users call them.
 */
type Op = {
  summary: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
};

const ok = (description: string) => ({ description });
const json = { 'application/json': { schema: { type: 'object' } } };
const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const queryParam = (name: string, description: string, type = 'string') => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type },
});
const agent = pathParam('agent', 'ALL, TOPOLOGY, EDGE, CORE, or agent addresses separated by ; or ,');
const name = pathParam('name', 'name: letters, digits, _ . -');
const crud = (what: string): Record<string, Op> => ({
  get: { summary: `get a ${what}`, parameters: [name], responses: { 200: ok(what), 404: ok('not defined') } },
  put: {
    summary: `define or replace a ${what}`,
    parameters: [name],
    requestBody: { content: json },
    responses: {
      204: ok('accepted'),
      400: ok('invalid, with the reason'),
      401: ok('token needed'),
      403: ok('read-only'),
    },
  },
  delete: {
    summary: `remove a ${what}`,
    parameters: [name],
    responses: { 204: ok('removed'), 404: ok('not defined') },
  },
});

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, Op>> = {
    '/version': { get: { summary: 'software version', responses: { 200: ok('text') } } },
    '/status': { get: { summary: 'OK when running', responses: { 200: ok('text') } } },
    '/analyzer/json': {
      get: { summary: 'analyzer totals: agents, datagrams, samples, losses', responses: { 200: ok('JSON') } },
    },
    '/agents/json': {
      get: {
        summary: 'per-agent counters',
        parameters: [queryParam('agent', 'repeatable filter')],
        responses: { 200: ok('JSON') },
      },
    },
    '/flowkeys/json': {
      get: {
        summary: 'keys seen in recent samples, with ms since last seen',
        responses: { 200: ok('JSON') },
      },
    },
    '/flow/json': { get: { summary: 'all flow definitions', responses: { 200: ok('name -> definition') } } },
    '/flow/{name}/json': crud('flow definition'),
    '/activeflows/{agent}/{name}/json': {
      get: {
        summary: 'top active flows, de-duplicated across data sources',
        parameters: [
          agent,
          name,
          queryParam('maxFlows', 'at most this many', 'integer'),
          queryParam('minValue', 'only flows above this value', 'number'),
          queryParam('aggMode', 'max (default), sum, edge, core or agent'),
          queryParam('filter', 'regular expression on the flow key'),
        ],
        responses: { 200: ok('[{key, value, values?, agent, dataSource}]'), 404: ok('no such flow') },
      },
    },
    '/flowvalue/{agent}/{name}/json': {
      get: {
        summary: "value of one flow key at one data source; name is '<dataSource>.<flow>'",
        parameters: [agent, name, queryParam('key', 'the flow key')],
        responses: { 200: ok('number'), 404: ok('no value') },
      },
    },
    '/group/json': { get: { summary: 'all address group sets', responses: { 200: ok('JSON') } } },
    '/group/{name}/json': crud('group set (label -> [CIDR])'),
    '/map/json': { get: { summary: 'all maps', responses: { 200: ok('JSON') } } },
    '/map/{name}/json': crud('map (label -> [values])'),
    '/threshold/json': { get: { summary: 'all thresholds', responses: { 200: ok('JSON') } } },
    '/threshold/{name}/json': crud('threshold {metric, value, byFlow, timeout, filter}'),
    '/events/json': {
      get: {
        summary: 'threshold events, newest first; long-polls with timeout',
        parameters: [
          queryParam('eventID', 'only events after this id', 'integer'),
          queryParam('thresholdID', 'only this threshold'),
          queryParam('maxEvents', 'at most this many', 'integer'),
          queryParam('timeout', 'seconds to wait for a first event', 'number'),
        ],
        responses: { 200: ok('[event]') },
      },
    },
    '/flows/json': {
      get: {
        summary: 'logged flows (log: true), newest first; long-polls with timeout',
        parameters: [
          queryParam('flowID', 'only flows after this id', 'integer'),
          queryParam('name', 'only this flow definition'),
          queryParam('maxFlows', 'at most this many', 'integer'),
          queryParam('timeout', 'seconds to wait for a first record', 'number'),
        ],
        responses: { 200: ok('[flow record]') },
      },
    },
    '/flows/sse': {
      get: {
        summary: 'server-sent logged flows; honours Last-Event-ID',
        responses: { 200: ok('text/event-stream') },
      },
    },
    '/metrics/json': {
      get: { summary: 'metric names with ms since last seen', responses: { 200: ok('JSON') } },
    },
    '/metric/{agent}/json': {
      get: {
        summary: 'all metrics of an agent',
        parameters: [agent],
        responses: { 200: ok('JSON'), 404: ok('unknown agent') },
      },
    },
    '/metric/{agent}/{metric}/json': {
      get: {
        summary:
          'summary statistics across data sources; metric = [aggregation:]name list; query string filters data sources',
        parameters: [agent, pathParam('metric', 'e.g. max:ifinutilization,sum:ifinoctets')],
        responses: { 200: ok('[Statistic]'), 400: ok('bad metric specification') },
      },
    },
    '/table/{agent}/{metric}/json': {
      get: {
        summary: 'metrics tabulated per data source',
        parameters: [agent, pathParam('metric', 'metric list')],
        responses: { 200: ok('rows') },
      },
    },
    '/dump/{agent}/{metric}/json': {
      get: {
        summary: 'raw metric values (metric may be ALL)',
        parameters: [agent, pathParam('metric', 'metric list or ALL')],
        responses: { 200: ok('[Metric]') },
      },
    },
    '/prometheus/analyzer/txt': {
      get: { summary: 'analyzer totals, Prometheus text', responses: { 200: ok('text') } },
    },
    '/prometheus/metrics/{agent}/{metric}/txt': {
      get: {
        summary: 'metrics in Prometheus text (ALL/ALL allowed)',
        parameters: [agent, pathParam('metric', 'metric list or ALL')],
        responses: { 200: ok('text') },
      },
    },
    '/app/prometheus/scripts/export.js/flows/{agents}/txt': {
      get: {
        summary:
          'flow exporter of the sFlow-RT prometheus app; the flow is defined on first scrape, removed after 5 idle minutes',
        parameters: [
          pathParam('agents', 'ALL or a list'),
          queryParam('key', 'flow key (repeatable)'),
          queryParam('value', 'bytes, frames, ...'),
          queryParam('metric', 'metric name'),
          queryParam('label', 'label names for the keys (repeatable)'),
          queryParam('filter', 'flow filter'),
          queryParam('scale', 'factor', 'number'),
          queryParam('maxFlows', 'at most this many', 'integer'),
          queryParam('minValue', 'only flows above this', 'number'),
          queryParam('aggMode', 'max, sum, edge, core'),
          queryParam('t', 'smoothing seconds', 'number'),
          queryParam('n', 'flows per data source', 'integer'),
          queryParam('dropped', 'true for dropped-packet flows'),
        ],
        responses: { 200: ok('text'), 400: ok('invalid') },
      },
    },
    '/events/sse': {
      get: {
        summary: 'server-sent events of thresholds; honours Last-Event-ID',
        responses: { 200: ok('text/event-stream') },
      },
    },
    '/topology/json': {
      get: { summary: 'the topology, with version', responses: { 200: ok('JSON') } },
      put: {
        summary: 'set the topology {nodes, links}',
        requestBody: { content: json },
        responses: { 204: ok('accepted'), 400: ok('invalid') },
      },
    },
    '/metrics': {
      get: { summary: "flowlens's own health metrics, Prometheus text", responses: { 200: ok('text') } },
    },
  };
  return {
    openapi: '3.0.3',
    info: {
      title: 'flowlens REST API',
      version,
      description:
        'Path-compatible with the sFlow-RT REST API. Errors are JSON {status, error} with the reason.',
    },
    paths,
  };
}
