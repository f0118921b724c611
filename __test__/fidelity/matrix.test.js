'use strict';
// The matrix shared by ways-in.test.js and the tarball run (scripts/tarball/fidelity.js), without
// running it: which fixtures and cells it holds, and that an installed source runs the fixtures
// from the copy in its folder (where `express` and `fluxion` resolve from its node_modules).
const path = require('node:path');
const { matrix, allIds, MODES } = require('./matrix');
const { WAYS, installed } = require('../helpers/transcript');
const { cases } = require('./cases');

test('allIds: every fixture of cases.js but #16; the ES module one only when asked', () => {
  expect(allIds()).toEqual(Object.keys(cases).filter((id) => id !== '16' && id !== '01-esm'));
  expect(allIds({ esm: true })).toEqual(Object.keys(cases).filter((id) => id !== '16'));
});

test('an installed source: fixtures from the copy, every way × placement, no Jest way for an ES module', () => {
  const dir = path.join(path.sep, 'tmp', 'some-install');
  const apps = path.join(dir, 'fidelity-apps');
  const rows = matrix({ ids: ['04', '01-esm'], source: installed(dir), apps });
  expect(rows.map((r) => path.relative(apps, r.app))).toEqual([path.join('04-mvc', 'index.js'), '01-await-after-cpu.mjs']);
  expect(rows[0].cells.map((c) => `${c.way} ${c.mode} ${c.against}`)).toEqual(
    WAYS.flatMap((w) => MODES.map((m) => `${w} ${m} ${w === 'jest' ? 'jest' : 'node'}`))
  );
  expect(rows[1].cells.map((c) => c.way)).not.toContain('jest');
  expect(rows[1].cells).toHaveLength((WAYS.length - 1) * MODES.length);
});
