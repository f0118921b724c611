// A module that refuses to load on a worker thread: its handlers are sent to a worker, rejected
// there, and run by the main thread outside the router's own call. A synchronous throw and a
// rejected promise (Express 5) must still reach the error handler, as the router would do.
const { isMainThread } = require('node:worker_threads');
if (!isMainThread) throw new Error('this module only loads on the main thread');
const express = require('express');

const app = express();

app.get('/reject', (req, res) => Promise.reject(new Error('boom!')));

app.get('/reject-empty', (req, res) => Promise.reject());

app.get('/throw-after-end', (req, res) => {
  res.end('yay');
  throw new Error('boom');
});

app.get('/fine', (req, res) => res.send('still here'));

app.use((err, req, res, next) => {
  if (res.headersSent) return next(err);
  res.status(500).send(`${err.name}: ${err.message}`);
});

const server = app.listen(Number(process.env.PORT || 3000), () => console.log(`listening ${server.address().port}`));
