/**
 * The files of deploy/ against real servers: Debian's Prometheus (package
 * prometheus) scrapes a demo flowlens (the built-in simulated AI fabric)
 * with deploy/prometheus/prometheus.yml, its targets rewritten to the
 * collector's ephemeral port and every interval cut to 1 s. Through
 * Prometheus's query API the test checks that the sflow_ai_* gauges arrive
 * with plausible values, that flowlens's health and interface metrics
 * arrive, and that every query of the Grafana dashboards in
 * deploy/grafana/dashboards parses and, for the AI panels, returns data.
 *
 * Skipped when /usr/bin/prometheus is absent; CI installs the package.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FAMILY_POINTS, NUMERIC_POINTS } from '../apps/ai-metrics/index.js';
import { startTestCollector, type TestCollector } from '../testing/collector.js';
import { type InstantSample, PROMETHEUS, PROMTOOL, PrometheusServer } from '../testing/prometheus.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const PROMETHEUS_YML = path.join(repo, 'deploy/prometheus/prometheus.yml');
const DASHBOARDS = path.join(repo, 'deploy/grafana/dashboards');
const PROVISIONING = path.join(repo, 'deploy/grafana/provisioning');
/** The collector address the example configuration scrapes (flowlens run's default HTTP port). */
const EXAMPLE_TARGET = 'localhost:8008';
const DS_VARIABLE = 'DS_PROMETHEUS';

// --- the dashboards ---------------------------------------------------------------------

interface Datasource {
  type?: string;
  uid?: string;
}
interface Target {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  datasource?: Datasource;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: Datasource;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name?: string;
  type?: string;
  query?: unknown;
  definition?: string;
  datasource?: Datasource;
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

interface DashboardFile {
  file: string;
  dashboard: Dashboard;
  /** Every panel, rows' nested panels included. */
  panels: Panel[];
}

function loadDashboards(): DashboardFile[] {
  const files = readdirSync(DASHBOARDS)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return files.map((file) => {
    const dashboard = JSON.parse(readFileSync(path.join(DASHBOARDS, file), 'utf8')) as Dashboard;
    const panels: Panel[] = [];
    const walk = (list: Panel[] | undefined) => {
      for (const p of list ?? []) {
        panels.push(p);
        walk(p.panels);
      }
    };
    walk(dashboard.panels);
    return { file, dashboard, panels };
  });
}

/**
 * A panel's query as Grafana sends it: the dashboard variables replaced by
 * their values. An unknown variable throws, so a typo in a dashboard fails.
 */
function interpolate(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    const v = values[name];
    if (v === undefined) throw new Error(`unknown dashboard variable ${whole} in ${expr}`);
    return v;
  });
}

/** label_values(metric, label), the variable query the dashboards use, as PromQL. */
function variableQuery(v: Variable): string | undefined {
  const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
  const m = q === undefined ? null : /^label_values\((.+),\s*(\w+)\)$/.exec(q.trim());
  return m === null ? undefined : `count by (${m[2]}) (${m[1]})`;
}

const dashboards = loadDashboards();
const aiDashboard = dashboards.find((d) => d.dashboard.uid === 'flowlens-ai-metrics');

