// Scenario 1: a stateless CPU-bound route (about 2 ms of JS per request: a sha256 chain).
const express = require('express');
const crypto = require('crypto');

const app = express();

function work(seed) {
  let h = Buffer.from(String(seed));
  for (let i = 0; i < 1000; i++) h = crypto.createHash('sha256').update(h).digest();
  return h.toString('hex');
}

app.get('/cpu/:n', (req, res) => {
  res.json({ n: req.params.n, hash: work(req.params.n) });
});

require('./common').statsRoute(app);

// Listens unconditionally (bench/cluster.js requires this file in each of its processes).
var server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', function () {
  console.log('listening ' + server.address().port);
});
