'use strict';
// Walks a live Express router (3, 4 and 5; mounted sub-apps and Routers included) and hands every
// handler to the run-time compiler (lib/jit.js): a handler that may move is replaced in its layer
// by a dispatcher; one that may not stays as it is, with the reason in stats(). Handlers added
// later (at test time, say) are found by walking again when the router grows.
const native = require('../../native');
const runtime = require('../../core/runtime');
const jit = require('../../jit');

const examined = new WeakMap(); // original handler -> its dispatcher, or null when it stays
const usedIds = new Map(); // fluxion id -> handler instances with that id (one factory, many closures)
const watched = new WeakMap(); // app -> { check }
const mounted = new WeakMap(); // Express's mounted_app wrapper -> the sub-app it calls
let unavailable = false;

function enabled() {
  return require('../../config').settings().jit;
}

/** The router of an app, and which Express it is; never touches getters with side effects. */
function routerOf(app) {
  if (!app) return null;
  if (app._router && app._router.map && typeof app._router.map === 'object') return { version: 3, router: app._router };
  if (typeof app.lazyrouter === 'function') return app._router ? { version: 4, router: app._router } : null;
  const d = Object.getOwnPropertyDescriptor(app, 'router');
  if (d) {
    const r = d.get ? d.get.call(app) : d.value;
    if (r && Array.isArray(r.stack)) return { version: 5, router: r };
  }
  return null;
}

/** A cheap measure of a router's size: walking again is needed when it changes. */
function sizeOf(app) {
  const r = routerOf(app);
  if (!r) return 0;
  if (r.version === 3) {
    let n = Array.isArray(app.stack) ? app.stack.length : 0;
    for (const routes of Object.values(r.router.map)) n += routes.length;
    return n;
  }
  return r.router.stack.length;
}

function isApp(v) {
  return typeof v === 'function' && typeof v.handle === 'function' && typeof v.set === 'function';
}

/** Replaces `holder[key]` by a dispatcher when the handler may run on a worker. */
function consider(holder, key) {
  const fn = holder[key];
  if (typeof fn === 'function' && fn.fluxionFollow) fn.fluxionFollow(); // a compiled module's route (dispatch.js follow)
  if (typeof fn !== 'function' || fn[runtime.DISPATCHER] || fn.length > 3) return;
  if (examined.has(fn)) {
    replace(holder, key, examined.get(fn));
    return;
  }
  let c;
  try {
    c = jit.compileHandler(fn, { extraStateless: runtime.state.config.statelessModules || [] });
  } catch (err) {
    c = { id: `<run time>#${fn.name || 'anonymous'}`, placement: { where: 'main', reason: `run-time compilation failed: ${err.message}` } };
  }
  // Closures made by one factory share their code: each instance gets an id of its own.
  const n = (usedIds.get(c.id) || 0) + 1;
  usedIds.set(c.id, n);
  if (n > 1) c.id = `${c.id}~${n}`;
  runtime.state.placements.set(c.id, c.placement);
  const p = c.placement;
  native.load().statsPlacement(
    c.id,
    p.where === 'main' ? `main (${p.reason})` : p.shared ? 'replicated (optimistic on replicas, compiled at run time)' : 'replicated (compiled at run time)'
  );
  let d;
  if (p.where === 'main') {
    // Stays here; timed, so that stats() shows where it ran and what it costs.
    const id = c.id;
    d = function fluxionTimed(req, res, next) {
      return runtime.timed(id, fn, this, [req, res, next], false);
    };
  } else {
    d = require('./dispatch').dispatcher(c.id, c.file, fn, {
      def: { file: c.file, src: c.src, names: c.names, wired: c.wired },
      values: c.values,
      shared: c.shared,
    });
  }
  Object.defineProperty(d, 'name', { value: fn.name, configurable: true });
  d[runtime.DISPATCHER] = true;
  examined.set(fn, d);
  replace(holder, key, d);
}

/**
 * Puts a dispatcher where the handler was. Not through a setter the app put on the prototype:
 * express-async-errors defines `Layer.prototype.handle` as an accessor that wraps every handler
 * it is given. This handler went through it once already; assigning would wrap the dispatcher
 * too, and a rejected promise would reach next(err) twice (a second response, an error logged).
 */