test('the dashboards are well-formed Grafana JSON that imports on any Prometheus datasource', () => {
  assert.ok(dashboards.length >= 2, `dashboards in ${DASHBOARDS}: ${dashboards.map((d) => d.file)}`);
  assert.ok(aiDashboard !== undefined, 'an AI metrics dashboard (uid flowlens-ai-metrics)');
  const uids = new Set<string>();
  for (const { file, dashboard, panels } of dashboards) {
    const where = (what: string) => `${file}: ${what}`;
    // Grafana accepts uids of at most 40 characters.
    assert.match(dashboard.uid ?? '', /^[a-zA-Z0-9_-]{1,40}$/, where('uid'));
    assert.ok(!uids.has(dashboard.uid ?? ''), where(`uid ${dashboard.uid} used twice`));
    uids.add(dashboard.uid ?? '');
    assert.ok((dashboard.title ?? '') !== '', where('title'));
    assert.equal(typeof dashboard.schemaVersion, 'number', where('schemaVersion'));

    // A datasource variable, so the dashboard works whatever the datasource is called.
    const vars = dashboard.templating?.list ?? [];
    const ds = vars.find((v) => v.name === DS_VARIABLE);
    assert.ok(ds !== undefined, where(`a ${DS_VARIABLE} variable`));
    assert.equal(ds.type, 'datasource', where(`${DS_VARIABLE} is a datasource variable`));
    assert.equal(ds.query, 'prometheus', where(`${DS_VARIABLE} lists Prometheus datasources`));
    for (const v of vars) {
      if (v.type === 'query')
        assert.equal(v.datasource?.uid, `\${${DS_VARIABLE}}`, where(`variable ${v.name} datasource`));
    }

    const ids = new Set<number>();
    // Cells taken on the 24-column grid: panels must not overlap.
    const taken = new Map<string, string>();
    for (const p of panels) {
      const title = p.title ?? `panel ${p.id}`;
      assert.equal(typeof p.id, 'number', where(`${title}: id`));
      assert.ok(!ids.has(p.id ?? -1), where(`panel id ${p.id} used twice`));
      ids.add(p.id ?? -1);
      const g = p.gridPos;
      assert.ok(g !== undefined, where(`${title}: gridPos`));
      assert.ok(g.x >= 0 && g.y >= 0 && g.w >= 1 && g.h >= 1 && g.x + g.w <= 24, where(`${title}: gridPos`));
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const other = taken.get(`${x},${y}`);
          assert.equal(other, undefined, where(`${title} overlaps ${other}`));
          taken.set(`${x},${y}`, title);
        }
      }
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, `\${${DS_VARIABLE}}`, where(`${title}: datasource`));
      const targets = p.targets ?? [];
      assert.ok(targets.length > 0, where(`${title}: no queries`));
      const refIds = new Set<string>();
      for (const t of targets) {
        assert.ok((t.expr ?? '').trim() !== '', where(`${title}: empty query`));
        assert.equal(t.datasource?.uid, `\${${DS_VARIABLE}}`, where(`${title}: query datasource`));
        assert.ok(t.refId !== undefined && !refIds.has(t.refId), where(`${title}: refId ${t.refId}`));
        refIds.add(t.refId);
      }
    }
  }

  // The AI dashboard shows every point the ai-metrics app exports.
  const exprs = aiDashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).join('\n');
  for (const name of [...NUMERIC_POINTS, ...Object.keys(FAMILY_POINTS)]) {
    assert.match(exprs, new RegExp(`\\bsflow_ai_${name}(?![a-zA-Z0-9_])`), `no panel shows sflow_ai_${name}`);
  }
  assert.ok(aiDashboard.panels.filter((p) => p.type !== 'row').length >= 12, 'the twelve AI panels at least');
});

test('the Grafana provisioning files point at the dashboards and a Prometheus datasource', () => {
  const provider = readFileSync(path.join(PROVISIONING, 'dashboards/flowlens.yml'), 'utf8');
  assert.match(provider, /^\s*type: file\s*$/m);
  const dir = /^\s*path:\s*(\S+)\s*$/m.exec(provider)?.[1];
  assert.ok(dir !== undefined, 'the file provider names a path');
  // docs/grafana.md mounts deploy/grafana/dashboards exactly there.
  const docs = readFileSync(path.join(repo, 'docs/grafana.md'), 'utf8');
  assert.ok(
    docs.includes(`deploy/grafana/dashboards:${dir}`),
    `docs/grafana.md mounts the dashboards at ${dir}`,
  );
  assert.ok(docs.includes('deploy/grafana/provisioning:/etc/grafana/provisioning'));
  const datasource = readFileSync(path.join(PROVISIONING, 'datasources/flowlens.yml'), 'utf8');
  assert.match(datasource, /^\s*type: prometheus\s*$/m);
  assert.match(
    datasource,
    /^\s*isDefault: true\s*$/m,
    'the default datasource, which the DS variable starts on',
  );
});

