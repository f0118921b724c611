'use strict';
const crypto = require('node:crypto');
const request = require('supertest');
const app = require('./app');

function expected(s) {
  let h = s;
  for (let i = 0; i < 500; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  return h.slice(0, 16);
}

test('hashes as the app does', async () => {
  for (const s of ['a', 'b', 'c']) await request(app).get(`/hash/${s}`).expect(200, { h: expected(s) });
});

test('the counter is this file\'s own', async () => {
  await request(app).get('/count').expect(200, { count: 1 });
});

test("the project's transform applies", async () => {
  await request(app).get('/greeting').expect(200, { greeting: 'hello from the project transform' });
});

test('a handler made by a factory reads its options', async () => {
  await request(app).get('/tags/x').expect(200, { tag: 'tag-x' });
});
