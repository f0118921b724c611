'use strict';
// The main thread's side of the runtime: the worker pool, dispatch of route handlers, the table
// of resources (req, res, next) that stay here while workers hold handles, and what happens when
// a worker dies.
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const transport = require('../transport');
const express = require('../frameworks/express/views');
const runtime = require('../core/runtime');
const adaptive = require('../placement/adaptive');
const speculate = require('../optimistic/speculate');
const native = require('../native');
const config = require('../config');
const inflight = require('../core/inflight');

const pool = { workers: [], started: false, next: 0, config: {}, crashHook: null };
const records = new Map(); // handle -> request record
// req/res/next -> its request record, as a symbol-keyed property: cheaper than a WeakMap entry
// per object (and its ephemeron work in every collection); invisible to Object.keys and JSON.
const REC = Symbol('fluxion.record');
let nextHandle = 1;

function workerCount() {
  const env = process.env.FLUXION_WORKERS;
  if (env !== undefined) {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > 256) {
      throw new Error(`fluxion: FLUXION_WORKERS must be an integer from 1 to 256 (got "${env}")`);
    }
    return n;
  }
  // One worker per core (issue 5): the main thread mostly waits on sockets, so it shares a core
  // with a worker; with cores - 1 a CPU-bound route on 2 cores could not beat one thread.
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, cores);
}

function broadcastSlots() {
  runtime.state.slots = pool.workers.map((w) => w.threadId);
  for (const w of pool.workers) transport.send(w.threadId, { t: 'slots', slots: runtime.state.slots });
  broadcastHosts();
}

function broadcastHosts() {
  const hosts = [...runtime.state.groupHosts];
  for (const w of pool.workers) transport.send(w.threadId, { t: 'hosts', hosts });
}

const moves = new Map(); // group -> resolve

/** The variables of a group's context (from any of its fluxions' placements). */
function groupVars(group) {
  for (const p of runtime.state.placements.values()) if (p.where === 'group' && p.group === group) return p.vars || [];
  return [];
}
/** Whether `key` names a group of some placement record (`<file>#grp_a+grp_b`, `<file>#<id>`). */
function isGroupKey(key) {
  for (const p of runtime.state.placements.values()) if (p.where === 'group' && p.group === key) return true;
  return false;
}
const fileOfGroup = (group) => group.slice(0, group.lastIndexOf('#'));

/**
 * Moves a group's context (and so its fluxions) to another thread without losing a message or
 * a write. From the main thread: its variables are committed and the next message goes to the
 * new host. From a worker: messages for it wait on the main thread while the old host finishes
 * what it was sent and commits. The new host checks the context out before its first run.
 * @param {string} group a group key (`<file>#grp_x`, `<file>#<fluxion id>`), or a fluxion id
 * @param {number} to the thread id of a worker, or 0 for the main thread
 * @returns {Promise<number>} the new host
 */
function moveContext(group, to) {
  if (!isGroupKey(group)) {
    const p = group.includes('#') ? runtime.placementOf(group) : null;
    if (p && p.where === 'group') group = p.group;
    else if (p) return Promise.reject(new Error(`fluxion: ${group} has no context to move (${p.where}${p.reason ? `: ${p.reason}` : ''})`));
  }
  if (to !== 0 && !workerById(to)) return Promise.reject(new Error(`fluxion: no worker with thread id ${to}`));
  if (moves.has(group)) return Promise.reject(new Error(`fluxion: ${group} is already moving`));
  const from = runtime.hostOf(group);
  if (from === to) return Promise.resolve(to);
  if (from === 0) {
    // New requests for the group wait in its queue while async runs still going here finish
    // (they write this thread's variables); then the variables are committed for the new host.
    // Messages already on their way here for the group are forwarded (onMessage).
    const queue = [];
    runtime.state.moving.set(group, queue);
    moves.set(group, null);
    return inflight.idle(group).then(() => {
      require('../core/contexts').handOff(group, fileOfGroup(group), groupVars(group));
      runtime.state.moving.delete(group);
      runtime.state.groupHosts.set(group, to);
      moves.delete(group);
      broadcastHosts();
      for (const m of queue) transport.send(to, m);
      return to;
    });
  }
  runtime.state.moving.set(group, []);
  return new Promise((resolve) => {
    moves.set(group, resolve);
    transport.send(from, { t: 'drain-group', group, to });
  });
}