test('promtool accepts the example prometheus.yml', {
  skip: existsSync(PROMTOOL) ? false : `${PROMTOOL} not found (Debian package prometheus)`,
}, async () => {
  const { stdout } = await promisify(execFile)(PROMTOOL, ['check', 'config', PROMETHEUS_YML]);
  assert.match(stdout, /SUCCESS/);
});

// --- Prometheus scraping a demo flowlens -------------------------------------------------

/**
 * Every interval of the test configuration. Short, so data arrives within seconds; not
 * shorter, because the scrape timeout is at most the interval and the demo collector
 * (simulation included) shares this process and the machine with other tests: a scrape
 * that times out marks every series of its target stale until the next one succeeds.
 */
const SCRAPE_INTERVAL = '2s';
/** How long a check waits for data that a slow scrape made stale to come back. */
const SETTLE_MS = 12_000;

/** The example configuration, scraping `instance` every SCRAPE_INTERVAL. */
function testConfig(instance: string): { text: string; targets: number; jobs: string[] } {
  const example = readFileSync(PROMETHEUS_YML, 'utf8');
  const targets = example.split(`"${EXAMPLE_TARGET}"`).length - 1;
  assert.ok(targets > 0, `prometheus.yml scrapes ${EXAMPLE_TARGET}`);
  const jobs = [...example.matchAll(/^\s*- job_name:\s*(\S+)\s*$/gm)].map((m) => m[1]);
  const text = example
    .replaceAll(`"${EXAMPLE_TARGET}"`, `"${instance}"`)
    .replace(/^(\s*(?:scrape|evaluation)_interval:\s*)\S+/gm, `$1${SCRAPE_INTERVAL}`);
  return { text, targets, jobs };
}

/** Data may legitimately be absent in the demo for these queries (the reason says why). */
const MAY_BE_EMPTY: [RegExp, string][] = [
  [/flowlens_decode_errors_total/, 'the decode-error gauge has no series until an error occurs'],
];

const skip = existsSync(PROMETHEUS)
  ? false
  : `${PROMETHEUS} not found: install Debian's prometheus package (apt-get install prometheus) to run this test`;

