'use strict';
// Shared by the fidelity tests: one plain baseline per fixture, and the comparison of a fluxion
// run against it as a Jest assertion whose failure message lists every difference.
const path = require('node:path');
const { transcript, compare } = require('../helpers/transcript');

const APPS = path.join(__dirname, 'apps');

/** The path of a fixture app. */
const fixture = (name) => path.join(APPS, name);

/**
 * A transcript computed on first use and kept: the plain baseline of a describe block, shared by
 * its tests whatever order or subset of them runs.
 */
function baseline(app, script, opts = {}) {
  let p = null;
  return () => (p ||= transcript(app, script, { ...opts, mode: 'plain' }));
}

/**
 * Asserts that the plain run itself is sound: it started, kept running, every batch invariant
 * held. A fluxion test compared against a broken baseline would prove nothing.
 */
async function expectSoundBaseline(plain) {
  const t = await plain();
  expect({ started: t.started, died: t.process.died, problems: t.steps.filter((s) => s.problem).map((s) => `${s.what}: ${s.problem}`) }).toEqual({
    started: true,
    died: false,
    problems: [],
  });
  return t;
}

/**
 * Runs the script under fluxion (`mode`, `way`) and expects no difference from the baseline.
 * @returns {Promise<import('../helpers/transcript').Transcript>}
 */
async function expectSame(plain, app, script, opts) {
  const base = await plain();
  const t = await transcript(app, script, opts);
  const diff = compare(base, t);
  if (diff.length && t.stderr) diff.push(`(${t.label} stderr, first lines: ${JSON.stringify(t.stderr.split('\n').slice(0, 6).join('\n'))})`);
  expect(diff).toEqual([]);
  return t;
}

module.exports = { fixture, baseline, expectSoundBaseline, expectSame };
