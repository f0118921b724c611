'use strict';
// The benchmark (issue 5): `npm run bench` (full, a few minutes) or `npm run bench -- --quick`
// (CI: about a minute, one run per mode). For each scenario the same app runs, in turn, on one
// thread (`node app.js`), under node:cluster with one process per core (bench/cluster.js) and
// under fluxion (`node -r ./register.js app.js`, default placement); modes are interleaved
// (A,B,C,A,B,C,...) and the median run is kept. Load comes from a separate process
// (bench/load.js, autocannon) on 127.0.0.1 only.
//
// Writes bench/results/latest.json, bench/results/latest.md and bench/results/chart.svg
// (--quick: quick.json, quick.md, quick.svg) and prints the Markdown table.
//
// Options: --quick, --runs N, --duration S, --warmup S, --connections N,
//          --scenarios cpu,counter,hello,file,rss, --no-extra (skip the informational
//          "fluxion, cores - 1 workers" mode: the default before issue 5), --compile (also run
//          bench/compile.js).
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { renderChart } = require('./chart');

const ROOT = path.join(__dirname, '..');
const APPS = path.join(__dirname, 'apps');
const RESULTS = path.join(__dirname, 'results');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    scenarios: { type: 'string' },
    'no-extra': { type: 'boolean', default: false },
    compile: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const CFG = {
  runs: Number(args.runs || (quick ? 1 : 3)),
  duration: Number(args.duration || (quick ? 1.5 : 5)),
  warmup: Number(args.warmup || (quick ? 0.5 : 1.5)),
  connections: Number(args.connections || 16),
  checkAmount: quick ? 96 : 480,
  rssWorkers: quick ? [1, 2] : [1, 2, 4],
  rssSamples: quick ? 1 : 3,
};
const CORES = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const DEFAULT_WORKERS = Math.max(1, CORES); // fluxion's default (lib/hosts/main.js)
const OTHER_WORKERS = Math.max(1, CORES - 1); // the previous default, for comparison
const extra = !quick && !args['no-extra'] && OTHER_WORKERS !== DEFAULT_WORKERS;

const SCENARIOS = [
  { key: 'cpu', n: 1, title: 'stateless CPU-bound (sha256 x1000, ~2 ms)', app: 'cpu.js', path: '/cpu/42', target: { single: 1.6, cluster: 0.9 } },
  { key: 'counter', n: 2, title: "Listing 1 counter (readFile + ~2 ms template)", app: 'counter.js', path: '/', counter: true, target: { single: 1.3, exact: true } },
  { key: 'hello', n: 3, title: 'trivial "hello"', app: 'hello.js', path: '/', target: { single: 0.95 } },
  { key: 'file', n: 4, title: 'readFile 16 KB + upper-case + sha256', app: 'file.js', path: '/file', target: null },
];

const MODES = [
  { key: 'single', label: 'one thread', argv: (app) => [app] },
  { key: 'cluster', label: `cluster (${CORES} processes)`, argv: (app) => [path.join(__dirname, 'cluster.js'), app] },
  {
    key: 'fluxion',
    label: `fluxion (default: ${DEFAULT_WORKERS} worker${DEFAULT_WORKERS > 1 ? 's' : ''})`,
    argv: (app) => ['-r', path.join(ROOT, 'register.js'), app],
    env: { FLUXION_MODULE: ROOT },
    fluxion: true,
  },
];
if (extra) {
  MODES.push({
    key: 'fluxionN',
    label: `fluxion (${OTHER_WORKERS} worker${OTHER_WORKERS > 1 ? 's' : ''}: cores - 1, informational)`,
    argv: (app) => ['-r', path.join(ROOT, 'register.js'), app],
    env: { FLUXION_MODULE: ROOT, FLUXION_WORKERS: String(OTHER_WORKERS) },
    fluxion: true,
    informational: true,
  });
}

const wanted = new Set((args.scenarios || 'cpu,counter,hello,file,rss').split(','));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const observations = []; // what went wrong (server errors, crashes, non-2xx...), for docs/bench.md

