'use strict';
// What compiled modules call (`var __flx = require(<this file>)(module)`), on every thread:
// fluxions register here, post callbacks are routed to the thread that hosts them, and route
// handlers on the main thread become dispatchers to the workers.
const M = require('../protocol/messages').kinds;
const path = require('node:path');
const { threadId } = require('node:worker_threads');
const native = require('../native');
const { placeModule, moduleWriters, isRelative } = require('../placement/static');
const transport = require('../transport');
const wire = require('../wire/values');
const contexts = require('./contexts');
const inflight = require('./inflight');
const abi = require('./abi');
const v8 = require('node:v8');

const warnedUnsendable = new Set();

/**
 * The thread's side of the runtime, given at start (lib/hosts/main.js or lib/hosts/worker.js):
 * its role, and what only it can do. Until one is given (a compiled module loaded without
 * fluxion started), every fluxion runs where it is called, as in the original.
 * @typedef {{ role: 'main' | 'worker' | 'local', pickWorker(): number, handleOf(v: unknown, checked?: boolean): object | null,
 *   touch(encodedVars: object, thread: number): void, dispatcher(fullId: string, file: string, fn: Function): Function }} Host
 */
/** @type {Host} */
let host = {
  role: 'local',
  pickWorker: () => threadId,
  handleOf: () => null,
  touch() {},
  dispatcher: (fullId, file, fn) => fn,
};

/** @param {Host} h */
function useHost(h) {
  host = h;
}
let timedSends = 0;

/** Marks dispatchers (compiled routes, run-time ones): walking a router leaves them be. */
const DISPATCHER = Symbol.for('fluxion.dispatcher');

const state = {
  /** file -> compiled graph (set by the require hook before the module runs) */
  graphs: new Map(),
  /** fullId -> placement */
  placements: new Map(),
  /** fullId -> { fn, count } instances created on this thread */
  registry: new Map(),
  /** fullId -> factory(...vars) */
  factories: new Map(),
  /** group -> thread id (workers learn it from the main thread) */
  slots: [],
  /** group -> thread id, for groups moved off their default slot */
  groupHosts: new Map(),
  /** group -> messages waiting while it moves (main thread) */
  moving: new Map(),
  mode: null,
  config: {},
  /** Modules loading on this thread right now (a worker's require of an app module). */
  loading: 0,
};

/** ES modules load asynchronously: their top level cannot be bracketed by `state.loading`. */
function esModule(fullId) {
  const g = state.graphs.get(fullId.slice(0, fullId.lastIndexOf('#')));
  return Boolean(g && g.esModule);
}

function mode() {
  if (state.mode) return state.mode;
  const m = require('../config').settings().placement;
  state.mode = m;
  return m;
}

const statIds = new Map(); // fullId -> number in the Rust table (interned once per thread)
function statId(fullId) {
  let i = statIds.get(fullId);
  if (i === undefined) {
    i = native.load().statsIntern(fullId);
    statIds.set(fullId, i);
  }
  return i;
}
function recordExec(fullId, fromMessage) {
  native.load().statsExec(statId(fullId), threadId, fromMessage);
}
/** A message for `fullId` was sent (`out`) or received; `cpuMicros`: what sending it cost. */
function recordMessage(fullId, out, cpuMicros) {
  native.load().statsMessage(statId(fullId), threadId, out, cpuMicros);
}

/**
 * The user modules whose exported objects some compiled module writes into (a module binding
 * written by a fluxion: `db.pets[id].name = x` with `const db = require('./db')`). Over all the
 * graphs loaded so far; the specs a writing fluxion uses stand for the module it writes.
 * @returns {Set<string>} resolved file names
 */
let written = { graphs: -1, files: new Set() };
function writtenModules() {
  // Graphs are only ever added: recompute when one was.
  if (written.graphs === state.graphs.size) return written.files;
  const files = new Set();
  for (const [file, g] of state.graphs) {
    const writers = moduleWriters(g);
    if (!writers.size) continue;
    for (const f of g.fluxions) {
      if (!writers.has(f.name)) continue;
      for (const spec of f.hints.modules) {
        if (!isRelative(spec)) continue;
        try {
          files.add(require.resolve(spec, { paths: [path.dirname(file)] }));
        } catch {
          // not resolvable from here: not a module of this app
        }
      }
    }
  }
  written = { graphs: state.graphs.size, files };
  return files;
}

