'use strict';
// The paper's case study: gifsockets-server 0.38.1 (with gifsockets-middleware 0.1.0), unmodified,
// its own mocha suite plain / default / eager; under eager the GIF encoding of a JSON frame runs
// on a worker (an optimistic run on a replica of the middleware's gifsocket object) and the GIF
// the client receives is byte for byte the expected one (the suite's "creates the image as a GIF").
// Needs a checkout with its dependencies: GIFSOCKETS_DIR=/path/to/gifsockets-server.
const path = require('node:path');
const { compare, unusable, print } = require('../scripts/gifsockets');

const dir = process.env.GIFSOCKETS_DIR ? path.resolve(process.env.GIFSOCKETS_DIR) : null;
const why = unusable(dir);

if (why) {
  test.skip(`gifsockets-server suite (skipped: ${why})`, () => {});
  // eslint-disable-next-line no-console
  console.log(`gifsockets.test.js skipped: ${why}. Set GIFSOCKETS_DIR to a gifsockets-server checkout with npm install done.`);
} else {
  describe('gifsockets-server suite', () => {
    let result;
    beforeAll(async () => {
      result = await compare(dir);
      print(result);
    }, 600000);

    test.each(['default', 'eager'])('%s placement: same outcomes as plain', (name) => {
      const c = result.configs.find((x) => x.name === name);
      const plain = result.configs.find((x) => x.name === 'plain');
      expect(c.reported && !c.hung).toBe(true);
      expect(c.diffs).toEqual([]);
      expect(c.passes).toBe(plain.passes);
    });

    test('eager: the JSON frame is encoded on a worker and committed', () => {
      const eager = result.configs.find((x) => x.name === 'eager');
      const enc = eager.stats.find((s) => /write-json-to-images\.js#writeJsonToImages@/.test(s.id));
      expect(enc.placement).toMatch(/optimistic on replicas: [1-9]\d* committed/);
      expect(enc.executions.some((e) => e.threadId > 0)).toBe(true);
      const open = eager.stats.find((s) => /open-image\.js#openImage@/.test(s.id));
      expect(open.placement).toBe('main (passes res on)');
    });
  });
}
