// An app with module state under faults (__test__/faults.test.js, scripts/soak.js): a counter
// whose context is hosted on a worker under eager placement, a stateless CPU route, a route that
// pushes to a GoT dataframe (served over the GoT protocol too, for a remote client), routes that
// stall a thread (a worker, the counter's host, the main thread) by busy-waiting on it, and
// routes that let the test kill workers through fluxion's API (workers are threads: no signal
// reaches one alone). The stalls are ordinary app code: no hook in the runtime.
const express = require('express');
const crypto = require('crypto');
// Not destructured: the compiler takes `const { a } = require(...)` for a value computed at the
// top level (the main thread's), and would keep the handlers reading it on the main thread. The
// package itself is declared stateless in ./fluxion.config.js.
const gotlib = require('fluxion');

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

/** Blocks this thread for `ms` milliseconds: what a slow synchronous handler does to its thread. */
function busyWait(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // nothing: the thread is stalled, its inbox fills
  }
}

// A counter write after a stall of the counter's host: every message for the counter's group
// waits in that worker's inbox meanwhile (and is lost with it, if it is killed then).
app.get('/slowinc/:ms', (req, res) => {
  busyWait(Number(req.params.ms));
  count += 1;
  res.json({ count });
});

// A stateless stall: blocks whichever worker runs it.
app.get('/stall/:ms', (req, res) => {
  busyWait(Number(req.params.ms));
  res.json({ stalled: Number(req.params.ms) });
});

// GoT: one object per slot (a client of the test owns a slot and writes it one request at a
// time) in the dataframe GOT_APP of the process-wide store, which every thread of the process
// shares: the handler may run on any of them. The same dataframe is served over the GoT
// protocol (see listen below).
const GOT_APP = 'faults-got';

/** The slots' type. Made by a function, not kept in a module constant: a value computed at the
 * top level is the main thread's, and code reading it stays there. */
function slotType() {
  return gotlib.pccSet('Slot', { key: gotlib.primaryKey('str'), seq: 'int', pushes: 'int' });
}

/**
 * Reads the slot, counts one more push and records `seq`; commits and pushes to the store (which
 * merges concurrent pushes of other slots).
 * @returns {{ key: string, seq: number, pushes: number }} what was pushed
 */
function pushSlot(key, seq) {
  const Slot = slotType();
  const df = new gotlib.Dataframe(GOT_APP, [Slot]);
  df.pull();
  const cur = df.readOne(Slot, key);
  const pushes = cur ? cur.pushes + 1 : 1;
  if (cur) df.updateOne(Slot, key, { seq, pushes });
  else df.addOne(Slot, { key, seq, pushes });
  df.commit();
  df.push();
  return { key, seq, pushes };
}

app.get('/got/:slot/:seq', (req, res) => {
  res.json(pushSlot(req.params.slot, Number(req.params.seq)));
});

// A large answer: a client that reads it slowly holds the response between its end and its
// 'close' (the socket's buffers are full) while the worker that made it may die.
app.get('/big/:n', (req, res) => {
  res.type('text').send('x'.repeat(Number(req.params.n)));
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
// A stall of the main thread, where every message between threads passes (it stays there: it
// calls require()).
app.get('/__stallmain/:ms', (req, res) => {
  fluxion();
  busyWait(Number(req.params.ms));
  res.json({ stalled: Number(req.params.ms) });
});
app.get('/__kill', (req, res, next) => {
  const f = fluxion();
  const before = f.workers();
  f.terminateWorker(Number(req.query.thread)).then(() => res.json(before), next);
});

module.exports = { app, work, GOT_APP, slotType };
if (require.main === module) {
  const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
    // Served from a start-up callback: it runs once, on the main thread.
    console.log('got ' + new gotlib.Dataframe(GOT_APP, [slotType()]).serve({ port: 0 }).port);
    console.log('listening ' + server.address().port);
  });
}