function cleanEnv(extraEnv) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('FLUXION_')) delete env[k];
  return { ...env, PORT: '0', NODE_ENV: 'production', ...extraEnv };
}

/** Starts a server; resolves { child, port, stderr() } once it prints `listening <port>`. */
function startServer(argv, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let done = false;
    const timer = setTimeout(() => fail(new Error('no "listening <port>" within 30 s')), 30000);
    function fail(e) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      e.message += `\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-4000)}`;
      reject(e);
    }
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stderr: () => err, stdout: () => out });
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, sig) => fail(new Error(`server exited (${sig || code}) before listening`)));
  });
}

async function stopServer(s) {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  const t = setTimeout(() => s.child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

function runLoad(opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'load.js'), JSON.stringify(opts)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator failed (${code}): ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

function httpGet(port, p) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode, body: b }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}

/** Resident set size of a process and its descendants (cluster), in bytes (Linux /proc). */
function rssTree(pid) {
  let total = 0;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    total += Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      const kids = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(/\s+/) : []) total += rssTree(Number(k));
    }
  } catch {
    // gone
  }
  return total;
}

/** Per-thread executions of the fluxions that ran, from GET /__stats. */
function summariseStats(list) {
  const byThread = {};
  const fluxions = [];
  for (const f of list || []) {
    const total = f.executions.reduce((a, e) => a + e.count, 0);
    if (!total) continue;
    for (const e of f.executions) byThread[e.threadId] = (byThread[e.threadId] || 0) + e.count;
    fluxions.push({
      id: f.id.replace(ROOT + path.sep, ''),
      placement: f.placement,
      executions: Object.fromEntries(f.executions.map((e) => [e.threadId, e.count])),
      meanRunMs: Number(f.meanRunMs.toFixed(3)),
    });
  }
  return { byThread, fluxions };
}

function noteServerOutput(sc, mode, run, s) {
  const err = s.stderr().trim();
  if (err) observations.push({ scenario: sc.key, mode: mode.key, run, kind: 'stderr', detail: err.slice(0, 4000) });
}

