#!/usr/bin/env node
'use strict';
// A real project's own Jest suite, run as its users would add fluxion: plain, then with
// `preset: 'fluxion/jest'` added to its Jest config, in default and in eager placement — with
// the per-test difference table and how many of the project's handlers ran on fluxion's workers.
//
//   node scripts/jest-project.js <checkout> [--placements default,eager] [-- <jest args>]
//   npm run test:jest-project -- /tmp/json-server -- --runInBand
//
// The checkout needs its dependencies installed (npm ci in it) and whatever its own `test`
// script builds first. Nothing in it is edited: its Jest config (package.json "jest" or
// jest.config.{js,cjs,mjs,json}) is copied to a temporary config outside its tree, with `rootDir`
// pointing back at it; the preset runs add `preset: <this repository>/jest` there (a project
// that has its own preset keeps it: it is merged into the copy first, as Jest would). The plain
// run uses the same copy without the preset, so the preset is the only difference.
// Exits 0 when every test has the same outcome in every run.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PRESET = path.join(__dirname, '..', 'jest');
const CONFIG_FILES = ['jest.config.js', 'jest.config.cjs', 'jest.config.mjs', 'jest.config.json'];
const TIMEOUT_MS = Number(process.env.JEST_PROJECT_TIMEOUT || 900000);

function usage(msg) {
  console.log(`jest-project: ${msg}\n  usage: node scripts/jest-project.js <checkout> [--placements default,eager] [-- <jest args>]`);
  process.exit(msg.startsWith('skipped') ? 0 : 2);
}

/** The project's Jest config as a module the temporary config can load: { kind, file | config }. */
function projectConfig(dir) {
  for (const f of CONFIG_FILES) if (fs.existsSync(path.join(dir, f))) return { kind: f.endsWith('.json') ? 'json' : 'module', file: path.join(dir, f) };
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return { kind: 'inline', config: pkg.jest || {} };
}

/**
 * Writes the temporary config (a CommonJS module outside the checkout): the project's config,
 * its own preset merged in (Jest allows one preset), rootDir back at the checkout, and fluxion's
 * preset when `withPreset`.
 */
function writeConfig(dir, src, withPreset, out) {
  const body = `'use strict';
// Written by fluxion's scripts/jest-project.js: ${dir}'s Jest config${withPreset ? ", with preset: 'fluxion/jest'" : ''}.
const path = require('node:path');
const { createRequire } = require('node:module');
const dir = ${JSON.stringify(dir)};
const src = ${JSON.stringify(src)};
const fromProject = createRequire(path.join(dir, 'package.json'));
const LISTS = ['setupFiles', 'setupFilesAfterEnv', 'modulePathIgnorePatterns', 'testPathIgnorePatterns', 'transformIgnorePatterns'];
const MAPS = ['moduleNameMapper', 'transform', 'globals'];

/** A project's own preset, merged under its config as Jest merges presets. */
function withOwnPreset(c, rootDir) {
  if (!c.preset) return c;
  const name = c.preset.replace(/<rootDir>/g, rootDir);
  const file = fromProject.resolve(name.startsWith('.') ? path.resolve(rootDir, name) : path.join(name, 'jest-preset'));
  let p = require(file);
  p = p.default || p;
  const out = { ...p, ...c };
  delete out.preset;
  for (const k of LISTS) if (p[k] && c[k]) out[k] = [...p[k], ...c[k]];
  for (const k of MAPS) if (p[k] && c[k]) out[k] = { ...p[k], ...c[k] };
  return out;
}

module.exports = async () => {
  let c;
  if (src.kind === 'inline') c = src.config;
  else if (src.kind === 'json') c = require(src.file);
  else {
    try {
      c = require(src.file);
    } catch (err) {
      if (err.code !== 'ERR_REQUIRE_ESM') throw err;
      c = await import(require('node:url').pathToFileURL(src.file).href);
    }
  }
  if (c && c.default) c = c.default;
  if (typeof c === 'function') c = await c();
  const rootDir = path.resolve(dir, c.rootDir || '.');
  c = withOwnPreset({ ...c, rootDir }, rootDir);
  ${withPreset ? `c.preset = ${JSON.stringify(PRESET)};` : ''}
  return c;
};
`;
  fs.writeFileSync(out, body);
  return out;
}

function jestBin(dir) {
  const bin = path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js');
  return fs.existsSync(bin) ? bin : null;
}

/** One Jest run: per-test outcomes, exit code, stats files, time. */
function runJest(dir, work, run, jestArgs) {
  const cfg = writeConfig(dir, projectConfig(dir), run.preset, path.join(work, `${run.name}.config.js`));
  const out = path.join(work, `${run.name}.json`);
  const statsDir = fs.mkdtempSync(path.join(work, `${run.name}-stats-`));
  const env = { ...process.env, NODE_ENV: process.env.NODE_ENV || 'test' };
  for (const k of Object.keys(env)) if (k.startsWith('FLUXION_')) delete env[k];
  if (run.preset) {
    env.FLUXION_STATS_FILE = path.join(statsDir, 'stats-%p.json');
    if (run.placement !== 'default') env.FLUXION_PLACEMENT = run.placement;
  }
  const args = [jestBin(dir), '--config', cfg, '--ci', '--json', '--outputFile', out, ...jestArgs];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fs.writeFileSync(path.join(work, `${run.name}.log`), log);
      const outcomes = new Map();
      let failedFiles = [];
      if (fs.existsSync(out)) {
        const r = JSON.parse(fs.readFileSync(out, 'utf8'));
        for (const file of r.testResults) {
          const rel = path.relative(dir, file.name);
          if (!file.assertionResults.length && file.status === 'failed') failedFiles.push(rel);
          for (const a of file.assertionResults) outcomes.set(`${rel} › ${a.fullName || a.title}`, a.status);
        }
      }
      const stats = fs.readdirSync(statsDir).map((f) => JSON.parse(fs.readFileSync(path.join(statsDir, f), 'utf8')));
      resolve({ ...run, code, signal, outcomes, failedFiles, stats, seconds: (Date.now() - started) / 1000, log });
    });
  });
}

