'use strict';
// Async wrappers around route handlers (`wrap(fn)`, catchAsync, asyncMiddleware, and
// express-async-handler's code from node_modules): a wrapper whose request and response go only
// to `fn(req, res, next)` moves with `fn` when `fn`, checked as a handler, may (lib/jit/passes.js);
// one whose `fn` holds state stays on the main thread, saying why. Responses — success, thrown
// error, rejected promise, next(err), next('route'), res after await — are those of plain node,
// under -r and with fluxionize(app) right after express(), placements auto and eager.
const path = require('node:path');
const { startApp, outcome } = require('./helpers/server');

jest.setTimeout(90000);
const APP = path.join(__dirname, 'apps', 'wrappers.js');

const script = [
  '/hash?s=a',
  '/user/1',
  '/user/9', // thrown in an async function after an await: 404 from the error handler
  '/throw?s=x', // an async function's rejection, through .catch(next)
  '/sync-throw?s=y', // thrown before any promise exists
  '/reject?s=z', // a promise-returning (not async) handler that rejects
  '/next-err', // next(err) called by the wrapped handler
  '/next', // next() to the route's next handler, res.locals carried
  '/route', // next('route')
  '/after-await', // res used after an await
  '/promise',
  '/nested', // wrap(wrap(fn))
  '/opts?s=o', // a factory-made handler, wrapped
  '/eah', // express-async-handler's code
  '/direct/2', // lookup(req, res).catch(next): a module function called in place
  '/direct/7',
  '/store',
  '/count',
  '/count',
  '/session?id=k',
  '/session?id=k',
  '/app-error',
  '/eah-count',
];

/** Every step's outcome, without the header that says which thread answered. */
async function run(app) {
  const out = [];
  for (const url of script) {
    const o = await outcome(app.url + url);
    delete o.headers['x-thread'];
    out.push({ url, ...o });
  }
  return out;
}

async function threadOf(app, url) {
  const r = await fetch(app.url + url);
  await r.text();
  return Number(r.headers.get('x-thread'));
}

/**
 * stats() of the wrappers: those of flx-test-async, and the app's own (`wrap`, `asyncMiddleware`):
 * the app's fluxions with several instances (`id`, `id~2`...: closures of one factory).
 */
async function stats(app) {
  const all = JSON.parse((await outcome(`${app.url}/stats`)).body);
  const base = (id) => id.replace(/~\d+$/, '');
  const instances = new Map();
  for (const s of all) instances.set(base(s.id), (instances.get(base(s.id)) || 0) + 1);
  const own = (id) => id.includes('wrappers.js#') && instances.get(base(id)) > 1;
  return all.filter((s) => own(s.id) || s.id.includes('flx-test-async/index.js#'));
}

const WAYS = [
  ['-r register', {}],
  ['fluxionize(app) right after express()', { fluxion: false, env: { WRAP_WAY: 'fluxionize' } }],
];

let baseline;
beforeAll(async () => {
  const plain = await startApp(APP, { fluxion: false });
  try {
    baseline = await run(plain);
  } finally {
    await plain.stop();
  }
});

test('plain: what the app answers', () => {
  const by = Object.fromEntries(baseline.map((o) => [o.url, o]));
  expect(by['/user/9'].status).toBe(404);
  expect(JSON.parse(by['/user/9'].body)).toEqual({ error: 'user 9 not found', name: 'NotFound', cls: 'Error', http: false, what: 'user 9' });
  expect(by['/throw?s=x'].status).toBe(404);
  expect(JSON.parse(by['/sync-throw?s=y'].body).cls).toBe('TypeError');
  expect(JSON.parse(by['/reject?s=z'].body).cls).toBe('RangeError');
  expect(by['/next-err'].status).toBe(404);
  expect(by['/route'].body).toBe('the next route');
  expect(by['/after-await'].status).toBe(201);
  expect(by['/after-await'].headers['x-after']).toBe('await');
  expect(JSON.parse(by['/app-error'].body)).toMatchObject({ cls: 'HttpError', http: true });
  expect(baseline.filter((o) => o.url === '/count').map((o) => JSON.parse(o.body).hits)).toEqual([1, 2]);
  expect(by['/opts?s=o'].body).toMatch(/^five:[0-9a-f]{12}$/);
});

