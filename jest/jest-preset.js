'use strict';
// `preset: 'fluxion/jest'`: a Jest suite runs its app with fluxion, as `node -r fluxion/register`
// would. It composes with the project's config instead of replacing it:
// - runner (jest/runner.js): Jest's own runner, with every JS/TS transform of the project (its
//   babel-jest, ts-jest, @swc/jest... or Jest's default babel-jest) wrapped by fluxion's
//   (jest/transform.js), whatever order the preset's and the project's settings merge in;
// - setupFilesAfterEnv (jest/setup.js, before the project's own): per test file, fluxion watches
//   servers (supertest, app.listen) and, after the file, shuts its workers down and restores
//   what it patched, so the next file starts clean and Jest exits by itself.
const path = require('node:path');

module.exports = {
  runner: path.join(__dirname, 'runner.js'),
  setupFilesAfterEnv: [path.join(__dirname, 'setup.js')],
};
