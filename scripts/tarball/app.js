'use strict';
// The app scripts/test-tarball.js runs from an installed fluxion: module state (a counter that
// must count exactly) and a CPU-bound route, and a SIGTERM handler that closes the server
// gracefully (it must still run under fluxion).
const crypto = require('node:crypto');
const express = require('express');

const app = express();
let count = 0;

app.get('/count', (req, res) => {
  count += 1;
  res.json({ count });
});

app.get('/hash', (req, res) => {
  let h = String(req.query.s || 'x');
  for (let i = 0; i < 2000; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  res.json({ h: h.slice(0, 12) });
});

const server = app.listen(0, () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => {
  server.close(() => console.log('closed gracefully'));
});
