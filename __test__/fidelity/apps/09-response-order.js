'use strict';
// Response calls made from process.nextTick, a promise callback and setImmediate: Node runs the
// nextTick queue before promise callbacks, so the header is set before the body is sent.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

app.get('/tick', (req, res) => {
  process.nextTick(() => res.set('X-Tick', 'yes'));
  Promise.resolve().then(() => res.send('ticked'));
});

app.get('/mixed', (req, res) => {
  res.set('X-Order', 'sync');
  Promise.resolve().then(() => res.append('X-Order', 'promise'));
  process.nextTick(() => res.append('X-Order', 'tick'));
  setImmediate(() => res.append('X-Order', 'immediate').send('mixed'));
});

// The same calls from a handler that also counts finished responses (res.on: it stays on the
// main thread), as metrics middleware does.
let finished = 0;
app.get('/tick-counted', (req, res) => {
  res.on('finish', () => (finished += 1));
  process.nextTick(() => res.set('X-Tick', 'yes'));
  Promise.resolve().then(() => res.send('ticked'));
});
app.get('/finished', (req, res) => res.send(String(finished)));

way.listen(app);