async function runScenario(sc) {
  const app = path.join(APPS, sc.app);
  const runs = Object.fromEntries(MODES.map((m) => [m.key, []]));
  for (let r = 0; r < CFG.runs; r++) {
    for (const mode of MODES) {
      const t0 = Date.now();
      const loadavg = os.loadavg()[0]; // other work on the box skews everything: keep a record
      let s;
      try {
        s = await startServer(mode.argv(app), cleanEnv(mode.env));
      } catch (e) {
        observations.push({ scenario: sc.key, mode: mode.key, run: r, kind: 'start', detail: e.message });
        runs[mode.key].push({ failed: e.message.split('\n')[0] });
        continue;
      }
      const startMs = Date.now() - t0;
      const phases = [
        { name: 'warmup', duration: CFG.warmup },
        { name: 'run', duration: CFG.duration },
      ];
      if (sc.counter) phases.push({ name: 'check', amount: CFG.checkAmount });
      let load;
      try {
        load = await runLoad({ port: s.port, path: sc.path, connections: CFG.connections, counter: !!sc.counter, phases });
      } catch (e) {
        observations.push({ scenario: sc.key, mode: mode.key, run: r, kind: 'load', detail: e.message });
      }
      const alive = s.child.exitCode === null && s.child.signalCode === null;
      const rss = alive ? rssTree(s.child.pid) : NaN;
      let stats = null;
      if (mode.fluxion && alive) {
        const st = await httpGet(s.port, '/__stats');
        try {
          stats = summariseStats(JSON.parse(st.body));
        } catch {
          stats = { error: `${st.status} ${st.body.slice(0, 200)}` };
        }
      }
      if (!alive) {
        observations.push({
          scenario: sc.key, mode: mode.key, run: r, kind: 'crash',
          detail: `server exited (${s.child.signalCode || s.child.exitCode}) during the load\n${s.stderr().slice(-4000)}`,
        });
      }
      await stopServer(s);
      noteServerOutput(sc, mode, r, s);
      const run = { startMs, rss, alive, loadavg };
      if (load) {
        const p = load.phases.run;
        run.rps = p.total / p.seconds;
        run.latency = p.latency;
        run.total = p.total;
        run.non2xx = p.non2xx;
        run.errors = p.errors;
        run.timeouts = p.timeouts;
        const bad = Object.values(load.phases).reduce((a, x) => a + x.non2xx + x.errors + x.timeouts, 0);
        if (bad) {
          observations.push({
            scenario: sc.key, mode: mode.key, run: r, kind: 'responses',
            detail: Object.values(load.phases).map((x) => `${x.name}: ${x.total} answered, ${x.non2xx} non-2xx, ${x.errors} errors, ${x.timeouts} timeouts`).join('; '),
          });
        }
        if (sc.counter) run.counter = counterVerdict(load);
      }
      if (stats) run.stats = stats;
      runs[mode.key].push(run);
      const c = run.counter ? ` counter ${run.counter.exact ? 'exact' : 'WRONG'}` : '';
      console.error(`  [${sc.key}] run ${r + 1}/${CFG.runs} ${mode.key.padEnd(8)} ${Number.isFinite(run.rps) ? run.rps.toFixed(0).padStart(6) : '   n/a'} req/s  p99 ${run.latency ? run.latency.p99 : '-'} ms${c}  (load avg ${loadavg.toFixed(1)})`);
    }
  }
  const summary = {};
  for (const mode of MODES) {
    const rs = runs[mode.key];
    const ok = rs.filter((x) => Number.isFinite(x.rps));
    summary[mode.key] = {
      rps: median(ok.map((x) => x.rps)),
      p50: median(ok.map((x) => x.latency.p50)),
      p99: median(ok.map((x) => x.latency.p99)),
      rssMB: median(ok.map((x) => x.rss / 2 ** 20)),
      loadavg: median(rs.map((x) => x.loadavg)),
      runs: rs.length,
      failedRuns: rs.length - ok.length,
      ...(sc.counter ? { counterExact: rs.length > 0 && rs.every((x) => x.counter && x.counter.exact) } : {}),
    };
  }
  return { key: sc.key, n: sc.n, title: sc.title, path: sc.path, target: sc.target, summary, runs };
}

/**
 * Is the counter exact? Timed phases end by dropping connections mid-request, so the exact test
 * is a final count-bounded phase: the counter must rise by exactly the number of 200 responses,
 * every read must agree (one authoritative copy), and no counter value may be returned twice
 * over the whole run.
 */
function counterVerdict(load) {
  const before = load.counterBefore || [];
  const after = load.counterAfter || [];
  const check = load.phases.check;
  const agree = (xs) => xs.length > 0 && xs.every((x) => x === xs[0] && typeof x === 'number');
  const increase = agree(before) && agree(after) ? after[0] - before[0] : NaN;
  const all200 = Object.values(load.phases).reduce((a, x) => a + x.counted200, 0);
  const exact = agree(before) && agree(after) && increase === check.counted200 && load.duplicates === 0;
  return {
    exact,
    responses200: all200,
    distinctValues: load.distinct,
    duplicateValues: load.duplicates,
    finalCounterReads: after,
    checkResponses200: check.counted200,
    checkCounterIncrease: increase,
    beforeCheckReads: before,
  };
}

