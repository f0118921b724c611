'use strict';
// The main thread's side of the runtime: the worker pool, dispatch of route handlers, the table
// of resources (req, res, next) that stay here while workers hold handles, and what happens when
// a worker dies.
// Node's own timers, not the globals of a Jest test environment (jsdom's, or fake timers).
const { clearInterval } = require('node:timers');
const M = require('../protocol/messages').kinds;
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const transport = require('../transport');
const runtime = require('../core/runtime');
const adaptive = require('../placement/adaptive');
const speculate = require('../optimistic/speculate');
const native = require('../native');
const config = require('../config');
const inflight = require('../core/inflight');
const { decodeError } = require('../wire/values');
const timeline = require('./timeline');

const pool = { workers: [], started: false, next: 0, config: {}, crashHook: null };
/**
 * The framework adapter (lib/frameworks/adapter.js), given at attach: what a request, a response
 * and a handler are. This file knows threads and request records, not Express.
 * @type {import('../frameworks/adapter').MainAdapter}
 */
let adapter = null;
const records = new Map(); // handle -> request record
// req/res/next -> its request record, as a symbol-keyed property: cheaper than a WeakMap entry
// per object (and its ephemeron work in every collection); invisible to Object.keys and JSON.
const REC = Symbol('fluxion.record');
/**
 * Runs on workers whose handler's return value the main thread stands in for (Express 4 and
 * older, where the router ignores it but the app's own wrappers may not): dispatch number ->
 * { resolve, reject, thread }. The stand-in promise settles as the worker's run did.
 */
const awaiting = new Map();
let nextDispatch = 1;
let nextHandle = 1;

function workerCount() {
  return config.settings().workers; // default: one per core (lib/config.js says why)
}

function broadcastSlots() {
  runtime.state.slots = pool.workers.map((w) => w.threadId);
  for (const w of pool.workers) transport.send(w.threadId, { t: M.SLOTS, slots: runtime.state.slots });
  broadcastHosts();
}

function broadcastHosts() {
  const hosts = [...runtime.state.groupHosts];
  for (const w of pool.workers) transport.send(w.threadId, { t: M.HOSTS, hosts });
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
 * @param {string} [by] who asked, for the timeline: 'moveContext' (the API) or 'rebalance'
 * @returns {Promise<number>} the new host
 */
function moveContext(group, to, by = 'moveContext') {
  if (!isGroupKey(group)) {
    const p = group.includes('#') ? runtime.placementOf(group) : null;
    if (p && p.where === 'group') group = p.group;
    else if (p) return Promise.reject(new Error(`fluxion: ${group} has no context to move (${p.where}${p.reason ? `: ${p.reason}` : ''})`));
  }
  if (to !== 0 && !workerById(to)) return Promise.reject(new Error(`fluxion: no worker with thread id ${to}`));
  if (moves.has(group)) return Promise.reject(new Error(`fluxion: ${group} is already moving`));
  const from = runtime.hostOf(group);
  if (from === to) return Promise.resolve(to);
  const moved = () => timeline.record({ kind: 'move', group, from, to, by });
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
      moved();
      return to;
    });
  }
  runtime.state.moving.set(group, []);
  return new Promise((resolve) => {
    moves.set(group, (host) => {
      moved();
      resolve(host);
    });
    transport.send(from, { t: M.DRAIN_GROUP, group, to });
  });
}

