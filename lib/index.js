'use strict';
const { compile, graph } = require('./compile');
const errors = require('./errors');
const native = require('./native');
const dataframe = require('./dataframe');
const gotServer = require('./got-server');

module.exports = {
  compile,
  graph,
  /** The compiler's version (part of every cache key). */
  version: () => native.load().version(),
  ...errors,
  Dataframe: dataframe.Dataframe,
  pccSet: dataframe.pccSet,
  defineType: dataframe.defineType,
  primaryKey: dataframe.primaryKey,
  dimension: dataframe.dimension,
  GotError: dataframe.GotError,
  serve: gotServer.serve,
  GotServer: gotServer.GotServer,
};