/** Scenario 7: memory. */
async function rssScenario() {
  const app = path.join(APPS, 'cpu.js');
  async function measure(argv, env) {
    const xs = [];
    for (let i = 0; i < CFG.rssSamples; i++) {
      const s = await startServer(argv, env);
      for (let k = 0; k < 100; k++) await httpGet(s.port, `/cpu/${k}`);
      await sleep(500);
      xs.push(rssTree(s.child.pid));
      await stopServer(s);
      noteServerOutput({ key: 'rss' }, { key: env.FLUXION_WORKERS ? `fluxion-${env.FLUXION_WORKERS}w` : 'single' }, i, s);
    }
    return median(xs) / 2 ** 20;
  }
  function workersRss(n, kind) {
    const xs = [];
    for (let i = 0; i < CFG.rssSamples; i++) {
      const r = spawnSync(process.execPath, [path.join(__dirname, 'rss-workers.js'), String(n), kind], { cwd: ROOT, encoding: 'utf8' });
      xs.push(JSON.parse(r.stdout.trim()).rss);
    }
    return median(xs) / 2 ** 20;
  }
  const slope = (pts) => {
    // least squares, MB per worker
    const n = pts.length;
    const mx = pts.reduce((a, p) => a + p[0], 0) / n;
    const my = pts.reduce((a, p) => a + p[1], 0) / n;
    const num = pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
    const den = pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
    return num / den;
  };
  const single = await measure([app], cleanEnv({}));
  const fluxion = {};
  for (const n of CFG.rssWorkers) {
    fluxion[n] = await measure(['-r', path.join(ROOT, 'register.js'), app], cleanEnv({ FLUXION_WORKERS: String(n) }));
  }
  const bare = { 0: workersRss(0, 'empty') };
  const bareExpress = { 0: bare[0] };
  for (const n of CFG.rssWorkers) {
    bare[n] = workersRss(n, 'empty');
    bareExpress[n] = workersRss(n, 'express');
  }
  const ns = CFG.rssWorkers;
  const fluxionSlope = slope(ns.map((n) => [n, fluxion[n]]));
  const bareSlope = slope([0, ...ns].map((n) => [n, bare[n]]));
  const expressSlope = slope([0, ...ns].map((n) => [n, bareExpress[n]]));
  const out = {
    app: 'bench/apps/cpu.js, after 100 requests',
    singleMB: single,
    fluxionMB: fluxion,
    bareWorkersMB: bare,
    expressWorkersMB: bareExpress,
    fluxionPerWorkerMB: fluxionSlope,
    bareWorkerMB: bareSlope,
    expressWorkerMB: expressSlope,
    beyondBareWorkerMB: fluxionSlope - bareSlope,
    fixedOverheadMB: fluxion[ns[0]] - single - ns[0] * fluxionSlope,
    target: { beyondBareWorkerMB: 15 },
  };
  console.error(`  [rss] one thread ${single.toFixed(1)} MB; fluxion ${ns.map((n) => `${n}w ${fluxion[n].toFixed(1)}`).join(', ')} MB; ` +
    `per worker ${fluxionSlope.toFixed(1)} MB vs bare worker ${bareSlope.toFixed(1)} MB`);
  return out;
}

// ---------------------------------------------------------------------------------------------

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);

function verdicts(sc) {
  const s = sc.summary;
  const vs1 = ratio(s.fluxion.rps, s.single.rps);
  const vsC = ratio(s.fluxion.rps, s.cluster.rps);
  const t = sc.target;
  if (!t) return { vs1, vsC, text: '-', met: null };
  const parts = [];
  let met = true;
  if (t.single !== undefined) {
    parts.push(`>= ${t.single}x 1T`);
    met = met && vs1 >= t.single;
  }
  if (t.cluster !== undefined) {
    parts.push(`>= ${t.cluster}x cluster`);
    met = met && vsC >= t.cluster;
  }
  if (t.exact) {
    parts.push('exact counter');
    met = met && s.fluxion.counterExact === true;
  }
  return { vs1, vsC, text: parts.join(', '), met };
}

