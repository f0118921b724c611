'use strict';
// The cache as an app meets it: FLUXION_CACHE_DIR honoured with the same checks, a refused
// folder or entry costs a compile and one warning, never a crash or someone else's code.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startApp, outcome } = require('../../helpers/server');

const APP = path.join(__dirname, '..', '..', 'apps', 'listing1.js');
const posix = process.platform !== 'win32';
const ENV = { FLUXION_WORKERS: '2', FLUXION_PLACEMENT: 'eager', FLUXION_CACHE: '1' };

let root;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-cache-app-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** Starts the app with a cache folder, makes two requests, returns what it said and printed. */
async function run(dir) {
  const app = await startApp(APP, { env: { ...ENV, FLUXION_CACHE_DIR: dir } });
  try {
    const bodies = [];
    for (let i = 0; i < 2; i++) bodies.push((await outcome(app.url + '/')).body.replace(/ \w+$/, ''));
    return { bodies, stderr: app.stderr() };
  } finally {
    await app.stop();
  }
}
const refusals = (stderr) => stderr.match(/FLUXION_CACHE_REFUSED/g) || [];

(posix ? test : test.skip)('FLUXION_CACHE_DIR that others can write: the app runs compiled in memory, with one warning', async () => {
  const dir = path.join(root, 'shared');
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o777);
  const { bodies, stderr } = await run(dir);
  expect(bodies).toEqual(['count: 1', 'count: 2']);
  expect(refusals(stderr)).toHaveLength(1);
  expect(stderr).toContain(`not using the compile cache ${dir}: it is writable by group and others (mode 777)`);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('tampered entries are recompiled (one warning each) and rewritten; the next start is quiet', async () => {
  const dir = path.join(root, 'mine', 'cache');
  const first = await run(dir);
  expect(first.bodies).toEqual(['count: 1', 'count: 2']);
  expect(first.stderr).toBe('');
  if (posix) expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  const entries = fs.readdirSync(dir);
  expect(entries.length).toBeGreaterThan(0);
  // Code that would stop the app if it ran: what a tampering user would put there.
  let tampered = 0;
  for (const e of entries) {
    const f = path.join(dir, e);
    const text = fs.readFileSync(f, 'utf8');
    if (!text.includes('{"code":"')) continue;
    fs.writeFileSync(f, text.replace('{"code":"', '{"code":"throw new Error(\'tampered\');'));
    tampered++;
  }
  expect(tampered).toBeGreaterThan(0);
  const second = await run(dir);
  expect(second.bodies).toEqual(['count: 1', 'count: 2']);
  expect(second.stderr).not.toContain('tampered');
  expect(refusals(second.stderr)).toHaveLength(tampered);
  expect(second.stderr).toContain('its content does not match its sha256');
  const third = await run(dir);
  expect(third.bodies).toEqual(['count: 1', 'count: 2']);
  expect(third.stderr).toBe('');
});
