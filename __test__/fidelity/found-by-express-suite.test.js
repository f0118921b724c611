'use strict';
// Differences Express's own test suite found under FLUXION_PLACEMENT=eager (scripts/
// express-suite.js), each as a small app: plain, auto and eager must not be told apart.
const { fixture, baseline, expectSoundBaseline, expectSame } = require('./fidelity');

jest.setTimeout(60000);

describe('an instance hung on req by a middleware (AsyncLocalStorage)', () => {
  const app = fixture('17-req-instances.js');
  const script = [{ url: '/als' }, { url: '/als' }];
  const plain = baseline(app, script);
  test('plain: the store is there', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.steps.map((s) => s.body)).toEqual(['bar', 'bar']);
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
  test('eager, fluxionize-early = plain', () => expectSame(plain, app, script, { mode: 'eager', way: 'fluxionize-early' }));
});

describe('values Express transforms: header coercion, URL, json replacer, data modules written', () => {
  const app = fixture('18-response-values.js');
  const script = [
    { url: '/coerce' },
    { url: '/url' },
    { url: '/replacer' },
    { url: '/pet/1' },
    { url: '/pet/1', method: 'PUT' },
    { url: '/pet/1' },
  ];
  const plain = baseline(app, script);
  test('plain: what Express answers', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.steps[0].body).toBe('string ["1","2"] text/plain; charset=utf-8');
    expect(t.steps[1].headers.location).toBe('http://example.com/a?b=1');
    expect(t.steps[2].body).toBe('{"name":"tobi"}');
    expect(t.steps.slice(3).map((s) => s.body)).toEqual(['Loki', 'ok', 'Boots']);
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
  test('eager, fluxionize-early = plain', () => expectSame(plain, app, script, { mode: 'eager', way: 'fluxionize-early' }));
});
