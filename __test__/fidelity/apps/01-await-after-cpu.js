'use strict';
// A visit counter updated after an await, with CPU work before it: the handler's code after the
// await is the same handler and must share its state with it.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const crypto = require('node:crypto');
const fs = require('node:fs');
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
let visits = 0;

function hash(ms) {
  const end = process.hrtime.bigint() + BigInt(ms * 1e6);
  let h = 'seed';
  while (process.hrtime.bigint() < end) h = crypto.createHash('sha256').update(h).digest('hex');
  return h;
}

app.get('/v', async (req, res) => {
  hash(2);
  await fs.promises.readFile(__filename);
  visits += 1;
  res.send(String(visits));
});

way.listen(app);
