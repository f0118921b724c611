'use strict';
// Ends a Jest run with one plain line, `N passed, N failed[, N skipped]`, that any CI can read.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const node = process.version;
    process.stdout.write(
      `jest (node ${node}): ${results.numPassedTests} passed, ${results.numFailedTests} failed` +
        (skipped ? `, ${skipped} skipped` : '') +
        '\n'
    );
  }
}
module.exports = SummaryReporter;
