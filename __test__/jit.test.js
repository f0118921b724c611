'use strict';
// Run-time compilation (lib/jit.js, lib/router.js): handlers from a package in node_modules,
// made by factories, in a Router, a mounted sub-app and one added after listen are found in the
// live router; those that may move run on workers, those holding state stay on the main thread
// with the reason in stats(); responses are the same as without fluxion.
const path = require('node:path');
const { startApp, outcome } = require('./helpers/server');

jest.setTimeout(60000);
const APP = path.join(__dirname, 'apps', 'jit.js');
const as = (user) => ({ headers: { 'x-user': user } });

const script = [
  ['/hash?s=x'],
  ['/me?s=y', as('a')],
  ['/me?s=y', as('b')],
  ['/me?s=y', as('nobody')],
  ['/count/a'],
  ['/count/a'],
  ['/count/b'],
  ['/remember?k=1'],
  ['/remember?k=1'],
  ['/fail'],
  ['/r/hash?s=z'],
  ['/sub/hash?s=w'],
  ['/late?s=v'],
  ['/nowhere'],
];

/** The outcome without the header that says which thread answered. */
async function run(app) {
  const out = [];
  for (const [url, init] of script) {
    const o = await outcome(app.url + url, init);
    delete o.headers['x-thread'];
    out.push({ url, ...o });
  }
  return out;
}

async function threadOf(app, url, init) {
  const r = await fetch(app.url + url, init);
  await r.text();
  return Number(r.headers.get('x-thread'));
}

let baseline;
beforeAll(async () => {
  const plain = await startApp(APP, { fluxion: false });
  try {
    baseline = await run(plain);
  } finally {
    await plain.stop();
  }
  expect(baseline.find((o) => o.url === '/late?s=v').status).toBe(200);
});

test.each([
  ['default', {}],
  ['eager', { FLUXION_PLACEMENT: 'eager' }],
  ['eager over the Rust bus', { FLUXION_PLACEMENT: 'eager', FLUXION_TRANSPORT: 'bus' }],
])('%s placement gives the same responses', async (_, env) => {
  const app = await startApp(APP, { env });
  try {
    expect(await run(app)).toEqual(baseline);
    expect(app.stderr()).toBe('');
  } finally {
    await app.stop();
  }
});

test('eager: factory-made handlers run on workers; the ones holding state stay, saying why', async () => {
  const app = await startApp(APP, { env: { FLUXION_PLACEMENT: 'eager' } });
  try {
    for (const url of ['/hash?s=1', '/r/hash?s=1', '/sub/hash?s=1', '/late?s=1']) {
      expect(await threadOf(app, url)).toBeGreaterThan(0);
    }
    expect(await threadOf(app, '/me?s=1', as('a'))).toBeGreaterThan(0);
    expect(await threadOf(app, '/count/x')).toBe(0);
    expect(await threadOf(app, '/remember?k=x')).toBe(0);
    const stats = JSON.parse((await outcome(`${app.url}/stats`)).body);
    const of = (name) => stats.filter((s) => s.id.includes('flx-test-middleware') && s.id.includes(`#${name}@`));
    expect(of('hashQuery').length).toBe(5); // five closures of one factory, one fluxion each
    for (const s of of('hashQuery')) expect(s.placement).toBe('replicated (compiled at run time)');
    expect(of('setUser')[0].executions.every((e) => e.threadId > 0)).toBe(true);
    expect(of('count')[0].placement).toBe('main (writes counts)');
    expect(of('count')[0].executions.map((e) => e.threadId)).toEqual([0]);
    expect(of('rememberIt')[0].placement).toBe('main (writes store)');
  } finally {
    await app.stop();
  }
});

test('eager: a store inside a library keeps one copy under 120 concurrent requests', async () => {
  const app = await startApp(APP, { env: { FLUXION_PLACEMENT: 'eager' } });
  try {
    const bodies = await Promise.all(Array.from({ length: 120 }, () => outcome(`${app.url}/count/c`).then((o) => JSON.parse(o.body).count)));
    expect(bodies.sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  } finally {
    await app.stop();
  }
});

test('FLUXION_JIT=0 leaves handlers found at run time on the main thread', async () => {
  const app = await startApp(APP, { env: { FLUXION_PLACEMENT: 'eager', FLUXION_JIT: '0' } });
  try {
    expect(await threadOf(app, '/hash?s=1')).toBe(0);
    expect(await run(app)).toEqual(baseline);
  } finally {
    await app.stop();
  }
});