function spawn(slot) {
  const w = new Worker(path.join(__dirname, 'worker.js'), {
    workerData: { slot, mode: runtime.mode(), config: runtime.state.config },
    stdout: false,
    stderr: false,
    resourceLimits: pool.resourceLimits, // FLUXION_WORKER_YOUNG_MB (lib/config.js)
  });
  const id = w.threadId;
  w.inflight = 0;
  transport.attach(w);
  w.on('error', (err) => {
    // A throw the app did not catch, in a fluxion on this worker: in the original it would have
    // reached the process. Keep that meaning.
    pool.crashHook ? pool.crashHook(err) : process.nextTick(() => {
      throw err;
    });
  });
  w.on('exit', () => {
    transport.detach(id);
    const i = pool.workers.indexOf(w);
    failRequests(id);
    if (i >= 0 && pool.started) {
      pool.workers[i] = spawn(i);
      // Its contexts go to its replacement, which checks out their last committed versions.
      for (const [g, t] of runtime.state.groupHosts) if (t === id) runtime.state.groupHosts.set(g, pool.workers[i].threadId);
      broadcastSlots();
    }
  });
  // Last: adding a 'message' listener refs the worker's port again.
  w.unref(); // an idle pool never keeps the process alive
  return w;
}

/** Starts the pool (idempotent). */
function start() {
  if (pool.started) return;
  pool.started = true;
  transport.onMessage(onMessage);
  const n = workerCount();
  pool.resourceLimits = config.workerResourceLimits();
  for (let i = 0; i < n; i++) pool.workers.push(spawn(i));
  broadcastSlots();
  require('../placement/rebalance').start({
    workers: () => pool.workers.map((w) => w.threadId),
    hostOf: runtime.hostOf,
    groupOf: (id) => {
      const p = runtime.state.placements.get(id);
      return p && p.where === 'group' ? p.group : null;
    },
    move: moveContext,
    highMicros: adaptive.HIGH,
    // Under eager, contexts start on workers and stay there.
    home: runtime.mode() === 'auto',
  });
}

/** Least-loaded worker, round robin among equals. */
function pickWorker() {
  if (!pool.started) start();
  const ws = pool.workers;
  let best = null;
  for (let k = 0; k < ws.length; k++) {
    const w = ws[(pool.next + k) % ws.length];
    if (!best || w.inflight < best.inflight) best = w;
  }
  pool.next = (pool.next + 1) % ws.length;
  return best ? best.threadId : 0;
}

function workerById(id) {
  return pool.workers.find((w) => w.threadId === id);
}

// ---- request records --------------------------------------------------------------------------

function recordFor(req, res, next) {
  let rec = (res && res[REC]) || (req && req[REC]);
  if (!rec) {
    rec = { h: nextHandle++, req, res, next, threads: new Set(), done: false };
    records.set(rec.h, rec);
    if (req) req[REC] = rec;
    if (res) {
      res[REC] = rec;
      const finish = () => {
        if (rec.done) return;
        rec.done = true;
        retire(rec.h);
        releaseThreads(rec);
      };
      // A ServerResponse emits 'close' after 'finish' and when the connection is lost first:
      // one listener covers both. `on`, not `once`: no wrapper; `finish` runs once (rec.done).
      res.on('close', finish);
    }
  }
  // Each dispatch has its own `next` (the router's continuation after that layer).
  if (next) rec.next = next;
  if (next) next[REC] = rec;
  return rec;
}

// A finished request stays resolvable for a while: a fluxion posted here with its handle may
// still be on its way (the client closed the connection while a worker ran the previous step).
// It must run as in the original, on the real (closed) response, whose writes go nowhere.
const RETIRED_KEPT = 1024;
const retired = [];
function retire(h) {
  retired.push(h);
  if (retired.length > RETIRED_KEPT) records.delete(retired.shift());
}

/**
 * Main thread: the handle of a resource (req, res, next), or null for plain values. With
 * `checked`, what cannot be cloned in its snapshot is left out (a retry after a failed send).
 */
function handleOf(v, checked = false) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return null;
  let rec = v[REC];
  if (!rec) {
    const http = require('node:http');
    if (v instanceof http.ServerResponse) rec = recordFor(v.req, v, null);
    else if (v instanceof http.IncomingMessage) rec = recordFor(v, v.res, null);
    else return null;
  }
  const kind = v === rec.res ? 'res' : v === rec.req ? 'req' : 'next';
  const handle = { id: rec.h, kind };
  if (kind === 'res') handle.state = express.snapshotResponse(rec.res, checked);
  if (kind === 'req') handle.state = express.snapshotRequest(rec.req);
  if (kind !== 'next') handle.settings = express.settingsOf(rec.req && rec.req.app);
  if (kind === 'req') handle.appLocals = express.appLocalsOf(rec.req.app);
  return handle;
}

