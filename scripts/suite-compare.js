'use strict';
// What the scripts that run a third-party test suite with and without fluxion share: the
// configurations, reading mocha's JSON report, the comparison with the plain run, and the report.
//
// The configurations (SUITE_CONFIGS=plain,default,... picks some; plain always runs first):
//   plain             no fluxion
//   default           --require register.js (the require hook), default placement
//   eager             --require register.js, FLUXION_PLACEMENT=eager
//   fluxionize        --require scripts/fluxionize-preload.js: every app made by express() is
//                     passed to fluxionize(app) at once (`const app = fluxionize(express())`)
//   fluxionize-eager  the same, FLUXION_PLACEMENT=eager
// Each fluxion run has FLUXION_WORKERS=2 unless FLUXION_WORKERS is set, and preloads
// scripts/mocha-worker-globals.js with Node's --require: on fluxion's worker threads it defines
// mocha's globals (describe, it...) as no-ops, so test files load there and the handlers the
// tests define can run on workers (without it they all stay on the main thread: "module failed to
// load on a worker: describe is not defined"). SUITE_WORKER_GLOBALS=0 leaves it out.
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
// FLUXION_REGISTER: another fluxion's register.js (to try a candidate fix without touching this tree).
const REGISTER = process.env.FLUXION_REGISTER ? path.resolve(process.env.FLUXION_REGISTER) : path.join(ROOT, 'register.js');

const PRELOAD = path.join(__dirname, 'fluxionize-preload.js');
const WORKER_GLOBALS = path.join(__dirname, 'mocha-worker-globals.js');

const ALL_CONFIGS = [
  { name: 'plain', fluxion: false, env: {} },
  { name: 'default', fluxion: true, env: {} },
  { name: 'eager', fluxion: true, env: { FLUXION_PLACEMENT: 'eager' } },
  { name: 'fluxionize', fluxion: true, preload: PRELOAD, env: {} },
  { name: 'fluxionize-eager', fluxion: true, preload: PRELOAD, env: { FLUXION_PLACEMENT: 'eager' } },
];

/** The configurations named in SUITE_CONFIGS (comma-separated), plain first; all when unset. */
function selectConfigs(list = process.env.SUITE_CONFIGS) {
  if (!list) return ALL_CONFIGS;
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !ALL_CONFIGS.some((c) => c.name === n));
  if (unknown.length) throw new Error(`SUITE_CONFIGS: unknown configuration ${unknown.join(', ')} (known: ${ALL_CONFIGS.map((c) => c.name).join(', ')})`);
  return ALL_CONFIGS.filter((c) => c.name === 'plain' || names.includes(c.name));
}

const CONFIGS = selectConfigs();

/**
 * title -> 'pass' | 'pending' | 'fail: <message>' from mocha's JSON report. Two tests with the
 * same full title (Express has 8 such pairs) are told apart: the second is '<title> (#2)'.
 */
function outcomes(report) {
  const map = new Map();
  if (!report) return map;
  const seen = new Map();
  const set = (t, v) => {
    const n = (seen.get(t.fullTitle) || 0) + 1;
    seen.set(t.fullTitle, n);
    map.set(n === 1 ? t.fullTitle : `${t.fullTitle} (#${n})`, v);
  };
  for (const t of report.passes || []) set(t, 'pass');
  for (const t of report.pending || []) set(t, 'pending');
  for (const t of report.failures || []) {
    // A failing hook fails the tests under it: mocha reports the hook ('"before all" hook').
    const msg = t.err && t.err.message ? String(t.err.message).replace(/\s*\n\s*/g, ' ').slice(0, 300) : 'failed';
    set(t, `fail: ${msg}`);
  }
  return map;
}

/**
 * Compares each run with the first (plain) one.
 * @param {Array<{cfg, code, signal, hung, lingered, ms, report, stderr, stats?}>} runs
 * @param {{ ignore?: RegExp, sameFailure?: (a: string, b: string) => boolean }} [opts]
 *   `ignore`: stderr lines not worth reporting; `sameFailure`: whether two failure messages count
 *   as the same outcome (default: equal strings).
 */