for (const [way, opts] of WAYS) {
  for (const placement of ['auto', 'eager']) {
    test(`${way}, ${placement}: the same responses as plain node`, async () => {
      const app = await startApp(APP, { ...opts, env: { ...opts.env, FLUXION_PLACEMENT: placement } });
      try {
        expect(await run(app)).toEqual(baseline);
        expect(app.stderr()).toBe('');
      } finally {
        await app.stop();
      }
    });
  }

  test(`${way}, eager: wrapped handlers that may move run on workers; the others stay, saying why`, async () => {
    const app = await startApp(APP, { ...opts, env: { ...opts.env, FLUXION_PLACEMENT: 'eager' } });
    try {
      // /direct/:id: under -r a route of the compiled module, followed when the router is walked.
      for (const url of ['/hash?s=1', '/user/2', '/next', '/after-await', '/nested', '/opts?s=1', '/eah', '/direct/1']) {
        const thread = await threadOf(app, url);
        expect({ url, onWorker: thread > 0 }).toEqual({ url, onWorker: true });
      }
      for (const url of script) await outcome(app.url + url);
      const wrappers = await stats(app);
      const moved = wrappers.filter((s) => s.placement === 'replicated (compiled at run time)');
      // wrap: /hash, /user/:id, /throw, /sync-throw, /route, /nested (and /promise under
      // fluxionize: under -r its setImmediate callback, compiled into a post of its own, takes
      // res); asyncMiddleware: /reject, /next-err; catchAsync: /next, /after-await;
      // /opts; express-async-handler: /eah.
      expect(moved.length).toBeGreaterThanOrEqual(12);
      for (const s of moved) {
        expect(s.executions.length).toBeGreaterThan(0);
        expect({ id: s.id, onWorkers: s.executions.every((e) => e.threadId > 0 && e.count > 0) }).toEqual({ id: s.id, onWorkers: true });
      }
      const pinned = wrappers.filter((s) => s.placement.startsWith('main ('));
      const reasons = pinned.map((s) => s.placement);
      expect(reasons).toEqual(
        expect.arrayContaining([
          'main (passes req and res to fn, which stores users on the request or response)',
          'main (passes req and res to fn, which writes hits)',
          'main (passes req and res to fn, which uses module sessions, whose objects handlers write)',
          'main (passes args to fn, which writes hits)',
        ])
      );
      for (const s of pinned) expect(s.executions.map((e) => e.threadId)).toEqual([0]);
      // State stayed in one place: the counter counted every hit (two of /count, one of
      // /eah-count before this one).
      const count = JSON.parse((await outcome(`${app.url}/count`)).body).hits;
      expect(count).toBe(4);
    } finally {
      await app.stop();
    }
  });
}

test('eager, 60 concurrent requests through moved wrappers: the answers of plain node', async () => {
  const app = await startApp(APP, { env: { FLUXION_PLACEMENT: 'eager' } });
  try {
    const urls = Array.from({ length: 60 }, (_, i) => ['/hash?s=a', '/throw?s=x', '/reject?s=z', '/user/1'][i % 4]);
    const got = await Promise.all(urls.map((u) => outcome(app.url + u)));
    const want = Object.fromEntries(baseline.map((o) => [o.url, o]));
    for (let i = 0; i < urls.length; i++) {
      delete got[i].headers['x-thread'];
      expect({ url: urls[i], ...got[i] }).toEqual(want[urls[i]]);
    }
  } finally {
    await app.stop();
  }
});
