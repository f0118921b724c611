'use strict';
// A preload for `node --require` (not mocha's --require): Node passes it to every worker thread.
// On a worker thread it defines mocha's globals (describe, it, before...) as functions that do
// nothing, so that a test file can be loaded there: fluxion loads a handler's module on a worker
// to re-create the handler next to its module variables, and a test file that calls `describe`
// at its top level otherwise fails to load ("describe is not defined"), which keeps every handler
// the tests define on the main thread. On the main thread it does nothing.
const { isMainThread } = require('node:worker_threads');

if (!isMainThread) {
  const noop = () => {};
  const suite = () => {};
  suite.skip = suite.only = noop;
  for (const name of ['describe', 'context', 'xdescribe', 'xcontext', 'suite']) if (!(name in globalThis)) globalThis[name] = suite;
  const test = () => {};
  test.skip = test.only = test.retries = noop;
  for (const name of ['it', 'specify', 'xit', 'xspecify', 'test']) if (!(name in globalThis)) globalThis[name] = test;
  for (const name of ['before', 'after', 'beforeEach', 'afterEach', 'suiteSetup', 'suiteTeardown', 'setup', 'teardown']) {
    if (!(name in globalThis)) globalThis[name] = noop;
  }
}
