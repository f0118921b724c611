'use strict';
// Ends a Jest run with one plain line, `N passed, N failed[, N skipped]`, that any CI can read,
// preceded by one line per skipped test: its title says why (tests that skip name what is
// missing in their title, e.g. `... (skipped: no Express checkout; set EXPRESS_DIR)`).
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const lines = [];
    for (const file of results.testResults || []) {
      for (const t of file.testResults || []) {
        if (t.status !== 'pending' && t.status !== 'todo') continue;
        lines.push(`  skipped: ${t.fullName} (${path.relative(process.cwd(), file.testFilePath)})`);
      }
    }
    if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
    const node = process.version;
    process.stdout.write(
      `jest (node ${node}): ${results.numPassedTests} passed, ${results.numFailedTests} failed` +
        (skipped ? `, ${skipped} skipped` : '') +
        '\n'
    );
  }
}
module.exports = SummaryReporter;
