'use strict';
// Per-test outcomes of each fluxion run against the plain run. A test that fails in both counts
// as the same outcome whatever the message (timings and addresses in messages vary run to run).
// The exit status is compared too (as pass/fail), so a crash after the last test is not missed,
// and it is the only thing compared when the runner gave no per-test report.

/**
 * @typedef {{ test: string, outcomes: Record<string, string> }} Row  config name -> outcome text
 */

const EXIT = '(exit status)';

/** @param {import('./run').Run} r */
function describe(r, id) {
  if (id === EXIT) {
    if (r.spawnError) return `not run: ${r.spawnError}`;
    if (r.timedOut) return 'timed out (killed)';
    if (r.signal) return `killed by ${r.signal}`;
    return r.code === 0 ? 'exit 0' : `exit ${r.code}`;
  }
  const t = r.tests.get(id);
  if (!t) return r.reported ? 'missing' : 'no report';
  return t.outcome === 'fail' && t.message ? `fail: ${t.message}` : t.outcome;
}

const sameExit = (a, b) => !a.spawnError && !b.spawnError && !a.timedOut && !b.timedOut && !a.signal === !b.signal && (a.code === 0) === (b.code === 0);

/**
 * @param {import('./run').Run[]} runs plain first
 * @returns {Row[]} the tests whose outcome differs from plain in some run (and the exit status)
 */
function differences(runs) {
  const [plain, ...others] = runs;
  const ids = new Set(plain.tests.keys());
  for (const r of others) for (const id of r.tests.keys()) ids.add(id);
  const rows = [];
  for (const id of ids) {
    const a = plain.tests.get(id);
    const differs = others.some((r) => {
      const b = r.tests.get(id);
      if (!a || !b) return a !== b;
      return a.outcome !== b.outcome;
    });
    if (differs) rows.push({ test: id, outcomes: Object.fromEntries(runs.map((r) => [r.config, describe(r, id)])) });
  }
  // The exit status gets a row of its own when the tests do not already explain it: no per-test
  // report, a crash or a hang, or every test the same and yet a different status.
  const unexplained = (r) => !r.reported || !plain.reported || r.timedOut || r.signal || r.spawnError || !rows.some((row) => row.outcomes[r.config] !== row.outcomes.plain);
  if (others.some((r) => !sameExit(plain, r) && unexplained(r))) rows.push({ test: EXIT, outcomes: Object.fromEntries(runs.map((r) => [r.config, describe(r, EXIT)])) });
  return rows;
}

module.exports = { differences, describe, EXIT };
