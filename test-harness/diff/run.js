'use strict';
// Runs one generated app in one configuration and records its transcript: every request's
// status, the headers the app controls, the body, and whether the process is still alive at the
// end. Bounded: the app must start in START_MS, each request answer in REQUEST_MS, and the child
// is always killed (SIGKILL) before this resolves.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { render } = require('./render');
const { feature } = require('./grammar');
const { BASE_ENV } = require('./configs');

const ROOT = path.join(__dirname, '..', '..');
const START_MS = Number(process.env.FUZZ_DIFF_START_MS || 20000);
const REQUEST_MS = Number(process.env.FUZZ_DIFF_REQUEST_MS || 8000);
// Headers the server, not the app, decides.
const NOT_APP_HEADERS = new Set(['date', 'connection', 'keep-alive']);

/**
 * A directory for one app: its files for a way in, plus node_modules links so `express` and
 * `fluxion` resolve to this checkout's.
 * @returns {{ dir: string, write: (way: string) => void, remove: () => void }}
 */
function workspace(spec) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fluxion-diff-${spec.seed}-`));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'express'), path.join(dir, 'node_modules', 'express'), 'dir');
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'fluxion'), 'dir');
  let written = null;
  return {
    dir,
    write(way) {
      if (written === way) return;
      for (const [rel, text] of Object.entries(render(spec, way))) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      written = way;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** One request's observable outcome, or the error that stood for it. */
async function request(base, step) {
  const init = { method: step.method, redirect: 'manual', headers: { ...(step.headers || {}) }, signal: AbortSignal.timeout(REQUEST_MS) };
  if (step.body !== undefined) {
    init.body = JSON.stringify(step.body);
    init.headers['content-type'] = 'application/json';
  }
  try {
    const r = await fetch(base + step.path, init);
    const headers = {};
    for (const [k, v] of r.headers) if (!NOT_APP_HEADERS.has(k)) headers[k] = v;
    return { status: r.status, headers, body: await r.text() };
  } catch (e) {
    const cause = e.cause && (e.cause.code || e.cause.message);
    return { error: e.name === 'TimeoutError' ? 'timeout' : cause || e.message };
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {import('./generate').Spec} spec
 * @param {import('./configs').Config} cfg
 * @param {{ dir: string, write: (way: string) => void }} ws
 * @returns {Promise<{ config: string, started: boolean, entries: any[], alive: boolean, stderr: string, ms: number }>}
 */
async function runApp(spec, cfg, ws) {
  const t0 = Date.now();
  ws.write(cfg.way);
  fs.rmSync(path.join(ws.dir, 'effects.log'), { force: true });
  const env = { ...process.env, ...BASE_ENV, ...cfg.env };
  if (!cfg.env.FLUXION_PLACEMENT) delete env.FLUXION_PLACEMENT;
  delete env.NODE_OPTIONS; // a test runner's own options are not the app's
  const args = [...(cfg.preload ? ['-r', path.join(ROOT, 'register.js')] : []), path.join(ws.dir, 'app.js')];
  const child = spawn(process.execPath, args, { cwd: ws.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise((r) => child.once('exit', () => r((exited = true))));
  const kill = async () => {
    if (!exited) child.kill('SIGKILL');
    await exit;
  };
  try {
    const port = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), START_MS);
      const poll = setInterval(() => {
        const m = /listening (\d+)/.exec(stdout);
        if (m || exited) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(m ? Number(m[1]) : null);
        }
      }, 10);
    });
    if (!port) {
      return { config: cfg.name, started: false, entries: [], alive: !exited, stderr, ms: Date.now() - t0 };
    }
    // Start-up callbacks (a data file read at top level) finish before the first request, as
    // they would for a real server that takes traffic a moment after it starts.
    const parts = spec.units.map((u) => feature(u.feature).render(u.params, u.id));
    await sleep(Math.max(50, ...parts.map((p) => p.startup || 0)));
    const base = `http://127.0.0.1:${port}`;
    const settle = Math.max(0, ...parts.map((p) => p.settle || 0));
    const entries = [];
    let settled = false;
    for (const e of spec.script) {
      if (e.kind === 'step') entries.push({ unit: e.unit, kind: 'step', req: `${e.step.method} ${e.step.path}`, out: await request(base, e.step) });
      else if (e.kind === 'batch') {
        const outs = await Promise.all(e.batch.requests.map((s) => request(base, s)));
        entries.push({ unit: e.unit, kind: 'batch', check: e.batch.check, reqs: e.batch.requests.map((s) => `${s.method} ${s.path}`), outs });
      } else {
        if (!settled) await sleep(settle + 20);
        settled = true;
        entries.push({ unit: e.unit, kind: 'state', req: `GET /__state/${e.unit}`, out: await request(base, { method: 'GET', path: `/__state/${e.unit}` }) });
      }
    }
    // A crash after the last answer (a timer, an emitter) still counts.
    await sleep(30);
    return { config: cfg.name, started: true, entries, alive: !exited, stderr, ms: Date.now() - t0 };
  } finally {
    await kill();
  }
}

module.exports = { runApp, workspace, ROOT };
