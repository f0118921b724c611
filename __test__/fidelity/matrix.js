'use strict';
// The ways-in matrix: fixtures of cases.js × ways in × placements, each run against its own plain
// baseline, for fluxion from one source (helpers/transcript.js `repo()` or `installed(dir)`).
// Written once for two runners: ways-in.test.js (Jest, this repository) and
// scripts/tarball/fidelity.js (`npm run test:tarball`, the package installed from its tarballs).
const fs = require('node:fs');
const path = require('node:path');
const { WAYS, transcript, repo } = require('../helpers/transcript');
const { cases, APPS } = require('./cases');
const { baseline, differences } = require('./fidelity');

const MODES = ['auto', 'eager'];

/**
 * The fixtures the whole matrix runs. Left out: #16, whose auto assertions read where contexts
 * ran (known-failures-state.test.js has them), and the ES module variant of #1 unless `esm`
 * (its handlers move on Node 22+ only; it has no Jest way).
 * @param {{ esm?: boolean }} [opts]
 * @returns {string[]}
 */
function allIds({ esm = false } = {}) {
  return Object.keys(cases).filter((id) => id !== '16' && (esm || id !== '01-esm'));
}

/**
 * Copies the fixture apps into `dir` (an installed package's folder), so that they resolve
 * `express` and `fluxion` from its node_modules as a user's app does; their own node_modules
 * (`tiny-stock`) come along. Returns the copy's folder.
 * @param {string} dir
 * @returns {string}
 */
function copyFixtures(dir) {
  const to = path.join(dir, 'fidelity-apps');
  fs.cpSync(APPS, to, { recursive: true });
  return to;
}

/**
 * @typedef {object} Cell one fluxion run compared with its baseline
 * @property {string} id the fixture
 * @property {import('../helpers/transcript').Way} way
 * @property {'auto' | 'eager'} mode
 * @property {'node' | 'jest'} against which baseline
 * @property {() => Promise<string[]>} differences runs it; empty when plain and it agree
 */
/**
 * @typedef {object} Row one fixture: its baselines and its cells
 * @property {string} id
 * @property {string} app where the app runs from
 * @property {Record<'node' | 'jest', () => Promise<import('../helpers/transcript').Transcript>>} baselines
 *   computed on first use and kept (`node app.js`; Jest without the preset)
 * @property {Cell[]} cells
 */

/**
 * The matrix for one source.
 * @param {{ ids: string[], source?: import('../helpers/transcript').Source, apps?: string,
 *   ways?: import('../helpers/transcript').Way[], modes?: string[] }} opts
 *   apps: the folder the fixtures run from (default: this repository's; see copyFixtures)
 * @returns {Row[]}
 */
function matrix({ ids, source = repo(), apps = APPS, ways = WAYS, modes = MODES }) {
  return ids.map((id) => {
    const c = cases[id];
    if (!c) throw new Error(`matrix: no fixture ${id} in cases.js`);
    const app = path.join(apps, path.relative(APPS, c.app));
    const { script, env } = c;
    const base = { node: baseline(app, script, { env, source }), jest: baseline(app, script, { env, source, way: 'jest' }) };
    const cells = [];
    // Jest requires the app: CommonJS only.
    for (const way of ways.filter((w) => w !== 'jest' || !app.endsWith('.mjs'))) {
      const against = way === 'jest' ? 'jest' : 'node';
      for (const mode of modes) {
        cells.push({
          id,
          way,
          mode,
          against,
          differences: async () => differences(await base[against](), await transcript(app, script, { mode, way, env, source })),
        });
      }
    }
    return { id, app, baselines: base, cells };
  });
}

module.exports = { matrix, allIds, copyFixtures, MODES };
