'use strict';
// FLUXION_WORKER_YOUNG_MB: each worker's V8 young generation can be capped (scenario 7 of the
// benchmark, RSS per worker); a bad value is an error that names the setting, at start-up.
const path = require('node:path');
const { workerResourceLimits, DEFAULT_WORKER_YOUNG_MB } = require('../lib/config');
const { startApp } = require('./helpers/server');

jest.setTimeout(60000);
const app = path.join(__dirname, 'apps', 'limits.js');

test('FLUXION_WORKER_YOUNG_MB: default, override, 0 for V8\'s own, bad values named', () => {
  expect(DEFAULT_WORKER_YOUNG_MB).toBe(0);
  expect(workerResourceLimits({})).toBeUndefined();
  expect(workerResourceLimits({ FLUXION_WORKER_YOUNG_MB: '16' })).toEqual({ maxYoungGenerationSizeMb: 16 });
  expect(workerResourceLimits({ FLUXION_WORKER_YOUNG_MB: '0' })).toBeUndefined();
  for (const bad of ['abc', '-1', '1.5', '1e3', '99999']) {
    expect(() => workerResourceLimits({ FLUXION_WORKER_YOUNG_MB: bad })).toThrow(
      new RegExp(`\`FLUXION_WORKER_YOUNG_MB\`: must be a whole number .*\\(got "${bad.replace('.', '\\.')}"\\)`)
    );
  }
});

async function limitsOnWorker(env) {
  const a = await startApp(app, { env: { FLUXION_WORKERS: '1', FLUXION_PLACEMENT: 'eager', ...env } });
  try {
    return await fetch(a.url + '/limits').then((r) => r.json());
  } finally {
    await a.stop();
  }
}

test('no cap by default (V8 decides); FLUXION_WORKER_YOUNG_MB sets one', async () => {
  const dflt = await limitsOnWorker({});
  expect(dflt.threadId).not.toBe(0);
  // V8's own limit, larger than any cap this test sets.
  expect(dflt.resourceLimits.maxYoungGenerationSizeMb).toBeGreaterThan(2);
  const two = await limitsOnWorker({ FLUXION_WORKER_YOUNG_MB: '2' });
  expect(two.resourceLimits.maxYoungGenerationSizeMb).toBe(2);
});

test('a bad FLUXION_WORKER_YOUNG_MB stops the app at start-up with a message naming it', async () => {
  await expect(startApp(app, { env: { FLUXION_WORKER_YOUNG_MB: 'lots' } })).rejects.toThrow(
    /exited with 1:\nfluxion config \(environment\): `FLUXION_WORKER_YOUNG_MB`: must be a whole number of megabytes[^\n]*\n$/
  );
});
