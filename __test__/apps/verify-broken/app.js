'use strict';
// A small app whose own tests (suite.js) pass plain and fail under fluxion on purpose: one route
// answers whether it ran on the main thread, which an app never has a reason to ask, but which is
// the one thing fluxion changes by design when it moves a handler to a worker (eager placement).
// `fluxion verify` must report exactly that test, and nothing else.
const express = require('express');
const { isMainThread } = require('node:worker_threads');
const crypto = require('node:crypto');

const app = express();
let visits = 0;

app.get('/thread', function whereAmI(req, res) {
  res.json({ main: isMainThread });
});

app.get('/visit', function visit(req, res) {
  visits += 1;
  res.json({ visits });
});

app.get('/hash/:text', function hash(req, res) {
  res.send(crypto.createHash('sha256').update(req.params.text).digest('hex'));
});

module.exports = app;
