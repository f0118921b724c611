'use strict';
const { isMainThread } = require('node:worker_threads');
const { compile, graph } = require('./compile');
const errors = require('./errors');
const native = require('./native');
const dataframe = require('./got/dataframe');
const gotServer = require('./got/server');

/**
 * Runs an Express app's fluxions on worker threads. Returns the same app, so
 * `http.createServer(app)`, `app.listen` and supertest keep working. Handlers of modules loaded
 * through the require hook (`node -r fluxion/register`) are compiled as they load; the others
 * (node_modules, factories, handlers added later) are compiled from the live router, now and
 * whenever it grows (the setting `jit`, 0, turns that off).
 * @template T
 * @param {T} app
 * @returns {T}
 */
function fluxionize(app) {
  if (!app || typeof app !== 'function' || typeof app.use !== 'function') {
    throw new TypeError('fluxionize(app): expected an Express application (the function express() returns)');
  }
  require('./hook/register').install();
  if (isMainThread) {
    require('./hosts/main').start();
    // Handlers from node_modules, factories and tests: compiled from the live router.
    require('./frameworks/express').watch(app);
  }
  return app;
}

/**
 * Per-fluxion figures for the whole process, from whichever thread calls it.
 * @returns {import('../index').FluxionStats[]}
 */
function stats() {
  return native.load().statsSnapshot();
}

/**
 * Undoes what fluxion did to this process: workers stopped, `net.Server.prototype.listen` and
 * the require hook restored. The Jest preset calls it after each test file; an app that wants to
 * end cleanly may too. The next `fluxionize` starts again.
 * @returns {Promise<void>}
 */
async function shutdown() {
  require('./hook/register').uninstall();
  if (isMainThread) {
    await require('./hosts/main').stop();
    require('./core/contexts').forgetAll();
  }
  require('./jit').closeNow();
}

/** Stops a worker thread (it is replaced; its in-flight requests get an error response). */
function terminateWorker(which) {
  if (!isMainThread) throw new Error('fluxion: terminateWorker() is called from the main thread');
  return require('./hosts/main').terminateWorker(which);
}

/**
 * Moves a fluxion's context (its group) to another thread, without losing a message or a write.
 * @param {string} fluxionOrGroup a fluxion id from stats() or a group key
 * @param {number} threadId a worker's thread id (see workers()), or 0 for the main thread
 * @returns {Promise<number>}
 */
function moveContext(fluxionOrGroup, threadId) {
  if (!isMainThread) throw new Error('fluxion: moveContext() is called from the main thread');
  return require('./hosts/main').moveContext(fluxionOrGroup, threadId);
}

/** The worker pool: slot, thread id and requests in flight of each worker. */
function workers() {
  return isMainThread ? require('./hosts/main').workers() : [];
}

module.exports = {
  compile,
  graph,
  fluxionize,
  shutdown,
  stats,
  terminateWorker,
  moveContext,
  workers,
  /** The settings in use (FLUXION_* variables, checked once and frozen: lib/config.js). */
  settings: () => require('./config').settings(),
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
