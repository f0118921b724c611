'use strict';
const inflight = require('../../../lib/core/inflight');

test('idle resolves at once for a group with nothing in flight', async () => {
  await expect(inflight.idle('g0')).resolves.toBeUndefined();
});

test('idle waits for every run of the group, and only that group', async () => {
  inflight.begin('g1');
  inflight.begin('g1');
  inflight.begin('g2');
  let done = false;
  const p = inflight.idle('g1').then(() => (done = true));
  inflight.end('g2');
  inflight.end('g1');
  await Promise.resolve();
  expect(done).toBe(false);
  expect(inflight.pending('g1')).toBe(1);
  inflight.end('g1');
  await p;
  expect(done).toBe(true);
  expect(inflight.pending('g1')).toBe(0);
});
