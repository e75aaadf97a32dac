import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { escapeLabelValue, prometheusName, prometheusText } from './prometheus.js';
import { MetricQuery } from './query.js';
import { MetricStore } from './store.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the text exposition format (version 0.0.4): comment
 * lines, samples `name{label="value",...} number`, label values with `\\`,
 * `\"` and `\n` escapes. Checks that the samples of a name are contiguous,
 * that a TYPE line comes before them and only once, and that no series repeats.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  assert.ok(text === '' || text.endsWith('\n'), 'ends with a newline');
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const finished = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('#')) {
      const m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      assert.ok(m !== null || line.startsWith('# HELP '), `comment: ${line}`);
      if (m !== null) {
        assert.ok(!types.has(m[1]) && !finished.has(m[1]) && current !== m[1], `TYPE once, first: ${line}`);
        types.set(m[1], m[2]);
      }
      continue;
    }
    const nm = NAME.exec(line);
    assert.ok(nm !== null, `name: ${line}`);
    const name = nm[0];
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i));
        assert.ok(lm !== null, `label at ${i}: ${line}`);
        i += lm[0].length;
        let v = '';
        while (line[i] !== '"') {
          assert.ok(i < line.length, `unterminated label value: ${line}`);
          if (line[i] === '\\') {
            const e = line[i + 1];
            assert.ok(e === '\\' || e === '"' || e === 'n', `escape: ${line}`);
            v += e === 'n' ? '\n' : e;
            i += 2;
          } else {
            v += line[i++];
          }
        }
        i++;
        assert.ok(!(lm[1] in labels), 'label names unique');
        labels[lm[1]] = v;
        if (line[i] === ',') i++;
        else assert.equal(line[i], '}', `after label: ${line}`);
      }
      i++;
    }
    const rest = line.slice(i);
    const vm = /^ (NaN|[+-]Inf|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?: -?\d+)?$/.exec(rest);
    assert.ok(vm !== null, `value: ${line}`);
    if (current !== name) {
      assert.ok(!finished.has(name), `samples of ${name} are contiguous`);
      if (current !== undefined) finished.add(current);
      current = name;
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!series.has(key), `series repeated: ${line}`);
    series.add(key);
    const value =
      vm[1] === 'NaN'
        ? Number.NaN
        : vm[1].endsWith('Inf')
          ? (vm[1][0] === '-' ? -1 : 1) * Infinity
          : Number(vm[1]);
    samples.push({ name, labels, value });
  }
  return { samples, types };
}

const NOW = 50000;

function fixture(): MetricQuery {
  const s = new MetricStore();
  s.update(
    '10.0.0.200',
    '2.1',
    [
      ['host_name', 'cl-leaf1'],
      ['load_one', 0.1],
      ['os_name', 'linux'],
    ],
    NOW,
  );
  s.update(
    '10.0.0.200',
    '3',
    [
      ['ifname', 'swp1'],
      ['ifinoctets', 1234.5],
      ['ifoutoctets', 1e21],
      ['ifadminstatus', 'up'],
    ],
    NOW,
  );
  s.update(
    '10.0.0.201',
    '7',
    [
      ['ifname', 'weird "name"\\with\nnewline'],
      ['ifinoctets', 0],
    ],
    NOW,
  );
  s.setFlowMetric('10.0.0.201', '7', 'my-flow.bytes', 42, undefined, NOW);
  return new MetricQuery(s);
}

test('sflow_<metric>{agent,datasource,host,ifname} value, numeric metrics only', () => {
  const text = prometheusText(fixture(), 'ALL', 'load_one,ifinoctets,os_name', undefined, NOW);
  assert.equal(
    text,
    [
      'sflow_load_one{agent="10.0.0.200",datasource="2.1",host="cl-leaf1"} 0.1',
      'sflow_ifinoctets{agent="10.0.0.200",datasource="3",host="cl-leaf1",ifname="swp1"} 1234.5',
      'sflow_ifinoctets{agent="10.0.0.201",datasource="7",ifname="weird \\"name\\"\\\\with\\nnewline"} 0',
      '',
    ].join('\n'),
  );
  const { samples } = parseExposition(text);
  assert.equal(samples.length, 3);
  assert.equal(samples[2].labels.ifname, 'weird "name"\\with\nnewline');
});

test('ALL/ALL with # TYPE lines and a custom prefix parses back', () => {
  const text = prometheusText(fixture(), 'ALL', 'ALL', undefined, NOW, { prefix: 'rt_', type: true });
  const { samples, types } = parseExposition(text);
  assert.deepEqual(
    samples.map((s) => `${s.name}@${s.labels.agent}/${s.labels.datasource}=${s.value}`),
    [
      'rt_ifinoctets@10.0.0.200/3=1234.5',
      'rt_ifinoctets@10.0.0.201/7=0',
      'rt_ifoutoctets@10.0.0.200/3=1e+21',
      'rt_load_one@10.0.0.200/2.1=0.1',
      'rt_my_flow_bytes@10.0.0.201/7=42',
    ],
  );
  assert.deepEqual([...types.values()], ['gauge', 'gauge', 'gauge', 'gauge']);
  assert.ok(!text.includes('os_name') && !text.includes('ifadminstatus'), 'strings are left out');
});

test('agent selection and filters apply; nothing selected is an empty body', () => {
  const q = fixture();
  const text = prometheusText(q, '10.0.0.201', 'ALL', undefined, NOW);
  assert.equal(parseExposition(text).samples.length, 2);
  assert.equal(prometheusText(q, 'ALL', 'ifinoctets', 'ifname=swp*', NOW).split('\n').length, 2);
  assert.equal(prometheusText(q, '10.9.9.9', 'ALL', undefined, NOW), '');
});

test('names are sanitized; label values always parse back', () => {
  assert.equal(prometheusName('sflow_', 'ai-metrics.bps'), 'sflow_ai_metrics_bps');
  assert.equal(prometheusName('', '9lives'), '_9lives');
  assert.equal(prometheusName('a:', 'b'), 'a_b');
  fc.assert(
    fc.property(
      fc.string({ maxLength: 30, unit: 'binary' }),
      fc.string({ minLength: 1, maxLength: 20 }),
      (label, metric) => {
        const s = new MetricStore();
        s.update(
          'agent"\\',
          '1',
          [
            ['ifname', label],
            [metric, 1.5],
          ],
          0,
        );
        const text = prometheusText(new MetricQuery(s), 'ALL', 'ALL', undefined, 0, { type: true });
        const { samples } = parseExposition(text);
        assert.equal(samples.length, metric === 'ifname' ? 0 : 1);
        if (samples.length === 1) {
          assert.equal(samples[0].labels.agent, 'agent"\\');
          if (label !== '') assert.equal(samples[0].labels.ifname, label);
        }
      },
    ),
  );
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});
