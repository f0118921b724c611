'use strict';
// The require hook: user modules are compiled as they load (node_modules untouched unless the
// project lists packages in `compileNodeModules`), on the main thread and in every worker. A
// module fluxion cannot compile loads unmodified with one warning; the setting `strict` makes
// that an error.
const path = require('node:path');
const { isMainThread } = require('node:worker_threads');
const { addHook } = require('pirates');
const native = require('../native');
const config = require('../config');
const cache = require('./cache');
const runtime = require('../core/runtime');
const jestBridge = require('./jest-bridge');

const LIB = path.join(__dirname, '..');
const RUNTIME = path.join(__dirname, '..', 'core', 'runtime.js');
let installed = false;
let revertHook = null;

function inNodeModules(file) {
  return file.split(path.sep).includes('node_modules');
}

function wanted(file) {
  if (file.startsWith(LIB + path.sep)) return false;
  if (!inNodeModules(file)) return true;
  // The project's configuration found up from the package (node_modules/<pkg>/... is inside it).
  const cfg = config.forFile(file);
  const pkgs = cfg.compileNodeModules || [];
  return pkgs.some((p) => file.includes(`${path.sep}node_modules${path.sep}${p}${path.sep}`));
}

function transform(code, filename) {
  const cfg = config.forFile(filename);
  const rp = cfg.rupturePoints || {};
  // `tails` changes the output: it is part of the key (the compiler reads it from the environment).
  const key = cache.keyOf([native.load().version(), RUNTIME, JSON.stringify(cfg), config.settings().tails, filename, code]);
  let out = cache.get(key);
  if (!out) {
    const r = native.load().transform(code, { filename, rupturePoints: { start: rp.start || [], post: rp.post || [] } }, RUNTIME);
    if (r.error) {
      const where = r.error.line ? `${r.error.file}:${r.error.line}:${r.error.column}` : filename;
      const err = new Error(`fluxion: cannot compile ${where}: ${r.error.message}`);
      err.code = r.error.kind === 'internal' ? 'FLUXION_INTERNAL' : 'FLUXION_UNCOMPILED';
      throw err;
    }
    out = { code: r.code, map: r.map, graph: JSON.parse(r.graph) };
    cache.set(key, out);
  }
  return out;
}

const warned = new Set();

/**
 * The app's own modules get a way in to their scope: on workers a handler compiled at
 * run time (lib/jit.js) is re-created there from its source, next to the module variables it
 * reads. A direct eval in a nested function: the module's code and bindings are unchanged.
 * (node_modules files get it only when a handler needs it: lib/worker.js loads a private copy.)
 */
const SCOPE_ACCESSOR = "\n;module[Symbol.for('fluxion.scope')] = function (__fluxion_source) { return eval(__fluxion_source); };\n";
let role = 'main';

function hook(code, filename, esm = false) {
  // ES modules have no `module`, and run-time compilation leaves their handlers where they are.
  // On every thread: a worker re-creates run-time compiled handlers in it; any thread finds there
  // the error classes a module keeps to itself (lib/wire/errors.js).
  const scope = esm ? '' : SCOPE_ACCESSOR;
  if (!wanted(filename)) return code;
  // Under the Jest preset, workers first apply the project's transform, as Jest did (lib/jest-bridge.js).
  if (role === 'worker') code = jestBridge.preTransform(code, filename);
  let out;
  try {
    out = transform(code, filename);
  } catch (err) {
    if (config.settings().strict) throw err;
    if (!warned.has(filename)) {
      warned.add(filename);
      process.emitWarning(`${err.message}\n  It loads unmodified and runs on the main thread.`, {
        code: 'FLUXION_UNCOMPILED',
      });
    }
    return code + scope;
  }
  runtime.state.graphs.set(filename, out.graph);
  if (!out.graph.fluxions.some((f) => f.hints.registered)) return code + scope;
  const map = Buffer.from(out.map).toString('base64');
  return `${out.code}${scope}//# sourceMappingURL=data:application/json;charset=utf-8;base64,${map}\n`;
}

