'use strict';
// Transcripts of one app run plain and under fluxion, and a readable comparison of them.
//
// The contract (DESIGN.md §2) is about what an outside observer sees: responses, what the process
// prints, whether it dies. A transcript records exactly that for a request script, so that the
// same script run `plain`, `auto` and `eager` can be compared field by field.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startProcess, ROOT } = require('./server');

/** @typedef {'plain' | 'auto' | 'eager'} Mode */
/**
 * How fluxion gets into the app (ignored in `plain` mode, where fluxion is never loaded, except
 * `jest`, whose baseline is Jest without the preset):
 * - `register`: `node -r fluxion/register app.js` (`--import` for an ES module)
 * - `import`: `node --import fluxion/register app.js`, whatever the app's module kind
 * - `require`: no preload; the app's first line is `require('fluxion/register')` (fixtures read
 *   `FLUXION_WAY` through __test__/fidelity/apps/way.js, their first require)
 * - `fluxionize-early` / `fluxionize-late`: no preload; the app calls `fluxionize(app)` itself,
 *   right after `express()` or just before `listen`
 * - `cli`: `fluxion run app.js` (the package's bin, run by this Node)
 * - `jest`: a Jest test file requires the app (apps/jest-host.spec.js), with
 *   `preset: 'fluxion/jest'` (plain: without it). CommonJS apps only.
 * @typedef {'register' | 'import' | 'require' | 'fluxionize-early' | 'fluxionize-late' | 'cli' | 'jest'} Way
 */
/**
 * One request, run after the previous step has finished.
 * @typedef {object} RequestStep
 * @property {string} url path and query, e.g. `/pet/2`
 * @property {string} [method] GET by default
 * @property {Record<string, string>} [headers]
 * @property {string} [body] a raw body (set `content-type` yourself)
 * @property {unknown} [json] a JSON body (sets `content-type: application/json`)
 * @property {(o: Outcome) => Outcome} [normalize] maps the outcome before it is compared (e.g.
 *   hides a random id that legitimately differs between runs)
 */
/**
 * `concurrent` requests started at once. Their order legitimately differs under concurrency, so
 * what is compared is the multiset of `status body` (or `summary` of the outcomes), plus `check`.
 * @typedef {object} BatchStep
 * @property {number} concurrent how many requests
 * @property {string | ((i: number) => string)} url the same for all, or per index
 * @property {string} [method]
 * @property {Record<string, string>} [headers]
 * @property {(i: number) => unknown} [json] a JSON body per index
 * @property {(outcomes: Outcome[]) => unknown} [summary] compared instead of the multiset of
 *   bodies (e.g. the number of distinct bodies)
 * @property {(outcomes: Outcome[]) => string | null} [check] an invariant: null when it holds,
 *   else what is wrong. It is checked in every mode, plain included (a check plain fails is a bad
 *   test, not a fluxion bug).
 */
/** @typedef {{ wait: number }} WaitStep pause (ms): lets timers and background work run */
/** @typedef {RequestStep | BatchStep | WaitStep} Step */
/**
 * @typedef {object} Outcome
 * @property {number} status 0 when no response came (connection refused or reset)
 * @property {Record<string, string>} headers the headers the app controls
 * @property {string} body
 * @property {string} [error] why no response came
 */
/**
 * @typedef {object} Transcript
 * @property {string} label e.g. `plain`, `eager (fluxionize-early)`
 * @property {boolean} started false when the app died or hung before listening
 * @property {Array<object>} steps one record per step (`{ kind: 'request' | 'batch' | 'wait', ... }`)
 * @property {{ died: boolean, exitCode: number | null, signal: string | null }} process
 *   died: the process ended by itself before the script was over
 * @property {string[]} errors distinct stderr lines that report an error (`TypeError: ...`, `ReferenceError [Error]: ...`)
 * @property {string[]} stdout what the app printed, in order (the start-up line excepted)
 * @property {string} stderr all of stderr, for diagnosis (not compared)
 */

