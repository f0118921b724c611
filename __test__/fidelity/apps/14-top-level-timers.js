'use strict';
// Start-up work scheduled with timers: it runs once, as the app starts.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const crypto = require('node:crypto');
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
let warm = false;

setTimeout(() => {
  warm = true;
  console.log('cache warmed');
}, 20);
// Stopped by its own count, not by a second timer: a start-up that blocks the loop for a while
// (compiling, starting workers, a loaded machine) delays ticks without changing how many there are.
// It prints at its second tick only: a start-up that blocks the loop for 100 ms or more makes the
// first tick due with the 20 ms timeout, and then which runs first is up to Node's timer lists
// (under Jest, whose own 100 ms timers are older, the interval does, fluxion or not); the second
// tick comes 100 ms after the first, when the timeout has run whatever the order.
let refreshes = 0;
const refresher = setInterval(() => {
  if (++refreshes === 2) {
    clearInterval(refresher);
    console.log('refreshed twice');
  }
}, 100);

// For the test of that order (known-failures-state.test.js #14): a slow start-up, plain.
if (process.env.FIXTURE_BLOCK_MS) {
  const until = Date.now() + Number(process.env.FIXTURE_BLOCK_MS);
  while (Date.now() < until);
}

app.get('/warm', (req, res) => res.send(String(warm)));

// CPU work that needs no state: worth a worker under the default placement.
app.get('/avatar/:name', (req, res) => {
  let h = req.params.name;
  for (let i = 0; i < 2000; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  res.send(h.slice(0, 12));
});

way.listen(app);
