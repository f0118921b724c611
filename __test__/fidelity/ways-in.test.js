'use strict';
// Every way in (helpers/transcript.js WAYS: -r, --import, require('fluxion/register') first,
// fluxionize early/late, `fluxion run`, the Jest preset) × both placements, each against its own
// plain baseline (Jest without the preset for the Jest way). `npm test` runs a representative set
// of fixtures; `npm run test:ways-in` (FLUXION_WAYS_IN=all) runs every fixture of cases.js.
const { WAYS } = require('../helpers/transcript');
const { cases } = require('./cases');
const { baseline, expectSoundBaseline, expectSame } = require('./fidelity');

jest.setTimeout(120000);

const ALL = process.env.FLUXION_WAYS_IN === 'all';
// #16's auto assertions read where contexts ran (known-failures-state.test.js); the ES module
// variant needs Node 22+ and has no Jest way.
const ids = ALL ? Object.keys(cases).filter((id) => id !== '16' && id !== '01-esm') : ['02', '03', '11'];

for (const id of ids) {
  const { app, script, env } = cases[id];
  describe(`fixture ${id}`, () => {
    // Plain is `node app.js` for every way but Jest's.
    const node = baseline(app, script, { env });
    const underJest = baseline(app, script, { env, way: 'jest' });
    test('plain: sound', () => expectSoundBaseline(node));
    test('plain (jest): sound', () => expectSoundBaseline(underJest));
    for (const way of WAYS) {
      const plain = way === 'jest' ? underJest : node;
      for (const mode of ['auto', 'eager']) test(`${mode}, ${way} = plain`, () => expectSame(plain, app, script, { mode, way, env }));
    }
  });
}
