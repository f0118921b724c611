'use strict';
// Issue 12, known failures about how an app starts: its listen block, and settings set after
// fluxionize(app). Each fixture runs plain, under the default placement (auto) and under
// FLUXION_PLACEMENT=eager; an observer must not tell them apart.
const { baseline, expectSoundBaseline, expectSame } = require('./fidelity');
const { cases } = require('./cases');

jest.setTimeout(60000);

describe('#2 the listen callback reads a variable of its block', () => {
  const { app, script } = cases['02'];
  const plain = baseline(app, script);
  test('plain: the callback prints its port', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.stdout).toEqual(['listening on 0']);
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #2 (issue 12), fixed: the listen callback runs on a worker and the process dies: ReferenceError: port is not defined
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#3 routing settings set after fluxionize(express())', () => {
  const { app, script } = cases['03'];
  const plain = baseline(app, script);
  test('plain: case-sensitive, strict', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.steps.map((s) => s.status)).toEqual([200, 200, 404, 200, 404]);
  });
  test('auto, register = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  test('eager, register = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
  // regression #3 (issue 12), fixed: /users answers "Users", /USERS and /dir answer 200: fluxionize built the router before the settings were set
  test('auto, fluxionize-early = plain', () => expectSame(plain, app, script, { mode: 'auto', way: 'fluxionize-early' }));
  // regression #3 (issue 12), fixed: as under auto
  test('eager, fluxionize-early = plain', () => expectSame(plain, app, script, { mode: 'eager', way: 'fluxionize-early' }));
});
