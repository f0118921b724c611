'use strict';
// Async wrappers around handlers (fixture 21): wrapped handlers that may move run on workers
// under eager, and every way in gives plain node's transcript — successes, thrown errors,
// rejected promises, next(err), next('route'), res after an await, and a counter that stays whole.
const { cases } = require('./cases');
const { baseline, expectSoundBaseline, expectSame } = require('./fidelity');

jest.setTimeout(60000);

describe('#21 async wrappers (wrap, catchAsync)', () => {
  const { app, script } = cases['21'];
  const plain = baseline(app, script);
  test('plain: what Express answers', async () => {
    const t = await expectSoundBaseline(plain);
    const one = t.steps.filter((s) => s.kind === 'request');
    expect(one.map((s) => s.status)).toEqual([200, 404, 500, 409, 200, 202, 200, 404, 200]);
    expect(JSON.parse(one[1].body)).toEqual({ error: 'no book 9', name: 'Error', cls: 'Error' });
    expect(JSON.parse(one[2].body)).toEqual({ error: 'bad range 7', name: 'RangeError', cls: 'RangeError' });
    expect(one[4].body).toBe('next route');
    expect(one[6].body).toMatch(/^Emma [0-9a-f]{16}$/);
    expect(JSON.parse(one[7].body)).toEqual({ error: 'no book 5 here', name: 'Error', cls: 'Error' });
    expect(JSON.parse(one[8].body)).toEqual({ hits: 31 });
  });
  for (const way of ['register', 'fluxionize-early']) {
    for (const mode of ['auto', 'eager']) test(`${mode}, ${way} = plain`, () => expectSame(plain, app, script, { mode, way }));
  }
});
