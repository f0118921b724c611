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
let refreshes = 0;
const refresher = setInterval(() => {
  console.log('refreshed');
  if (++refreshes === 2) clearInterval(refresher);
}, 100);

app.get('/warm', (req, res) => res.send(String(warm)));

// CPU work that needs no state: worth a worker under the default placement.
app.get('/avatar/:name', (req, res) => {
  let h = req.params.name;
  for (let i = 0; i < 2000; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  res.send(h.slice(0, 12));
});

way.listen(app);
