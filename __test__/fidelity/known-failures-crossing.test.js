'use strict';
// Issue 12, known failures about what crosses threads: bodies, errors, response calls, req.app,
// res.headersSent, and re-runs after a conflict. Each fixture runs plain, under the default
// placement (auto) and under FLUXION_PLACEMENT=eager; an observer must not tell them apart.
const { baseline, expectSoundBaseline, expectSame } = require('./fidelity');
const { cases } = require('./cases');

jest.setTimeout(60000);

describe('#7 an optimistic run that conflicts is re-run with the error guard', () => {
  const { app, script } = cases['07'];
  const plain = baseline(app, script);
  test('plain: tickets 1..330 each once, then 409 sold out', async () => {
    const t = await expectSoundBaseline(plain);
    const sold = t.steps.slice(0, 6).flatMap((s) => s.outcomes.filter((o) => o.status === 200).map((o) => JSON.parse(o.body).ticket));
    expect(sold.sort((a, b) => a - b)).toEqual(Array.from({ length: 330 }, (_, i) => i + 1));
    expect([t.steps[6].body, t.steps[7].status]).toEqual(['{"left":0,"sold":330}', 409]);
  });
  // regression #7 (issue 12), fixed: once the default placement offloads /buy, the process dies with 'Error: sold out' at the last tickets (same path as eager)
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #7 (issue 12), fixed: the process dies with 'Error: sold out': a conflicting optimistic run is re-run on the main thread outside the router's error handling
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#8 bodies that are not plain data', () => {
  const { app, script } = cases['08'];
  const plain = baseline(app, script);
  test('plain: JSON rules', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.steps.map((s) => s.body)).toEqual(['{"a":1}', '{"price":"12.50 EUR"}', '{"x":3,"y":4}', '{"ok":true}']);
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #8 (issue 12), fixed: the process dies: 'Error: f() {} could not be cloned' (DataCloneError from the worker's response message)
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#9 response calls in nextTick, promise callbacks and setImmediate keep their order', () => {
  const { app, script } = cases['09'];
  const plain = baseline(app, script);
  test('plain: the header set in nextTick is there', async () => {
    const t = await expectSoundBaseline(plain);
    expect([t.steps[0].headers['x-tick'], t.steps[1].headers['x-order'], t.steps[2].headers['x-tick'], t.steps[3].summary, t.steps[4].summary]).toEqual([
      'yes',
      'sync, tick, promise, immediate',
      'yes',
      240,
      240,
    ]);
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #9 (issue 12), fixed: /tick-counted loses X-Tick on every response (0 of 240): the nextTick callback runs on a worker after the promise callback sent the body
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#11 req.app is the app', () => {
  const { app, script } = cases['11'];
  const plain = baseline(app, script);
  test('plain: locals and settings', async () => {
    const t = await expectSoundBaseline(plain);
    expect(JSON.parse(t.steps[0].body)).toEqual({ title: 'Pet Shop', currency: 'EUR', tax: true, mountpath: '/' });
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #11 (issue 12), fixed: req.app.locals is empty and req.app.mountpath undefined on a worker: the body lacks title and mountpath
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#12 error classes and their fields survive', () => {
  const { app, script } = cases['12'];
  const plain = baseline(app, script);
  test('plain: 404 and 400 from instanceof', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.steps.map((s) => s.status)).toEqual([200, 404, 400, 200, 200, 404]);
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #12 (issue 12), fixed: the async NotFound reaches the error middleware as a plain Error: 500 instead of 404 (the sync throw and next(err) cases pass)
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#13 res.headersSent after res.json()', () => {
  const { app, script } = cases['13'];
  const plain = baseline(app, script);
  test('plain: true right after json()', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.stdout).toEqual(['after json, headersSent=true', 'after json, headersSent=true']);
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #13 (issue 12), fixed: logs headersSent=false after res.json() on a worker
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});
