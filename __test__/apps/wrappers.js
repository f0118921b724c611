'use strict';
// Express's usual async wrappers around route handlers: `wrap(fn)` written in the app, a
// catchAsync and express-async-handler's code from node_modules. The handlers they wrap that may
// move run on workers with the wrapper; those holding state (req.user from a store, a counter, a
// stateful module) keep the wrapper on the main thread. WRAP_WAY=fluxionize: fluxionize(app)
// right after express() (run without -r).
const crypto = require('node:crypto');
const threads = require('node:worker_threads');
const express = require('express');
const { asyncHandler, catchAsync } = require('flx-test-async');
const sessions = require('./lib/sessions');
const { HttpError } = require('./lib/http-error');

const app = express();
if (process.env.WRAP_WAY === 'fluxionize') require(process.env.FLUXION_MODULE).fluxionize(app);

const wrap = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);
const asyncMiddleware = (fn) => (req, res, next) => {
  Promise.resolve(fn(req, res, next)).catch(next);
};

// A plain Error with fields of its own (an error class of the app's own module makes that module
// count as state today: see /app-error).
const NotFound = (what) => Object.assign(new Error(`${what} not found`), { name: 'NotFound', status: 404, what });
// `x-thread` says which thread answered (the tests leave it out when comparing with plain node).

function digest(s, rounds) {
  let h = String(s);
  for (let i = 0; i < rounds; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  return h.slice(0, 12);
}

const users = { 1: { name: 'ada' }, 2: { name: 'bob' } };
let hits = 0;

// A module-level function, wrapped.
async function lookup(req, res) {
  const id = req.params.id;
  await null;
  if (!users[id]) throw NotFound(`user ${id}`);
  res.set('x-thread', String(threads.threadId)).json({ ...users[id], sig: digest(id, 200) });
}

// ---- these move ------------------------------------------------------------------------------
app.get('/hash', wrap(async (req, res) => {
  res.set('x-thread', String(threads.threadId)).json({ h: digest(req.query.s, 300) });
}));
app.get('/user/:id', wrap(lookup));
app.get('/throw', wrap(async (req) => {
  throw NotFound(`thing ${req.query.s}`);
}));
app.get('/sync-throw', wrap((req) => {
  throw new TypeError(`bad ${req.query.s}`);
}));
app.get('/reject', asyncMiddleware((req) => Promise.reject(new RangeError(`out of range ${req.query.s}`))));
app.get('/next-err', asyncMiddleware(async (req, res, next) => {
  next(NotFound('page'));
}));
app.get('/next', catchAsync(async (req, res, next) => {
  res.locals.seen = digest('x', 10);
  res.set('x-thread', String(threads.threadId));
  next();
}), (req, res) => res.json({ seen: res.locals.seen }));
app.get('/route', wrap(async (req, res, next) => next('route')), (req, res) => res.send('not this one'));
app.get('/route', (req, res) => res.send('the next route'));
app.get('/after-await', catchAsync(async (req, res) => {
  const a = digest('a', 50);
  await new Promise((resolve) => setTimeout(resolve, 5));
  res.set('x-thread', String(threads.threadId)).status(201).set('x-after', 'await').json({ a });
}));
app.get('/promise', wrap((req, res) => new Promise((resolve) => {
  setImmediate(() => {
    res.send('from a promise');
    resolve();
  });
})));
app.get('/nested', wrap(wrap(async (req, res) => res.set('x-thread', String(threads.threadId)).json({ nested: digest('n', 20) }))));
// The wrapped handler made by a factory of its own: its closure (`opts`, `format`) travels with it.
const hasher = (opts) => {
  const format = (h) => `${opts.label}:${h}`;
  return async (req, res) => res.set('x-thread', String(threads.threadId)).send(format(digest(req.query.s, opts.rounds)));
};
app.get('/opts', wrap(hasher({ rounds: 5, label: 'five' })));
// express-async-handler's code: `fn(...args)`, then `const next = args[args.length - 1]` only
// handed to `.catch`.
app.get('/eah', asyncHandler(async (req, res) => res.set('x-thread', String(threads.threadId)).json({ h: digest('e', 20) })));
// A module function called in place (under -r a route of the compiled module, pinned by its graph
// and followed at run time when the router is walked).
app.get('/direct/:id', (req, res, next) => lookup(req, res).catch(next));

// ---- these stay on the main thread -----------------------------------------------------------
app.get('/store', wrap(async (req, res, next) => {
  req.user = users[1];
  next();
}), (req, res) => res.json(req.user));
app.get('/count', wrap(async (req, res) => {
  hits += 1;
  res.json({ hits });
}));
app.get('/session', catchAsync(async (req, res) => res.json(sessions.touch(req.query.id))));
app.get('/app-error', catchAsync(async () => {
  throw new HttpError(409, 'taken');
}));
app.get('/eah-count', asyncHandler(async (req, res) => res.json({ hits: ++hits })));

app.get('/stats', (req, res) => {
  const fluxion = process.env.FLUXION_MODULE && require(process.env.FLUXION_MODULE);
  res.json(fluxion && fluxion.stats ? fluxion.stats().map((s) => ({ id: s.id, placement: s.placement, executions: s.executions })) : []);
});
app.use((err, req, res, next) => {
  res.status(err.status || 500).json({ error: err.message, name: err.name, cls: err.constructor.name, http: err instanceof HttpError, what: err.what });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
