'use strict';
// A worker thread: loads the app's compiled modules in worker role (servers do not listen),
// then runs the fluxions it is sent.
const M = require('../protocol/messages').kinds;
const { isMainThread, threadId, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const net = require('node:net');
const transport = require('../transport');
// The framework's views of req and res (lib/frameworks/adapter.js), named by the main thread.
const views = require(`../frameworks/${(workerData && workerData.framework) || 'express'}/views`);
const runtime = require('../core/runtime');
const contexts = require('../core/contexts');
const speculate = require('../optimistic/speculate');

const proxies = new WeakMap(); // proxy object -> handle

function handleOf(v) {
  return (v !== null && (typeof v === 'object' || typeof v === 'function') && proxies.get(v)) || null;
}

/**
 * Commits the contexts this thread wrote before anything about them leaves it. A response (or a
 * next()) is the outside world seeing the writes of the run that made it: if it left first and
 * the worker died before the end-of-turn commit, the replacement would restart from a value the
 * client never saw, and answer the same count twice. Committed first, a kill costs only writes
 * whose requests are then answered 500 (issue 15, __test__/faults.test.js).
 */
function commitBeforeAnswer() {
  contexts.flush();
}

function nextProxy(h, reqRef, snapRef) {
  const next = function next(err) {
    const req = reqRef();
    const res = req && req.res;
    if (res && res.__fluxionFlush) res.__fluxionFlush();
    commitBeforeAnswer();
    transport.send(0, {
      t: M.NEXT,
      h: h.id,
      from: threadId,
      err: views.encodeError(err),
      changes: req ? views.requestChanges(req, snapRef()) : {},
    });
  };
  proxies.set(next, { id: h.id, kind: 'next' });
  return next;
}

function resProxy(h, state, settings, reqRef, snapRef) {
  const res = views.proxyResponse(state, settings, (ops) => {
    const req = reqRef && reqRef();
    const changes = req ? views.requestChanges(req, snapRef()) : {};
    commitBeforeAnswer();
    try {
      transport.send(0, { t: M.RES, h: h.id, ops, changes });
    } catch (err) {
      // A call whose arguments cannot leave this thread (a function given to res.end): what came
      // before it is applied, then the main thread raises the error where the call was made.
      const ok = [];
      for (const op of ops) {
        if (!views.cloneable(op)) break;
        ok.push(op);
      }
      const bad = new TypeError(`fluxion: res.${ops[ok.length] ? ops[ok.length][0] : '?'}() was given a value that cannot cross threads (${err.message})`);
      transport.send(0, { t: M.RES, h: h.id, ops: [...ok, ['throw', [views.encodeError(bad)]]], changes: {} });
    }
  });
  proxies.set(res, { id: h.id, kind: 'res', state, settings });
  return res;
}

/** Resolves a handle that arrived in a message into a stand-in for the main thread's object. */
function resolve(h) {
  if (h.kind === 'res') return resProxy(h, h.state, h.settings || {});
  if (h.kind === 'req') {
    const req = views.standInRequest(Object.prototype, h.state, h.settings || {}, h.appView);
    proxies.set(req, { id: h.id, kind: 'req', state: h.state, settings: h.settings });
    return req;
  }
  return nextProxy(h, () => null, () => null);
}

const loaded = new Map(); // file -> true, or a promise while an ES module loads

/** What a timer call made while a module loads here returns: a timer that never fires. */
function inertTimer() {
  const t = {
    ref: () => t,
    unref: () => t,
    hasRef: () => false,
    refresh: () => t,
    close: () => t,
    [Symbol.toPrimitive]: () => 0,
  };
  return t;
}

/**
 * Runs `load` with the timers of a module's top level made inert: the main thread ran that top
 * level and owns its timers (a cleanup interval, a delayed warm-up); a worker only needs the
 * module's definitions. Timers created later, while fluxions run here, are untouched.
 */
function withoutStartupTimers(load) {
  const saved = { setTimeout: global.setTimeout, setInterval: global.setInterval, setImmediate: global.setImmediate };
  global.setTimeout = global.setInterval = global.setImmediate = inertTimer;
  runtime.state.loading++;
  try {
    return load();
  } finally {
    runtime.state.loading--;
    Object.assign(global, saved);
  }
}

/** Loads a module in worker role; returns a promise when it has to be imported (ESM). */
function ensureLoaded(file) {
  const state = loaded.get(file);
  if (state) return state === true ? undefined : state;
  // Module side effects run again here: keep their start-up chatter off the console.
  const saved = {};
  for (const k of ['log', 'info', 'warn', 'error', 'debug']) {
    saved[k] = console[k];
    console[k] = () => {};
  }
  const restore = () => Object.assign(console, saved);
  try {
    withoutStartupTimers(() => require(file));
  } catch (err) {
    if (err.code !== 'ERR_REQUIRE_ESM' && err.code !== 'ERR_REQUIRE_ASYNC_MODULE') {
      restore();
      throw err;
    }
    const p = import(pathToFileURL(file).href).then(
      () => {
        restore();
        loaded.set(file, true);
      },
      (e) => {
        restore();
        throw e;
      }
    );
    loaded.set(file, p);
    return p;
  }
  restore();
  loaded.set(file, true);
  return undefined;
}

/** The module cannot be loaded here: the main thread runs the handler instead. */
function rejectStart(msg, err) {
  transport.send(0, { t: M.REJECT, id: msg.id, h: msg.h, d: msg.d, reason: `module failed to load on a worker: ${err.message}` });
}

const SCOPE = Symbol.for('fluxion.scope');
const definitions = new Map(); // fluxion id -> its definition (sent once to each worker)

/**
 * A handler compiled at run time (lib/jit.js): its source evaluated in this thread's copy of its
 * module's scope, its closure variables bound to the values that came with the request.
 */
function compiledHandler(msg) {
  if (msg.jit) definitions.set(msg.id, msg.jit);
  const def = definitions.get(msg.id);
  if (!def) throw new Error('its definition never arrived');
  const wired = def.wired || [];
  return maker(def)(...(wired.length ? msg.closure.map((v, i) => (wired.includes(i) ? fromWire(v) : v)) : msg.closure));
}

const makers = new Map(); // file + names + source -> (closure values) => function

/** Evaluates `(function (<names>) { return (<source>); })` in this thread's copy of a module's scope. */
function maker(def) {
  const key = `${def.file}\0${def.names.join(',')}\0${def.src}`;
  let make = makers.get(key);
  if (make) return make;
  if (!require.cache[def.file] && require('../hook/register').wanted(def.file)) {
    const loading = ensureLoaded(def.file);
    if (loading) throw new Error(`${def.file} is an ES module`);
  }
  const scope = scopeOf(def.file);
  make = scope(`(function (${def.names.join(', ')}) { return (${def.src}\n); })`);
  makers.set(key, make);
  return make;
}

const privateScopes = new Map(); // file -> scope accessor of a private copy of the module

/**
 * The scope of a module as loaded here. The app's modules have it (the require hook adds it);
 * a file the hook leaves alone (node_modules) gets a private copy with it, loaded once: run-time
 * compilation only moves handlers whose modules keep no state, so a second copy is equivalent.
 */
function scopeOf(file) {
  const mod = require.cache[file];
  if (mod && typeof mod[SCOPE] === 'function') return mod[SCOPE];
  let scope = privateScopes.get(file);
  if (scope) return scope;
  const Module = require('node:module');
  const fs = require('node:fs');
  const copy = new Module(file, null);
  copy.filename = file;
  copy.paths = Module._nodeModulePaths(require('node:path').dirname(file));
  copy._compile(fs.readFileSync(file, 'utf8') + require('../hook/register').SCOPE_ACCESSOR, file);
  copy.loaded = true;
  scope = copy[SCOPE];
  if (typeof scope !== 'function') throw new Error(`${file} has no scope fluxion can reach`);
  privateScopes.set(file, scope);
  return scope;
}

/** A closure value from the wire: serialised functions (lib/jit.js toWire) re-created here. */
function fromWire(v) {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || ArrayBuffer.isView(v) || v instanceof Date || v instanceof RegExp) return v;
  if (Array.isArray(v)) return v.map(fromWire);
  if (v.__fluxionFunction) {
    const def = v.__fluxionFunction;
    return maker(def)(...def.values.map(fromWire));
  }
  const out = {};
  for (const k of Object.keys(v)) out[k] = fromWire(v[k]);
  return out;
}

