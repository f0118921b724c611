'use strict';
// Constants computed once when a helper module loads: every request must see the same ones.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const crypto = require('node:crypto');
const express = require('express');
const instance = require('./lib/instance');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

// Signs with the instance id: CPU work, worth a worker under the default placement.
app.get('/instance', (req, res) => {
  let h = instance.id;
  for (let i = 0; i < 2000; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  res.send(`${instance.id} ${instance.startedAt} ${h.slice(0, 8)}`);
});

way.listen(app);
