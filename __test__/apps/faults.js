// An app with module state under faults (__test__/faults.test.js, scripts/soak.js): a counter
// whose context is hosted on a worker under eager placement, a stateless CPU route, and routes
// that let the test kill workers through fluxion's API (workers are threads: no signal reaches
// one alone).
const express = require('express');
const crypto = require('crypto');

const app = express();
// Main thread's event-loop delay, for the soak (a module's top level runs once, on the main thread).
const eld = require('perf_hooks').monitorEventLoopDelay({ resolution: 10 });
eld.enable();
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

// The same counter written after an await, across a turn: the write and the answer come in a
// later turn than the run's start, after the end-of-turn commit.
app.get('/ainc', async (req, res) => {
  await new Promise((resolve) => setImmediate(resolve));
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
// Memory and event-loop delay since the last call (the soak's samples).
app.get('/__health', (req, res) => {
  const f = fluxion(); // calls require(): this handler stays on the main thread, with `eld`
  // A sample is the time between two 10 ms timer fires: the delay is what exceeds 10 ms.
  const ms = (ns) => Math.max(0, Math.round(ns / 1e4 - 1000) / 100);
  res.json({ rss: process.memoryUsage().rss, workers: f.workers().length, eld: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) } });
  eld.reset();
});
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
