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

describe('res.render with a callback: the view renders where the app is, the callback runs with its result', () => {
  const app = fixture('19-render-callback.js');
  const script = [{ url: '/render?name=ada' }, { url: '/render' }, { url: '/missing' }];
  const plain = baseline(app, script);
  test('plain: the callback gets the HTML, or the error', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.steps.map((s) => s.body)).toEqual(['HELLO ADA!', 'HELLO TOBI!', 'no view']);
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe("Express's host getters read the request's own headers, as changed by the handler", () => {
  const app = fixture('20-host.js');
  const fwd = { 'x-forwarded-host': 'api.example.com:8080' };
  const script = [
    { url: '/host?h=tobi.ferrets.example.com:3000' },
    { url: '/host?h=tobi.ferrets.example.com', headers: fwd },
    { url: '/proxied/host?h=x.example.com', headers: fwd },
    { url: '/nohost' },
  ];
  const plain = baseline(app, script);
  test('plain: what Express answers', async () => {
    const t = await expectSoundBaseline(plain);
    expect(JSON.parse(t.steps[0].body)).toEqual({ host: 'tobi.ferrets.example.com:3000', hostname: 'tobi.ferrets.example.com', subdomains: ['ferrets', 'tobi'] });
    expect(JSON.parse(t.steps[1].body).hostname).toBe('tobi.ferrets.example.com');
    expect(JSON.parse(t.steps[2].body).hostname).toBe('api.example.com');
    expect(t.steps[3].body).toBe('undefined');
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});
