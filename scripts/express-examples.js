#!/usr/bin/env node
'use strict';
// Runs Express's own acceptance suite (test/acceptance: mocha + supertest against the examples)
// three ways — plain, under `--require fluxion/register` (default placement), and under
// FLUXION_PLACEMENT=eager — and reports per-configuration counts and every test whose outcome
// differs from the plain run.
//
//   node scripts/express-examples.js [path/to/express]      (or EXPRESS_DIR=...)
//   npm run test:express-examples -- /work/ext/express
//
// The Express checkout needs its dev dependencies installed (npm install in it). Exits 0 when
// the outcomes are identical, 1 when they differ or a run crashed/hung, 0 with a skip message
// when no checkout is given.
const fs = require('node:fs');
const path = require('node:path');

const suite = require('./suite-compare');

const { CONFIGS } = suite;
const TIMEOUT_MS = Number(process.env.EXPRESS_EXAMPLES_TIMEOUT || 180000);
// Mocha runs without --exit (as Express's own `npm test` does): a process that is still alive this
// long after mocha wrote its report is kept alive by something (a listening server, a ref'd port).
const LINGER_MS = Number(process.env.EXPRESS_EXAMPLES_LINGER || 10000);

/** Why this checkout cannot be used, or null. */
function unusable(dir) {
  if (!dir) return 'no Express checkout given (pass its path or set EXPRESS_DIR)';
  if (!fs.existsSync(path.join(dir, 'test', 'acceptance'))) return `${dir} has no test/acceptance`;
  if (!fs.existsSync(path.join(dir, 'node_modules', 'mocha', 'bin', 'mocha.js'))) {
    return `${dir} has no node_modules/mocha (run npm install in it)`;
  }
  return null;
}

/** Runs the acceptance suite once; resolves with mocha's JSON report and the process output. */
function runConfig(dir, cfg) {
  return suite.runMocha({
    dir,
    cfg,
    args: ['--require', 'test/support/env', '--check-leaks', 'test/acceptance/'],
    timeoutMs: TIMEOUT_MS,
    lingerMs: LINGER_MS,
  });
}

/** Runs the three configurations; returns a summary (also used by the Jest test). */
async function compare(dir) {
  const runs = [];
  for (const cfg of CONFIGS) runs.push(await runConfig(dir, cfg));
  // A test failing in both runs counts as the same outcome whatever its message.
  return suite.summarize(dir, runs, { sameFailure: () => true });
}

function print(result) {
  suite.print(result, { title: 'Express acceptance suite', timeoutMs: TIMEOUT_MS, lingerMs: LINGER_MS });
}

if (require.main === module) {
  const dir = process.argv[2] || process.env.EXPRESS_DIR;
  suite.main({
    name: 'express-examples',
    dir: dir && path.resolve(dir),
    unusable,
    compare,
    print,
    help: [
      'e.g. git clone https://github.com/expressjs/express /tmp/express && (cd /tmp/express && npm install)',
      '     EXPRESS_DIR=/tmp/express npm run test:express-examples',
    ],
  });
}

module.exports = { compare, unusable, print, CONFIGS };
