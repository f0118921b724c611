'use strict';
// Two handlers, each owning a counter (two contexts), each doing ~2 ms of CPU work per request:
// when both contexts sit on one worker under load, the rebalancer moves one of them.
const express = require('express');
const crypto = require('node:crypto');

const app = express();
let a = 0;
let b = 0;

function work(x) {
  let h = String(x);
  for (let i = 0; i < 1200; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  return h.slice(0, 8);
}

app.get('/a', function countA(req, res) {
  a += 1;
  res.send(`a ${a} ${work(a)}`);
});

app.get('/b', function countB(req, res) {
  b += 1;
  res.send(`b ${b} ${work(b)}`);
});

const fluxion = () => require(process.env.FLUXION_MODULE || 'fluxion');
app.get('/__workers', (req, res) => res.json(fluxion().workers()));
app.post('/__gather', async (req, res) => {
  // Both contexts on the first worker, as if the hash had put them together.
  const ws = fluxion().workers();
  const groups = ws.flatMap((w) => w.groups);
  for (const g of groups) await fluxion().moveContext(g, ws[0].threadId);
  res.json(fluxion().workers());
});

const server = app.listen(Number(process.env.PORT || 3000), () => console.log(`listening ${server.address().port}`));
