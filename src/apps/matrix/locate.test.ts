import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Topology } from '../../engine/topology.js';
import { canonicalHost, HostLocator, LocationError, MatrixLayout } from './locate.js';

/** Two leaves and a spine; leaf ports 49 and 50 are uplinks, the rest are access ports. */
function fabric(): Topology {
  const t = new Topology();
  t.set({
    nodes: {
      'leaf-b': {
        agent: '192.0.2.2',
        ports: { swp1: { ifindex: 1 }, swp2: { ifindex: 2 }, swp49: { ifindex: 49 } },
      },
      'leaf-a': {
        agent: '192.0.2.1',
        ports: { swp10: { ifindex: 10 }, swp2: { ifindex: 2 }, swp49: { ifindex: 49 } },
      },
      spine: { agent: '192.0.2.9', ports: { swp1: { ifindex: 1 }, swp2: { ifindex: 2 } } },
    },
    links: {
      l1: { node1: 'leaf-a', port1: 'swp49', node2: 'spine', port2: 'swp1' },
      l2: { node1: 'leaf-b', port1: 'swp49', node2: 'spine', port2: 'swp2' },
    },
  });
  return t;
}

test('a host is located at the access port it is seen arriving on most; fabric ports do not count', () => {
  const loc = new HostLocator(fabric());
  loc.learn([
    { agent: '192.0.2.1', ifIndex: '2', address: '10.0.0.1', value: 100 },
    // Seen again at the spine and on the uplink of the other leaf: in transit, not at home.
    { agent: '192.0.2.9', ifIndex: '1', address: '10.0.0.1', value: 500 },
    { agent: '192.0.2.2', ifIndex: '49', address: '10.0.0.1', value: 400 },
    { agent: '192.0.2.2', ifIndex: '1', address: '10.0.0.2', value: 10 },
    { agent: '192.0.2.2', ifIndex: '2', address: '10.0.0.2', value: 30 },
    // An agent outside the topology has no EDGE ports.
    { agent: '198.51.100.1', ifIndex: '3', address: '10.0.0.3', value: 99 },
  ]);
  assert.deepEqual(loc.locate('10.0.0.1'), { node: 'leaf-a', ifIndex: '2' });
  assert.deepEqual(loc.locate('10.0.0.2'), { node: 'leaf-b', ifIndex: '2' });
  assert.equal(loc.locate('10.0.0.3'), undefined);
  assert.equal(loc.learnedCount, 2);
});

test('static entries win over learned ones and name the switch by node or agent, the port by ifIndex or name', () => {
  const loc = new HostLocator(fabric());
  loc.learn([{ agent: '192.0.2.1', ifIndex: '2', address: '10.0.0.1', value: 100 }]);
  loc.setStatic({
    '10.0.0.1': { node: 'leaf-b', port: 'swp1' },
    '2001:DB8:0:0::5': { agent: '192.0.2.1', ifindex: 10 },
    '02-00-00-AA-BB-CC': { node: 'leaf-a', ifindex: '2' },
  });
  assert.deepEqual(loc.locate('10.0.0.1'), { node: 'leaf-b', ifIndex: '1' });
  assert.deepEqual(loc.locate('2001:db8::5'), { node: 'leaf-a', ifIndex: '10' });
  assert.deepEqual(loc.locate('02:00:00:aa:bb:cc'), { node: 'leaf-a', ifIndex: '2' });
  assert.deepEqual(Object.keys(loc.staticMap()).sort(), ['02:00:00:aa:bb:cc', '10.0.0.1', '2001:db8::5']);
  // Bad maps are refused whole, naming the entry.
  assert.throws(() => loc.setStatic({ 'not-an-address': { node: 'x', ifindex: 1 } }), LocationError);
  assert.throws(
    () => loc.setStatic({ '10.0.0.9': { node: 'x', agent: 'y', ifindex: 1 } }),
    /exactly one of 'node'/,
  );
  assert.throws(() => loc.setStatic({ '10.0.0.9': { node: 'x' } }), /exactly one of 'ifindex'/);
  assert.throws(() => loc.setStatic([]), LocationError);
  assert.deepEqual(loc.locate('10.0.0.1'), { node: 'leaf-b', ifIndex: '1' });
});

test('layout: nodes sorted by name, ports numerically; position = (node + rank / ports) / nodes', () => {
  const loc = new HostLocator(fabric());
  // A host on a port the topology does not list still gets a slot on its node.
  loc.learn([{ agent: '192.0.2.2', ifIndex: '7', address: '10.0.0.7', value: 1 }]);
  const layout = loc.layout();
  assert.deepEqual(
    layout.nodes.map((n) => [n.name, n.ports]),
    [
      ['leaf-a', ['2', '10', '49']],
      ['leaf-b', ['1', '2', '7', '49']],
      ['spine', ['1', '2']],
    ],
  );
  assert.equal(layout.position({ node: 'leaf-a', ifIndex: '2' }), 0);
  assert.equal(layout.position({ node: 'leaf-a', ifIndex: '10' }), (0 + 1 / 3) / 3);
  assert.equal(layout.position({ node: 'leaf-b', ifIndex: '7' }), (1 + 2 / 4) / 3);
  assert.equal(layout.position({ node: 'spine', ifIndex: '2' }), (2 + 1 / 2) / 3);
  assert.equal(layout.position({ node: 'nowhere', ifIndex: '1' }), undefined);
  assert.equal(layout.position({ node: 'spine', ifIndex: '99' }), undefined);
  assert.deepEqual(
    layout.spans().map((s) => [s.name, s.start, s.end]),
    [
      ['leaf-a', 0, 1 / 3],
      ['leaf-b', 1 / 3, 2 / 3],
      ['spine', 2 / 3, 1],
    ],
  );
});

test('without a topology, a static map alone lays out the axis (agents stand in for node names)', () => {
  const loc = new HostLocator(new Topology());
  loc.setStatic({
    '10.0.0.1': { agent: '192.0.2.1', ifindex: 3 },
    '10.0.0.2': { agent: '192.0.2.1', ifindex: 12 },
    '10.0.0.3': { node: 'rack7', ifindex: 1 },
  });
  const layout = loc.layout();
  assert.deepEqual(
    layout.nodes.map((n) => n.name),
    ['192.0.2.1', 'rack7'],
  );
  assert.equal(layout.position({ node: '192.0.2.1', ifIndex: '12' }), 0.25);
  const sorted = new MatrixLayout(new Map([['n', new Set(['10', '9', 'eth0', '100'])]]));
  assert.deepEqual(sorted.nodes[0].ports, ['9', '10', '100', 'eth0']);
});

test('canonicalHost matches the forms flow keys print', () => {
  assert.equal(canonicalHost('10.1.2.3'), '10.1.2.3');
  assert.equal(canonicalHost('2001:DB8:0::1'), '2001:db8::1');
  assert.equal(canonicalHost('0200000A0B0C'), '02:00:00:0a:0b:0c');
  assert.equal(canonicalHost('02:00:00:0A:0B:0C'), '02:00:00:0a:0b:0c');
  assert.equal(canonicalHost('host.example'), undefined);
});
