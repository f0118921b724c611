'use strict';
// Every entry of KNOWN_FAILING_FEATURES must still fail: when a fix makes one pass, this test
// fails and asks for the entry to be removed (its feature then joins the fixed seeds).
// Each feature is tried alone, plain against the configuration the table names, on up to three
// seeds (a feature's failure may depend on its drawn parameters).
const { single } = require('../../test-harness/diff/generate');
const { check } = require('../../test-harness/diff/differ');
const { KNOWN_FAILING_FEATURES } = require('../../test-harness/diff/known-failing');

jest.setTimeout(60000);

/** The one-feature app of a table entry (a `listen:` entry: a counter app listening that way). */
function specFor(name, seed) {
  if (name.startsWith('listen:')) return { ...single('counter', seed), listen: name.slice('listen:'.length) };
  return single(name, seed);
}

const entries = Object.entries(KNOWN_FAILING_FEATURES);
// Jest refuses an empty table: with nothing known to fail, say so as a test of its own.
if (!entries.length) test('no feature of the harness is known to fail on main', () => expect(entries).toEqual([]));
else test.each(entries)('%s still fails (else remove it from KNOWN_FAILING_FEATURES)', async (name, k) => {
  for (const seed of [0, 1, 2]) {
    const r = await check(specFor(name, seed), { configs: [k.config] });
    if (r.failures.length) return;
  }
  throw new Error(`${name} (${k.item ? `issue 12 item ${k.item}` : 'found by the harness'}) no longer fails under ${k.config} on seeds 0–2: remove it from test-harness/diff/known-failing.js`);
});