function summarize(dir, runs, opts = {}) {
  const sameFailure = opts.sameFailure || ((a, b) => a === b);
  const ignore = opts.ignore || /Unknown user config/;
  const base = outcomes(runs[0].report);
  const result = { dir, configs: [], identical: true };
  for (const r of runs) {
    const o = outcomes(r.report);
    const count = (p) => [...o.values()].filter(p).length;
    const diffs = [];
    for (const [title, v] of base) {
      const got = o.has(title) ? o.get(title) : 'missing';
      const same = got === v || (got.startsWith('fail') && v.startsWith('fail') && sameFailure(got, v));
      if (!same) diffs.push({ title, plain: v, got });
    }
    for (const [title, v] of o) if (!base.has(title)) diffs.push({ title, plain: 'missing', got: v });
    result.configs.push({
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
      stats: r.stats,
      apps: r.apps,
      warnings: r.stderr.split('\n').filter((l) => /Warning|Error|fluxion/i.test(l) && !ignore.test(l)),
      stderr: r.stderr,
    });
    if (r.cfg.name !== 'plain' && (diffs.length || r.hung || !r.report || (r.lingered && !runs[0].lingered))) {
      result.identical = false;
    }
  }
  return result;
}

/**
 * Prints a summary: counts per configuration, tests that differ, crashes, stderr lines of note.
 * @param {{ title: string, timeoutMs: number, lingerMs: number, notes?: string[], maxWarnings?: number }} opts
 */
function print(result, opts) {
  const max = opts.maxWarnings || 40;
  console.log(`${opts.title}: ${result.dir}  (fluxion: ${REGISTER})`);
  for (const c of result.configs) {
    const status = c.hung
      ? `HUNG (killed after ${opts.timeoutMs} ms)`
      : !c.reported
        ? `CRASHED (exit ${c.exit}, no report)`
        : c.lingered
          ? `DID NOT EXIT (killed ${opts.lingerMs} ms after mocha finished)`
          : `exit ${c.exit}`;
    console.log(`  ${c.name.padEnd(16)} ${c.passes} passing, ${c.failures} failing, ${c.pending} pending of ${c.total}  [${status}, ${(c.ms / 1000).toFixed(1)} s]`);
    const pad = ' '.repeat(19);
    if (c.apps) console.log(c.apps.target ? `${pad}fluxionize(app) called on ${c.apps.apps} apps made by ${c.apps.target}` : `${pad}fluxionize: no Express found, nothing fluxionized`);
    if (c.stats) console.log(`${pad}${whereTheyRan(c.stats)}`);
    else if (c.name !== 'plain' && c.reported) console.log(`${pad}fluxion: no stats written (fluxion never started in this run)`);
  }
  for (const n of opts.notes || []) console.log(`  (${n})`);
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
    for (const l of w.slice(0, max)) console.log(`  ${l}`);
    if (w.length > max) console.log(`  ... ${w.length - max} more`);
  }
  console.log(result.identical ? '\nOutcomes identical to plain.' : '\nOutcomes DIFFER from plain.');
}

/**
 * The command line of such a script: skip (exit 0) with `help` when there is no usable checkout,
 * else compare, print, and exit 0 (identical) or 1 (different).
 */
function main({ name, dir, unusable, compare, print: printResult, help }) {
  const why = unusable(dir);
  if (why) {
    console.log(`${name}: skipped: ${why}.`);
    for (const l of help) console.log(`  ${l}`);
    process.exit(0);
  }
  compare(dir).then(
    (result) => {
      printResult(result);
      process.exitCode = result.identical ? 0 : 1;
    },
    (err) => {
      console.error(err);
      process.exitCode = 2;
    },
  );
}

