#!/usr/bin/env node
'use strict';
// Differential fuzzing: generates Express apps from seeds (test-harness/diff/grammar.js), runs
// each plain and under fluxion (auto and eager placement; `-r fluxion/register` and
// `fluxionize(app)`), compares the transcripts, counts the failures by class, and shrinks the
// first app of each class to a minimal one, printed with its seed and the differences.
//
//   npm run fuzz:diff -- --seeds 100 [--from 0] [--features a,b] [--exclude c] [--jobs 2]
//                        [--configs eager/register,...] [--no-shrink] [--show N] [--json out.json]
//   npm run fuzz:diff -- --seed 42            one seed, every difference, no shrinking
const fs = require('node:fs');
const os = require('node:os');
const { parseArgs } = require('node:util');
const { generate } = require('../test-harness/diff/generate');
const { check, classes } = require('../test-harness/diff/differ');
const { shrink } = require('../test-harness/diff/shrink');
const { failureText } = require('../test-harness/diff/report');
const { FEATURES, LISTENS } = require('../test-harness/diff/grammar');
const { CONFIGS } = require('../test-harness/diff/configs');

const USAGE = `usage: npm run fuzz:diff -- --seeds N [--from S] [--features a,b] [--exclude c,d] [--jobs J]
                         [--configs ${CONFIGS.slice(1).map((c) => c.name).join(',')}]
                         [--no-shrink] [--show N] [--json file]
       npm run fuzz:diff -- --seed S           (one app, all its differences)
       npm run fuzz:diff -- --list             (the features of the grammar)`;

function fail(msg) {
  console.error(`fuzz-diff: ${msg}\n${USAGE}`);
  process.exit(2);
}

function int(name, v, min) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min} (got "${v}")`);
  return n;
}

function names(flag, v, known) {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of list) if (!known.includes(n)) fail(`--${flag}: unknown "${n}" (known: ${known.join(', ')})`);
  return list;
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        seeds: { type: 'string' }, seed: { type: 'string' }, from: { type: 'string', default: '0' },
        features: { type: 'string' }, exclude: { type: 'string' }, jobs: { type: 'string', default: '1' },
        configs: { type: 'string' }, 'no-shrink': { type: 'boolean', default: false }, show: { type: 'string', default: '3' },
        json: { type: 'string' }, list: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    fail(e.message);
  }
  if (values.help) return console.log(USAGE);
  if (values.list) {
    for (const f of FEATURES) console.log(`${f.name.padEnd(18)} ${f.about}`);
    for (const l of Object.keys(LISTENS)) console.log(`${`listen:${l}`.padEnd(18)} a way to listen (every app has one; --exclude it to leave it out)`);
    return;
  }
  const featureNames = FEATURES.map((f) => f.name);
  const listenNames = Object.keys(LISTENS).map((l) => `listen:${l}`);
  const opts = { features: names('features', values.features, featureNames), exclude: names('exclude', values.exclude, [...featureNames, ...listenNames]) };
  const configs = names('configs', values.configs, CONFIGS.slice(1).map((c) => c.name));
  const jobs = int('jobs', values.jobs, 1);
  if (jobs > os.availableParallelism()) console.error(`fuzz-diff: --jobs ${jobs} is more than this machine's ${os.availableParallelism()} cores; timings will suffer`);
  const show = int('show', values.show, 0);

  if (values.seed !== undefined) {
    const spec = generate(int('seed', values.seed, 0), opts);
    const r = await check(spec, { configs });
    console.log(r.failures.length ? failureText(spec, r.failures) : `seed ${spec.seed}: identical in every configuration (${r.ms} ms)`);
    process.exitCode = r.failures.length ? 1 : 0;
    return;
  }
  if (values.seeds === undefined) fail('give --seeds N (or --seed S)');
  const count = int('seeds', values.seeds, 1);
  const from = int('from', values.from, 0);

  const byClass = new Map(); // class -> { seeds: [], configs: Set, first: checked }
  const t0 = Date.now();
  let next = from;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    while (next < from + count) {
      const seed = next++;
      const spec = generate(seed, opts);
      const r = await check(spec, { configs });
      done++;
      const cls = classes(r);
      if (cls.size) failed++;
      for (const [c, cfgs] of cls) {
        if (!byClass.has(c)) byClass.set(c, { seeds: [], configs: new Set(), first: r });
        const e = byClass.get(c);
        e.seeds.push(seed);
        for (const x of cfgs) e.configs.add(x);
      }
      const what = cls.size ? `DIFFERS: ${[...cls.keys()].join(' | ')}` : 'same';
      console.log(`[${done}/${count}] seed ${seed} (${spec.units.map((u) => u.feature).join(', ')}): ${what} (${(r.ms / 1000).toFixed(1)} s)`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));

  console.log(`\n${count} apps (seeds ${from}..${from + count - 1}) in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${count - failed} identical, ${failed} differ.`);
  const sorted = [...byClass].sort((a, b) => b[1].seeds.length - a[1].seeds.length);
  if (sorted.length) {
    console.log('\nFailure classes (feature: symptom — apps, configurations, first seeds):');
    for (const [c, e] of sorted) console.log(`  ${String(e.seeds.length).padStart(4)}  ${c}  [${[...e.configs].join(', ')}]  seeds ${e.seeds.slice(0, 6).join(', ')}`);
  }
  const minimal = [];
  if (!values['no-shrink']) {
    for (const [c, e] of sorted.slice(0, show)) {
      const config = [...e.configs][0];
      console.log(`\n=== ${c}: shrinking seed ${e.seeds[0]} under ${config} ===`);
      const small = await shrink(e.first.spec, { config, cls: c, log: (s) => console.log(s) });
      const r = await check(small, { configs: [config] });
      console.log(failureText(small, r.failures.length ? r.failures : e.first.failures));
      minimal.push({ cls: c, seed: e.seeds[0], config, spec: small });
    }
  }
  if (values.json) {
    const out = { count, from, failed, classes: sorted.map(([c, e]) => ({ cls: c, apps: e.seeds.length, seeds: e.seeds, configs: [...e.configs] })), minimal };
    fs.writeFileSync(values.json, JSON.stringify(out, null, 2));
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
