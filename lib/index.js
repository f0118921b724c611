'use strict';
const { compile, graph } = require('./compile');
const errors = require('./errors');
const native = require('./native');

module.exports = {
  compile,
  graph,
  /** The compiler's version (part of every cache key). */
  version: () => native.load().version(),
  ...errors,
};
