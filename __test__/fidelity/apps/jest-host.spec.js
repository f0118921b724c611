'use strict';
// The Jest way in (__test__/helpers/transcript.js, way `jest`): one test that loads a fixture app
// the way a supertest suite does — required by a test file, compiled by `preset: 'fluxion/jest'`
// (or by nothing, for the baseline) — and keeps it serving until the harness stops Jest.
const util = require('node:util');
const way = require('./way');

test('serves the fixture app until the harness stops it', async () => {
  // Jest buffers console output and prints it later, decorated; the harness reads the app's lines
  // as a process prints them.
  for (const [name, stream] of [['log', process.stdout], ['info', process.stdout], ['warn', process.stderr], ['error', process.stderr]]) {
    console[name] = (...args) => stream.write(`${util.format(...args)}\n`);
  }
  const exported = require(process.env.FIXTURE_APP);
  // Under Jest, require.main is not the app: one that listens only as the main module (#2) is
  // listened on from what it exports, as supertest(app) would.
  if (!way.announced) way.listen(exported);
  await new Promise(() => {});
});