/** The project's handlers (fluxion ids in its own files) that ran on a worker, and how often. */
function onWorkers(dir, statsFiles) {
  const ids = new Set();
  let runs = 0;
  const own = (id) => id.startsWith(dir + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`);
  for (const stats of statsFiles) {
    for (const s of stats) {
      const n = s.executions.filter((e) => e.threadId !== 0).reduce((a, e) => a + e.count, 0);
      if (n > 0 && own(s.id)) {
        ids.add(s.id.replace(/~\d+$/, '')); // ~N: another instance of the same handler (a new app)
        runs += n;
      }
    }
  }
  return { ids: [...ids].sort(), runs };
}

function count(outcomes) {
  const c = { passed: 0, failed: 0, other: 0 };
  for (const s of outcomes.values()) c[s in c ? s : 'other']++;
  return c;
}

/** Why a checkout cannot be run (null when it can). */
function unusable(dir) {
  if (!dir) return 'no checkout given (pass its path or set JEST_PROJECT_DIR)';
  if (!fs.existsSync(path.join(dir, 'package.json'))) return `${dir} has no package.json`;
  if (!jestBin(dir)) return `${dir} has no node_modules/jest (run npm ci in it)`;
  return null;
}

/**
 * Runs the suite plain and with the preset in each placement.
 * @returns {Promise<{ title, work, results, keys: number, diffs: string[], sameExit: boolean, workers: object }>}
 */
async function compare(dir, { placements = ['default', 'eager'], jestArgs = [], log = () => {} } = {}) {
  const jestVersion = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'jest', 'package.json'), 'utf8')).version;
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const title = `${pkg.name}@${pkg.version} (${dir}), jest ${jestVersion}, node ${process.version}, jest args: ${jestArgs.join(' ') || '(none)'}`;
  log(`${title}\n`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-jest-project-'));
  const runs = [{ name: 'plain', preset: false }, ...placements.map((p) => ({ name: `preset-${p}`, preset: true, placement: p }))];
  const results = [];
  const workers = {};
  for (const run of runs) {
    log(`  running ${run.name}... `);
    const r = await runJest(dir, work, run, jestArgs);
    results.push(r);
    const c = count(r.outcomes);
    const w = run.preset ? onWorkers(dir, r.stats) : null;
    if (w) workers[run.name] = w;
    log(
      `${c.passed} passed, ${c.failed} failed${c.other ? `, ${c.other} other` : ''}; exit ${r.code ?? r.signal}; ${r.seconds.toFixed(1)} s` +
        (w ? `; ${r.stats.length} stats file(s); ${w.ids.length} of its handlers ran on workers (${w.runs} runs)` : '') +
        (r.failedFiles.length ? `; files that did not run: ${r.failedFiles.join(', ')}` : '') +
        '\n'
    );
  }
  const [plain] = results;
  const keys = new Set(results.flatMap((r) => [...r.outcomes.keys()]));
  const diffs = [...keys].filter((k) => results.some((r) => r.outcomes.get(k) !== plain.outcomes.get(k))).sort();
  const sameExit = results.every((r) => r.code === plain.code);
  return { title, dir, work, results, keys: keys.size, diffs, sameExit, workers };
}

/** The per-test difference table and the handlers that ran on workers. */
function print(x, out = (line) => console.log(line)) {
  const { results, diffs, sameExit } = x;
  out(`\n  ${x.keys} tests; ${diffs.length ? `${diffs.length} differ` : 'identical outcomes in every run'}${sameExit ? '' : ` (exit codes: ${results.map((r) => `${r.name} ${r.code ?? r.signal}`).join(', ')})`}`);
  if (diffs.length) {
    const w = Math.max(...diffs.map((k) => k.length), 4);
    out(`  ${'test'.padEnd(w)}  ${results.map((r) => r.name.padEnd(14)).join(' ')}`);
    for (const k of diffs) out(`  ${k.padEnd(w)}  ${results.map((r) => String(r.outcomes.get(k) || '-').padEnd(14)).join(' ')}`);
  }
  for (const r of results.slice(1)) {
    const w = x.workers[r.name];
    out(`\n  ${r.name}: handlers of the project that ran on fluxion's workers (${w.ids.length}, ${w.runs} runs):`);
    for (const id of w.ids) out(`    ${path.relative(x.dir, id)}`);
  }
  out(`\n  logs and configs: ${x.work}`);
}

async function main() {
  const argv = process.argv.slice(2);
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const jestArgs = dash < 0 ? [] : argv.slice(dash + 1);
  let placements = ['default', 'eager'];
  const pi = own.indexOf('--placements');
  if (pi >= 0) placements = own.splice(pi, 2)[1].split(',').filter(Boolean);
  const given = own[0] || process.env.JEST_PROJECT_DIR;
  const dir = given ? path.resolve(given) : null;
  const why = unusable(dir);
  if (why) usage(dir ? why : `skipped: ${why}`);
  const x = await compare(dir, { placements, jestArgs, log: (s) => process.stdout.write(s) });
  print(x);
  return x.diffs.length === 0 && x.sameExit ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(2);
    }
  );
}

module.exports = { compare, print, unusable, writeConfig, projectConfig, onWorkers };
