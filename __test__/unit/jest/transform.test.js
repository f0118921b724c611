'use strict';
// jest/transform.js leaves a project's test files to the project's transformer alone: fluxion's
// own rule (`*.test.*`, `*.spec.*`, `__tests__/`) and the project's `testMatch` / `testRegex`
// (express-slow-down names its tests `test/library/*-test.ts`).
const path = require('node:path');
const { compilable } = require('../../../jest/transform');

const root = path.join(__dirname, 'project');
const file = (rel) => path.join(root, rel);

test("fluxion's own rule", () => {
  expect(compilable(file('src/app.spec.js'), { rootDir: root })).toBe(false);
  expect(compilable(file('__tests__/app.js'), { rootDir: root })).toBe(false);
  expect(compilable(file('src/app.js'), { rootDir: root })).toBe(true);
});

test("the project's testMatch globs", () => {
  const config = { rootDir: root, testMatch: ['**/test/{library,integration}/*-test.[jt]s?(x)'] };
  expect(compilable(file('test/library/delay-test.ts'), config)).toBe(false);
  expect(compilable(file('test/helpers/server.ts'), config)).toBe(true);
});

test("the project's testRegex", () => {
  const config = { rootDir: root, testMatch: [], testRegex: ['/checks/.*\\.js$'] };
  expect(compilable(file('checks/a.js'), config)).toBe(false);
  expect(compilable(file('lib/a.js'), config)).toBe(true);
});
