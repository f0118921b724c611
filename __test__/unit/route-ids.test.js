'use strict';
// Issue 14: route handlers are named by method and path in the graph (--emit json) and in
// stats(); their source location stays available as its own field.
const path = require('node:path');
const fs = require('node:fs');
const { graph } = require('../../lib/index');
const native = require('../../lib/native');

const FIXTURE = path.join(__dirname, '..', '..', 'crates', 'compiler', 'tests', 'fixtures', 'routes.js');

test('the graph names route handlers by method and path', () => {
  const g = graph(fs.readFileSync(FIXTURE, 'utf8'), { filename: FIXTURE });
  const routes = g.fluxions.map((f) => f.route).filter(Boolean);
  expect(routes).toEqual(expect.arrayContaining(['GET /count', 'POST /items', 'GET /book', 'POST /book', 'GET /x', 'GET <dynamic>']));
  expect(g.fluxions.find((f) => f.name === 'main').route).toBeUndefined();
});

const describeIt = typeof native.load().statsDescribe === 'function' ? test : test.skip;
describeIt('stats() carries route and source beside the id (needs an addon built from this tree)', () => {
  const id = `${FIXTURE}#route-ids-test@0`;
  native.load().statsDescribe(id, 'GET /count', `${FIXTURE}:8:24`);
  const s = native.load().statsSnapshot().find((x) => x.id === id);
  expect(s.route).toBe('GET /count');
  expect(s.source).toBe(`${FIXTURE}:8:24`);
});
