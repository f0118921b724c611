'use strict';
// node:test suite of app.js (run with `node --test suite.js`; not a Jest file).
const test = require('node:test');
const assert = require('node:assert');
const app = require('./app');

let server;
let base;
test.before(async () => {
  server = app.listen(0);
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${server.address().port}`;
});
test.after(() => server.close());

test.describe('verify-broken app', () => {
  test.it('counts visits', async () => {
    const a = await fetch(base + '/visit').then((r) => r.json());
    const b = await fetch(base + '/visit').then((r) => r.json());
    assert.deepStrictEqual([a.visits, b.visits], [1, 2]);
  });

  test.it('hashes', async () => {
    const text = await fetch(base + '/hash/abc').then((r) => r.text());
    assert.strictEqual(text, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test.it('handles requests on the main thread', async () => {
    const body = await fetch(base + '/thread').then((r) => r.json());
    assert.deepStrictEqual(body, { main: true });
  });
});
