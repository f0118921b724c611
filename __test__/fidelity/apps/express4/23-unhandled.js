'use strict';
// Express 4 without any patch: the router ignores what a handler returns, so an async handler's
// rejection is unhandled — the process's 'unhandledRejection' sees it (here, after the answer).
// Run on a worker, it must reach the main thread's process the same way: not crash it through
// another path, not vanish.
const way = require('../way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const crypto = require('node:crypto');
// Express 4: node_modules/express here links to the repository's devDependency express4.
const express = require('express');

process.on('unhandledRejection', (err) => console.log(`unhandled: ${err && err.constructor.name} ${err && err.message}`));

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

app.get('/after', async (req, res) => {
  const sig = crypto.createHash('sha256').update(String(req.query.n)).digest('hex').slice(0, 8);
  res.send(`answered ${sig}`);
  await null;
  throw new RangeError(`after the answer ${req.query.n}`);
});
app.get('/fine', async (req, res) => {
  await null;
  res.json({ fine: true });
});

way.listen(app);
