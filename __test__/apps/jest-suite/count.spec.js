'use strict';
const request = require('supertest');
const app = require('./app');

test('counts from 1 in this file', async () => {
  for (let i = 1; i <= 5; i++) await request(app).get('/count').expect(200, { count: i });
});

test('concurrent requests count exactly', async () => {
  const rs = await Promise.all(Array.from({ length: 20 }, () => request(app).get('/count')));
  expect(rs.map((r) => r.body.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
});
