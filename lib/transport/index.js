'use strict';
// Moves messages between threads (main is 0, workers by threadId). Two backends:
// - `port` (default): MessagePort; worker-to-worker messages are relayed by the main thread;
// - `bus` (setting `transport`: bus): the Rust bus (src/bus.rs, crates/bus), one bounded inbox per
//   thread, any thread to any thread directly. It measured slower than MessagePort on this
//   machine (docs/bus.md), hence not the default yet.
// Messages are structured-clone data (`v8.serialize`): Buffers stay Buffers; a value that cannot
// be cloned throws in `send`, in the sending thread, before anything leaves it. A message of
// plain data only (the common case) goes through postMessage's own clone, which keeps the same
// values and is much cheaper than `v8.serialize` + a Buffer + `v8.deserialize`.
// Node's own timers, not the globals of a Jest test environment (jsdom's, or fake timers).
const { setImmediate } = require('node:timers');
const M = require('../protocol/messages').kinds;
const v8 = require('node:v8');
const { isMainThread, parentPort, threadId } = require('node:worker_threads');

const kind = require('../config').settings().transport;
const bus = kind === 'bus' ? require('./bus') : null;

const workers = new Map(); // threadId -> { worker, ready, pending } (main thread only)
let handler = () => {};

function deliver(bytes) {
  handler(v8.deserialize(bytes));
}

const MAX_DEPTH = 32;
const MAX_NODES = 512;

/**
 * Whether `postMessage`'s own structured clone gives the receiver what `v8.serialize` would:
 * primitives, Dates, RegExps and plain objects and arrays of them. The two differ on Buffers
 * (postMessage turns them into Uint8Arrays) and on Node's transferable objects, so anything else
 * (typed arrays, Maps, Sets, class instances, deep or large values) takes the `v8.serialize`
 * path. Walking a small message costs far less than serialising it in JS, creating a Buffer for
 * it, copying that Buffer in postMessage and deserialising it again on the other side.
 */
function plainMessage(msg) {
  let nodes = 0;
  const walk = (v, depth) => {
    if (v === null || typeof v !== 'object') return typeof v !== 'function' && typeof v !== 'symbol';
    if (++nodes > MAX_NODES || depth > MAX_DEPTH) return false;
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) return false;
      for (let i = 0; i < v.length; i++) if (!walk(v[i], depth + 1)) return false;
      return true;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Date.prototype || proto === RegExp.prototype) return true;
    if (proto !== Object.prototype && proto !== null) return false;
    for (const k in v) if (!walk(v[k], depth + 1)) return false;
    return true;
  };
  return walk(msg, 0);
}

/** Sets the function that receives this thread's messages. */
function onMessage(fn) {
  handler = fn;
  if (bus) {
    bus.open(fn);
    if (!isMainThread) {
      bus.ref(); // a worker waits for work
      parentPort.postMessage({ ready: true });
    }
  } else if (!isMainThread) {
    parentPort.on('message', (m) => {
      if (m.to !== threadId) return;
      if (m.bytes !== undefined) deliver(m.bytes);
      else handler(m.msg);
    });
  }
}

/** Main thread: starts relaying a worker's messages. */
function attach(worker) {
  const entry = { worker, ready: !bus, pending: [] };
  workers.set(worker.threadId, entry);
  worker.on('message', (m) => {
    if (!m) return;
    if (m.ready) {
      entry.ready = true;
      for (const msg of entry.pending) bus.send(worker.threadId, msg);
      entry.pending = [];
    } else if (m.bytes !== undefined) {
      if (m.to === 0) deliver(m.bytes);
      else forward(m.to, m.bytes);
    } else if (m.msg !== undefined) {
      if (m.to === 0) handler(m.msg);
      else forwardPlain(m.to, m.msg);
    }
  });
}

function detach(id) {
  workers.delete(id);
}

function forward(to, bytes) {
  const entry = workers.get(to);
  if (entry) entry.worker.postMessage({ to, bytes });
  else handler({ t: M.UNDELIVERABLE, to, msg: v8.deserialize(bytes) });
}

function forwardPlain(to, msg) {
  const entry = workers.get(to);
  if (entry) entry.worker.postMessage({ to, msg });
  else handler({ t: M.UNDELIVERABLE, to, msg });
}

/** Sends a message to thread `to` (0 is the main thread). */
function send(to, msg) {
  if (bus) {
    const entry = isMainThread ? workers.get(to) : null;
    if (entry && !entry.ready) {
      v8.serialize(msg); // fail here, in the sender, like the other paths
      entry.pending.push(msg);
      return;
    }
    try {
      bus.send(to, msg);
    } catch (err) {
      if (err.code !== 'FLUXION_BUS_NO_INBOX') throw err;
      handler({ t: M.UNDELIVERABLE, to, msg });
    }
    return;
  }
  if (to !== threadId && plainMessage(msg)) {
    // postMessage clones it, and throws here, in the sender, if it cannot.
    if (isMainThread) forwardPlain(to, msg);
    else parentPort.postMessage({ to, msg });
    return;
  }
  const bytes = v8.serialize(msg);
  if (to === threadId) setImmediate(deliver, bytes);
  else if (isMainThread) forward(to, bytes);
  else parentPort.postMessage({ to, bytes });
}

module.exports = { onMessage, attach, detach, send };