function runStart(msg) {
  let loading;
  try {
    // A handler compiled at run time from a file the hook leaves alone is re-created in a
    // private copy of its module (scopeOf): no need to load the file here first.
    const jitOnly = msg.closure && !require('../hook/register').wanted(msg.file);
    loading = jitOnly ? undefined : ensureLoaded(msg.file);
  } catch (err) {
    return rejectStart(msg, err);
  }
  if (loading) return loading.then(() => runStart(msg), (err) => rejectStart(msg, err));
  runtime.recordMessage(msg.id, false);
  if (msg.spec) {
    return speculate.run(msg, {
      makeHandler: compiledHandler,
      standIn: (m) => {
        const req = views.standInRequest(views.requestProto(m.file, m.requestModule), m.req, m.settings, m.appView);
        proxies.set(req, { id: m.h, kind: 'req', state: m.req, settings: m.settings });
        return req;
      },
      register: (p, handle) => proxies.set(p, handle),
      handleOf,
      send: (m) => transport.send(0, m),
    });
  }
  let entry;
  try {
    entry = msg.closure ? { fn: compiledHandler(msg), count: 1 } : runtime.state.registry.get(msg.id);
  } catch (err) {
    transport.send(0, { t: M.REJECT, id: msg.id, h: msg.h, d: msg.d, reason: `cannot re-create it on a worker: ${err.message}` });
    return;
  }
  if (!entry || entry.count > 1) {
    transport.send(0, {
      t: M.REJECT,
      id: msg.id,
      h: msg.h,
      d: msg.d,
      reason: entry ? 'several instances of this handler exist' : 'handler not created when its module loads',
    });
    return;
  }
  const h = { id: msg.h };
  let req;
  const snap = msg.req;
  const original = views.requestOriginal(snap); // before the handler can change anything in place
  const next = nextProxy(h, () => req, () => original);
  const res = resProxy({ id: msg.h, kind: 'res' }, msg.res, msg.settings, () => req, () => original);
  req = views.standInRequest(views.requestProto(msg.file, msg.requestModule), snap, msg.settings, msg.appView);
  proxies.set(req, { id: msg.h, kind: 'req', state: snap, settings: msg.settings });
  Object.defineProperty(req, 'res', { value: res, writable: true, configurable: true, enumerable: false });
  res.req = req;
  const ret = runtime.runAsRouter(msg.id, entry.fn, req, res, next, msg.express, true);
  if (msg.d) settleBack(msg.d, ret);
}

