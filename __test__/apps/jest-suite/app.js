'use strict';
// An Express app with module state, for the Jest preset's must-show suite: a counter, an
// in-memory store and a CPU-bound route. Every test file gets the module fresh (Jest's registry).
const crypto = require('node:crypto');
const express = require('express');

const app = express();
app.use(express.json());

let count = 0;
const items = new Map();
let nextId = 1;

app.get('/count', (req, res) => {
  count += 1;
  res.json({ count });
});

app.post('/items', (req, res) => {
  const id = nextId++;
  items.set(id, { id, name: req.body.name });
  res.status(201).json(items.get(id));
});

app.get('/items', (req, res) => {
  res.json([...items.values()]);
});

app.get('/items/:id', (req, res, next) => {
  const item = items.get(Number(req.params.id));
  if (!item) return next();
  res.json(item);
});

app.get('/hash/:s', (req, res) => {
  let h = req.params.s;
  for (let i = 0; i < 500; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  res.json({ h: h.slice(0, 16) });
});

// The project's own Jest transform (transform.js) rewrites this marker: on a worker the handler
// answers the rewritten text only if the worker loaded the module as Jest transformed it.
app.get('/greeting', (req, res) => {
  res.json({ greeting: '__GREETING__' });
});

// Handlers made by a factory (tags.js), with their options in a closure.
app.use('/tags', require('./tags')({ prefix: 'tag-' }));

module.exports = app;
