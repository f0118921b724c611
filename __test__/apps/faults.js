// An app with module state under faults (__test__/faults.test.js, scripts/soak.js): a counter
// whose context is hosted on a worker under eager placement, a stateless CPU route, and routes
// that let the test kill workers through fluxion's API (workers are threads: no signal reaches
// one alone).
const express = require('express');
const crypto = require('crypto');

const app = express();
let count = 0; // one authoritative copy: the context of the fluxions below

function work(seed) {
  let h = Buffer.from(String(seed));
  for (let i = 0; i < 300; i++) h = crypto.createHash('sha256').update(h).digest();
  return h.toString('hex').slice(0, 16);
}

app.get('/inc', (req, res) => {
  count += 1;
  res.json({ count });
});

app.get('/count', (req, res) => {
  res.json({ count });
});

app.get('/cpu/:n', (req, res) => {
  res.json({ n: req.params.n, hash: work(req.params.n) });
});

const fluxion = () => require(process.env.FLUXION_MODULE || 'fluxion');

app.get('/__workers', (req, res) => res.json(fluxion().workers()));
app.get('/__stats', (req, res) => res.json(fluxion().stats()));
app.get('/__kill', (req, res, next) => {
  const f = fluxion();
  const before = f.workers();
  f.terminateWorker(Number(req.query.thread)).then(() => res.json(before), next);
});

module.exports = { app, work };
if (require.main === module) {
  const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
    console.log('listening ' + server.address().port);
  });
}
