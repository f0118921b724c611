'use strict';
// Saved with a byte order mark (the first three bytes of this file), as Windows editors do. The
// compiler once placed every edit three bytes early in such a file (swc drops the mark from its
// copy of the source): the module did not even parse under fluxion. Found by `cargo fuzz`.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const crypto = require('node:crypto');
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

let visits = 0;

app.get('/visit', (req, res) => {
  visits += 1;
  res.send(`visit ${visits}`);
});

// CPU work, worth a worker under the default placement.
app.get('/hash/:word', (req, res) => {
  let h = req.params.word;
  for (let i = 0; i < 2000; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  res.send(`${req.params.word} ${h.slice(0, 12)}`);
});

way.listen(app);
