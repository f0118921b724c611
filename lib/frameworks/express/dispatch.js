'use strict';
// The main thread's side of an Express route handler: runs it where its placement says, as
// Express's router would have — inline, or as a message to a worker with a snapshot of the
// request and the response, whose calls come back and are replayed in order.
const M = require('../../protocol/messages').kinds;
const transport = require('../../transport');
const runtime = require('../../core/runtime');
const adaptive = require('../../placement/adaptive');
const speculate = require('../../optimistic/speculate');
const main = require('../../hosts/main');
const views = require('./views');


let expressMajor;
function expressVersion(app) {
  if (expressMajor !== undefined) return expressMajor;
  // Express 5 apps have app.router; Express 4 apps create app._router lazily.
  expressMajor = app && 'router' in app && !('_router' in app) ? 5 : 4;
  return expressMajor;
}

/** Whether the request properties a handler reads (set by earlier middleware) can be copied. */
function copyable(req, props) {
  if (!props) return true;
  for (const p of props) {
    if (!Object.prototype.hasOwnProperty.call(req, p)) continue;
    if (!views.plainData(req[p])) return false;
  }
  return true;
}

const requestModules = new WeakMap(); // request prototype -> file of the module exporting it

/**
 * The module that defines this request's prototype (Express's lib/request.js), found once per
 * prototype: apps may load Express by path (`require('../..')`), not by name.
 */
function requestModuleOf(req) {
  const proto = Object.getPrototypeOf(req);
  if (requestModules.has(proto)) return requestModules.get(proto);
  const chain = [];
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) chain.push(p);
  let found = null;
  for (const m of Object.values(require.cache)) {
    if (m && chain.includes(m.exports)) {
      found = m.filename;
      break;
    }
  }
  requestModules.set(proto, found);
  return found;
}

/**
 * Wraps a route handler: runs it where its placement says, as Express would have.
 * @param {object} [compiled] a handler compiled at run time (lib/jit.js): `def` (file, source,
 *   closure names) goes once to each worker, `values` (the closure's values) with every request
 */
function dispatcher(fullId, file, fn, compiled) {
  const sentTo = new Set();
  main.start();
  let followed = Boolean(compiled);
  function fluxionDispatch(req, res, next) {
    const p = runtime.placementOf(fullId);
    let host = 0;
    // A group on its way to another thread: the request waits in its queue (sendToGroup).
    if (p.where === 'group') host = runtime.state.moving.has(p.group) ? -1 : runtime.hostOf(p.group);
    else if (p.where === 'replicated' && (runtime.mode() === 'eager' || adaptive.shouldOffload(fullId))) host = main.pickWorker();
    if (host === 0 || p.pinned || !copyable(req, p.reqProps)) {
      return runtime.timed(fullId, fn, this, [req, res, next], false);
    }
    // What the message costs this thread: adaptive placement weighs a run against it.
    const cost = runtime.sendCostStart();
    const rec = main.recordFor(req, res, next);
    const msg = {
      t: M.START,
      id: fullId,
      file,
      h: rec.h,
      req: views.snapshotRequest(req, false, p.reqProps),
      res: views.snapshotResponse(res),
      settings: views.settingsOf(req.app),
      appView: views.appViewOf(req.app),
      express: expressVersion(req.app),
      requestModule: requestModuleOf(req),
    };
    if (compiled) {
      msg.closure = compiled.values;
      if (compiled.shared.length) {
        // Objects it shares with other handlers: copied now, checked when the run comes back.
        rec.major = expressVersion(req.app); // a re-run on the main thread runs as this router would
        const sent = speculate.prepare(rec, compiled.shared, (r) => main.recordFor(r.req, r, null).h, fn);
        if (!sent) return runtime.timed(fullId, fn, this, [req, res, next], false);
        msg.spec = sent.spec;
        msg.resources = sent.resources;
      }
      if (!sentTo.has(host)) {
        sentTo.add(host);
        msg.jit = compiled.def;
      }
    }
    // Express 4 and older ignore what a handler returns, but the app's own wrappers may not
    // (express-async-errors hands a rejection to next): stand in for it until the run settles.
    const stand = !msg.spec && msg.express < 5 ? main.standIn(host) : null;
    if (stand) msg.d = stand.d;
    rec.threads.add(host);
    const w = main.workerById(host);
    if (w) w.inflight++;
    const send = () => (p.where === 'group' ? runtime.sendToGroup(p.group, msg) : transport.send(host, msg));
    try {
      send();
    } catch {
      // Something on req or in res.locals cannot be cloned (a socket, a class with private
      // state): leave it out.
      msg.req = views.snapshotRequest(req, true, p.reqProps);
      msg.res = views.snapshotResponse(res, true);
      send();
    }
    runtime.recordSend(fullId, cost);
    return stand ? stand.promise : undefined;
  }
  dispatchers.set(fullId, fn);
  fluxionDispatch[runtime.DISPATCHER] = true;
  // A route of a compiled module pinned by its graph for handing req/res to a function:
  // the walk of its app's router (discover.js) compiles it again at run time, once.
  if (!compiled) {
    fluxionDispatch.fluxionFollow = () => {
      if (followed) return;
      followed = true;
      compiled = follow(fullId, fn);
    };
  }
  return fluxionDispatch;
}

/**
 * `(req, res, next) => handle(req, res).catch(next)` in a module the hook compiled: the graph
 * pins it (`passes req on`: placement from the graph does not follow calls), but the run-time
 * compiler can read `handle` from its closure and check it as a handler (lib/jit/passes.js). If
 * it may move, from now on it runs as a handler compiled at run time (its source and closure go
 * to the worker); if not, the reason names the callee's.
 * @returns {object | undefined} what dispatcher() takes as `compiled`, when it may move
 */
function follow(fullId, fn) {
  const p = runtime.placementOf(fullId);
  if (p.where !== 'main' || !/^passes \S+ on$/.test(p.reason || '')) return undefined;
  const graph = runtime.state.graphs.get(fullId.slice(0, fullId.lastIndexOf('#')));
  const f = graph && graph.fluxions.find((x) => fullId.endsWith(`#${x.id}`));
  if (!f || !f.hints.resources.some((r) => r.passedTo)) return undefined;
  const c = require('../../jit').compileHandler(fn, { extraStateless: runtime.state.config.statelessModules || [] });
  const native = require('../../native').load();
  if (c.placement.where === 'main') {
    if (/^passes /.test(c.placement.reason)) {
      runtime.state.placements.set(fullId, { ...p, reason: c.placement.reason });
      native.statsPlacement(fullId, `main (${c.placement.reason})`);
    }
    return undefined;
  }
  runtime.state.placements.set(fullId, c.placement);
  native.statsPlacement(fullId, 'replicated (compiled at run time)');
  return { def: { file: c.file, src: c.src, names: c.names, wired: c.wired }, values: c.values, shared: c.shared };
}
const dispatchers = new Map();

/** Runs a route handler of this request here, outside the router's own call (the worker gave it back). */
function runHere(id, rec) {
  const fn = dispatchers.get(id);
  return fn ? runtime.runAsRouter(id, fn, rec.req, rec.res, rec.next, expressVersion(rec.req && rec.req.app), false) : undefined;
}

module.exports = { dispatcher, runHere, expressVersion };
