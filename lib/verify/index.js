'use strict';
// `fluxion verify`: the user's own proof that fluxion keeps their app's behaviour. Runs their test
// command plain, then with fluxion in each placement, reads per-test outcomes (Mocha, Jest,
// node:test; any other command by exit status) and reports the tests whose outcome differs.
const { runOnce } = require('./run');
const { differences } = require('./compare');
const { format } = require('./table');

const PLACEMENTS = ['auto', 'eager'];

/**
 * @param {{ command: string[], cwd?: string, placements?: string[], timeoutMs?: number,
 *   env?: NodeJS.ProcessEnv, register?: string, onRun?: (run: import('./run').Run) => void }} o
 * @returns {Promise<{ identical: boolean, runs: import('./run').Run[], rows: import('./compare').Row[], text: string }>}
 */
async function verify(o) {
  const placements = o.placements || PLACEMENTS;
  for (const p of placements) if (!PLACEMENTS.includes(p)) throw new Error(`unknown placement "${p}" (expected ${PLACEMENTS.join(' or ')})`);
  const configs = [{ name: 'plain', fluxion: false }, ...placements.map((p) => ({ name: p, fluxion: true, placement: p === 'auto' ? undefined : p }))];
  const runs = [];
  // One after another: the runs would otherwise compete for the cores and ports they test.
  for (const cfg of configs) {
    const run = await runOnce(o.command, cfg, { cwd: o.cwd || process.cwd(), timeoutMs: o.timeoutMs || 600000, env: o.env, register: o.register });
    runs.push(run);
    if (o.onRun) o.onRun(run);
  }
  const rows = differences(runs);
  return { identical: rows.length === 0, runs, rows, text: format(runs, rows) };
}

module.exports = { verify, PLACEMENTS };