describe('Prometheus scraping a demo flowlens with deploy/prometheus/prometheus.yml', { skip }, () => {
  let tmp = '';
  let tc: TestCollector | undefined;
  let prom: PrometheusServer | undefined;
  let instance = '';
  let config: ReturnType<typeof testConfig>;
  /** Dashboard variables as Grafana would fill them in. */
  let variables: Record<string, string> = {};
  /** What the start-up wait was still waiting for when it gave up ('' when everything arrived). */
  let waitedFor = '';

  const value = (s: InstantSample) => Number(s.value[1]);
  /** Polls `get` until `done` holds or SETTLE_MS pass; returns the last answer either way. */
  const eventually = async <T>(get: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const v = await get();
      if (done(v) || Date.now() > deadline) return v;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  /** A query's samples, waiting out a stale spell (see SCRAPE_INTERVAL) when it has none. */
  const samples = (expr: string) => {
    const server = prom;
    assert.ok(server !== undefined);
    return eventually(
      () => server.samples(expr),
      (r) => r.length > 0,
    );
  };
  /** The one sample of a single-series query. */
  const one = async (expr: string): Promise<number> => {
    const r = await samples(expr);
    assert.equal(r.length, 1, `${expr}: want one series, got ${JSON.stringify(r.map((s) => s.metric))}`);
    return value(r[0]);
  };
  const panelQueries = (d: DashboardFile) =>
    d.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ title: p.title ?? '', expr: interpolate(t.expr ?? '', variables) })),
    );

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'flowlens-prometheus-'));
    // The test collector's sFlow listener (unused by the demo) makes the per-listener health gauges exist.
    tc = await startTestCollector({ flags: { demo: true }, stateDir: path.join(tmp, 'state') });
    instance = `127.0.0.1:${tc.collector.ports.http}`;
    // Grafana makes $__rate_interval span four scrape intervals (the datasource's timeInterval).
    variables = { instance, __rate_interval: '10s', __interval: SCRAPE_INTERVAL, __range: '1m' };
    config = testConfig(instance);
    const configFile = path.join(tmp, 'prometheus.yml');
    writeFileSync(configFile, config.text);
    prom = await PrometheusServer.start({ configFile, dataDir: path.join(tmp, 'tsdb') });

    // Wait until every target is up and every panel that should show data does: the
    // app needs a few seconds of traffic, rates two scrapes, and the services job's
    // flows exist only from their first scrape on. The tests below say what is missing.
    const wanted = dashboards
      .flatMap(panelQueries)
      .filter((q) => !MAY_BE_EMPTY.some(([re]) => re.test(q.expr)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const targets = await prom.targets();
      const down = targets.filter((t) => t.health !== 'up');
      waitedFor =
        targets.length !== config.targets || down.length > 0
          ? `targets: ${targets.length} of ${config.targets}, down: ${down.map((t) => `${t.scrapeUrl} ${t.lastError}`).join('; ')}`
          : '';
      for (const q of wanted) {
        if (waitedFor !== '') break;
        const r = await prom.query(q.expr);
        if (r.status !== 200 || r.body.data.result.length === 0)
          waitedFor = `no data yet for "${q.title}": ${q.expr}`;
      }
      if (waitedFor === '' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  after(async () => {
    try {
      await prom?.stop();
      await tc?.stop();
    } finally {
      if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('every scrape target is up', async (t) => {
    assert.ok(prom !== undefined);
    if (waitedFor !== '') t.diagnostic(`gave up waiting after 30 s: ${waitedFor}`);
    const server = prom;
    const targets = await eventually(
      () => server.targets(),
      (list) => list.length === config.targets && list.every((x) => x.health === 'up'),
    );
    const log = prom.log();
    assert.equal(
      targets.length,
      config.targets,
      `targets: ${JSON.stringify(targets.map((t) => t.scrapeUrl))}`,
    );
    for (const t of targets) {
      assert.equal(t.health, 'up', `${t.scrapeUrl}: ${t.health} ${t.lastError}\n${log}`);
      assert.equal(t.lastError, '', t.scrapeUrl);
      assert.equal(t.labels.instance, instance);
    }
    assert.deepEqual(new Set(targets.map((t) => t.labels.job)), new Set(config.jobs));
  });

  test('the sflow_ai_* gauges arrive, once each, with plausible values', async (t) => {
    // Only the ai-metrics job exports sflow_ai_* (the interfaces job drops the app's per-port flows).
    const jobs = await samples('count by (job) ({__name__=~"sflow_ai_.+"})');
    assert.deepEqual(
      jobs.map((s) => s.metric.job),
      ['flowlens-ai-metrics'],
    );
    // One query, so every value comes from the same scrape and the cross-checks below hold exactly.
    const all = await eventually(
      () => samples(`{__name__=~"sflow_ai_.+", instance="${instance}"}`),
      (r) => NUMERIC_POINTS.every((n) => r.some((x) => x.metric.__name__ === `sflow_ai_${n}`)),
    );
    const v: Record<string, number> = {};
    for (const name of NUMERIC_POINTS) {
      const series = all.filter((x) => x.metric.__name__ === `sflow_ai_${name}`);
      assert.equal(series.length, 1, `sflow_ai_${name}: ${JSON.stringify(series.map((x) => x.metric))}`);
      v[name] = value(series[0]);
      assert.ok(Number.isFinite(v[name]) && v[name] >= 0, `sflow_ai_${name} = ${v[name]}`);
    }
    // Traffic enters the fabric, RDMA operations run and their lengths are ones a RETH can carry (32 bits).
    assert.ok(v.bps > 1e6 && v.bps < 1e15, `bps ${v.bps}`);
    assert.ok(v.rdma_ops > 0, `rdma_ops ${v.rdma_ops}`);
    assert.ok(v.rdma_bytes >= 1 && v.rdma_bytes <= 2 ** 32, `rdma_bytes ${v.rdma_bytes}`);
    // AETH credit counts are 5-bit fields.
    assert.ok(
      v.aeth_credits_min <= v.aeth_credits_avg && v.aeth_credits_avg <= v.aeth_credits_max,
      `credits ${v.aeth_credits_min} ${v.aeth_credits_avg} ${v.aeth_credits_max}`,
    );
    assert.ok(v.aeth_credits_max <= 31 && v.aeth_credits_max > 0, `credits max ${v.aeth_credits_max}`);
    for (const scope of ['core', 'edge']) {
      const q = ['min', 'q1', 'med', 'q3', 'max'].map((k) => v[`${scope}_${k}_bps`]);
      for (let i = 1; i < q.length; i++) assert.ok(q[i - 1] <= q[i], `${scope} quartiles out of order: ${q}`);
      // The demo has a leaf-spine topology: both core and edge links carry traffic.
      assert.ok(q[4] > 0, `${scope}_max_bps ${q[4]}`);
    }
    // bps is the sum over the edge ports whose distribution the edge quartiles describe (same scrape).
    assert.ok(v.edge_max_bps <= v.bps * (1 + 1e-9), `edge_max_bps ${v.edge_max_bps} > bps ${v.bps}`);
    // Congested links in the simulated fabric send congestion notifications.
    assert.ok(v.cnp_pps > 0, `cnp_pps ${v.cnp_pps}`);
    assert.ok(v.period === 0 || (v.period >= 0.05 && v.period <= 60), `period ${v.period} s`);

    // Report points that stayed 0 the whole run (not an error in itself: see the message).
    const flat: string[] = [];
    for (const name of NUMERIC_POINTS) {
      if ((await one(`max_over_time(sflow_ai_${name}{instance="${instance}"}[5m])`)) === 0) flat.push(name);
    }
    if (flat.length > 0) t.diagnostic(`sflow_ai_* always 0 in the demo so far: ${flat.join(', ')}`);
  });

  test('the operations and drop reasons families carry their labels', async () => {
    const ops = await samples(`sflow_ai_operations{instance="${instance}"}`);
    assert.ok(ops.length >= 1 && ops.length <= 5, `top-5 operations: ${ops.length}`);
    for (const s of ops) {
      // transport:opcode name, e.g. RC:RDMA_WRITE_MIDDLE
      assert.match(s.metric.name ?? '', /^[A-Z]+:[A-Z_]+$/);
      assert.ok(value(s) > 0, `${s.metric.name} ${value(s)}`);
    }
    const drops = await samples(`sflow_ai_drops{instance="${instance}"}`);
    assert.ok(drops.length >= 1 && drops.length <= 5, `top-5 drop reasons: ${drops.length}`);
    for (const s of drops) {
      assert.ok((s.metric.reason ?? '') !== '', 'a reason label');
      assert.ok(value(s) > 0, `${s.metric.reason} ${value(s)}`);
    }
  });

  test("flowlens's health metrics arrive", async () => {
    const sel = `{instance="${instance}"}`;
    assert.ok((await one(`flowlens_datagrams_received_total{protocol="sflow5",instance="${instance}"}`)) > 0);
    assert.ok((await one(`flowlens_sflow_samples_total${sel}`)) > 0);
    assert.ok((await one(`flowlens_agents${sel}`)) > 0);
    // A listener for each UDP port, and its kernel drop count.
    assert.equal((await samples(`flowlens_udp_datagrams_total${sel}`)).length, 1);
    assert.equal((await samples(`flowlens_udp_kernel_drops_total${sel}`)).length, 1);
    assert.ok((await one(`flowlens_sflow_sequence_gaps_total${sel}`)) >= 0);
    assert.ok((await one(`flowlens_process_nodejs_eventloop_lag_p99_seconds${sel}`)) >= 0);
    assert.ok((await one(`flowlens_process_process_resident_memory_bytes${sel}`)) > 1e6);
    assert.ok((await samples(`flowlens_flow_entries${sel}`)).length > 0);
  });

  test('interface counters and cluster services arrive', async (t) => {
    const ifIn = await samples(`sflow_ifinoctets{job="flowlens-interfaces",instance="${instance}"}`);
    assert.ok(ifIn.length > 10, `ports: ${ifIn.length}`);
    for (const s of ifIn.slice(0, 20)) {
      assert.ok(s.metric.agent !== undefined && s.metric.datasource !== undefined);
      assert.ok(value(s) >= 0);
    }
    const util = await samples(`sflow_ifinutilization{instance="${instance}"}`);
    assert.ok(util.some((s) => value(s) > 0));
    // A percentage. Checked on the simulated fabric's switches (the topology); the demo's
    // other agents are reported, not failed, when they exceed it.
    assert.ok(tc !== undefined);
    const fabric = tc.collector.engine.topology.agents();
    assert.ok(fabric.size > 0, 'the demo loads a topology');
    const over = util.filter((s) => value(s) > 100.5);
    const overFabric = over.filter((s) => fabric.has(s.metric.agent ?? ''));
    assert.deepEqual(
      overFabric.map((s) => `${s.metric.agent}:${s.metric.datasource} ${value(s)}`),
      [],
      'fabric ports above 100% utilization',
    );
    assert.ok(util.every((s) => value(s) >= 0));
    if (over.length > 0)
      t.diagnostic(
        `${over.length} ports of agents outside the topology above 100% utilization, e.g. ${over
          .slice(0, 3)
          .map((s) => `${s.metric.agent}:${s.metric.datasource} ${value(s).toFixed(0)}%`)
          .join(', ')}`,
      );

    // Lustre carries the bulk of the simulated services' traffic. Each service's flow is
    // defined by its first scrape, so the services appear over a few scrapes.
    const lustre = (r: InstantSample[]) => r.some((s) => s.metric.service === 'Lustre' && value(s) > 0);
    const services = await eventually(
      () => samples(`sum by (service) (sflow_cluster_service_bps{instance="${instance}"})`),
      lustre,
    );
    const by = new Map(services.map((s) => [s.metric.service, value(s)]));
    assert.ok((by.get('Lustre') ?? 0) > 0, `services: ${JSON.stringify([...by])}`);
  });

  test('every dashboard query parses, and returns data where the demo has some', async (t) => {
    for (const d of dashboards) {
      for (const v of d.dashboard.templating?.list ?? []) {
        const q = variableQuery(v);
        if (q === undefined) continue;
        const r = await samples(q);
        assert.ok(
          r.some((s) => s.metric.instance === instance),
          `${d.file}: variable ${v.name} (${q}) lists ${instance}`,
        );
      }
      for (const { title, expr } of panelQueries(d)) {
        const server = prom;
        assert.ok(server !== undefined);
        const empty = MAY_BE_EMPTY.some(([re]) => re.test(expr));
        const { status, body } = await eventually(
          () => server.query(expr),
          (r) => r.status !== 200 || empty || r.body.data.result.length > 0,
        );
        assert.equal(status, 200, `${d.file} "${title}": ${expr}: ${body.errorType} ${body.error}`);
        assert.equal(body.status, 'success');
        if (empty) {
          if (body.data.result.length === 0)
            t.diagnostic(`"${title}" has no data: ${MAY_BE_EMPTY.find(([re]) => re.test(expr))?.[1]}`);
          continue;
        }
        assert.ok(body.data.result.length > 0, `${d.file} "${title}": no data for ${expr}`);
        for (const s of body.data.result)
          assert.ok(Number.isFinite(value(s)), `${d.file} "${title}": ${expr} = ${s.value[1]}`);
      }
    }
  });
});
