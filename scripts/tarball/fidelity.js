'use strict';
// The fidelity matrix of __test__/fidelity/matrix.js (the fixtures of cases.js × ways in ×
// auto/eager, each against its plain baseline) run from the package installed by
// scripts/test-tarball.js: the fixtures are copied into the install folder and name `fluxion`,
// `fluxion/register` and `preset: 'fluxion/jest'` as a user's app does, resolved through the
// installed package's `exports`; `fluxion run` is node_modules/.bin/fluxion; the compile cache is
// on, as a user has it (node_modules/.cache/fluxion of that folder), where the repository's runs
// turn it off.
const path = require('node:path');
const { matrix, allIds, copyFixtures } = require('../../__test__/fidelity/matrix');
const { soundness } = require('../../__test__/fidelity/fidelity');
const { installed, WAYS } = require('../../__test__/helpers/transcript');

/** A comma-separated list from the environment, or null when unset or empty. */
const listFrom = (v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : null);

/**
 * Runs the matrix; prints one line per fixture and every difference of a failed cell.
 * FLUXION_FIDELITY_IDS / FLUXION_FIDELITY_WAYS (comma-separated) narrow it, for diagnosis.
 * @param {string} dir the install folder: fluxion (both tarballs), express and jest installed
 * @param {{ node: string, env: Record<string, string | undefined>, major: number,
 *   log?: (line: string) => void }} opts env: the install's environment (PATH without cargo);
 *   major: that Node's major version (the ES module fixture runs from 22 on)
 * @returns {Promise<{ passed: number, total: number, failures: string[], ms: number }>}
 */
async function runFidelity(dir, { node, env, major, log = console.log }) {
  const t0 = Date.now();
  const ids = listFrom(process.env.FLUXION_FIDELITY_IDS) || allIds({ esm: major >= 22 });
  const ways = listFrom(process.env.FLUXION_FIDELITY_WAYS) || WAYS;
  const unknown = ways.filter((w) => !WAYS.includes(w));
  if (unknown.length) throw new Error(`FLUXION_FIDELITY_WAYS: unknown ${unknown.join(', ')} (ways: ${WAYS.join(', ')})`);
  // The cache at its default (on), unlike the repository's runs (BASE_ENV turns it off).
  const source = installed(dir, { name: `tarball, node ${major}`, node, env: { PATH: env.PATH, FLUXION_CACHE: undefined } });
  const apps = copyFixtures(dir);
  const rows = matrix({ ids, ways, source, apps });
  const failures = [];
  let passed = 0;
  let total = 0;
  for (const row of rows) {
    const r0 = Date.now();
    let ok = 0;
    for (const cell of row.cells) {
      total++;
      const name = `fixture ${row.id}, ${cell.mode}, ${cell.way}`;
      let diff;
      try {
        const unsound = soundness(await row.baselines[cell.against]());
        diff = unsound.length ? unsound.map((d) => `baseline (${cell.against}) unsound: ${d}`) : await cell.differences();
      } catch (err) {
        diff = [`the harness threw: ${err.stack || err}`];
      }
      if (diff.length) {
        failures.push(name);
        log(`  FAIL ${name}:\n${diff.map((d) => `         ${d}`).join('\n')}`);
      } else ok++;
    }
    passed += ok;
    log(`  ${ok === row.cells.length ? 'ok  ' : 'FAIL'} fidelity fixture ${row.id} (${path.relative(apps, row.app)}): ${ok}/${row.cells.length} ways × placements give plain's transcript (${((Date.now() - r0) / 1000).toFixed(0)} s)`);
  }
  return { passed, total, failures, ms: Date.now() - t0 };
}

module.exports = { runFidelity };
