'use strict';
// Runs the user's test command once in one configuration: plain, or with fluxion preloaded
// through NODE_OPTIONS (so it reaches every Node process the command starts: npm, the runner, its
// workers) and the placement setting given. The whole process group is killed at the time limit.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { instrument } = require('./command');
const { read } = require('./outcomes');
const config = require('../config');

const REGISTER = path.join(__dirname, '..', '..', 'register.js');
const NODE_TEST_REPORTER = path.join(__dirname, 'reporters', 'node-test.js');

/**
 * @typedef {{ name: string, fluxion: boolean, placement?: string }} Configuration
 * @typedef {{ config: string, runner: string, via?: string, code: number | null, signal: string | null,
 *   timedOut: boolean, ms: number, tests: Map<string, import('./outcomes').Outcome>, reported: boolean,
 *   output: string, spawnError?: string }} Run
 */

/** NODE_OPTIONS quotes values with double quotes. */
const quote = (s) => (/[\s"\\]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s);

/**
 * @param {string[]} command the user's command (argv)
 * @param {Configuration} cfg
 * @param {{ cwd: string, timeoutMs: number, env?: NodeJS.ProcessEnv, register?: string }} o
 * @returns {Promise<Run>}
 */
async function runOnce(command, cfg, o) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-verify-'));
  const reportFile = path.join(tmp, 'report.json');
  const nodeTestFile = path.join(tmp, 'node-test.jsonl');
  const { runner, argv, via } = instrument(command, { cwd: o.cwd, reportFile });
  // fluxion's placement for this run, set or removed; the rest of the caller's environment.
  const env = config.envWith({ placement: cfg.placement }, o.env);
  const nodeOptions = [
    env.NODE_OPTIONS || '',
    `--test-reporter=${quote(NODE_TEST_REPORTER)}`,
    `--test-reporter-destination=${quote(nodeTestFile)}`,
    ...(cfg.fluxion ? ['-r', quote(o.register || REGISTER)] : []),
  ];
  env.NODE_OPTIONS = nodeOptions.filter(Boolean).join(' ');
  // As `npm run` does: the project's own binaries (mocha, jest) are found by name.
  env.PATH = [path.join(o.cwd, 'node_modules', '.bin'), env.PATH].filter(Boolean).join(path.delimiter);
  const t0 = Date.now();
  let output = '';
  const keep = (d) => {
    output += d;
    if (output.length > 64000) output = output.slice(-32000);
  };
  const result = await new Promise((resolve) => {
    let child;
    try {
      // Its own process group, so the time limit ends the runner's children too.
      child = spawn(argv[0], argv.slice(1), { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    } catch (e) {
      resolve({ code: null, signal: null, timedOut: false, spawnError: e.message });
      return;
    }
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const killGroup = () => {
      try {
        if (process.platform === 'win32') child.kill('SIGKILL');
        else process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut: false, spawnError: e.code === 'ENOENT' ? `cannot run "${argv[0]}": not found` : e.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // Whatever the command left running in its group (a server it forgot) ends with it.
      killGroup();
      resolve({ code, signal, timedOut });
    });
  });
  const { tests, reported } = read(runner, reportFile, nodeTestFile, o.cwd);
  fs.rmSync(tmp, { recursive: true, force: true });
  return { config: cfg.name, runner, via, ...result, ms: Date.now() - t0, tests, reported, output };
}

module.exports = { runOnce, REGISTER };