/**
 * The main thread stands in for what the handler returned (Express 4 and older): tell it how
 * that settled. A rejection is handled here, so it surfaces once, where the app's code sees it.
 */
function settleBack(d, ret) {
  if (!ret || typeof ret.then !== 'function') {
    transport.send(0, { t: M.SETTLED, d, ok: true });
    return;
  }
  ret.then(
    () => transport.send(0, { t: M.SETTLED, d, ok: true }),
    (err) => transport.send(0, { t: M.SETTLED, d, ok: false, err: views.encodeError(err) })
  );
}

function onMessage(msg) {
  if ((msg.t === M.START || msg.t === M.POST) && runtime.forwardIfMoved(msg)) return;
  switch (msg.t) {
    case M.SLOTS:
      runtime.state.slots = msg.slots;
      break;
    case M.HOSTS:
      runtime.state.groupHosts = new Map(msg.hosts);
      break;
    case M.CALL_RESULT:
      views.answerCall(msg.id, msg.args);
      break;
    case M.DRAIN_GROUP:
      // Everything sent here for the group before this message has run; its async runs still
      // going finish here first (they write this thread's variables). Then it is committed, and
      // from now on its messages go to the new host.
      runtime.state.groupHosts.set(msg.group, msg.to);
      require('../core/inflight').idle(msg.group).then(() => {
        contexts.release(msg.group);
        transport.send(0, { t: M.GROUP_DRAINED, group: msg.group, to: msg.to });
      });
      break;
    case M.START:
      runStart(msg);
      break;
    case M.POST: {
      const run = () => {
        // The module did not load compiled here (an ES module on Node 20, whose loader hooks do
        // not reach workers): its fluxions run on the main thread instead.
        if (!runtime.state.factories.has(msg.id)) transport.send(0, { t: M.POST_REJECT, msg, from: threadId });
        else runtime.runPost(msg, resolve);
      };
      let loading;
      try {
        loading = ensureLoaded(msg.file);
      } catch {
        transport.send(0, { t: M.POST_REJECT, msg, from: threadId });
        break;
      }
      if (loading) loading.then(run, () => transport.send(0, { t: M.POST_REJECT, msg, from: threadId }));
      else run();
      break;
    }
    default:
      throw new Error(`fluxion: unknown message type ${msg.t} on worker ${threadId}`);
  }
}

if (!isMainThread && workerData && workerData.slot !== undefined) {
  // Worker role: the app's servers must not listen here.
  // `server.address()` still answers, so start-up code that logs the port does not throw; the
  // listen callback never runs here (the main thread's copy of it runs once, as in the original).
  net.Server.prototype.listen = function listenDisabledInWorker() {
    return this;
  };
  net.Server.prototype.address = function addressInWorker() {
    return { address: '127.0.0.1', family: 'IPv4', port: 0 };
  };
  runtime.state.config = workerData.config || {};
  // Where a group lives by default depends on the mode: the main thread's, not this env's.
  if (workerData.mode) runtime.state.mode = workerData.mode;
  runtime.useHost({
    role: 'worker',
    pickWorker: () => threadId,
    handleOf,
    touch() {},
    dispatcher: (fullId, file, fn) => fn,
  });
  require('../hook/register').install({ worker: true });
  transport.onMessage(onMessage);
  if (require('../config').settings().dashboard !== null) reportLoad();
}

/**
 * The dashboard is on: this worker's event-loop delay goes to the main thread once a second
 * (perf_hooks' histogram, sampled every 10 ms; nothing of it runs when the dashboard is off).
 */
function reportLoad() {
  const { monitorEventLoopDelay } = require('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  // The histogram records the time between its 10 ms samples: the delay is what exceeds 10 ms.
  const late = (ns) => Math.max(0, ns / 1e6 - 10);
  setInterval(() => {
    if (!h.count) return;
    transport.send(0, { t: M.LOAD, from: threadId, delayMs: late(h.mean), maxDelayMs: late(h.max) });
    h.reset();
  }, 1000).unref();
}

module.exports = { handleOf };