/** Transport-level headers: they describe the connection and the moment, not the app. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive']);

/** Every way in, in the order the tests run them. */
const WAYS = ['register', 'import', 'require', 'fluxionize-early', 'fluxionize-late', 'cli', 'jest'];
/**
 * Where fluxion comes from: this repository (the default, `repo()`), or the package installed
 * from its tarballs in another folder (`installed(dir)`).
 * @typedef {object} Source
 * @property {string} name for labels
 * @property {string} [cwd] the folder apps run in
 * @property {string} register what `-r` / `--import` name
 * @property {string} module what `require()` names (fluxionize, register): FLUXION_MODULE
 * @property {string} bin the `fluxion` command's script
 * @property {string} jest Jest's bin script
 * @property {string} preset the Jest preset as a config names it
 * @property {string} [node] the Node binary (default: this one)
 * @property {Record<string, string | undefined>} [env] what the source needs in every run's
 *   environment, over BASE_ENV (e.g. a PATH with that Node first; undefined drops a variable)
 */
/** @returns {Source} */
function repo() {
  return {
    name: 'repo',
    register: path.join(ROOT, 'register.js'),
    module: ROOT,
    bin: path.join(ROOT, 'bin', 'fluxion.js'),
    jest: path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
    preset: path.join(ROOT, 'jest'),
  };
}

/**
 * fluxion as a user installs it: `dir` has node_modules/fluxion (and jest, express), apps are run
 * with `dir` as working directory and name the package as users do; `fluxion run` is the link
 * npm made in node_modules/.bin (what npx runs).
 * @param {string} dir
 * @param {{ name?: string, node?: string, env?: Record<string, string | undefined> }} [opts]
 *   name: for labels (several installs in one run, e.g. one per Node version)
 * @returns {Source}
 */
function installed(dir, opts = {}) {
  return {
    name: opts.name || 'tarball',
    cwd: dir,
    register: 'fluxion/register',
    module: 'fluxion',
    bin: path.join(dir, 'node_modules', '.bin', 'fluxion'),
    jest: path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'),
    preset: 'fluxion/jest',
    node: opts.node,
    env: opts.env,
  };
}

/** Environment of every run: two workers, no compile cache, any free port. */
const BASE_ENV = { FLUXION_WORKERS: '2', FLUXION_CACHE: '0', PORT: '0' };

