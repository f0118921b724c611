'use strict';
// Every way in (helpers/transcript.js WAYS: -r, --import, require('fluxion/register') first,
// fluxionize early/late, `fluxion run`, the Jest preset) × both placements, each against its own
// plain baseline (Jest without the preset for the Jest way): the matrix of ./matrix.js, from this
// repository. `npm test` runs a representative set of fixtures; `npm run test:ways-in`
// (FLUXION_WAYS_IN=all) runs every fixture of cases.js (24: a file saved with a byte order mark); `npm run test:tarball` runs the same
// matrix from the installed tarballs.
const { matrix, allIds } = require('./matrix');
const { expectSoundBaseline } = require('./fidelity');

jest.setTimeout(120000);

const ALL = process.env.FLUXION_WAYS_IN === 'all';
const ids = ALL ? allIds() : ['02', '03', '11', '24'];

for (const row of matrix({ ids })) {
  describe(`fixture ${row.id}`, () => {
    test('plain: sound', () => expectSoundBaseline(row.baselines.node));
    test('plain (jest): sound', () => expectSoundBaseline(row.baselines.jest));
    for (const cell of row.cells) test(`${cell.mode}, ${cell.way} = plain`, async () => expect(await cell.differences()).toEqual([]));
  });
}