function placementOf(fullId) {
  let p = state.placements.get(fullId);
  if (p) return p;
  const file = fullId.slice(0, fullId.lastIndexOf('#'));
  const graph = state.graphs.get(file);
  if (!graph) return { where: 'main', reason: 'module not compiled' };
  const info = (spec) => {
    let resolved;
    try {
      resolved = require.resolve(spec, { paths: [path.dirname(file)] });
    } catch {
      return null;
    }
    const g = state.graphs.get(resolved);
    if (!g) return null;
    // A module whose objects some handler writes into (`db.pets[id].name = x` elsewhere) holds
    // state as much as one that writes its own variables.
    return { stateful: g.stateful || writtenModules().has(resolved) };
  };
  // The configuration nearest the module (an app started from another folder still finds its
  // own fluxion.config.js), with the process's own from its working directory.
  const extra = new Set([...(state.config.statelessModules || []), ...(require('../config').forFile(file).statelessModules || [])]);
  for (const [id, pl] of placeModule(graph, file, info, extra)) {
    const full = `${file}#${id}`;
    const final = mode() === 'inline' ? { where: 'main', reason: 'placement inline' } : pl;
    state.placements.set(full, final);
    if (host.role !== 'worker') native.load().statsPlacement(full, describe(final));
  }
  // For people: a route handler by its method and path (GET /count), and where its code is.
  if (host.role !== 'worker' && typeof native.load().statsDescribe === 'function') {
    for (const f of graph.fluxions) native.load().statsDescribe(`${file}#${f.id}`, f.route || null, `${file}:${f.loc.line}:${f.loc.col}`);
  }
  p = state.placements.get(fullId) || { where: 'main', reason: 'unknown fluxion' };
  state.placements.set(fullId, p);
  return p;
}

/** The placement as stats() shows it (for people; code reads the record itself). */
function describe(p) {
  if (p.inplace) return `with ${p.root} (continues it in the same thread)`;
  if (p.where === 'main') return `main (${p.reason})`;
  if (p.where === 'group') return `group ${p.group}`;
  return 'replicated';
}

