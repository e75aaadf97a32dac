import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FlowStore } from './flow-store.js';

type Component = number | string | { code: number };

function setQuery(st: FlowStore, key: Component[]): void {
  st.begin();
  key.forEach((c, i) => {
    if (typeof c === 'number') st.setNumber(i, c);
    else if (typeof c === 'string') st.setString(i, c);
    else st.setCode(i, c.code);
  });
}

const textOf = (key: Component[]) =>
  key.map((c) => (typeof c === 'object' ? `#${c.code}` : `${typeof c}:${String(c)}`)).join('|');

const component: fc.Arbitrary<Component> = fc.oneof(
  fc.integer({ min: 0, max: 5 }),
  fc.constantFrom(-1, 0.5, 2 ** 53, Number.NaN, -0),
  fc.constantFrom('a', 'b', '10.0.0.1', '5'),
  fc.integer({ min: -5, max: -1 }).map((code) => ({ code })),
);

test('find, insert and remove agree with a Map under random churn (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          op: fc.constantFrom('add', 'add', 'remove'),
          source: fc.integer({ min: 0, max: 3 }),
          key: fc.tuple(component, component),
        }),
        { maxLength: 400 },
      ),
      (ops) => {
        const st = new FlowStore(2, 1, 4);
        const model = new Map<string, number>();
        const heads = [-1, -1, -1, -1];
        for (const { op, source, key } of ops) {
          const id = `${source}/${textOf(key)}`;
          setQuery(st, key);
          const e = st.find(source);
          assert.equal(e >= 0, model.has(id), `find ${id}`);
          if (e >= 0) assert.equal(e, model.get(id));
          if (op === 'add' && e < 0) {
            const n = st.insert(source, id, heads[source]);
            heads[source] = n;
            model.set(id, n);
          } else if (op === 'remove' && e >= 0) {
            if (heads[source] === e) heads[source] = st.next[e];
            st.remove(e);
            model.delete(id);
          }
        }
        assert.equal(st.count, model.size);
        for (const [id, e] of model) assert.equal(st.text[e], id);
        // Every list holds exactly its source's entries.
        for (let s = 0; s < 4; s++) {
          let n = 0;
          for (let e = heads[s]; e >= 0; e = st.next[e]) {
            assert.equal(st.source[e], s);
            n++;
          }
          assert.equal(n, [...model.keys()].filter((k) => k.startsWith(`${s}/`)).length);
        }
        // Interned strings are released with the last entry that used them.
        if (model.size === 0) assert.equal(st.internedStrings, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('numbers that are not small non-negative integers key as their text', () => {
  const st = new FlowStore(1, 0);
  setQuery(st, [1.5]);
  st.insert(0, '1.5', -1);
  setQuery(st, ['1.5']);
  assert.ok(st.find(0) >= 0, 'the number 1.5 and the text "1.5" are the same key');
  setQuery(st, [Number.NaN]);
  assert.equal(st.find(0), -1);
  st.insert(0, 'NaN', -1);
  setQuery(st, [Number.NaN]);
  assert.ok(st.find(0) >= 0, 'NaN finds itself');
});

test('grows past its initial size and keeps every entry', () => {
  const st = new FlowStore(3, 2, 4);
  for (let i = 0; i < 10_000; i++) {
    setQuery(st, [i, `s${i % 100}`, { code: -(i % 7) - 1 }]);
    assert.equal(st.find(i % 5), -1);
    const e = st.insert(i % 5, String(i), -1);
    st.state[e * 2] = i;
  }
  for (let i = 0; i < 10_000; i += 37) {
    setQuery(st, [i, `s${i % 100}`, { code: -(i % 7) - 1 }]);
    const e = st.find(i % 5);
    assert.ok(e >= 0);
    assert.equal(st.state[e * 2], i);
  }
});
