'use strict';
// Moves messages between threads: main <-> workers, worker -> worker through main. Messages are
// `v8.serialize`d (structured clone: Buffers stay Buffers) before they leave their thread.
// TODO(bus): route through the Rust bus (src/bus.rs) once it lands; the interface stays.
const v8 = require('node:v8');
const { isMainThread, parentPort, threadId } = require('node:worker_threads');

const workers = new Map(); // threadId -> Worker (main thread only)
let handler = () => {};

function deliver(bytes) {
  handler(v8.deserialize(bytes));
}

/** Sets the function that receives this thread's messages. */
function onMessage(fn) {
  handler = fn;
  if (!isMainThread) parentPort.on('message', (m) => (m.to === threadId ? deliver(m.bytes) : undefined));
}

/** Main thread: starts relaying a worker's messages. */
function attach(worker) {
  workers.set(worker.threadId, worker);
  worker.on('message', (m) => {
    if (!m || m.bytes === undefined) return;
    if (m.to === 0) deliver(m.bytes);
    else forward(m.to, m.bytes);
  });
}

function detach(id) {
  workers.delete(id);
}

function forward(to, bytes) {
  const w = workers.get(to);
  if (w) w.postMessage({ to, bytes });
  else handler({ t: 'undeliverable', to, msg: v8.deserialize(bytes) });
}

/** Sends a message to thread `to` (0 is the main thread). */
function send(to, msg) {
  const bytes = v8.serialize(msg);
  if (to === threadId) setImmediate(deliver, bytes);
  else if (isMainThread) forward(to, bytes);
  else parentPort.postMessage({ to, bytes });
}

module.exports = { onMessage, attach, detach, send };
