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

const ROOT = path.join(__dirname, '..');
// FLUXION_REGISTER: another fluxion's register.js (to try a candidate fix without touching this tree).
const REGISTER = process.env.FLUXION_REGISTER ? path.resolve(process.env.FLUXION_REGISTER) : path.join(ROOT, 'register.js');
const TIMEOUT_MS = Number(process.env.EXPRESS_EXAMPLES_TIMEOUT || 180000);
// Mocha runs without --exit (as Express's own `npm test` does): a process that is still alive this
// long after mocha wrote its report is kept alive by something (a listening server, a ref'd port).
const LINGER_MS = Number(process.env.EXPRESS_EXAMPLES_LINGER || 10000);

const CONFIGS = [
  { name: 'plain', fluxion: false, env: {} },
  { name: 'default', fluxion: true, env: {} },
  { name: 'eager', fluxion: true, env: { FLUXION_PLACEMENT: 'eager' } },
];

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
  const env = { ...process.env, FLUXION_CACHE: '0', ...cfg.env };
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
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      resolve({ cfg, code, signal, hung, lingered, ms: Date.now() - started, report, stdout, stderr });
    });
  });
}

/** title -> 'pass' | 'fail: <message>' */
function outcomes(report) {
  const map = new Map();
  if (!report) return map;
  for (const t of report.passes || []) map.set(t.fullTitle, 'pass');
  for (const t of report.pending || []) map.set(t.fullTitle, 'pending');
  for (const t of report.failures || []) {
    const msg = t.err && t.err.message ? String(t.err.message).split('\n')[0] : 'failed';
    map.set(t.fullTitle, `fail: ${msg}`);
  }
  return map;
}

function warningsOf(stderr) {
  return stderr
    .split('\n')
    .filter((l) => /Warning|Error|fluxion/i.test(l))
    .filter((l) => !/Unknown user config/.test(l));
}

/** Runs the three configurations; returns a summary (also used by the Jest test). */
async function compare(dir) {
  const runs = [];
  for (const cfg of CONFIGS) runs.push(await runConfig(dir, cfg));
  const base = outcomes(runs[0].report);
  const result = { dir, configs: [], identical: true };
  for (const r of runs) {
    const o = outcomes(r.report);
    const count = (p) => [...o.values()].filter(p).length;
    const diffs = [];
    for (const [title, v] of base) {
      const got = o.has(title) ? o.get(title) : 'missing';
      if (got !== v && !(got.startsWith('fail') && v.startsWith('fail'))) diffs.push({ title, plain: v, got });
    }
    for (const [title, v] of o) if (!base.has(title)) diffs.push({ title, plain: 'missing', got: v });
    const entry = {
      name: r.cfg.name,
      passes: count((v) => v === 'pass'),
      failures: count((v) => v.startsWith('fail')),
      pending: count((v) => v === 'pending'),
      total: o.size,
      exit: r.signal || r.code,
      hung: r.hung,
      lingered: r.lingered,
      ms: r.ms,
      reported: Boolean(r.report),
      diffs,
      warnings: warningsOf(r.stderr),
      stderr: r.stderr,
    };
    const baseRun = runs[0];
    if (r.cfg.name !== 'plain' && (diffs.length || r.hung || !r.report || (r.lingered && !baseRun.lingered))) result.identical = false;
    result.configs.push(entry);
  }
  return result;
}

function print(result) {
  console.log(`Express acceptance suite: ${result.dir}  (fluxion: ${REGISTER})`);
  for (const c of result.configs) {
    const status = c.hung
      ? `HUNG (killed after ${TIMEOUT_MS} ms)`
      : !c.reported
        ? `CRASHED (exit ${c.exit}, no report)`
        : c.lingered
          ? `DID NOT EXIT (killed ${LINGER_MS} ms after mocha finished)`
          : `exit ${c.exit}`;
    console.log(`  ${c.name.padEnd(8)} ${c.passes} passing, ${c.failures} failing, ${c.pending} pending of ${c.total}  [${status}, ${(c.ms / 1000).toFixed(1)} s]`);
  }
  for (const c of result.configs.slice(1)) {
    if (!c.diffs.length) continue;
    if (!c.reported) {
      console.log(`\nUnder ${c.name}: no test ran (${c.diffs.length} missing).`);
      continue;
    }
    console.log(`\nDiffers from plain under ${c.name} (${c.diffs.length}):`);
    for (const d of c.diffs) console.log(`  - ${d.title}\n      plain: ${d.plain}\n      ${c.name}: ${d.got}`);
  }
  for (const c of result.configs) {
    if (c.reported || !c.stderr.trim()) continue;
    console.log(`\nstderr of the crashed ${c.name} run (first 15 lines):`);
    for (const l of c.stderr.trim().split('\n').slice(0, 15)) console.log(`  ${l}`);
  }
  for (const c of result.configs) {
    const w = [...new Set(c.warnings)];
    if (!w.length) continue;
    console.log(`\nstderr lines of note under ${c.name} (${w.length} distinct):`);
    for (const l of w.slice(0, 40)) console.log(`  ${l}`);
    if (w.length > 40) console.log(`  ... ${w.length - 40} more`);
  }
  console.log(result.identical ? '\nOutcomes identical to plain.' : '\nOutcomes DIFFER from plain.');
}

if (require.main === module) {
  const dir = process.argv[2] || process.env.EXPRESS_DIR;
  const why = unusable(dir && path.resolve(dir));
  if (why) {
    console.log(`express-examples: skipped: ${why}.`);
    console.log('  e.g. git clone https://github.com/expressjs/express /tmp/express && (cd /tmp/express && npm install)');
    console.log('       EXPRESS_DIR=/tmp/express npm run test:express-examples');
    process.exit(0);
  }
  compare(path.resolve(dir)).then(
    (result) => {
      print(result);
      process.exitCode = result.identical ? 0 : 1;
    },
    (err) => {
      console.error(err);
      process.exitCode = 2;
    },
  );
}

module.exports = { compare, unusable, print, CONFIGS };
