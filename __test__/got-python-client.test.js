'use strict';
// The Python client's own tests (clients/python/tests, unittest), run when it is installed
// (pip install ./clients/python; CI does).
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const probe = spawnSync('python3', ['-c', 'import fluxion_got'], { encoding: 'utf8' });
const reason = probe.error
  ? 'python3 is not installed'
  : probe.status !== 0
    ? 'the fluxion_got package is missing (pip install ./clients/python)'
    : null;
if (reason) console.warn(`SKIPPED the Python client tests: ${reason}.`);
const maybe = reason ? test.skip : test;

maybe('the Python client (fluxion_got) passes its unittest suite', () => {
  const r = spawnSync('python3', ['-m', 'unittest', 'test_dataframe', 'test_remote', 'test_token', 'test_durable'], {
    cwd: path.join(__dirname, '..', 'clients', 'python', 'tests'),
    encoding: 'utf8',
    timeout: 120000,
  });
  expect(r.stderr).toMatch(/\nOK\n$/);
  expect(r.status).toBe(0);
}, 130000);