function markdown(result) {
  const L = [];
  const modeCols = MODES.map((m) => m.label);
  L.push(`### Throughput (req/s, median of ${result.config.runs} run${result.config.runs > 1 ? 's' : ''}; ${result.config.duration} s each after ${result.config.warmup} s warm-up, ${result.config.connections} connections)`);
  L.push('');
  L.push(`| # | scenario | ${modeCols.join(' | ')} | fluxion / one thread | fluxion / cluster | target | met |`);
  L.push(`|---|---|${MODES.map(() => '---:').join('|')}|---:|---:|---|---|`);
  for (const sc of result.scenarios) {
    const v = verdicts(sc);
    const cells = MODES.map((m) => fmt(sc.summary[m.key].rps));
    const met = v.met === null ? '-' : v.met ? 'yes' : '**no**';
    L.push(`| ${sc.n} | ${sc.title} | ${cells.join(' | ')} | ${fmt(v.vs1, 2)}x | ${fmt(v.vsC, 2)}x | ${v.text} | ${met} |`);
  }
  L.push('');
  L.push(`p99 latency (ms): ${result.scenarios.map((sc) => `${sc.n}: ${MODES.map((m) => `${m.key} ${fmt(sc.summary[m.key].p99)}`).join(', ')}`).join('; ')}`);
  const counter = result.scenarios.find((s) => s.key === 'counter');
  if (counter) {
    L.push('');
    L.push('### Counter correctness (scenario 2, last run of each mode)');
    L.push('');
    L.push('| mode | 200 responses (whole run) | distinct counter values | values returned twice or more | count-bounded check: 200s / counter increase | final /count reads | exact |');
    L.push('|---|---:|---:|---:|---|---|---|');
    for (const m of MODES) {
      const runs = counter.runs[m.key].filter((r) => r.counter);
      const c = runs.length ? runs[runs.length - 1].counter : null;
      if (!c) {
        L.push(`| ${m.label} | n/a | | | | | **no** |`);
        continue;
      }
      const allExact = counter.summary[m.key].counterExact;
      L.push(`| ${m.label} | ${c.responses200} | ${c.distinctValues} | ${c.duplicateValues} | ${c.checkResponses200} / ${fmt(c.checkCounterIncrease)} | ${c.finalCounterReads.join(', ')} | ${allExact ? 'yes' : '**no**'} (${runs.filter((r) => r.counter.exact).length}/${runs.length} runs) |`);
    }
  }
  if (result.rss) {
    const r = result.rss;
    L.push('');
    L.push('### Memory (scenario 7, RSS)');
    L.push('');
    L.push('| process | RSS (MB) |');
    L.push('|---|---:|');
    L.push(`| one thread, ${r.app} | ${fmt(r.singleMB, 1)} |`);
    for (const [n, mb] of Object.entries(r.fluxionMB)) L.push(`| fluxion, FLUXION_WORKERS=${n} | ${fmt(mb, 1)} |`);
    for (const [n, mb] of Object.entries(r.bareWorkersMB)) L.push(`| bare node + ${n} empty worker_threads | ${fmt(mb, 1)} |`);
    for (const [n, mb] of Object.entries(r.expressWorkersMB)) if (n !== '0') L.push(`| bare node + ${n} worker_threads requiring express | ${fmt(mb, 1)} |`);
    L.push('');
    L.push(`Per worker (least-squares slope): fluxion **${fmt(r.fluxionPerWorkerMB, 1)} MB**, bare worker ${fmt(r.bareWorkerMB, 1)} MB, ` +
      `worker requiring express ${fmt(r.expressWorkerMB, 1)} MB. Fluxion beyond a bare worker: **${fmt(r.beyondBareWorkerMB, 1)} MB** ` +
      `(target <= 15 MB: ${r.beyondBareWorkerMB <= 15 ? 'yes' : '**no**'}); fixed overhead (runtime, addon, main-thread side): ${fmt(r.fixedOverheadMB, 1)} MB.`);
  }
  const fl = result.scenarios.filter((s) => s.runs.fluxion.some((r) => r.stats && r.stats.byThread));
  if (fl.length) {
    L.push('');
    L.push('### Where fluxion ran the handlers (executions per thread, last run; thread 0 = main)');
    L.push('');
    for (const sc of fl) {
      for (const m of MODES.filter((x) => x.fluxion)) {
        const last = sc.runs[m.key].filter((r) => r.stats && r.stats.fluxions).pop();
        if (!last) continue;
        const fx = last.stats.fluxions
          .filter((f) => !/__stats|anonymous_\d+@\d+$/.test(f.id) || Object.values(f.executions).reduce((a, b) => a + b, 0) > 1)
          .map((f) => `\`${f.id.split('#').pop()}\` ${f.placement}: ${Object.entries(f.executions).map(([t, c]) => `t${t}=${c}`).join(' ')}`);
        L.push(`- ${sc.n} ${m.key}: ${fx.join('; ')}`);
      }
    }
  }
  if (result.compile) {
    L.push('');
    L.push(`Compile (bench/compile.js): ${result.compile}`);
  }
  L.push('');
  const loads = result.scenarios.flatMap((sc) => Object.values(sc.runs).flat().map((r) => r.loadavg)).filter(Number.isFinite);
  if (loads.length) {
    L.push('');
    L.push(`1-minute load average when runs started: median ${fmt(median(loads), 1)}, min ${fmt(Math.min(...loads), 1)}, max ${fmt(Math.max(...loads), 1)} ` +
      `(${result.machine.cores} cores; anything above ~2 means other processes competed with the benchmark).`);
  }
  L.push('');
  L.push(`Machine: ${result.machine.cpus} x ${result.machine.model}, ${result.machine.cores} cores available, node ${result.machine.node}, ${result.machine.os}. ` +
    `Load generator (autocannon, separate process) shares these cores.`);
  return L.join('\n');
}

