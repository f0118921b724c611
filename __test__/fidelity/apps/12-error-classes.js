'use strict';
// Custom error classes, thrown and passed to next(): the error middleware tells them apart with
// instanceof and reads their own fields.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

class NotFound extends Error {
  constructor(what) {
    super(`${what} not found`);
    this.name = 'NotFound';
    this.status = 404;
    this.resource = what;
  }
}
class Invalid extends Error {
  constructor(field) {
    super(`invalid ${field}`);
    this.field = field;
  }
}

const books = { 1: 'Dune' };

app.get('/books/:id', (req, res) => {
  const book = books[req.params.id];
  if (!book) throw new NotFound(`book ${req.params.id}`);
  res.send(book);
});
app.get('/check', (req, res, next) => {
  if (!req.query.isbn) return next(new Invalid('isbn'));
  res.send('ok');
});
app.get('/later/:id', async (req, res) => {
  await new Promise((r) => setTimeout(r, 5));
  if (!books[req.params.id]) throw new NotFound(`book ${req.params.id}`);
  res.send(books[req.params.id]);
});

app.use((err, req, res, next) => {
  if (err instanceof NotFound) return res.status(404).json({ missing: err.resource });
  if (err instanceof Invalid) return res.status(400).json({ field: err.field });
  res.status(500).json({ error: err.message, name: err.name });
});

way.listen(app);
