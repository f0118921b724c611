'use strict';
// Placement from the compiler's real graphs: continuations count as their handler's code, shared
// groups are sets, start-up callbacks stay with the main thread.
const { graph } = require('../../../lib/compile');
const { placeModule, rootsOf } = require('../../../lib/placement/static');

const FILE = '/app/app.js';
const place = (src) => {
  const g = graph(src, { filename: FILE });
  const byName = new Map(g.fluxions.map((f) => [f.name, f.id]));
  const out = placeModule(g, FILE, () => ({ stateful: false }), new Set());
  return { get: (name) => out.get(byName.get(name)), g, byName };
};

const header = "const express = require('express'); const fs = require('fs'); const app = express();\n";

test('state written after an await belongs to the handler: it is placed with its context', () => {
  const p = place(`${header}let visits = 0;
app.get('/v', async function handler(req, res) {
  await fs.promises.readFile(__filename);
  visits += 1;
  res.send(String(visits));
});`);
  const h = p.get('handler');
  expect(h.where).toBe('group');
  expect(h.vars).toEqual(['visits']);
  // The continuation runs where its handler runs, with the same record.
  expect(p.get('handler_await1')).toMatchObject({ where: 'group', group: h.group, inplace: true });
});

test('a fluxion that uses two shared groups joins them into one group', () => {
  const p = place(`${header}let a = 0; let b = 0;
app.get('/a', function onlyA(req, res) { a += 1; res.send(String(a)); });
app.get('/b', function onlyB(req, res) { b += 1; res.send(String(b)); });
app.get('/ab', function both(req, res) { a += 1; b += 1; res.send(a + ',' + b); });`);
  const [a, b, ab] = ['onlyA', 'onlyB', 'both'].map((n) => p.get(n));
  expect(ab.where).toBe('group');
  expect(new Set(ab.groups)).toEqual(new Set(['grp_a', 'grp_b']));
  expect(a.group).toBe(ab.group);
  expect(b.group).toBe(ab.group);
  expect(new Set(ab.vars)).toEqual(new Set(['a', 'b']));
});

test('groups that share no fluxion stay apart', () => {
  const p = place(`${header}let a = 0; let b = 0;
app.get('/a', function onlyA(req, res) { a += 1; res.send(String(a)); });
app.get('/a2', function alsoA(req, res) { a += 2; res.send(String(a)); });
app.get('/b', function onlyB(req, res) { b += 1; res.send(String(b)); });
app.get('/b2', function alsoB(req, res) { b += 2; res.send(String(b)); });`);
  expect(p.get('onlyA').group).not.toBe(p.get('onlyB').group);
  expect(p.get('onlyA').groups).toEqual(['grp_a']);
});

test('a nextTick or promise callback continues its handler in place', () => {
  const p = place(`${header}
app.get('/t', function handler(req, res) {
  process.nextTick(function later() { res.set('x-a', '1'); });
  Promise.resolve().then(function after() { res.send('ok'); });
});`);
  expect(p.get('later').inplace).toBe(true);
  expect(p.get('after').inplace).toBe(true);
});

test('a start-up callback of the top level stays on the main thread, and so does the state it fills', () => {
  const p = place(`${header}let users = [];
fs.readFile(__filename, function loaded(err, data) { users = String(data).split('\\n'); });
app.get('/users', function list(req, res) { res.json(users.length); });
app.post('/users', function add(req, res) { users.push('x'); res.json(users.length); });`);
  expect(p.get('loaded')).toMatchObject({ where: 'main', startup: true });
  expect(p.get('list').where).toBe('main');
  expect(p.get('add').where).toBe('main');
  expect(p.get('add').reason).toMatch(/shares state with/);
});

test('state declared in a block of the top level keeps its users on the main thread', () => {
  const p = place(`${header}
if (process.env.PORT) {
  let visits = 0;
  app.get('/', function count(req, res) { visits += 1; res.send(String(visits)); });
  const port = process.env.PORT;
  app.listen(port, function ready() { console.log('listening ' + port); });
}`);
  expect(p.get('count')).toMatchObject({ where: 'main' });
  expect(p.get('count').reason).toMatch(/declared in a block/);
  expect(p.get('ready').where).toBe('main');
});

test('rootsOf maps every fluxion to the logical handler it belongs to', () => {
  const { g, byName } = place(`${header}
app.get('/x', async function handler(req, res) { await null; await null; res.send('x'); });`);
  const roots = rootsOf(g);
  expect(roots.get(byName.get('handler_await2'))).toBe(byName.get('handler'));
  expect(roots.get(byName.get('handler'))).toBe(byName.get('handler'));
});