async function main() {
  fs.mkdirSync(RESULTS, { recursive: true });
  const started = Date.now();
  const cpus = os.cpus();
  const result = {
    date: new Date().toISOString(),
    quick,
    machine: { cores: CORES, cpus: cpus.length, model: cpus[0] && cpus[0].model, node: process.version, os: `${os.type()} ${os.release()}` },
    config: { ...CFG, fluxionDefaultWorkers: DEFAULT_WORKERS, modes: MODES.map((m) => ({ key: m.key, label: m.label, env: m.env || {} })) },
    scenarios: [],
  };
  console.error(`fluxion bench: ${quick ? 'quick' : 'full'}; ${CORES} cores; modes ${MODES.map((m) => m.key).join(', ')}; ${CFG.runs} run(s) x ${CFG.duration} s`);
  for (const sc of SCENARIOS) if (wanted.has(sc.key)) result.scenarios.push(await runScenario(sc));
  if (wanted.has('rss')) {
    try {
      result.rss = await rssScenario();
    } catch (e) {
      observations.push({ scenario: 'rss', kind: 'error', detail: String(e.stack || e) });
    }
  }
  if (args.compile) {
    const r = spawnSync(process.execPath, [path.join(__dirname, 'compile.js')], { cwd: ROOT, encoding: 'utf8' });
    result.compile = r.status === 0 ? r.stdout.trim().split('\n').pop() : `failed (${r.status}): ${(r.stderr || '').slice(-500)}`;
  }
  result.observations = observations;
  result.seconds = Math.round((Date.now() - started) / 1000);
  const base = quick ? 'quick' : 'latest';
  const md = markdown(result);
  fs.writeFileSync(path.join(RESULTS, `${base}.json`), JSON.stringify(result, null, 2) + '\n');
  fs.writeFileSync(path.join(RESULTS, `${base}.md`), md + '\n');
  fs.writeFileSync(path.join(RESULTS, quick ? 'quick.svg' : 'chart.svg'), renderChart(result, MODES));
  console.log(md);
  if (observations.length) {
    console.log('\n### Observations (server stderr, crashes, failed responses)\n');
    for (const o of observations) console.log(`- [${o.scenario}/${o.mode || '-'} run ${o.run ?? '-'}] ${o.kind}: ${o.detail.split('\n').slice(0, 6).join(' | ')}`);
  }
  console.error(`done in ${result.seconds} s; wrote bench/results/${base}.json, ${base}.md, ${quick ? 'quick' : 'chart'}.svg`);
}

main().catch((e) => {
  console.error(e.stack || e);
  process.exit(1);
});