/**
 * Runs a test process to its end: killed after `timeoutMs` (hung), or `lingerMs` after it has
 * reported (`reported(stdout)` true) while still alive (DID NOT EXIT).
 * @returns {Promise<{ code, signal, hung, lingered, ms, stdout, stderr }>}
 */
function supervise(argv, { cwd, env, timeoutMs, lingerMs, reported }) {
  const { spawn } = require('node:child_process');
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let hung = false;
    let lingered = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    let reportAt = 0;
    const poll = setInterval(() => {
      if (!reportAt && reported(stdout)) reportAt = Date.now();
      if (reportAt && Date.now() - reportAt > lingerMs) {
        lingered = true;
        clearInterval(poll);
        child.kill('SIGKILL');
      }
    }, 250);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, signal, hung, lingered, ms: Date.now() - started, stdout, stderr });
    });
  });
}

/**
 * Runs a mocha suite once in one configuration (fluxion preloaded with `--require` or not), with
 * mocha's JSON reporter.
 * @param {{ dir: string, cfg: object, args: string[], timeoutMs: number, lingerMs: number, mocha?: string }} o
 */
async function runMocha({ dir, cfg, args, timeoutMs, lingerMs, mocha }) {
  const fs = require('node:fs');
  const os = require('node:os');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flx-suite-'));
  const out = path.join(tmp, 'report.json');
  const statsFile = path.join(tmp, 'stats.json');
  const appsFile = path.join(tmp, 'apps.json');
  // Node's own --require reaches fluxion's worker threads too (mocha's does not): there it lets
  // the test files load (scripts/mocha-worker-globals.js), so the handlers they define can move.
  const workerGlobals = cfg.fluxion && process.env.SUITE_WORKER_GLOBALS !== '0';
  const argv = [
    ...(workerGlobals ? ['--require', WORKER_GLOBALS] : []),
    mocha || path.join(dir, 'node_modules', 'mocha', 'bin', 'mocha.js'),
    ...(cfg.fluxion ? ['--require', cfg.preload || REGISTER] : []),
    '--reporter', 'json', '--reporter-option', `output=${out}`,
    ...args,
  ];
  const env = { ...process.env, FLUXION_CACHE: '0', FLUXION_STATS_FILE: statsFile, FLUXION_WORKERS: process.env.FLUXION_WORKERS || '2' };
  delete env.FLUXION_PLACEMENT;
  if (cfg.preload) Object.assign(env, { FLUXION_ROOT: path.dirname(REGISTER), FLUXIONIZE_REPORT: appsFile });
  Object.assign(env, cfg.env);
  const run = await supervise(argv, { cwd: dir, env, timeoutMs, lingerMs, reported: () => fs.existsSync(out) });
  let report = null;
  try {
    report = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch {
    // no report: the run crashed or hung before mocha finished
  }
  const stats = cfg.fluxion ? readStats(statsFile) : null;
  const apps = cfg.preload ? readStats(appsFile) : null;
  fs.rmSync(tmp, { recursive: true, force: true });
  return { cfg, ...run, report, stats, apps };
}

/** stats() as written by FLUXION_STATS_FILE, or null. */
function readStats(file) {
  try {
    return JSON.parse(require('node:fs').readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** One line: how many fluxions ran on workers, and how many runs that was out of all. */
function whereTheyRan(stats) {
  let runs = 0;
  let onWorkers = 0;
  const moved = new Set();
  const movable = stats.filter((s) => !/^main\b/.test(s.placement)).length;
  for (const s of stats) {
    for (const e of s.executions) {
      runs += e.count;
      if (e.threadId !== 0) {
        onWorkers += e.count;
        moved.add(s.id);
      }
    }
  }
  return `fluxion: ${stats.length} fluxions (${movable} not pinned to the main thread), ${moved.size} ran on workers: ${onWorkers} of ${runs} runs`;
}

module.exports = { ROOT, REGISTER, PRELOAD, CONFIGS, ALL_CONFIGS, selectConfigs, outcomes, summarize, print, main, supervise, runMocha, readStats, whereTheyRan };
