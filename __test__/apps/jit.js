'use strict';
// Handlers fluxion only meets at run time: from a package in node_modules, made by factories, in
// a Router and a mounted sub-app, and one added after the server started.
const express = require('express');
const mw = require('flx-test-middleware');

const app = express();
const users = { a: 'ada', b: 'bob' };
const router = express.Router();
const sub = express();

app.get('/hash', mw.hasher({ rounds: 300, label: 'top' }));
app.get('/me', mw.user(users), mw.hasher({ label: 'me' }));
app.get('/count/:key', mw.counter());
app.get('/fail', mw.fail('no luck'));
app.get('/remember', mw.remember(new mw.Store()));
app.get('/format', mw.format({ width: 8, fill: '.', transform: (s) => s.toUpperCase() }));
const channel = require('flx-test-middleware/channel')(200);
app.get('/ch/join', channel.join);
app.post('/ch/publish', channel.publish);
app.post('/ch/close', channel.close);
router.get('/hash', mw.hasher({ rounds: 3, label: 'router' }));
app.use('/r', router);
sub.get('/hash', mw.hasher({ rounds: 5, label: 'sub' }));
app.use('/sub', sub);
app.get('/stats', (req, res) => {
  const fluxion = process.env.FLUXION_MODULE && require(process.env.FLUXION_MODULE);
  res.json(fluxion ? fluxion.stats().map((s) => ({ id: s.id, placement: s.placement, executions: s.executions })) : []);
});
app.use((err, req, res, next) => {
  res.status(500).json({ error: err.message });
});

const server = app.listen(Number(process.env.PORT || 3000), () => {
  // Found by walking the router again when the next request arrives.
  app.get('/late', mw.hasher({ rounds: 2, label: 'late' }));
  console.log(`listening ${server.address().port}`);
});
