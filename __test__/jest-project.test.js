'use strict';
// A real project's own Jest suite with `preset: 'fluxion/jest'` added to its config
// (scripts/jest-project.js): plain, default and eager placement give every test the same outcome,
// and under eager some of the project's handlers run on fluxion's workers (its stats files).
// Checked with json-server 0.17.4 (Express 4, babel-jest through Jest 26, supertest: README).
// Needs a checkout with its dependencies: JEST_PROJECT_DIR=/path/to/checkout (npm ci done, and
// whatever its test script builds first: json-server's `babel src -d lib` for its CLI tests).
// JEST_PROJECT_ARGS: Jest arguments (its test script's paths); JEST_PROJECT_MIN_ON_WORKERS: how
// many of its handlers must run on workers under eager (1; 0 for a suite whose apps cannot move,
// express-slow-down's: README).
const path = require('node:path');
const { compare, print, unusable } = require('../scripts/jest-project');

const dir = process.env.JEST_PROJECT_DIR ? path.resolve(process.env.JEST_PROJECT_DIR) : null;
const why = unusable(dir);

if (why) {
  test.skip(`a real project's Jest suite with the preset (skipped: ${why})`, () => {});
} else {
  describe(`${path.basename(dir)}'s Jest suite with the preset`, () => {
    let x;
    beforeAll(async () => {
      x = await compare(dir, { placements: ['default', 'eager'], jestArgs: (process.env.JEST_PROJECT_ARGS || '').split(' ').filter(Boolean) });
      print(x);
    }, 1800000);

    test('every test has the same outcome plain, default and eager', () => {
      expect(x.keys).toBeGreaterThan(0);
      expect(x.diffs).toEqual([]);
      expect(x.sameExit).toBe(true);
    });

    test('eager: handlers of the project ran on workers (stats files)', () => {
      expect(x.workers['preset-eager'].ids.length).toBeGreaterThanOrEqual(Number(process.env.JEST_PROJECT_MIN_ON_WORKERS || 1));
    });
  });
}
