'use strict';
// A runner's report -> per-test outcomes: Map(test id -> { outcome, message? }), where outcome is
// 'pass' | 'fail' | 'skipped' | 'todo'. The id is the test file (relative to the project) and the
// test's full title, so tests of the same name in two files stay apart; a title repeated within a
// file gets " (2)", " (3)"... in report order.
const fs = require('node:fs');
const path = require('node:path');

/** @typedef {{ outcome: 'pass' | 'fail' | 'skipped' | 'todo', message?: string }} Outcome */

const firstLine = (s) => (s === undefined || s === null ? undefined : String(s).split('\n').find((l) => l.trim()) || String(s));

function adder(map, cwd) {
  return (file, title, o) => {
    const base = `${file ? path.relative(cwd, path.resolve(cwd, file)) + ' > ' : ''}${title}`;
    let id = base;
    for (let n = 2; map.has(id); n++) id = `${base} (${n})`;
    map.set(id, o);
  };
}

/** Mocha's JSON reporter output. */
function mocha(report, cwd) {
  const map = new Map();
  const add = adder(map, cwd);
  for (const t of report.passes || []) add(t.file, t.fullTitle, { outcome: 'pass' });
  for (const t of report.pending || []) add(t.file, t.fullTitle, { outcome: 'skipped' });
  // A failing hook is reported as a failure titled after the hook; its tests do not run.
  for (const t of report.failures || []) add(t.file, t.fullTitle, { outcome: 'fail', message: firstLine(t.err && t.err.message) });
  return map;
}

const JEST_STATUS = { passed: 'pass', failed: 'fail', pending: 'skipped', skipped: 'skipped', disabled: 'skipped', todo: 'todo', focused: 'pass' };

/** Jest's --json output. */
function jest(report, cwd) {
  const map = new Map();
  const add = adder(map, cwd);
  for (const file of report.testResults || []) {
    const tests = file.assertionResults || [];
    // A file that failed to run (a syntax error, a crash at load) has no tests: it counts as one.
    if (!tests.length && file.status === 'failed') add(file.name, '(the test file)', { outcome: 'fail', message: firstLine(file.message || file.failureMessage) });
    for (const t of tests) {
      const title = t.fullName || [...(t.ancestorTitles || []), t.title].join(' ');
      add(file.name, title, { outcome: JEST_STATUS[t.status] || 'fail', message: t.status === 'failed' ? firstLine((t.failureMessages || [])[0]) : undefined });
    }
  }
  return map;
}

/** The JSON lines of reporters/node-test.js. */
function nodeTest(text, cwd) {
  const map = new Map();
  const add = adder(map, cwd);
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let r;
    try {
      r = JSON.parse(line);
    } catch {
      continue; // a line cut short by a crash
    }
    add(r.file, r.title, { outcome: r.outcome, message: r.message });
  }
  return map;
}

/**
 * @param {'mocha' | 'jest'} runner
 * @param {string} reportFile the runner's report (absent when the run crashed before writing it)
 * @param {string} nodeTestFile the node:test reporter's JSON lines
 * @param {string} cwd
 * @returns {{ tests: Map<string, Outcome>, reported: boolean }}
 */
function read(runner, reportFile, nodeTestFile, cwd) {
  const tests = new Map();
  let reported = false;
  if (runner === 'mocha' || runner === 'jest') {
    try {
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
      for (const [k, v] of (runner === 'mocha' ? mocha : jest)(report, cwd)) tests.set(k, v);
      reported = true;
    } catch {
      // no report: the run crashed, hung or was killed before the runner wrote it
    }
  }
  try {
    const text = fs.readFileSync(nodeTestFile, 'utf8');
    for (const [k, v] of nodeTest(text, cwd)) tests.set(k, v);
    reported = reported || text.length > 0;
  } catch {
    // no node:test in this command
  }
  return { tests, reported };
}

module.exports = { read, mocha, jest, nodeTest };
