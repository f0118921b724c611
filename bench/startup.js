#!/usr/bin/env node
'use strict';
// Start-up cost of the require hook (issue 5, scenario 6): the time for a process to load Express
// 5 and its 67 dependencies (about 200 modules), plain and under `-r fluxion/register` with every
// one of those packages compiled (`compileNodeModules`), with a cold cache (a fresh
// FLUXION_CACHE_DIR) and a warm one (the same directory, second run). Median of N processes each.
//
//   npm run bench:startup [-- --runs 7]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { expressCorpus } = require('./corpus');

const ROOT = path.join(__dirname, '..');
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const RUNS = Number(args.runs);

const { packages } = expressCorpus();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'flx-startup-'));
fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ fluxion: { compileNodeModules: [...packages.keys()] } }));
fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
// Loads Express and, through it, every module of the corpus that Express requires.
const ENTRY = "const t0 = process.hrtime.bigint(); require('express'); process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));";

function once(fluxion, cacheDir) {
  // node_modules is a symbolic link to the repository's: without --preserve-symlinks Node loads
  // each module from its real path, where the nearest package.json (the repository's) does not
  // list the packages, and nothing was compiled.
  const argv = ['--preserve-symlinks', ...(fluxion ? ['-r', path.join(ROOT, 'register.js')] : []), '-e', ENTRY];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { cwd: work, env: { ...process.env, FLUXION_CACHE_DIR: cacheDir, FLUXION_CACHE: '1' }, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`start-up run failed: ${r.stderr}`);
  return { wall, load: Number(r.stdout) };
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const modes = { plain: [], cold: [], warm: [] };
const n = [...packages.keys()].length;
for (let i = 0; i < RUNS; i++) {
  modes.plain.push(once(false, path.join(work, 'unused')));
  const cache = fs.mkdtempSync(path.join(work, 'cache-'));
  modes.cold.push(once(true, cache));
  // A run that compiled nothing measures nothing.
  const entries = fs.readdirSync(cache, { recursive: true }).length;
  if (entries < n) throw new Error(`the cold run cached ${entries} entries for ${n} packages: the hook did not compile them`);
  modes.warm.push(once(true, cache));
}
console.log(`start-up: require('express') with its ${n - 1} dependencies, ${RUNS} processes per mode, load ${os.loadavg()[0].toFixed(1)}`);
console.log('| mode | process wall time (median) | require(\'express\') (median) |\n|---|---|---|');
for (const [name, runs] of Object.entries(modes)) {
  const label = name === 'plain' ? 'plain node' : `-r fluxion/register, ${name} cache`;
  console.log(`| ${label} | ${median(runs.map((r) => r.wall)).toFixed(0)} ms | ${median(runs.map((r) => r.load)).toFixed(0)} ms |`);
}
fs.rmSync(work, { recursive: true, force: true });