function hashString(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The thread that hosts a group's context. By default the main thread, where its fluxions cost
 * no message; the rebalancer moves a context out once its runs cost more than a message would
 * (lib/rebalance.js). Under placement eager, one worker chosen by a stable hash.
 */
function hostOf(group) {
  const moved = state.groupHosts.get(group);
  if (moved !== undefined) return moved;
  if (mode() !== 'eager' || !state.slots.length) return 0;
  return state.slots[hashString(group) % state.slots.length];
}

/**
 * Sends a message for a group's fluxion to the group's host. While the group moves (main thread),
 * messages wait here, in order, until the old host has run everything sent to it before.
 */
function sendToGroup(group, msg) {
  const queue = state.moving.get(group);
  if (queue) {
    v8.serialize(msg); // fails here, in the sender, as transport.send does
    queue.push(msg);
  } else transport.send(hostOf(group), msg);
}

function register(fullId, fn) {
  const r = state.registry.get(fullId);
  if (r) {
    if (r.fn !== fn) r.count++;
    r.fn = fn;
  } else {
    state.registry.set(fullId, { fn, count: 1 });
  }
}

function timed(fullId, fn, self, args, fromMessage) {
  const p = placementOf(fullId);
  const group = p.where === 'group' && p.vars && p.vars.length ? p.group : null;
  // On a worker, a fluxion with a context: take the context's last committed version the first
  // time this thread hosts it, and commit it after each run (recovery and moves start from there).
  // On the main thread the module's variables are the context (committed when it moves).
  const commits = group && host.role === 'worker';
  const file = group && fullId.slice(0, fullId.lastIndexOf('#'));
  if (commits) contexts.restore(group, file, p.vars);
  native.load().statsEnter();
  let ret;
  try {
    ret = fn.apply(self, args);
    return ret;
  } finally {
    recordExec(fullId, fromMessage);
    if (commits) contexts.commit(group, file, p.vars);
    if (group && ret && typeof ret.then === 'function') {
      // An async run: its code after each await is still this run's, on this thread. The
      // context stays here until it settles, and what it wrote then is committed too.
      inflight.begin(group);
      const settled = () => {
        if (commits) contexts.commit(group, file, p.vars);
        inflight.end(group);
      };
      ret.then(settled, settled);
    }
  }
}

// ---- resources crossing threads as handles --------------------------------------------------

/** Encodes the variables of a message: resources become handles, the rest is cloned. */
function encodeVars(vars, handles) {
  const out = {};
  for (const [k, v] of Object.entries(vars)) {
    const h = handles(v);
    out[k] = h ? { h } : { v: v instanceof Error ? wire.encodeError(v) : v, e: v instanceof Error };
  }
  return out;
}

function decodeVars(vars, resolve) {
  const out = {};
  for (const [k, x] of Object.entries(vars)) {
    out[k] = x.h ? resolve(x.h) : x.e ? wire.decodeError(x.v) : x.v;
  }
  return out;
}

/**
 * A post callback: runs where its fluxion is hosted. `vars()` gives the variables it carries, read
 * when it runs; `vars` is null when the callback cannot be re-created elsewhere (it runs in place).
 */
function post(fullId, vars, fn) {
  // A worker loads the app's modules for their definitions; the start-up effects of their top
  // level (a file read that fills a cache, a listen callback) belong to the main thread, which
  // ran them once. Running them here again would overwrite state written since.
  // Only while the module loads here: the same callback created later (a helper of the top
  // level called by a handler that runs here) is the handler's own continuation.
  if (host.role === 'worker' && placementOf(fullId).startup && (state.loading > 0 || esModule(fullId))) {
    return function startupEffectOwnedByMain() {};
  }
  if (vars === null || mode() === 'inline') {
    return function fluxionPost(...args) {
      return timed(fullId, fn, this, args, false);
    };
  }
  const p = placementOf(fullId);
  // The thread it runs on: a number, null (its group's host, decided at each call: the group may
  // move) or undefined (a context-free tail: spread at each call).
  let target = threadId;
  if (p.inplace) target = threadId; // a continuation of the same turn: where its root runs
  else if (p.where === 'main') target = 0;
  else if (p.where === 'group') target = null;
  else if (TAIL.test(fullId)) target = undefined;
  else if (host.role === 'main' && mode() === 'eager') target = host.pickWorker();
  if (target === threadId) {
    return function fluxionPost(...args) {
      return timed(fullId, fn, this, args, false);
    };
  }
  const file = fullId.slice(0, fullId.lastIndexOf('#'));
  const { handleOf } = host;
  return function fluxionPostRemote(...args) {
    if (target === null && hostOf(p.group) === threadId && !state.moving.has(p.group)) {
      return timed(fullId, fn, this, args, false);
    }
    const to = target === null ? hostOf(p.group) : target === undefined ? spreadTarget() : target;
    if (target === undefined && to === threadId) return timed(fullId, fn, this, args, false);
    let encoded;
    const cost = sendCostStart();
    try {
      // Sending serialises the message: it fails, before anything leaves this thread, on
      // functions and other values that cannot cross threads.
      const values = vars();
      const sendArgs = wire.encodeArgs(args);
      const send = (handles) => {
        encoded = encodeVars(values, handles);
        const msg = { t: M.POST, id: fullId, file, vars: encoded, args: sendArgs };
        if (target === null) sendToGroup(p.group, msg);
        else transport.send(to, msg);
      };
      try {
        send(handleOf);
      } catch {
        // Maybe only something in a handle's snapshot (res.locals): leave that out.
        send((v) => handleOf(v, true));
      }
    } catch (err) {
      // Not sendable (a function in a variable, say): run it here. For a fluxion with a
      // context hosted elsewhere that would split its state, so say so.
      if (p.where === 'group' && !warnedUnsendable.has(fullId)) {
        warnedUnsendable.add(fullId);
        process.emitWarning(`fluxion: ${fullId} ran on thread ${threadId} instead of its host: ${err.message}`, { code: 'FLUXION_UNSENDABLE' });
      }
      return timed(fullId, fn, this, args, false);
    }
    recordSend(fullId, cost);
    host.touch(encoded, to);
  };
}

/**
 * Runs a route handler as Express's router would: a synchronous throw and (Express 5) a rejected
 * promise go to next(err), not up into whatever called it (a message handler).
 * @returns what the handler returned (Express 4 and older: the caller decides who sees it)
 */
function runAsRouter(fullId, fn, req, res, next, expressMajor, fromMessage) {
  let ret;
  try {
    ret = timed(fullId, fn, undefined, [req, res, next], fromMessage);
  } catch (err) {
    next(err);
    return undefined;
  }
  if (expressMajor >= 5 && ret && typeof ret.then === 'function') {
    ret.then(undefined, (err) => next(err || new Error('Rejected promise')));
    return undefined;
  }
  return ret;
}

/** A message for a group this thread no longer hosts goes on to its host (once). */
function forwardIfMoved(msg) {
  if (msg.fwd) return false;
  const p = state.placements.get(msg.id);
  if (!p || p.where !== 'group' || hostOf(p.group) === threadId) return false;
  sendToGroup(p.group, { ...msg, fwd: true });
  return true;
}

/**
 * What sending a message costs this thread, for adaptive placement: `sendCostStart()` before
 * building it, `recordSend(fullId, start)` once sent. Measured on one send in 8 (two clock reads
 * are not free); -1 means this one is not measured.
 */
function sendCostStart() {
  return (++timedSends & 7) === 0 ? native.load().threadCpuMicros() : -1;
}
function recordSend(fullId, start) {
  recordMessage(fullId, true, start < 0 ? undefined : native.load().threadCpuMicros() - start);
}

/** Context-free tails split off by the compiler (`__flx.tail(function __flx_tail(...) {...})`). */
const TAIL = new RegExp(`#${abi.TAIL_FN}(_\\d+)?@\\d+$`);
let nextSpread = 0;

/** Where the next tail runs: the least loaded worker (main thread), or round robin (workers). */
function spreadTarget() {
  if (host.role === 'main') return host.pickWorker();
  const slots = state.slots;
  if (!slots.length) return threadId;
  nextSpread = (nextSpread + 1) % slots.length;
  return slots[nextSpread];
}

/** Runs a post message that arrived here. */
function runPost(msg, resolve) {
  recordMessage(msg.id, false);
  const build = state.factories.get(msg.id);
  if (!build) throw new Error(`fluxion: no factory for ${msg.id} on thread ${threadId}`);
  const fn = build(...Object.values(decodeVars(msg.vars, resolve)));
  return timed(msg.id, fn, undefined, wire.decodeArgs(msg.args), true);
}

/** The per-module API that compiled code calls. */
function moduleApi(mod) {
  const file = mod.filename;
  if (mod.graph && !state.graphs.has(file)) state.graphs.set(file, mod.graph);
  const full = (id) => `${file}#${id}`;
  return {
    [abi.FN](id, fn) {
      register(full(id), fn);
      return fn;
    },
    [abi.ROUTE](id, fn) {
      const fullId = full(id);
      register(fullId, fn);
      // Error handlers (four parameters) keep their arity and their thread.
      if (host.role !== 'main' || typeof fn !== 'function') return fn;
      if (fn.length > 3) {
        const pl = { where: 'main', reason: 'error handler (four parameters)' };
        state.placements.set(fullId, pl);
        native.load().statsPlacement(fullId, `main (${pl.reason})`);
        return fn;
      }
      return host.dispatcher(fullId, file, fn);
    },
    [abi.POST](id, vars, fn) {
      return post(full(id), vars, fn);
    },
    [abi.FACTORY](id, build) {
      state.factories.set(full(id), build);
    },
    [abi.CONTEXT](names, get, set) {
      contexts.registerModule(file, names, get, set);
    },
    // A context-free tail (the compiler's `tails`): `fn` is its post dispatcher.
    [abi.TAIL](fn, ...args) {
      return fn(...args);
    },
  };
}

module.exports = moduleApi;
Object.assign(module.exports, {
  useHost,
  DISPATCHER,
  state,
  mode,
  placementOf,
  hostOf,
  sendToGroup,
  timed,
  recordMessage,
  recordSend,
  sendCostStart,
  runAsRouter,
  forwardIfMoved,
  runPost,
  encodeVars,
  decodeVars,
});
