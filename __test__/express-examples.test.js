'use strict';
// Express's own acceptance suite (test/acceptance, against its examples) must give the same
// outcomes plain and in every fluxion configuration of scripts/suite-compare.js (the require hook
// and fluxionize(app) right after express(), default and eager placement).
// Needs an Express checkout with its dev dependencies installed: EXPRESS_DIR=/path/to/express.
const path = require('node:path');
const { compare, unusable, print, CONFIGS } = require('../scripts/express-examples');

const dir = process.env.EXPRESS_DIR ? path.resolve(process.env.EXPRESS_DIR) : null;
const why = unusable(dir);

if (why) {
  test.skip(`Express acceptance suite (skipped: ${why})`, () => {});
  // eslint-disable-next-line no-console
  console.log(`express-examples.test.js skipped: ${why}. Set EXPRESS_DIR to an Express checkout with npm install done.`);
} else {
  describe('Express acceptance suite', () => {
    let result;
    beforeAll(async () => {
      result = await compare(dir);
      print(result);
    }, 600000);

    test('the plain run passes', () => {
      const plain = result.configs.find((c) => c.name === 'plain');
      expect(plain.reported).toBe(true);
      expect(plain.total).toBeGreaterThan(0);
    });

    test.each(CONFIGS.filter((c) => c.name !== 'plain').map((c) => c.name))('%s placement: same outcomes as plain, no crash, no hang', (name) => {
      const c = result.configs.find((x) => x.name === name);
      const plain = result.configs.find((x) => x.name === 'plain');
      expect({ reported: c.reported, hung: c.hung, lingered: c.lingered && !plain.lingered }).toEqual({
        reported: true,
        hung: false,
        lingered: false,
      });
      expect(c.diffs).toEqual([]);
      expect(c.passes).toBe(plain.passes);
    });
  });
}
