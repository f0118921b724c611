'use strict';
// The async wrappers most Express apps put around their handlers (`wrap`, catchAsync): success,
// an async throw, a rejected promise, next(err), next('route'), res after an await, and one
// that counts hits in a module variable (its wrapper stays with the counter).
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const crypto = require('node:crypto');
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

const wrap = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);
function catchAsync(fn) {
  return (req, res, next) => {
    fn(req, res, next).catch((err) => next(err));
  };
}

const fail = (status, message) => Object.assign(new Error(message), { status, expose: true });
const sign = (s) => {
  let h = String(s);
  for (let i = 0; i < 400; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  return h.slice(0, 16);
};
const books = { 1: 'Dune', 2: 'Emma' };
// (A local holding `books[id]` handed to a call would count as a write into books: the compiler
// cannot tell a string from an object there.)
const titleOf = (id) => books[id];
let hits = 0;

app.get('/books/:id', wrap(async (req, res) => {
  const title = titleOf(req.params.id);
  await null;
  if (!title) throw fail(404, `no book ${req.params.id}`);
  res.json({ title, sig: sign(title) });
}));
app.get('/reject', catchAsync((req) => Promise.reject(new RangeError(`bad range ${req.query.r}`))));
app.get('/next-err', wrap(async (req, res, next) => next(fail(409, 'taken'))));
app.get('/skip', wrap(async (req, res, next) => next('route')), (req, res) => res.send('not here'));
app.get('/skip', (req, res) => res.send('next route'));
app.get('/later', catchAsync(async (req, res) => {
  const sig = sign('later');
  await new Promise((resolve) => setTimeout(resolve, 5));
  res.status(202).set('x-sig', sig).send('accepted');
}));
// A module function called in place, written inline in the route.
async function showBook(req, res) {
  const title = titleOf(req.params.id);
  if (!title) throw fail(404, `no book ${req.params.id} here`);
  res.type('text').send(`${title} ${sign(req.params.id)}`);
}
app.get('/direct/:id', (req, res, next) => showBook(req, res).catch(next));
app.get('/hits', wrap(async (req, res) => {
  hits += 1;
  res.json({ hits });
}));

app.use((err, req, res, next) => {
  res.status(err.status || 500).json({ error: err.message, name: err.name, cls: err.constructor.name });
});

way.listen(app);
