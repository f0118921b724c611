'use strict';
// Contexts as versioned state: after a fluxion with a context runs on a worker, the context's
// variables are committed to a GoT dataframe in the process-wide store (crates/versions, one copy
// for every thread); a thread that becomes a context's host — a replacement for a worker that
// died, or the destination of a move — checks the last committed version out first.
// Node's own timers, not the globals of a Jest test environment (jsdom's, or fake timers).
const { setImmediate } = require('node:timers');
const v8 = require('node:v8');
const inflight = require('./inflight');

const modules = new Map(); // file -> { names, get(i), set(i, v) }
const committed = new Map(); // group -> bytes this thread last committed or restored
const hosted = new Set(); // groups whose variables on this thread are the current ones

let frame = null;
let Ctx = null;
function dataframe() {
  if (!frame) {
    const { Dataframe, pccSet, primaryKey } = require('../got/dataframe');
    Ctx = pccSet('FluxionContext', { key: primaryKey('str'), value: 'bytes' });
    frame = new Dataframe('fluxion-contexts', [Ctx]);
  }
  return frame;
}

/** Compiled modules register closures that read and write their context variables. */
function registerModule(file, names, get, set) {
  modules.set(file, { names, get, set });
}

function read(file, vars) {
  const m = modules.get(file);
  if (!m) return null;
  const out = {};
  for (const v of vars) {
    const i = m.names.indexOf(v);
    if (i >= 0) out[v] = m.get(i);
  }
  return out;
}

const dirty = new Map(); // group -> [file, vars] run since the last commit
let flushScheduled = false;

/**
 * After a run on this thread: the group's variables are committed once the current event-loop
 * turn ends, so that a burst of runs costs one commit, or earlier, when an answer is about to
 * leave the thread (lib/hosts/worker.js commitBeforeAnswer): a worker that dies loses at most the
 * writes of its current turn that no answer has shown yet (their requests are answered 500).
 */
function commit(group, file, vars) {
  dirty.set(group, [file, vars]);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

/** Commits what ran since the last commit (all groups, or one, before it moves). */
function flush(only) {
  if (typeof only !== 'string') flushScheduled = false;
  for (const [group, [file, vars]] of dirty) {
    if (typeof only === 'string' && group !== only) continue;
    // A group with an async run still going (between its awaits) stays dirty: the code after an
    // await writes it again, and the answer it then sends must find those writes committed.
    if (!inflight.pending(group)) dirty.delete(group);
    commitNow(group, file, vars);
  }
}

function commitNow(group, file, vars) {
  const values = read(file, vars);
  if (!values) return;
  let bytes;
  try {
    bytes = v8.serialize(values);
  } catch {
    return; // not clonable (a socket in a context): such a context cannot be recovered
  }
  const prev = committed.get(group);
  if (prev && Buffer.compare(prev, bytes) === 0) return;
  const df = dataframe();
  // A group this thread committed or restored has its row already: one native call saved on
  // every answer of a stateful route (rows are only deleted by forgetAll, which clears the map).
  if (prev || df.readOne(Ctx, group)) df.updateOne(Ctx, group, { value: bytes });
  else df.addOne(Ctx, { key: group, value: bytes });
  df.commit();
  df.push();
  committed.set(group, bytes);
}

/** Before this thread first runs the group as its host: take the last committed version. */
function restore(group, file, vars) {
  if (hosted.has(group)) return;
  hosted.add(group);
  const m = modules.get(file);
  if (!m) return;
  const df = dataframe();
  df.pull();
  const row = df.readOne(Ctx, group);
  if (!row) return;
  const values = v8.deserialize(Buffer.from(row.value));
  for (const [name, value] of Object.entries(values)) {
    const i = m.names.indexOf(name);
    if (i >= 0 && vars.includes(name)) m.set(i, value);
  }
  committed.set(group, Buffer.from(row.value));
}

/** This thread is no longer the group's host (it moved): commit now, restore if it comes back. */
function release(group) {
  flush(group);
  hosted.delete(group);
}

/**
 * Main thread: a group it hosts moves to a worker. The main thread's module variables are the
 * context (nothing was committed while it ran here): commit them now for the new host.
 */
function handOff(group, file, vars) {
  commitNow(group, file, vars);
  hosted.delete(group);
}

/** Main thread: a group comes back from a worker; its variables here are stale until restored. */
function takeBack(group, file, vars) {
  hosted.delete(group);
  restore(group, file, vars);
}

/**
 * Main thread, once the workers are stopped (`fluxion.shutdown()`): every committed context is
 * forgotten. The store is process-wide and outlives a Jest test file; the next file's modules
 * start from their own top level, as they do without fluxion, not from the last file's state.
 */
function forgetAll() {
  dirty.clear();
  committed.clear();
  hosted.clear();
  modules.clear();
  const df = dataframe();
  df.pull();
  if (df.deleteAll(Ctx) === 0) return;
  df.commit();
  df.push();
}

module.exports = { registerModule, commit, restore, release, flush, handOff, takeBack, forgetAll };
