'use strict';
// Express 4 and what a handler returns (fixtures 22 and 23): the router ignores it, an
// express-async-errors patch does not, and without one a rejection is the process's
// 'unhandledRejection'. Moved to a worker, a handler still returns a promise on the main thread
// that settles as its run did; the dispatcher in a patched layer is not wrapped twice.
const { cases } = require('./cases');
const { baseline, expectSoundBaseline, expectSame } = require('./fidelity');

jest.setTimeout(60000);

describe('#22 Express 4 with express-async-errors', () => {
  const { app, script, env } = cases['22'];
  const plain = baseline(app, script, { env });
  test('plain: what Express 4 and the patch answer', async () => {
    const t = await expectSoundBaseline(plain);
    const one = t.steps.filter((s) => s.kind === 'request');
    expect(one.map((s) => s.status)).toEqual([200, 418, 500, 200, 500, 409, 200, 200]);
    expect(JSON.parse(one[1].body)).toEqual({ type: 'object', cls: 'RangeError', message: 'RangeError: teapot', code: 'E_POT' });
    expect(JSON.parse(one[2].body)).toEqual({ type: 'string', cls: 'String', message: 'a plain string' });
    expect(one[3].body).toBe('the next route');
    expect(t.stdout).toEqual(['late error: Error after the answer 1', 'late error: Error after the answer 2']);
    expect(t.errors).toEqual([]);
  });
  for (const way of ['register', 'fluxionize-early', 'fluxionize-late']) {
    for (const mode of ['auto', 'eager']) test(`${mode}, ${way} = plain`, () => expectSame(plain, app, script, { mode, way, env }));
  }
});

describe('#23 Express 4, a rejection nobody handles', () => {
  const { app, script } = cases['23'];
  const plain = baseline(app, script);
  test("plain: the process's unhandledRejection sees it", async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.stdout).toEqual(['unhandled: RangeError after the answer 1', 'unhandled: RangeError after the answer 2']);
  });
  for (const way of ['register', 'fluxionize-early']) {
    for (const mode of ['auto', 'eager']) test(`${mode}, ${way} = plain`, () => expectSame(plain, app, script, { mode, way }));
  }
});
