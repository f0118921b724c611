'use strict';
// The names compiled code uses to reach the runtime, in one place; crates/compiler/src/abi.rs
// emits them (__test__/unit/core/abi.test.js checks that the two agree).
module.exports = Object.freeze({
  RUNTIME_VAR: '__flx',
  ESM_IMPORT: '__flxRuntime',
  FN: 'fn',
  ROUTE: 'route',
  POST: 'post',
  FACTORY: 'factory',
  CONTEXT: 'context',
  TAIL: 'tail',
  TAIL_FN: '__flx_tail',
});
