'use strict';
// Shared by the fidelity tests: one plain baseline per fixture, and the comparison of a fluxion
// run against it. `soundness` and `differences` return lists (for scripts, e.g. the tarball
// matrix); `expectSoundBaseline` and `expectSame` are the same checks as Jest assertions whose
// failure message lists every difference.
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
 * What is wrong with a plain run (empty when it is sound): it must start, keep running, and
 * every batch invariant must hold. A fluxion run compared with a broken baseline proves nothing.
 * @param {import('../helpers/transcript').Transcript} t
 * @returns {string[]}
 */
function soundness(t) {
  const out = [];
  if (!t.started) out.push(`${t.label} did not start: ${JSON.stringify(t.stderr.split('\n').slice(0, 6).join('\n'))}`);
  else if (t.process.died) out.push(`${t.label} died (exit code ${t.process.exitCode})`);
  for (const s of t.steps) if (s.problem) out.push(`${s.what}: ${s.problem}`);
  return out;
}

/**
 * The differences between the baseline and a fluxion run (compare()), plus the run's first lines
 * of stderr when there are any, for diagnosis.
 * @param {import('../helpers/transcript').Transcript} base
 * @param {import('../helpers/transcript').Transcript} t
 * @returns {string[]}
 */
function differences(base, t) {
  const diff = compare(base, t);
  if (diff.length && t.stderr) diff.push(`(${t.label} stderr, first lines: ${JSON.stringify(t.stderr.split('\n').slice(0, 6).join('\n'))})`);
  return diff;
}

/** Asserts soundness() of the baseline; resolves to its transcript. */
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
  expect(differences(base, t)).toEqual([]);
  return t;
}

module.exports = { fixture, baseline, soundness, differences, expectSoundBaseline, expectSame };
