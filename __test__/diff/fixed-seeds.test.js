'use strict';
// The differential harness on a fixed set of seeds: each generated app (test-harness/diff) must
// answer the same plain, under fluxion auto and eager placement, through `-r fluxion/register` and
// through `fluxionize(express())`. Features known to fail on main (known-failing.js) are left
// out, each with its reason printed; known-failing.test.js keeps that table honest.
// More seeds: npm run fuzz:diff -- --seeds 200 --jobs 2
const { generate } = require('../../test-harness/diff/generate');
const { check } = require('../../test-harness/diff/differ');
const { failureText } = require('../../test-harness/diff/report');
const { KNOWN_FAILING_FEATURES } = require('../../test-harness/diff/known-failing');

// Seven apps of 2–5 features each (about 2–3 s each on an idle 2-core machine), chosen so that
// together they draw most features that pass today and all three ways to listen.
const SEEDS = [0, 2, 3, 5, 6, 7, 10];
const EXCLUDE = Object.keys(KNOWN_FAILING_FEATURES);

jest.setTimeout(60000);

describe('left out: known to fail on main', () => {
  for (const [name, k] of Object.entries(KNOWN_FAILING_FEATURES)) {
    const why = `${name} — ${k.item ? `issue 12 item ${k.item}` : 'found by the harness (not in issue 12)'}: ${k.what}`;
    test.skip(why, () => {});
  }
  // eslint-disable-next-line no-console
  console.log(`fixed-seeds: ${EXCLUDE.length} features left out as known failures:\n${EXCLUDE.map((n) => `  ${n}: ${KNOWN_FAILING_FEATURES[n].what}`).join('\n')}`);
});

test.each(SEEDS)('seed %i: the same transcript in every configuration', async (seed) => {
  const spec = generate(seed, { exclude: EXCLUDE });
  const r = await check(spec);
  if (r.failures.length) throw new Error(`differs from plain — reproduce with npm run fuzz:diff -- --seed ${seed} --exclude ${EXCLUDE.join(',')}\n${failureText(spec, r.failures)}`);
});
