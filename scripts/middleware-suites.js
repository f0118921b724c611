#!/usr/bin/env node
'use strict';
// Popular Express middleware, each with its own mocha suite, run plain and in the fluxion
// configurations of scripts/suite-compare.js (`--require fluxion/register` and fluxionize(app)
// right after express(), each in default and eager placement) — with per-configuration counts,
// where the handlers ran, and every test whose outcome differs.
//
//   node scripts/middleware-suites.js <checkout> [<checkout>...]     (or MIDDLEWARE_DIRS=a:b:c)
//   npm run test:middleware -- /tmp/cors /tmp/session /tmp/morgan
//
// Each checkout needs its dev dependencies installed (npm install in it). The mocha options are
// the package's own (its `test` script): `--require test/support/env` when that file exists,
// `--check-leaks`, and its test folder. Exits 0 when every suite's outcomes are identical.
const fs = require('node:fs');
const path = require('node:path');
const suite = require('./suite-compare');

const TIMEOUT_MS = Number(process.env.MIDDLEWARE_TIMEOUT || 180000);
const LINGER_MS = Number(process.env.MIDDLEWARE_LINGER || 10000);

function unusable(dir) {
  if (!fs.existsSync(path.join(dir, 'package.json'))) return `${dir} has no package.json`;
  if (!fs.existsSync(path.join(dir, 'test'))) return `${dir} has no test folder`;
  if (!fs.existsSync(path.join(dir, 'node_modules', 'mocha', 'bin', 'mocha.js')) && !fs.existsSync(path.join(dir, 'node_modules', 'mocha', 'bin', '_mocha'))) {
    return `${dir} has no node_modules/mocha (run npm install in it)`;
  }
  return null;
}

function mochaArgs(dir) {
  const args = [];
  if (fs.existsSync(path.join(dir, 'test', 'support', 'env.js'))) args.push('--require', 'test/support/env');
  // A suite whose own script passes --exit (multer) leaves sockets open by design: without it,
  // every configuration, plain included, is killed as "did not exit" and writes no stats.
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (/\bmocha\b[^&|]*--exit\b/.test((pkg.scripts && pkg.scripts.test) || '')) args.push('--exit');
  args.push('--check-leaks', 'test/');
  return args;
}

async function compareOne(dir) {
  const bin = ['mocha.js', '_mocha'].map((b) => path.join(dir, 'node_modules', 'mocha', 'bin', b)).find((f) => fs.existsSync(f));
  const runs = [];
  for (const cfg of suite.CONFIGS) {
    runs.push(await suite.runMocha({ dir, cfg, args: mochaArgs(dir), timeoutMs: TIMEOUT_MS, lingerMs: LINGER_MS, mocha: bin }));
  }
  return suite.summarize(dir, runs, { sameFailure: () => true });
}

async function main() {
  const dirs = (process.argv.slice(2).length ? process.argv.slice(2) : (process.env.MIDDLEWARE_DIRS || '').split(':')).filter(Boolean).map((d) => path.resolve(d));
  if (!dirs.length) {
    console.log('middleware-suites: skipped: no checkout given (pass paths or set MIDDLEWARE_DIRS=a:b:c)');
    return 0;
  }
  let identical = true;
  for (const dir of dirs) {
    const why = unusable(dir);
    if (why) {
      console.log(`middleware-suites: ${why}`);
      identical = false;
      continue;
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const result = await compareOne(dir);
    suite.print(result, { title: `${pkg.name}@${pkg.version}`, timeoutMs: TIMEOUT_MS, lingerMs: LINGER_MS });
    console.log('');
    identical = identical && result.identical;
  }
  return identical ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(err);
    process.exitCode = 2;
  },
);
