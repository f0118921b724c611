// A stateless CPU-bound route (about 2 ms of hashing per request).
const express = require('express');
const crypto = require('crypto');

const app = express();

function work(seed) {
  let h = Buffer.from(String(seed));
  for (let i = 0; i < 1500; i++) h = crypto.createHash('sha256').update(h).digest();
  return h.toString('hex');
}

app.get('/cpu/:n', (req, res) => {
  res.json({ n: req.params.n, hash: work(req.params.n) });
});

app.get('/__stats', (req, res) => res.json(require(process.env.FLUXION_MODULE || 'fluxion').stats()));
app.get('/__kill', (req, res) => {
  const fluxion = require(process.env.FLUXION_MODULE || 'fluxion');
  const ws = fluxion.workers();
  Promise.resolve(ws.length ? fluxion.terminateWorker(ws[0].threadId) : null).then(() => res.json(ws));
});

const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