/** Notes that a message carrying request handles went to `thread`. */
function touch(encodedVars, thread) {
  for (const x of Object.values(encodedVars)) {
    if (!x.h) continue;
    const rec = records.get(x.h.id);
    if (rec && !rec.done && !rec.threads.has(thread)) {
      rec.threads.add(thread);
      const w = workerById(thread);
      if (w) w.inflight++;
    }
  }
}

function resolveHandle(h) {
  const rec = records.get(h.id);
  if (!rec) {
    const err = new Error(`fluxion: request handle ${h.id} is gone (its response finished more than ${RETIRED_KEPT} requests ago)`);
    err.code = 'FLUXION_HANDLE_GONE';
    throw err;
  }
  return h.kind === 'res' ? rec.res : h.kind === 'req' ? rec.req : rec.next;
}

/** A worker died: its requests are answered as an uncaught error would be. */
function failRequests(deadThread) {
  for (const rec of records.values()) {
    if (!rec.threads.has(deadThread) || rec.done) continue;
    rec.threads.delete(deadThread);
    const err = new Error(`fluxion: worker thread ${deadThread} stopped while handling this request`);
    err.status = 500;
    if (rec.res.headersSent) rec.res.destroy(err);
    else if (rec.next) rec.next(err);
    else {
      rec.res.statusCode = 500;
      rec.res.end();
    }
  }
}

// ---- dispatch ---------------------------------------------------------------------------------

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
    if (!express.plainData(req[p])) return false;
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
  start();
  function fluxionDispatch(req, res, next) {
    const p = runtime.placementOf(fullId);
    let host = 0;
    // A group on its way to another thread: the request waits in its queue (sendToGroup).
    if (p.where === 'group') host = runtime.state.moving.has(p.group) ? -1 : runtime.hostOf(p.group);
    else if (p.where === 'replicated' && (runtime.mode() === 'eager' || adaptive.shouldOffload(fullId))) host = pickWorker();
    if (host === 0 || p.pinned || !copyable(req, p.reqProps)) {
      return runtime.timed(fullId, fn, this, [req, res, next], false);
    }
    // What the message costs this thread: adaptive placement weighs a run against it.
    const cost = runtime.sendCostStart();
    const rec = recordFor(req, res, next);
    const msg = {
      t: 'start',
      id: fullId,
      file,
      h: rec.h,
      req: express.snapshotRequest(req, false, p.reqProps),
      res: express.snapshotResponse(res),
      settings: express.settingsOf(req.app),
      appLocals: express.appLocalsOf(req.app),
      express: expressVersion(req.app),
      requestModule: requestModuleOf(req),
    };
    if (compiled) {
      msg.closure = compiled.values;
      if (compiled.shared.length) {
        // Objects it shares with other handlers: copied now, checked when the run comes back.
        const sent = speculate.prepare(rec, compiled.shared, (r) => recordFor(r.req, r, null).h, fn);
        if (!sent) return runtime.timed(fullId, fn, this, [req, res, next], false);
        msg.spec = sent.spec;
        msg.resources = sent.resources;
      }
      if (!sentTo.has(host)) {
        sentTo.add(host);
        msg.jit = compiled.def;
      }
    }
    rec.threads.add(host);
    const w = workerById(host);
    if (w) w.inflight++;
    const send = () => (p.where === 'group' ? runtime.sendToGroup(p.group, msg) : transport.send(host, msg));
    try {
      send();
    } catch {
      // Something on req or in res.locals cannot be cloned (a socket, a class with private
      // state): leave it out.
      msg.req = express.snapshotRequest(req, true, p.reqProps);
      msg.res = express.snapshotResponse(res, true);
      send();
    }
    runtime.recordSend(fullId, cost);
  }
  dispatchers.set(fullId, fn);
  fluxionDispatch[runtime.DISPATCHER] = true;
  return fluxionDispatch;
}
const dispatchers = new Map();

