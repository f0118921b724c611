'use strict';
// Express 4 with express-async-errors' patch (a stand-in: flx-async-errors): Express 4 ignores
// what a handler returns, the patch does not — it hands a returned promise's rejection to next.
// A handler run on a worker must still return, on the main thread, a promise that settles the
// same way; and the dispatcher fluxion puts in a patched layer must not be wrapped a second time
// (two next(err) for one rejection: a second answer, an error logged).
const way = require('../way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const crypto = require('node:crypto');
// Express 4: node_modules/express here links to the repository's devDependency express4.
const express = require('express');
require('flx-async-errors');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it

const sign = (s) => {
  let h = String(s);
  for (let i = 0; i < 400; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  return h.slice(0, 16);
};

app.get('/ok/:n', async (req, res) => {
  const sig = sign(req.params.n);
  await null;
  res.json({ n: req.params.n, sig });
});
app.get('/boom', async (req) => {
  sign(req.path);
  await null;
  throw Object.assign(new RangeError('teapot'), { status: 418, code: 'E_POT' });
});
app.get('/string', async () => {
  throw 'a plain string';
});
// A rejection with undefined: next(undefined) continues to the next route, as if no error.
app.get('/undefined', async () => Promise.reject(undefined));
app.get('/undefined', (req, res) => res.send('the next route'));
app.get('/sync', () => {
  throw new TypeError('thrown synchronously');
});
app.get('/next-err', async (req, res, next) => next(Object.assign(new Error('via next'), { status: 409 })));
// Rejects after answering: the patch's next(err) finds the response sent.
app.get('/after', async (req, res) => {
  res.send('answered');
  await null;
  throw new Error(`after the answer ${req.query.n}`);
});

app.use((err, req, res, next) => {
  if (res.headersSent) {
    console.log(`late error: ${err.constructor.name} ${err.message}`);
    return;
  }
  res.status((err && err.status) || 500).json({ type: typeof err, cls: err && err.constructor.name, message: String(err), code: err && err.code });
});

way.listen(app);
