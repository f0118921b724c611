'use strict';
// The same request scripts against our apps, with and without fluxion (default placement and
// FLUXION_PLACEMENT=eager, where every fluxion that may move runs on a worker): the responses must
// be identical.
const path = require('node:path');
const { startApp, outcome } = require('./helpers/server');

const apps = path.join(__dirname, 'apps');
jest.setTimeout(60000);

const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const scripts = {
  'state.js': [
    ['/visits'],
    ['/visits', { headers: { 'x-user': 'ada' } }],
    ['/ticket'],
    ['/ticket'],
    ['/notes', json({ text: 'first' })],
    ['/notes', { ...json({ text: 'second' }), headers: { 'content-type': 'application/json', 'x-user': 'bob' } }],
    ['/notes', json({ nope: 1 })],
    ['/notes/1'],
    ['/notes/2'],
    ['/notes/3'],
    ['/notes'],
    ['/visits'],
    ['/nowhere'],
  ],
  'inplace.js': [
    ['/echo', json({ name: '  ada ', tags: ['x'] })],
    ['/echo?page=3', json({ name: 'bob' })],
  ],
  'captured.js': [['/add?x=a'], ['/add?x=b'], ['/add?x=c'], ['/add?x=d']],
  'wire.js': [
    ['/locals'],
    ['/buffer'],
    ['/raw', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'abc' }],
    ['/read'],
    ['/read'],
    ['/date'],
  ],
  'mainonly.js': [['/reject'], ['/reject-empty'], ['/throw-after-end'], ['/fine']],
  'refused.js': [['/status'], ['/cookie'], ['/vary'], ['/type-array'], ['/fine']],
  'async.js': [
    ['/file'],
    ['/stat'],
    ['/stat?f=none'],
    ['/chain/7'],
    ['/chain/missing'],
    ['/await/3'],
    ['/await/missing'],
    ['/throw'],
    ['/redirect'],
    ['/timer'],
    ['/nowhere'],
  ],
};

async function run(app, script) {
  const out = [];
  for (const [url, init] of script) out.push({ url, ...(await outcome(app.url + url, init)) });
  return out;
}

describe.each(Object.keys(scripts))('%s', (name) => {
  let baseline;
  beforeAll(async () => {
    const plain = await startApp(path.join(apps, name), { fluxion: false });
    try {
      baseline = await run(plain, scripts[name]);
    } finally {
      await plain.stop();
    }
  });

  test.each([
    ['default', {}],
    ['eager', { FLUXION_PLACEMENT: 'eager' }],
    ['eager, over the Rust bus,', { FLUXION_PLACEMENT: 'eager', FLUXION_TRANSPORT: 'bus', FLUXION_WORKERS: '2' }],
  ])('%s placement gives the same responses', async (_, env) => {
    const app = await startApp(path.join(apps, name), { env });
    try {
      expect(await run(app, scripts[name])).toEqual(baseline);
      expect(app.stderr()).toBe('');
    } finally {
      await app.stop();
    }
  });
});

test('state stays whole under concurrency: 300 concurrent visits count to 300', async () => {
  const app = await startApp(path.join(apps, 'state.js'), { env: { FLUXION_WORKERS: '2', FLUXION_PLACEMENT: 'eager' } });
  try {
    const all = await Promise.all(Array.from({ length: 300 }, () => outcome(app.url + '/visits')));
    const seen = all.map((r) => Number(r.headers['x-visits'])).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    const notes = await Promise.all(Array.from({ length: 50 }, (_, i) => outcome(app.url + '/notes', json({ text: `n${i}` }))));
    expect(new Set(notes.map((r) => JSON.parse(r.body).id)).size).toBe(50);
    const list = JSON.parse((await outcome(app.url + '/notes')).body);
    expect(list).toHaveLength(50);
  } finally {
    await app.stop();
  }
});

test('with FLUXION_PLACEMENT=eager the handlers do run on workers', async () => {
  for (const name of ['state.js', 'async.js']) {
    const app = await startApp(path.join(apps, name), { env: { FLUXION_PLACEMENT: 'eager' } });
    try {
      await run(app, scripts[name]);
      const stats = await fetch(app.url + '/__stats').then((r) => r.json());
      const onWorkers = stats.filter((s) => s.executions.some((e) => e.threadId !== 0)).map((s) => s.id.split('#')[1].split('@')[0]);
      const expected = name === 'state.js'
        ? ['identify', 'visitsRoute', 'addNote', 'getNote', 'listNotes', 'notFound']
        : ['readIt', 'gotFile', 'statIt', 'gotStat', 'chain', 'awaiting', 'thrower'];
      expect(onWorkers).toEqual(expect.arrayContaining(expected));
      if (name === 'state.js') {
        // `ticket = counter(100)`: a value the main thread computed; its user stays there.
        const ticket = stats.find((s) => s.id.includes('#ticketRoute@'));
        expect(ticket.placement).toBe("main (uses ticket, whose initial value is the main thread's)");
        expect(ticket.executions).toEqual([{ threadId: 0, count: 2 }]);
      }
    } finally {
      await app.stop();
    }
  }
});

test('a callback reading a const declared after it (TDZ) behaves as without fluxion', async () => {
  const plain = await startApp(path.join(apps, 'tdz.js'), { fluxion: false });
  try {
    const expected = await outcome(plain.url + '/tdz');
    expect(expected.body).toBe('ok 1');
    for (const env of [{}, { FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '2' }]) {
      const app = await startApp(path.join(apps, 'tdz.js'), { env });
      try {
        expect(await outcome(app.url + '/tdz')).toEqual(expected);
      } finally {
        await app.stop();
      }
    }
  } finally {
    await plain.stop();
  }
});