function onMessage(msg) {
  switch (msg.t) {
    case 'res': {
      const rec = records.get(msg.h);
      if (rec && !rec.done && !rec.failed) {
        // The handler may have changed req before answering (a session cookie, say).
        express.applyRequestChanges(rec.req, msg.changes);
        try {
          express.applyResponseOps(rec.res, msg.ops);
        } catch (err) {
          // Express refused a call (res.status(99), an invalid cookie option...): in the
          // original it threw inside the handler, which stopped there, and the router passed
          // the error on. Do the same: drop what the worker did after it, call next(err).
          rec.failed = true;
          if (rec.next) rec.next(err);
          else throw err;
        }
      }
      break;
    }
    case 'next': {
      const rec = records.get(msg.h);
      if (!rec || rec.done || rec.failed) break;
      express.applyRequestChanges(rec.req, msg.changes);
      rec.threads.delete(msg.from);
      const w = workerById(msg.from);
      if (w) w.inflight = Math.max(0, w.inflight - 1);
      rec.next(express.decodeError(msg.err));
      break;
    }
    case 'post':
      if (runtime.forwardIfMoved(msg)) break;
      try {
        runtime.runPost(msg, resolveHandle);
      } catch (err) {
        if (err.code !== 'FLUXION_HANDLE_GONE') throw err;
        process.emitWarning(`${err.message}: ${msg.id} did not run`, { code: err.code });
      }
      break;
    case 'spec-commit':
    case 'spec-abort': {
      const rec = records.get(msg.h);
      if (!rec || rec.done || !rec.spec) break;
      speculate.commit(msg, rec, (h) => records.get(h), () => {
        if (rec.threads.delete(msg.from)) {
          const w = workerById(msg.from);
          if (w) w.inflight = Math.max(0, w.inflight - 1);
        }
      });
      break;
    }
    case 'reject': {
      // The worker cannot run it (the module makes several instances of the handler): run it
      // here, now and from now on.
      const rec = records.get(msg.h);
      const fn = dispatchers.get(msg.id);
      const p = runtime.placementOf(msg.id);
      if (!p.pinned) native.load().statsPlacement(msg.id, `main (${msg.reason})`);
      p.pinned = true;
      p.reason = msg.reason;
      if (rec && fn && !rec.done) runHandler(msg.id, fn, rec);
      break;
    }
    case 'post-reject': {
      const p = runtime.placementOf(msg.msg.id);
      p.where = 'main';
      p.reason = `not compiled on worker ${msg.from}`;
      runtime.runPost(msg.msg, resolveHandle);
      break;
    }
    case 'group-drained': {
      // The old host ran everything sent to it before: the group's host is now `to`.
      const queue = runtime.state.moving.get(msg.group) || [];
      runtime.state.moving.delete(msg.group);
      runtime.state.groupHosts.set(msg.group, msg.to);
      broadcastHosts();
      if (msg.to === 0) {
        require('../core/contexts').takeBack(msg.group, fileOfGroup(msg.group), groupVars(msg.group));
        for (const m of queue) runHere(m);
      } else for (const m of queue) transport.send(msg.to, m);
      const done = moves.get(msg.group);
      moves.delete(msg.group);
      if (done) done(msg.to);
      break;
    }
    case 'undeliverable':
      if (msg.msg && msg.msg.t === 'post') runtime.runPost(msg.msg, resolveHandle);
      break;
    default:
      throw new Error(`fluxion: unknown message type ${msg.t}`);
  }
}

/** Runs, on the main thread, a message that was on its way to a worker (a context came back). */
function runHere(m) {
  if (m.t === 'post') return runtime.runPost(m, resolveHandle);
  const rec = records.get(m.h);
  const fn = dispatchers.get(m.id);
  // Even for a closed request: the original ran the handler, and it may write its context.
  if (!rec || !fn) return;
  releaseThreads(rec);
  runHandler(m.id, fn, rec);
}

/** Runs a route handler of this request here, outside the router's own call. */
function runHandler(id, fn, rec) {
  runtime.runAsRouter(id, fn, rec.req, rec.res, rec.next, expressVersion(rec.req && rec.req.app), false);
}

/** The workers that held this request's handles are done with it. */
function releaseThreads(rec) {
  for (const t of rec.threads) {
    const w = workerById(t);
    if (w) w.inflight = Math.max(0, w.inflight - 1);
  }
  rec.threads.clear();
}

/** Stops a worker (it is replaced); its in-flight requests get an error response. */
function terminateWorker(which) {
  const w = which === undefined ? pool.workers[0] : workerById(which) || pool.workers[which];
  if (!w) throw new Error(`fluxion: no worker ${which}`);
  return w.terminate();
}

function workers() {
  const groups = new Set();
  for (const p of runtime.state.placements.values()) if (p.where === 'group') groups.add(p.group);
  return pool.workers.map((w, slot) => ({
    slot,
    threadId: w.threadId,
    inflight: w.inflight,
    groups: [...groups].filter((g) => runtime.hostOf(g) === w.threadId),
  }));
}

/** This thread is the main thread: compiled modules' route handlers become dispatchers. */
function attach() {
  runtime.useHost({ role: 'main', pickWorker, handleOf, touch, dispatcher });
}

module.exports = { attach, start, pickWorker, dispatcher, handleOf, touch, terminateWorker, workers, moveContext };
