'use strict';
// The report a person reads: one line per run (what ran, how many tests passed), then a table of
// the tests whose outcome differs from the plain run, one column per configuration.

const clip = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/**
 * @param {import('./run').Run[]} runs
 * @param {import('./compare').Row[]} rows
 * @returns {string}
 */
function format(runs, rows) {
  const lines = [];
  const plain = runs[0];
  lines.push(`fluxion verify: ${plain.runner === 'exit-status' ? 'unrecognised test runner: comparing exit status only' : `${plain.runner} results read per test`}${plain.via ? ` (npm script: ${plain.via})` : ''}`);
  for (const r of runs) {
    const counts = { pass: 0, fail: 0, skipped: 0, todo: 0 };
    for (const t of r.tests.values()) counts[t.outcome] = (counts[t.outcome] || 0) + 1;
    const exit = r.spawnError ? `not run: ${r.spawnError}` : r.timedOut ? 'TIMED OUT' : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
    const tests = r.reported ? `${counts.pass} passed, ${counts.fail} failed, ${counts.skipped + counts.todo} skipped` : 'no per-test report';
    lines.push(`  ${r.config.padEnd(6)} ${tests}  [${exit}, ${(r.ms / 1000).toFixed(1)} s]`);
  }
  if (!rows.length) {
    lines.push('', `No difference: every test has the same outcome plain and under fluxion (${runs.slice(1).map((r) => r.config).join(', ')}).`);
    return lines.join('\n') + '\n';
  }
  const names = runs.map((r) => r.config);
  const width = Math.min(70, Math.max(4, ...rows.map((r) => r.test.length)));
  const col = Math.max(...names.map((n) => n.length), 12);
  const cells = rows.map((r) => names.map((n) => clip(r.outcomes[n] || '', 40)));
  const colW = names.map((n, i) => Math.max(n.length, ...cells.map((c) => c[i].length), col));
  lines.push('', `${rows.length} test${rows.length === 1 ? '' : 's'} differ from the plain run:`, '');
  lines.push(`  ${'test'.padEnd(width)}  ${names.map((n, i) => n.padEnd(colW[i])).join('  ')}`);
  lines.push(`  ${'-'.repeat(width)}  ${colW.map((w) => '-'.repeat(w)).join('  ')}`);
  rows.forEach((r, k) => lines.push(`  ${clip(r.test, width).padEnd(width)}  ${cells[k].map((c, i) => c.padEnd(colW[i])).join('  ')}`));
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}

module.exports = { format };
