// An ordinary Express app to watch in fluxion's dashboard:
//   npx fluxion run examples/dashboard/app.js --dashboard      (then open http://127.0.0.1:7331/)
// A CPU-bound route (runs on the workers once its cost is measured), a counter whose variable is a
// context (one authoritative copy, on one thread at a time), the paper's Listing 1, and a route
// that moves the counter's context to another thread (fluxion.moveContext).
const express = require('express');
const crypto = require('crypto');
const fs = require('fs');

const app = express();
let hits = 0;
let count = 0;

function work(seed) {
  let h = Buffer.from(String(seed));
  for (let i = 0; i < 1000; i++) h = crypto.createHash('sha256').update(h).digest();
  return h.toString('hex');
}

app.get('/cpu/:n', function cpu(req, res) {
  res.json({ n: req.params.n, hash: work(req.params.n) });
});

app.get('/hits', function counter(req, res) {
  hits += 1;
  res.json({ hits: hits });
});

app.get('/', function handler(req, res) {
  fs.readFile(__filename, function reply(err, data) {
    count += 1;
    res.send(err ? String(err) : 'count: ' + count + ', ' + data.length + ' bytes\n');
  });
});

// Moves the counter's context to the next thread: GET /move?to=<thread id> (0: main thread).
app.get('/move', function move(req, res, next) {
  const fluxion = require('fluxion');
  const id = fluxion.stats().find((s) => /#counter@/.test(s.id));
  if (!id) return res.status(409).json({ error: 'GET /hits first' });
  const to = req.query.to !== undefined ? Number(req.query.to) : fluxion.workers().map((w) => w.threadId).find((t) => !fluxion.workers().some((w) => w.threadId === t && w.groups.length));
  fluxion.moveContext(id.id, to).then((host) => res.json({ moved: id.id, host }), next);
});

const server = app.listen(process.env.PORT !== undefined ? Number(process.env.PORT) : 3000, '127.0.0.1', function () {
  console.log('listening ' + server.address().port);
});
