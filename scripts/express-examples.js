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
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const suite = require('./suite-compare');

const { REGISTER, CONFIGS } = suite;
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
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'flx-express-')), 'report.json');
  const args = [
    path.join(dir, 'node_modules', 'mocha', 'bin', 'mocha.js'),
    '--require', 'test/support/env',
    ...(cfg.fluxion ? ['--require', REGISTER] : []),
    '--reporter', 'json', '--reporter-option', `output=${out}`,
    '--check-leaks',
    'test/acceptance/',
  ];
  const statsFile = path.join(path.dirname(out), 'stats.json');
  const env = { ...process.env, FLUXION_CACHE: '0', FLUXION_STATS_FILE: statsFile, ...cfg.env };
  delete env.FLUXION_PLACEMENT;
  Object.assign(env, cfg.env);
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let hung = false;
    let lingered = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    let reportAt = 0;
    const poll = setInterval(() => {
      if (!reportAt && fs.existsSync(out)) reportAt = Date.now();
      if (reportAt && Date.now() - reportAt > LINGER_MS) {
        lingered = true;
        clearInterval(poll);
        child.kill('SIGKILL');
      }
    }, 250);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      let report = null;
      try {
        report = JSON.parse(fs.readFileSync(out, 'utf8'));
      } catch {
        // no report: the run crashed or hung before mocha finished
      }
      const stats = suite.readStats(statsFile);
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      resolve({ cfg, code, signal, hung, lingered, ms: Date.now() - started, report, stats, stdout, stderr });
    });
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
