'use strict';
// Two CPU-heavy handlers sharing one order book: their group costs the main thread more than a
// message would, so the default placement should move it to a worker, as it does for a context
// of its own (the ledger).
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const crypto = require('node:crypto');
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
let orders = 0;
let ledger = 0;

function hash(ms) {
  const end = process.hrtime.bigint() + BigInt(ms * 1e6);
  let h = 'seed';
  while (process.hrtime.bigint() < end) h = crypto.createHash('sha256').update(h).digest('hex');
  return h;
}

app.get('/buy', function buy(req, res) {
  hash(2);
  orders += 1;
  res.send(`order ${orders}`);
});
app.get('/sell', function sell(req, res) {
  hash(2);
  orders += 1;
  res.send(`order ${orders}`);
});
app.get('/ledger', function record(req, res) {
  hash(2);
  ledger += 1;
  res.send(`ledger ${ledger}`);
});
// Where the contexts run (only under fluxion): which threads ran each handler.
app.get('/__where', (req, res) => {
  const fluxion = process.env.FLUXION_WAY !== 'plain' && require(process.env.FLUXION_MODULE);
  res.json(fluxion ? fluxion.stats().map((s) => ({ id: s.id, placement: s.placement, threads: s.executions.map((e) => e.threadId) })) : []);
});

way.listen(app);