/**
 * Installs the require hook (idempotent).
 * @param {{ worker?: boolean, jest?: boolean }} [options] worker: fluxion's own worker threads;
 *   jest: a Jest test file (jest/setup.js): Jest compiles modules through its transform, so no
 *   require hook — only the server watch and the stats file; `uninstall` undoes it
 */
function install(options = {}) {
  // Every setting is checked before anything else happens (a bad one throws FluxionConfigError;
  // register.js turns that into one line and exit 1, before the app runs).
  config.settings();
  native.load(); // and so is the addon: without it nothing can be compiled (FLUXION_NO_ADDON)
  if (options.jest) {
    if (!installed) {
      installed = true;
      require('../hosts/main').attach(require('../frameworks/express'));
      watchServers();
      require('../stats-file').install();
    }
    return;
  }
  if (installed && !(options.worker && role !== 'worker')) return;
  // `-r fluxion/register` also preloads in workers: the worker role replaces that hook.
  if (revertHook) revertHook();
  if (options.worker) role = 'worker';
  revertHook = addHook(hook, { exts: ['.js', '.cjs', ...jestBridge.extensions()], ignoreNodeModules: false, matcher: wanted });
  if (installed) return;
  installed = true;
  if (typeof process.setSourceMapsEnabled === 'function') process.setSourceMapsEnabled(true);
  runtime.state.config = config.forFile(path.join(process.cwd(), 'x.js'));
  installEsm();
  if (role === 'main' && isMainThread) {
    require('../hosts/main').attach(require('../frameworks/express'));
    watchServers();
    require('../stats-file').install();
    // The live dashboard: only required when it is on (off, it costs nothing).
    if (config.settings().dashboard !== null) require('../dashboard').start();
  }
}

/**
 * Express apps are found when their server starts listening (app.listen, http.createServer(app),
 * supertest): their routers are walked and walked again as they grow (lib/router.js).
 */
let unwatch = null;
function watchServers() {
  const net = require('node:net');
  const listen = net.Server.prototype.listen;
  unwatch = () => {
    if (net.Server.prototype.listen === fluxionListen) net.Server.prototype.listen = listen;
    unwatch = null;
  };
  net.Server.prototype.listen = fluxionListen;
  function fluxionListen(...args) {
    if (typeof this.listeners === 'function') {
      const framework = require('../frameworks/express');
      // Listening: the app's settings are in place, its router can be made and walked now.
      for (const app of framework.appsOf(this)) framework.watch(app, { now: true });
    }
    return listen.apply(this, args);
  }
}

/**
 * Undoes `install` on this thread: `net.Server.prototype.listen` and the require hook as they were.
 * (A Jest test file's copy of fluxion must not leave its patches to the next file: they would
 * call into a module registry Jest has torn down.)
 */
function uninstall() {
  if (unwatch) unwatch();
  if (revertHook) revertHook();
  revertHook = null;
  installed = false;
}

/**
 * Node 20's loader hooks run on an extra thread that every module load waits for: install them
 * only for apps started with `--import fluxion/register` or whose entry is an ES module.
 */
function wantsEsmHooks() {
  const args = [...process.execArgv, ...config.nodeOptions().split(/\s+/)];
  if (args.some((a) => a === '--import' || a.startsWith('--import=') || a === '--experimental-loader' || a === '--loader')) return true;
  return /\.mjs$/.test(process.argv[1] || '');
}

/** ES modules: `module.registerHooks` (in-thread, Node 22.15+) or `module.register` (Node 20). */
function installEsm() {
  const mod = require('node:module');
  const { fileURLToPath, pathToFileURL } = require('node:url');
  if (typeof mod.registerHooks === 'function') {
    mod.registerHooks({
      load(url, context, nextLoad) {
        const result = nextLoad(url, context);
        if (!url.startsWith('file:') || result.format !== 'module') return result;
        const file = fileURLToPath(url);
        if (!wanted(file)) return result;
        const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8');
        return { ...result, source: hook(source, file, true) };
      },
    });
  } else if (typeof mod.register === 'function' && wantsEsmHooks()) {
    mod.register(pathToFileURL(path.join(__dirname, 'esm-hooks.mjs')).href, {
      data: { strict: config.settings().strict },
    });
  }
}

module.exports = { install, uninstall, transform, hook, wanted, SCOPE_ACCESSOR, RUNTIME };
