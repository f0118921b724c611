'use strict';
// Starts an app in a child process, with or without fluxion, and talks to it over loopback.
const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');

/**
 * @param {string} app path of the app's entry module (it prints `listening <port>`)
 * @param {{ fluxion?: boolean, esm?: boolean, env?: object, cwd?: string }} [opts] cwd: the app's
 *   working directory (where fluxion's placement finds the project's configuration)
 */
function startApp(app, opts = {}) {
  const preload = opts.esm ? '--import' : '-r';
  const args = opts.fluxion === false ? [app] : [preload, path.join(ROOT, 'register.js'), app];
  return startProcess(process.execPath, args, { env: { FLUXION_MODULE: ROOT, ...opts.env }, cwd: opts.cwd });
}

/**
 * Starts any command that ends up serving an app (node with a preload, `fluxion run`, Jest) and
 * resolves once it prints `listening <port>`.
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: object, cwd?: string, timeoutMs?: number }} [opts] env: over this process's
 *   environment; timeoutMs: how long it may take to listen (15 s), after which it is killed
 */
function startProcess(command, args, opts = {}) {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, PORT: '0', FLUXION_CACHE: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`app did not start:\n${stderr}`));
    }, opts.timeoutMs || 15000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /listening (\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${m[1]}`,
          child,
          stderr: () => stderr,
          stdout: () => stdout,
          stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill()))),
        });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Callers that record a failed start as an outcome (helpers/transcript.js) read these.
      reject(Object.assign(new Error(`app exited with ${code}:\n${stderr}`), { exitCode: code, signal, stderr, stdout }));
    });
  });
}

/** A request's observable outcome: status, body, and the headers an app controls. */
async function outcome(url, init) {
  const r = await fetch(url, { redirect: 'manual', ...init });
  const headers = {};
  for (const [k, v] of r.headers) if (!['date', 'connection', 'keep-alive'].includes(k)) headers[k] = v;
  return { status: r.status, headers, body: await r.text() };
}

module.exports = { startApp, startProcess, outcome, ROOT };
