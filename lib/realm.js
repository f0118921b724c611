'use strict';
// The process's own global object and `process`, also when fluxion is loaded inside a Jest test
// file. Jest runs each test file in a vm context of its own, with a copy of `process` whose
// listeners never hear the real process's signals or exit, and a `globalThis` that V8's inspector
// does not evaluate in. `vm.runInThisContext` is Node's own module: it runs in Node's main
// context, so it hands back the real ones. Outside Jest they are just `globalThis` and `process`.
const vm = require('node:vm');

let real = null;

/** Node's main-context global object. */
function realGlobal() {
  if (!real) real = vm.runInThisContext('globalThis');
  return real;
}

/** The real `process` (signals, 'exit'). */
function realProcess() {
  return realGlobal().process;
}

/** Whether this copy of fluxion runs inside a sandbox (a Jest test file), not in Node's main context. */
function sandboxed() {
  return realGlobal() !== globalThis;
}

module.exports = { realGlobal, realProcess, sandboxed };
