#!/usr/bin/env node
'use strict';
// Runs Express's own acceptance suite (test/acceptance: mocha + supertest against the examples)
// plain and under fluxion — with `--require fluxion/register` (default and eager placement) and
// with fluxionize(app) called right after express() (default and eager) — and reports
// per-configuration counts and every test whose outcome differs from the plain run. The runner
// is scripts/express-suite.js (which runs Express's whole suite); see its header for the
// configurations and settings (SUITE_CONFIGS, timeouts).
//
//   node scripts/express-examples.js [path/to/express]      (or EXPRESS_DIR=...)
//   npm run test:express-examples -- /work/ext/express
//
// The Express checkout needs its dev dependencies installed (npm install in it). Exits 0 when
// the outcomes are identical, 1 when they differ or a run crashed/hung, 0 with a skip message
// when no checkout is given.
const express = require('./express-suite');
const { CONFIGS } = require('./suite-compare');

/** Runs the configurations on test/acceptance; returns a summary (also used by the Jest test). */
function compare(dir) {
  return express.compare(dir, { acceptance: true });
}

const print = express.printer(true);

if (require.main === module) express.cli(process.argv.slice(2), { acceptance: true, name: 'express-examples' });

module.exports = { compare, unusable: express.unusable, print, CONFIGS };
