'use strict';
// A node:test reporter (`--test-reporter=<this file>`) that writes one JSON line per finished
// test: { file, title, outcome, message }. `title` is the names from the outermost suite down,
// joined with " > ", so a test is recognised across runs whatever the order tests finish in.
const path = require('node:path');

/** @param {AsyncIterable<{ type: string, data: any }>} source */
module.exports = async function* fluxionVerifyReporter(source) {
  // Per file, the names of the tests currently started, by nesting level.
  const stacks = new Map();
  for await (const { type, data } of source) {
    if (type === 'test:start' || type === 'test:dequeue') {
      const key = data.file || '';
      if (!stacks.has(key)) stacks.set(key, []);
      const stack = stacks.get(key);
      stack[data.nesting] = data.name;
      stack.length = data.nesting + 1;
    } else if (type === 'test:pass' || type === 'test:fail') {
      const stack = stacks.get(data.file || '') || [];
      const names = stack.slice(0, data.nesting).concat(data.name);
      const details = data.details || {};
      // A suite (describe) reports too; its own outcome follows from its tests'.
      if (details.type === 'suite') continue;
      const outcome = data.skip !== undefined ? 'skipped' : data.todo !== undefined ? 'todo' : type === 'test:pass' ? 'pass' : 'fail';
      const err = details.error;
      const message = outcome === 'fail' && err ? String((err.cause && err.cause.message) || err.message || err).split('\n')[0] : undefined;
      const file = data.file ? path.relative(process.cwd(), data.file) : '';
      yield JSON.stringify({ file, title: names.join(' > '), outcome, message }) + '\n';
    }
  }
};
