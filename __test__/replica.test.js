'use strict';
// lib/optimistic/replica.js: a state graph copied to a worker, changed there, and applied back in place.
const v8 = require('node:v8');
const replica = require('../lib/optimistic/replica');

test('identity, sharing and cycles survive a round trip; changes apply in place', () => {
  const res1 = { fake: 'response 1' };
  const conn = { stream: res1 };
  const state = { width: 600, first: [conn], second: [], tags: ['a'] };
  state.self = state; // a cycle
  state.alias = state.first; // shared
  const handles = new Map([[res1, 7]]);
  const resourceOf = (v) => (handles.has(v) ? handles.get(v) : null);
  const objects = new Map();
  const enc = replica.encode(state, { resourceOf, objects });

  // The worker: a replica, with a stand-in for the response.
  const standIn = { proxyFor: 7 };
  const { value: copy, idOf } = replica.decode(v8.deserialize(v8.serialize(enc)), { resource: () => standIn });
  expect(copy.self).toBe(copy);
  expect(copy.alias).toBe(copy.first);
  expect(copy.first[0].stream).toBe(standIn);
  // gifsockets' move: first -> second, and a new entry.
  copy.second.push.apply(copy.second, copy.first);
  copy.first.splice(0, copy.first.length);
  copy.second.push({ stream: standIn, extra: true });
  delete copy.tags;
  const back = replica.encode(copy, { resourceOf: (v) => (v === standIn ? 7 : null), idOf, fresh: 'w' });

  // The main thread: same objects, new contents.
  const firstArray = state.first;
  const root = replica.apply(v8.deserialize(v8.serialize(back)), objects, { resource: (h) => (h === 7 ? res1 : undefined) });
  expect(root).toBe(state);
  expect(state.first).toBe(firstArray);
  expect(state.first).toEqual([]);
  expect(state.second[0]).toBe(conn); // the same connection object moved
  expect(state.second[0].stream).toBe(res1);
  expect(state.second[1]).toEqual({ stream: res1, extra: true });
  expect('tags' in state).toBe(false);
  expect(state.alias).toBe(state.first);
});

test('what cannot be copied faithfully is refused', () => {
  const resourceOf = () => null;
  expect(() => replica.encode({ f() {} }, { resourceOf })).toThrow(replica.NotEncodable);
  expect(() => replica.encode({ m: new Map() }, { resourceOf })).toThrow(/Map/);
  class Local {}
  expect(() => replica.encode({ x: new Local() }, { resourceOf })).toThrow(/no module exports/);
  const big = Array.from({ length: replica.MAX_NODES + 1 }, () => ({}));
  expect(() => replica.encode(big, { resourceOf })).toThrow(/more than/);
});