let jestDir = null;
/** A Jest config for the `jest` way: only the host test file, the app's modules untransformed but for fluxion's. */
function jestConfig(app, source, preset) {
  jestDir ||= fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-ways-jest-'));
  let rootDir = path.dirname(app);
  while (!fs.existsSync(path.join(rootDir, 'jest-host.spec.js'))) {
    if (path.dirname(rootDir) === rootDir) throw new Error(`transcript: no jest-host.spec.js in a folder above ${app}`);
    rootDir = path.dirname(rootDir);
  }
  const config = {
    rootDir,
    testMatch: ['<rootDir>/jest-host.spec.js'],
    testEnvironment: 'node',
    transform: {},
    // One per source: installs for different Node versions must not share transformed modules.
    cacheDirectory: path.join(jestDir, `cache-${source.name}`),
    testTimeout: 600000,
  };
  if (preset) config.preset = source.preset;
  const file = path.join(jestDir, `${source.name}-${preset ? 'preset' : 'plain'}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

/**
 * Starts `app` in a child process in one mode and way in (resolves once it prints
 * `listening <port>`; rejects, with `exitCode` and `stderr` on the error, if it does not).
 * @param {string} app path of the app's entry module
 * @param {{ mode?: Mode, way?: Way, source?: Source, env?: Record<string, string> }} [opts]
 * @returns {Promise<{ url: string, child: import('node:child_process').ChildProcess,
 *   stdout: () => string, stderr: () => string, stop: () => Promise<void> }>}
 */
function start(app, opts = {}) {
  const mode = opts.mode || 'auto';
  const way = opts.way || 'register';
  const source = opts.source || repo();
  const plain = mode === 'plain';
  // Undefined drops a variable inherited from the developer's shell (spawn leaves it out): it
  // would change what is being compared.
  const env = { ...BASE_ENV, FLUXION_WAY: plain ? 'plain' : way, FLUXION_MODULE: source.module, NODE_OPTIONS: undefined, ...source.env, ...opts.env };
  env.FLUXION_PLACEMENT = mode === 'eager' ? 'eager' : undefined;
  const node = source.node || process.execPath;
  const esm = /\.mjs$/.test(app);
  let args;
  if (way === 'jest') {
    if (esm) throw new Error(`transcript: the jest way runs CommonJS apps only (${app})`);
    env.FIXTURE_APP = app;
    args = [source.jest, '--config', jestConfig(app, source, !plain), '--runInBand', '--ci', '--watchman=false'];
  } else if (plain || way === 'require' || way.startsWith('fluxionize')) args = [app];
  else if (way === 'register') args = [esm ? '--import' : '-r', source.register, app];
  else if (way === 'import') args = ['--import', source.register, app];
  else if (way === 'cli') args = [source.bin, 'run', app];
  else throw new Error(`transcript: unknown way in ${JSON.stringify(way)} (one of ${WAYS.join(', ')})`);
  return startProcess(node, args, { env, cwd: source.cwd, timeoutMs: way === 'jest' ? 60000 : 15000 });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


/** One request's observable outcome. Never throws: a request that gets no answer is an outcome. */
async function request(base, step) {
  const init = { method: step.method || 'GET', headers: { ...step.headers }, redirect: 'manual' };
  if (step.json !== undefined) {
    init.body = JSON.stringify(step.json);
    init.headers['content-type'] = 'application/json';
  } else if (step.body !== undefined) init.body = step.body;
  try {
    const r = await fetch(base + step.url, { ...init, signal: AbortSignal.timeout(step.timeout || 10000) });
    const headers = {};
    for (const [k, v] of r.headers) if (!TRANSPORT_HEADERS.has(k)) headers[k] = v;
    return { status: r.status, headers, body: await r.text() };
  } catch (err) {
    const cause = (err.cause && (err.cause.code || err.cause.message)) || err.name || err.message;
    return { status: 0, headers: {}, body: '', error: `no response (${cause})` };
  }
}

/** A line of stderr that reports an error: `TypeError: x is not a function`, `Error [ERR_X]: ...`. */
const ERROR_LINE = /^\s*(?:Uncaught\s+)?((?:[A-Z][A-Za-z]*)?(?:Error|Exception))(?: \[[^\]]+\])?: \S/;

/**
 * Runs `script` against an app started with `start()` and returns its transcript (the process is
 * left running; see `transcript()` for the whole cycle).
 * @param {Awaited<ReturnType<typeof start>>} app
 * @param {Step[]} script
 * @returns {Promise<Array<object>>} the step records
 */
async function run(app, script) {
  const steps = [];
  for (const step of script) {
    if ('wait' in step) {
      await sleep(step.wait);
      steps.push({ kind: 'wait', ms: step.wait });
    } else if ('concurrent' in step) {
      const urlOf = typeof step.url === 'function' ? step.url : () => step.url;
      const outcomes = await Promise.all(
        Array.from({ length: step.concurrent }, (_, i) =>
          request(app.url, { ...step, url: urlOf(i), json: step.json ? step.json(i) : undefined }).then((o) => ({ url: urlOf(i), ...o }))
        )
      );
      steps.push({
        kind: 'batch',
        what: `${step.concurrent} × ${step.method || 'GET'} ${typeof step.url === 'function' ? `${urlOf(0)}…` : step.url}`,
        outcomes,
        summary: step.summary ? step.summary(outcomes) : undefined,
        multiset: step.summary ? undefined : outcomes.map((o) => `${o.status} ${o.error || o.body}`).sort(),
        problem: step.check ? step.check(outcomes) : null,
      });
    } else {
      const raw = await request(app.url, step);
      const o = step.normalize && !raw.error ? step.normalize(raw) : raw;
      steps.push({ kind: 'request', what: `${step.method || 'GET'} ${step.url}`, ...o });
    }
  }
  return steps;
}

/**
 * The whole cycle: start the app in one mode, run the script, let it settle, stop it, and report
 * what an observer saw.
 * @param {string} app path of the app's entry module
 * @param {Step[]} script
 * @param {{ mode?: Mode, way?: Way, source?: Source, env?: Record<string, string>, settleMs?: number }} [opts]
 *   settleMs: pause after the last step, so that a crash it caused is seen (default 150)
 * @returns {Promise<Transcript>}
 */
async function transcript(app, script, opts = {}) {
  const mode = opts.mode || 'auto';
  const way = opts.way || 'register';
  const from = opts.source && opts.source.name !== 'repo' ? `${opts.source.name}, ` : '';
  const label = mode === 'plain' ? (way === 'jest' ? `plain (${from}jest)` : 'plain') : way === 'register' && !from ? mode : `${mode} (${from}${way})`;
  let running;
  try {
    running = await start(app, opts);
  } catch (err) {
    const stderr = err.stderr || err.message;
    return {
      label,
      started: false,
      steps: [],
      process: { died: true, exitCode: err.exitCode ?? null, signal: err.signal ?? null },
      errors: errorLines(stderr),
      stdout: stdoutLines(err.stdout || ''),
      stderr,
    };
  }
  let steps;
  let died;
  let exit;
  try {
    steps = await run(running, script);
    await sleep(opts.settleMs ?? 150);
  } finally {
    died = running.child.exitCode !== null || running.child.signalCode !== null;
    exit = { exitCode: running.child.exitCode, signal: running.child.signalCode };
    await running.stop();
  }
  return {
    label,
    started: true,
    steps,
    process: died ? { died, ...exit } : { died, exitCode: null, signal: null },
    errors: errorLines(running.stderr()),
    stdout: stdoutLines(running.stdout()),
    stderr: running.stderr(),
  };
}

function errorLines(stderr) {
  return [...new Set(stderr.split('\n').filter((l) => ERROR_LINE.test(l)).map((l) => l.trim()))].sort();
}
function stdoutLines(stdout) {
  return stdout.split('\n').filter((l) => l && !/^listening \d+$/.test(l));
}

const show = (v) => (typeof v === 'string' ? JSON.stringify(v.length > 300 ? `${v.slice(0, 300)}…` : v) : JSON.stringify(v));

/** Multiset difference, as `value ×n` lists: what only `a` has, what only `b` has. */
function multisetDiff(a, b) {
  const count = (xs) => xs.reduce((m, x) => m.set(x, (m.get(x) || 0) + 1), new Map());
  const ca = count(a);
  const cb = count(b);
  const only = (x, y) => {
    const out = [];
    for (const [k, n] of x) if (n > (y.get(k) || 0)) out.push(`${show(k)}${n - (y.get(k) || 0) > 1 ? ` ×${n - (y.get(k) || 0)}` : ''}`);
    return out;
  };
  return [only(ca, cb), only(cb, ca)];
}

/**
 * Compares two transcripts of the same script. Returns one readable line per difference (empty
 * when an observer could not tell them apart), naming the step, the field, and both values.
 * Headers: all those the app controls; `etag` only when the bodies are equal (it is a hash of
 * the body, so a different body already says it) and not for normalised steps.
 * @param {Transcript} a usually the plain run
 * @param {Transcript} b
 * @returns {string[]}
 */
function compare(a, b) {
  const A = a.label;
  const B = b.label;
  const out = [];
  if (a.started !== b.started) out.push(`start: ${A} ${a.started ? 'listened' : 'did not start'}, ${B} ${b.started ? 'listened' : 'did not start'}`);
  const n = Math.max(a.steps.length, b.steps.length);
  for (let i = 0; i < n; i++) {
    const x = a.steps[i];
    const y = b.steps[i];
    if (!x || !y) {
      out.push(`step ${i + 1}: only ${x ? A : B} ran it`);
      continue;
    }
    const where = `step ${i + 1} (${x.what || `wait ${x.ms} ms`})`;
    if (x.kind === 'request') {
      if (x.status !== y.status) out.push(`${where} status: ${A} ${x.status} vs ${B} ${y.status}${y.error ? ` ${y.error}` : ''}${x.error ? ` (${A}: ${x.error})` : ''}`);
      if (x.body !== y.body) out.push(`${where} body: ${A} ${show(x.body)} vs ${B} ${show(y.body)}`);
      const keys = new Set([...Object.keys(x.headers), ...Object.keys(y.headers)]);
      for (const k of [...keys].sort()) {
        if (k === 'etag' && x.body !== y.body) continue;
        if (x.headers[k] !== y.headers[k]) out.push(`${where} header ${k}: ${A} ${show(x.headers[k])} vs ${B} ${show(y.headers[k])}`);
      }
    } else if (x.kind === 'batch') {
      if (x.multiset) {
        const [onlyA, onlyB] = multisetDiff(x.multiset, y.multiset);
        if (onlyA.length || onlyB.length) {
          const cap = (l) => (l.length > 8 ? [...l.slice(0, 8), `… ${l.length - 8} more`] : l).join(', ');
          out.push(`${where} responses (as a multiset): only ${A}: [${cap(onlyA)}]; only ${B}: [${cap(onlyB)}]`);
        }
      } else if (JSON.stringify(x.summary) !== JSON.stringify(y.summary)) {
        out.push(`${where} summary: ${A} ${show(x.summary)} vs ${B} ${show(y.summary)}`);
      }
      if (x.problem) out.push(`${where} invariant fails in ${A} (the test is wrong): ${x.problem}`);
      if (y.problem) out.push(`${where} invariant: ${B}: ${y.problem}`);
    }
  }
  if (a.process.died !== b.process.died || a.process.exitCode !== b.process.exitCode) {
    const state = (t) => (t.process.died ? `died (exit code ${t.process.exitCode}${t.process.signal ? `, ${t.process.signal}` : ''})` : 'kept running');
    out.push(`process: ${A} ${state(a)} vs ${B} ${state(b)}`);
  }
  const [errA, errB] = multisetDiff(a.errors, b.errors);
  if (errA.length) out.push(`stderr errors only in ${A}: ${errA.join(', ')}`);
  if (errB.length) out.push(`stderr errors only in ${B}: ${errB.join(', ')}`);
  if (JSON.stringify(a.stdout) !== JSON.stringify(b.stdout)) out.push(`stdout: ${A} ${show(a.stdout)} vs ${B} ${show(b.stdout)}`);
  return out;
}

/**
 * An invariant for batches: the bodies, read as integers, are `from`..`from+n-1`, each exactly once.
 * @param {number} n
 * @param {number} [from]
 * @param {(body: string) => number} [read] how to read the count from a body
 * @returns {(outcomes: Outcome[]) => string | null}
 */
function eachOnce(n, from = 1, read = Number) {
  return (outcomes) => {
    const seen = new Map();
    for (const o of outcomes) seen.set(read(o.body), (seen.get(read(o.body)) || 0) + 1);
    const dup = [...seen].filter(([, c]) => c > 1);
    const missing = [];
    for (let i = from; i < from + n; i++) if (!seen.has(i)) missing.push(i);
    if (!dup.length && !missing.length) return null;
    return `${dup.length} values seen more than once (e.g. ${dup.slice(0, 5).map(([v, c]) => `${v} ×${c}`).join(', ')}), ${missing.length} of ${from}..${from + n - 1} missing`;
  };
}

/** Node's major version (ES module variants need 22+). */
const nodeMajor = Number(process.versions.node.split('.')[0]);

module.exports = { start, run, transcript, compare, eachOnce, nodeMajor, ROOT, WAYS, repo, installed };
