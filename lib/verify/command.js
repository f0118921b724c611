'use strict';
// Which test runner a command runs, and the same command with a machine-readable report added:
// Mocha gets `--reporter json --reporter-option output=<file>` (a later --reporter wins over the
// user's), Jest gets `--json --outputFile=<file>`, and `npm test` / `npm run <script>` get those
// arguments after `--` when their script is a Mocha or Jest command. node:test needs nothing here:
// its reporter comes through NODE_OPTIONS (see run.js), which also reaches `node --test`'s children.
// Anything else is judged by its exit status only.
const fs = require('node:fs');
const path = require('node:path');

/** @typedef {'mocha' | 'jest' | 'node-test' | 'exit-status'} Runner */

const MOCHA = /(^|[\\/])(_?mocha)(\.c?js)?$/;
const JEST = /(^|[\\/])jest(\.c?js)?$/;

/** The runner a program token names, or null. */
function runnerOf(token) {
  if (MOCHA.test(token) || /mocha[\\/]bin[\\/](_?mocha|mocha\.js)$/.test(token)) return 'mocha';
  if (JEST.test(token) || /jest-cli[\\/]bin[\\/]jest\.js$/.test(token)) return 'jest';
  return null;
}

/**
 * Splits a shell command line into words (quotes and backslashes; no expansion). Returns null
 * for anything a shell would do more with (pipes, `&&`, `;`, redirections, `$`, backquotes):
 * such a script is run as it is and judged by its exit status.
 */
function words(line) {
  const out = [];
  let cur = null;
  let q = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      cur = cur || '';
    } else if (c === '\\' && i + 1 < line.length) {
      cur = (cur || '') + line[++i];
    } else if (/\s/.test(c)) {
      if (cur !== null) out.push(cur);
      cur = null;
    } else if ('|&;<>$`()'.includes(c)) {
      return null;
    } else {
      cur = (cur || '') + c;
    }
  }
  if (q) return null;
  if (cur !== null) out.push(cur);
  return out;
}

/** The runner of a direct command (argv), looking through `npx`, `node <bin>` and env assignments. */
function directRunner(argv) {
  let i = 0;
  while (i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i])) i++;
  if (argv[i] === 'npx' || argv[i] === 'pnpx') {
    i++;
    while (i < argv.length && argv[i].startsWith('-')) i++;
  }
  if (argv[i] && path.basename(argv[i]).replace(/\.exe$/, '') === 'node') {
    const rest = argv.slice(i + 1);
    if (rest.includes('--test')) return 'node-test';
    const script = rest.find((a) => !a.startsWith('-'));
    return (script && runnerOf(script)) || 'node-test-or-exit';
  }
  return (argv[i] && runnerOf(argv[i])) || null;
}

/** The script `npm test` / `npm run x` would run (from package.json in cwd), or null. */
function npmScript(argv, cwd) {
  if (argv[0] !== 'npm') return null;
  let name = null;
  if (['test', 't', 'tst'].includes(argv[1])) name = 'test';
  else if (['run', 'run-script'].includes(argv[1]) && argv[2] && !argv[2].startsWith('-')) name = argv[2];
  if (!name) return null;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(cwd, 'package.json'), 'utf8'));
    return pkg.scripts && typeof pkg.scripts[name] === 'string' ? pkg.scripts[name] : null;
  } catch {
    return null;
  }
}

/** Extra arguments that make a runner write its report to `file`. */
function reportArgs(runner, file) {
  if (runner === 'mocha') return ['--reporter', 'json', '--reporter-option', `output=${file}`];
  if (runner === 'jest') return ['--json', `--outputFile=${file}`];
  return [];
}

/**
 * @param {string[]} argv the user's command
 * @param {{ cwd: string, reportFile: string }} o
 * @returns {{ runner: Runner, argv: string[], via?: string }}
 */
function instrument(argv, { cwd, reportFile }) {
  if (!argv.length) throw new Error('no test command given');
  const direct = directRunner(argv);
  if (direct === 'mocha' || direct === 'jest') return { runner: direct, argv: [...argv, ...reportArgs(direct, reportFile)] };
  if (direct === 'node-test' || direct === 'node-test-or-exit') return { runner: 'node-test', argv };
  const script = npmScript(argv, cwd);
  if (script !== null) {
    const w = words(script);
    const inner = w && directRunner(w);
    if (inner === 'mocha' || inner === 'jest') {
      const extra = reportArgs(inner, reportFile);
      return { runner: inner, argv: argv.includes('--') ? [...argv, ...extra] : [...argv, '--', ...extra], via: script };
    }
    return { runner: inner && inner.startsWith('node-test') ? 'node-test' : 'exit-status', argv, via: script };
  }
  // Unknown command: node:test results may still arrive (a script running `node --test`).
  return { runner: 'exit-status', argv };
}

module.exports = { instrument, words, runnerOf };