function replace(holder, key, d) {
  if (!Object.prototype.hasOwnProperty.call(holder, key)) {
    let inherited;
    for (let p = Object.getPrototypeOf(holder); p && !inherited; p = Object.getPrototypeOf(p)) inherited = Object.getOwnPropertyDescriptor(p, key);
    if (inherited && inherited.set) {
      Object.defineProperty(holder, key, { value: d, writable: true, enumerable: true, configurable: true });
      return;
    }
  }
  holder[key] = d;
}

function walkStack(stack, seen) {
  for (const layer of stack) {
    if (layer.route && Array.isArray(layer.route.stack)) {
      for (const l of layer.route.stack) consider(l, 'handle');
      continue;
    }
    const h = layer.handle;
    if (typeof h !== 'function') continue;
    if (Array.isArray(h.stack) && typeof h.handle === 'function') {
      walkRouter(h, seen); // a Router
    } else if (h.name === 'mounted_app') {
      if (!mounted.has(h)) mounted.set(h, jit.closureValue(h, 'fn'));
      const sub = mounted.get(h);
      if (isApp(sub)) walkApp(sub, seen);
    } else {
      consider(layer, 'handle');
    }
  }
}

function walkRouter(router, seen) {
  if (seen.has(router)) return;
  seen.add(router);
  walkStack(router.stack, seen);
}

function walkApp(app, seen) {
  if (seen.has(app)) return;
  seen.add(app);
  const r = routerOf(app);
  if (!r) return;
  if (r.version !== 3) return walkRouter(r.router, seen);
  // Express 3: connect's middleware stack, then the router's routes.
  for (const layer of app.stack || []) {
    const h = layer.handle;
    if (typeof h !== 'function' || h === r.router.middleware) continue;
    const sub = isApp(h) ? h : null;
    if (sub) walkApp(sub, seen);
    else consider(layer, 'handle');
  }
  for (const routes of Object.values(r.router.map)) {
    for (const route of routes) {
      for (let i = 0; i < route.callbacks.length; i++) consider(route.callbacks, i);
    }
  }
}

/** Compiles every handler of an app's router not seen before (placements go to stats()). */
function walk(app) {
  // placement inline: nothing moves, nothing to compile.
  if (!enabled() || unavailable || runtime.mode() === 'inline') return;
  try {
    walkApp(app, new WeakSet());
  } catch (err) {
    // No inspector in this Node build, say: run-time compilation is off, the app runs as it is.
    unavailable = true;
    process.emitWarning(`fluxion: run-time compilation is off: ${err.message}`, { code: 'FLUXION_JIT_UNAVAILABLE' });
  } finally {
    jit.close();
  }
}

/**
 * Walks an app's router now and again whenever it has grown by the time a request arrives.
 * Idempotent; `app.handle` is wrapped on the instance (every request passes through it).
 */
/**
 * Walks an app's router now and again whenever it grows (checked at each request).
 * @param {object} app
 * @param {{ now?: boolean }} [opts] now: walk at once. Without it, an Express 5 app whose router
 *   may not exist yet is walked at its first request: reading `app.router` creates the router
 *   with the settings of that moment, and `fluxionize(express())` comes before
 *   `app.set('strict routing', true)` in most apps.
 */
function watch(app, opts = {}) {
  if (!isApp(app) || !enabled()) return;
  const state = watched.get(app);
  if (state) {
    if (opts.now) state.check();
    return;
  }
  let size = -1;
  const check = () => {
    const s = sizeOf(app);
    if (s === size) return;
    size = s;
    walk(app);
  };
  watched.set(app, { check });
  const handle = app.handle;
  app.handle = function fluxionHandle(req, res, callback) {
    check();
    return handle.call(this, req, res, callback);
  };
  if (opts.now || !lazyRouter(app)) check();
}

/** Express 5: `app.router` is a getter that makes the router on first read. */
function lazyRouter(app) {
  const d = Object.getOwnPropertyDescriptor(app, 'router');
  return Boolean(d && d.get);
}

/** The Express apps a server answers with (its 'request' listeners). */
function appsOf(server) {
  return server.listeners('request').filter(isApp);
}

module.exports = { walk, watch, appsOf, routerOf, enabled };