function spawn(slot) {
  const w = new Worker(path.join(__dirname, 'worker.js'), {
    workerData: {
      slot,
      mode: runtime.mode(),
      config: runtime.state.config,
      framework: adapter ? adapter.name : 'express',
      fluxionSettings: config.settings(),
      fluxionJest: require('../hook/jest-bridge').spec(),
    },
    stdout: false,
    stderr: false,
    resourceLimits: pool.resourceLimits, // setting workerYoungMb (lib/config.js)
  });
  const id = w.threadId;
  w.inflight = 0;
  transport.attach(w);
  w.on('error', (err) => {
    w.crashed = (err && err.message) || String(err);
    // A throw the app did not catch, in a fluxion on this worker: in the original it would have
    // reached the process. Keep that meaning.
    pool.crashHook ? pool.crashHook(err) : process.nextTick(() => {
      throw err;
    });
  });
  w.on('exit', (code) => {
    transport.detach(id);
    const i = pool.workers.indexOf(w);
    failRequests(id);
    if (i >= 0 && pool.started) {
      pool.workers[i] = spawn(i);
      timeline.record({ kind: 'replace', slot: i, from: id, to: pool.workers[i].threadId, why: w.crashed ? `crashed: ${w.crashed}` : `exited (code ${code})` });
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
  pool.rebalance = require('../placement/rebalance').start({
    workers: () => pool.workers.map((w) => w.threadId),
    hostOf: runtime.hostOf,
    groupOf: (id) => {
      const p = runtime.state.placements.get(id);
      return p && p.where === 'group' ? p.group : null;
    },
    move: (group, to) => moveContext(group, to, 'rebalance'),
    highMicros: adaptive.HIGH,
    // Under eager, contexts start on workers and stay there.
    home: runtime.mode() === 'auto',
  });
}

/**
 * Stops the pool: workers terminated, not replaced (`start` makes a new one). For
 * `fluxion.shutdown()` (the Jest preset, after each test file).
 */
function stop() {
  if (!pool.started) return Promise.resolve();
  pool.started = false;
  if (pool.rebalance) clearInterval(pool.rebalance);
  pool.rebalance = null;
  const ws = pool.workers.splice(0);
  return Promise.all(ws.map((w) => w.terminate()));
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
  if (kind !== 'next') Object.assign(handle, adapter.handleState(kind, rec, checked));
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
  // Their stand-in promises stay pending: the request is answered 500 below, as a lost run.
  for (const [d, a] of awaiting) if (a.thread === deadThread) awaiting.delete(d);
  for (const rec of records.values()) {
    if (!rec.threads.has(deadThread) || rec.done) continue;
    rec.threads.delete(deadThread);
    // Answered in full (the response ended: its bytes are only on their way to a client that
    // reads them slowly, and its 'close' has not come yet): the worker's death changes nothing.
    if (rec.res && rec.res.writableEnded) continue;
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

function onMessage(msg) {
  switch (msg.t) {
    case M.RES: {
      const rec = records.get(msg.h);
      if (rec && !rec.done && !rec.failed) {
        // The handler may have changed req before answering (a session cookie, say).
        adapter.applyChanges(rec.req, msg.changes);
        try {
          adapter.applyOps(rec.res, msg.ops, (call, args) => transport.send(call.thread, { t: M.CALL_RESULT, id: call.id, args }));
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
    case M.SETTLED: {
      const a = awaiting.get(msg.d);
      if (!a) break;
      awaiting.delete(msg.d);
      if (msg.ok) a.resolve(undefined);
      else a.reject(decodeError(msg.err));
      break;
    }
    case M.NEXT: {
      const rec = records.get(msg.h);
      if (!rec || rec.done || rec.failed) break;
      adapter.applyChanges(rec.req, msg.changes);
      rec.threads.delete(msg.from);
      const w = workerById(msg.from);
      if (w) w.inflight = Math.max(0, w.inflight - 1);
      rec.next(decodeError(msg.err));
      break;
    }
    case M.POST:
      if (runtime.forwardIfMoved(msg)) break;
      try {
        runtime.runPost(msg, resolveHandle);
      } catch (err) {
        if (err.code !== 'FLUXION_HANDLE_GONE') throw err;
        process.emitWarning(`${err.message}: ${msg.id} did not run`, { code: err.code });
      }
      break;
    case M.SPEC_COMMIT:
    case M.SPEC_ABORT: {
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
    case M.REJECT: {
      // The worker cannot run it (the module makes several instances of the handler): run it
      // here, now and from now on.
      const rec = records.get(msg.h);
      const p = runtime.placementOf(msg.id);
      if (!p.pinned) native.load().statsPlacement(msg.id, `main (${msg.reason})`);
      p.pinned = true;
      p.reason = msg.reason;
      if (rec && !rec.done) settleWith(msg.d, adapter.runHere(msg.id, rec));
      else settleWith(msg.d, undefined);
      break;
    }
    case M.POST_REJECT: {
      const p = runtime.placementOf(msg.msg.id);
      p.where = 'main';
      p.reason = `not compiled on worker ${msg.from}`;
      runtime.runPost(msg.msg, resolveHandle);
      break;
    }
    case M.GROUP_DRAINED: {
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
    case M.LOAD:
      loads.set(msg.from, { delayMs: msg.delayMs, maxDelayMs: msg.maxDelayMs, at: Date.now() });
      break;
    case M.UNDELIVERABLE:
      if (msg.msg && msg.msg.t === M.POST) runtime.runPost(msg.msg, resolveHandle);
      break;
    default:
      throw new Error(`fluxion: unknown message type ${msg.t}`);
  }
}

/** Runs, on the main thread, a message that was on its way to a worker (a context came back). */
function runHere(m) {
  if (m.t === M.POST) return runtime.runPost(m, resolveHandle);
  const rec = records.get(m.h);
  // Even for a closed request: the original ran the handler, and it may write its context.
  if (!rec) return settleWith(m.d, undefined);
  releaseThreads(rec);
  settleWith(m.d, adapter.runHere(m.id, rec));
}

/**
 * A stand-in for what a handler run elsewhere returns (`d` goes in its start message): a promise
 * that settles as the run's returned value does. Express 5's router consumes a handler's promise
 * itself (the worker passes a rejection to next), so there it is not asked for.
 * @param {number} thread where the run goes (its death leaves the promise pending)
 */
function standIn(thread) {
  const d = nextDispatch++;
  const promise = new Promise((resolve, reject) => awaiting.set(d, { resolve, reject, thread }));
  return { d, promise };
}

/** The run for dispatch `d` happened here after all: its promise follows this return value. */
function settleWith(d, ret) {
  const a = d && awaiting.get(d);
  if (!a) return;
  awaiting.delete(d);
  a.resolve(ret);
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

const loads = new Map(); // worker thread id -> its last load report (setting dashboard)

/**
 * Each worker's load, for the dashboard: its event-loop utilisation as Node measures it from
 * this thread (cumulative: callers take differences) and its event-loop delay as it last
 * reported it (workers report only while the dashboard setting is on).
 * @returns {{ slot: number, threadId: number, inflight: number, elu: { idle: number, active: number } | null, delayMs: number | null, maxDelayMs: number | null }[]}
 */
function workerLoad() {
  return pool.workers.map((w, slot) => {
    let elu = null;
    try {
      const e = w.performance.eventLoopUtilization();
      elu = { idle: e.idle, active: e.active };
    } catch {
      // not started yet, or already stopped
    }
    const l = loads.get(w.threadId);
    return { slot, threadId: w.threadId, inflight: w.inflight, elu, delayMs: l ? l.delayMs : null, maxDelayMs: l ? l.maxDelayMs : null };
  });
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

/**
 * This thread is the main thread: compiled modules' route handlers become the adapter's
 * dispatchers.
 * @param {import('../frameworks/adapter').MainAdapter} framework
 */
function attach(framework) {
  adapter = framework;
  runtime.useHost({ role: 'main', pickWorker, handleOf, touch, dispatcher: (id, file, fn) => adapter.dispatcher(id, file, fn) });
}

module.exports = {
  attach,
  standIn,
  start,
  stop,
  pickWorker,
  workerById,
  recordFor,
  handleOf,
  touch,
  terminateWorker,
  workers,
  workerLoad,
  moveContext,
};
