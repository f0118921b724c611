'use strict';
// Run-time compilation (lib/jit/index.js, lib/frameworks/express/discover.js): handlers from a package in node_modules,
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
  ['/format?s=ab'],
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
    // A function in its options and a helper closure: serialised with their closures.
    expect(await threadOf(app, '/format?s=x')).toBeGreaterThan(0);
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

// ---- optimistic runs on replicas (lib/optimistic/speculate.js) ---------------------------------------------

const http = require('node:http');

/** A client holding /ch/join open; resolves with everything it received. */
function join(url) {
  return new Promise((resolve, reject) => {
    http.get(`${url}/ch/join`, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}
const publish = (app, text) => outcome(`${app.url}/ch/publish?text=${text}`, { method: 'POST' });
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** Two listeners, sequential then concurrent publishes, close: what each listener received. */
async function channelSession(app) {
  const first = join(app.url);
  await pause(150);
  const replies = [];
  for (const t of ['a', 'b', 'c']) replies.push((await publish(app, t)).body);
  const second = join(app.url);
  await pause(150);
  const frames = await Promise.all(Array.from({ length: 12 }, (_, i) => publish(app, `x${i}`).then((o) => JSON.parse(o.body).frame)));
  replies.push((await publish(app, '')).status);
  await outcome(`${app.url}/ch/close`, { method: 'POST' });
  return { replies, frames: frames.sort((a, b) => a - b), first: await first, second: await second };
}

test('a library object holding open responses: runs on replicas give the original bytes', async () => {
  const plain = await startApp(APP, { fluxion: false });
  let expected;
  try {
    expected = await channelSession(plain);
  } finally {
    await plain.stop();
  }
  expect(expected.frames).toEqual(Array.from({ length: 12 }, (_, i) => i + 4));
  const lines = (s) => s.trim().split('\n');
  const app = await startApp(APP, { env: { FLUXION_PLACEMENT: 'eager' } });
  try {
    const got = await channelSession(app);
    expect(got.replies).toEqual(expected.replies);
    expect(got.frames).toEqual(expected.frames);
    // Sequential publishes: byte for byte. Concurrent ones: some serial order of them, each
    // frame once, numbered in the order the listener receives them.
    expect(lines(got.first).slice(0, 4)).toEqual(lines(expected.first).slice(0, 4));
    const numbers = (s) => lines(s).filter((l) => /^(first|frame) /.test(l)).map((l) => Number(l.split(' ')[1]));
    expect(numbers(got.first)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(numbers(got.second)).toEqual(Array.from({ length: 12 }, (_, i) => i + 4));
    const byText = (s) => Object.fromEntries(lines(s).filter((l) => /^(first|frame) /.test(l)).map((l) => [l.split(' ')[2], l.split(' ')[3]]));
    expect(byText(got.first)).toEqual(byText(expected.first)); // same hash for each text
    const stats = JSON.parse((await outcome(`${app.url}/stats`)).body);
    const pub = stats.find((s) => /channel\.js#publish@/.test(s.id));
    const committed = Number(/(\d+) committed/.exec(pub.placement)[1]);
    expect(committed).toBeGreaterThanOrEqual(3); // at least the sequential ones
    expect(pub.executions.some((e) => e.threadId > 0)).toBe(true);
    expect(stats.find((s) => /channel\.js#join@/.test(s.id)).placement).toBe('main (passes res on)');
    expect(app.stderr()).toBe('');
  } finally {
    await app.stop();
  }
});
