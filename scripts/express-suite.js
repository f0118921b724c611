#!/usr/bin/env node
'use strict';
// Runs Express's whole mocha suite — `test/` and `test/acceptance/`, with the options of Express's
// own `npm test` (1,256 tests and 4 pending in Express 5.2.1) — in five configurations and
// compares every test's outcome with the plain run:
//
//   plain             no fluxion
//   default           --require register.js (fluxion's require hook), default placement
//   eager             --require register.js, FLUXION_PLACEMENT=eager
//   fluxionize        fluxionize(app) called right after express(), default placement
//                     (--require scripts/fluxionize-preload.js wraps the checkout's exported
//                     factory: `require('..')` in Express's tests then returns
//                     `(...a) => fluxionize(express(...a))`, with express.Router, express.json...)
//   fluxionize-eager  the same, FLUXION_PLACEMENT=eager
//
// FLUXION_WORKERS=2 unless set. The fluxion runs also preload scripts/mocha-worker-globals.js with
// Node's own --require, which reaches fluxion's worker threads: there it defines describe/it...
// as no-ops so Express's test files load on a worker and the handlers the tests define can move
// (without it, SUITE_WORKER_GLOBALS=0, they all stay on the main thread). It prints per-configuration counts, how many apps were
// fluxionized and how many fluxions ran on workers (stats() via FLUXION_STATS_FILE: a run where
// nothing moved proves little), every test whose outcome differs (title, plain outcome, fluxion
// outcome), crashes, hangs and processes that did not exit.
//
//   node scripts/express-suite.js <express checkout>      (or EXPRESS_DIR=...)
//   npm run test:express-suite -- /work/ext/express
//   node scripts/express-suite.js --acceptance <checkout>  only test/acceptance (the examples;
//                                                           what scripts/express-examples.js runs)
//
// SUITE_CONFIGS=default,fluxionize runs only those (plain always runs). EXPRESS_SUITE_TIMEOUT
// (ms, default 600000) kills a hung run; EXPRESS_SUITE_LINGER (ms, default 10000) kills a process
// still alive that long after mocha wrote its report. The checkout needs its dev dependencies
// (npm install in it); a failure counts as the same outcome as a plain failure whatever its
// message. Exits 0 when every configuration's outcomes are identical to plain, 1 when any differs
// or a run crashed, hung or lingered, and 0 with a skip message when no usable checkout is given.
const fs = require('node:fs');
const path = require('node:path');
const suite = require('./suite-compare');

const TIMEOUT_MS = Number(process.env.EXPRESS_SUITE_TIMEOUT || process.env.EXPRESS_EXAMPLES_TIMEOUT || 600000);
// Mocha runs without --exit (as Express's own `npm test` does): a process that is still alive this
// long after mocha wrote its report is kept alive by something (a listening server, a ref'd port).
const LINGER_MS = Number(process.env.EXPRESS_SUITE_LINGER || process.env.EXPRESS_EXAMPLES_LINGER || 10000);

const WHOLE = ['test/', 'test/acceptance/'];
const ACCEPTANCE = ['test/acceptance/'];

/** Why this checkout cannot be used, or null. */
function unusable(dir) {
  if (!dir) return 'no Express checkout given (pass its path or set EXPRESS_DIR)';
  if (!fs.existsSync(path.join(dir, 'test', 'acceptance'))) return `${dir} has no test/acceptance (not an Express repository checkout)`;
  if (!fs.existsSync(path.join(dir, 'node_modules', 'mocha', 'bin', 'mocha.js'))) {
    return `${dir} has no node_modules/mocha (run npm install in it)`;
  }
  return null;
}

/** Runs the suite once in one configuration; mocha's JSON report and the process output. */
function runConfig(dir, cfg, folders) {
  return suite.runMocha({
    dir,
    cfg,
    args: ['--require', 'test/support/env', '--check-leaks', ...folders],
    timeoutMs: TIMEOUT_MS,
    lingerMs: LINGER_MS,
  });
}

/**
 * Runs the configurations one after the other (the machine is small); returns a summary.
 * @param {string} dir an Express checkout
 * @param {{ acceptance?: boolean, configs?: object[], log?: (line: string) => void }} [opts]
 */
async function compare(dir, opts = {}) {
  const folders = opts.acceptance ? ACCEPTANCE : WHOLE;
  const runs = [];
  for (const cfg of opts.configs || suite.CONFIGS) {
    const run = await runConfig(dir, cfg, folders);
    if (opts.log) opts.log(`  ran ${cfg.name} (${(run.ms / 1000).toFixed(1)} s)`);
    runs.push(run);
  }
  return suite.summarize(dir, runs, { sameFailure: () => true });
}

function printer(acceptance) {
  return (result) => suite.print(result, {
    title: acceptance ? 'Express acceptance suite (test/acceptance)' : 'Express whole suite (test/ test/acceptance/)',
    timeoutMs: TIMEOUT_MS,
    lingerMs: LINGER_MS,
  });
}

/** The command line (shared with scripts/express-examples.js). */
function cli(argv, { acceptance = false, name = 'express-suite' } = {}) {
  const args = argv.filter((a) => a !== '--acceptance');
  if (argv.includes('--acceptance')) acceptance = true;
  const dir = args[0] || process.env.EXPRESS_DIR;
  suite.main({
    name,
    dir: dir && path.resolve(dir),
    unusable,
    compare: (d) => compare(d, { acceptance, log: (l) => process.stderr.write(`${l}\n`) }),
    print: printer(acceptance),
    help: [
      'e.g. git clone https://github.com/expressjs/express /tmp/express && (cd /tmp/express && npm install)',
      `     npm run test:${name} -- /tmp/express     (or EXPRESS_DIR=/tmp/express)`,
    ],
  });
}

if (require.main === module) cli(process.argv.slice(2));

module.exports = { compare, unusable, printer, cli, WHOLE, ACCEPTANCE };
