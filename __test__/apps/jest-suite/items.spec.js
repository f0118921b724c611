'use strict';
const request = require('supertest');
const app = require('./app');

test('the store starts empty in this file', async () => {
  await request(app).get('/items').expect(200, []);
});

test('create then read', async () => {
  await request(app).post('/items').send({ name: 'a' }).expect(201, { id: 1, name: 'a' });
  await request(app).post('/items').send({ name: 'b' }).expect(201, { id: 2, name: 'b' });
  await request(app).get('/items/2').expect(200, { id: 2, name: 'b' });
  await request(app).get('/items').expect(200, [{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
});

test('a missing item is a 404', async () => {
  await request(app).get('/items/99').expect(404);
});

test('this one fails on purpose, the same way with and without fluxion', async () => {
  await request(app).get('/items').expect(200, []);
});
