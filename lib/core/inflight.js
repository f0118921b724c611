'use strict';
// Runs of a context's fluxions that are still going on this thread: an async handler between its
// awaits. A context moves only when none is left (lib/scheduler.js moveContext, the worker's
// drain): code after an await writes the variables of the thread it started on, so moving the
// context under it would lose those writes or bring back stale ones.

const counts = new Map(); // group -> runs in flight
const waiters = new Map(); // group -> [resolve]

/** A run of the group returned a promise that has not settled yet. */
function begin(group) {
  counts.set(group, (counts.get(group) || 0) + 1);
}

/** That promise settled. */
function end(group) {
  const n = (counts.get(group) || 1) - 1;
  if (n > 0) {
    counts.set(group, n);
    return;
  }
  counts.delete(group);
  const w = waiters.get(group);
  if (w) {
    waiters.delete(group);
    for (const resolve of w) resolve();
  }
}

/**
 * Resolves once the group has no run in flight on this thread.
 * @param {string} group
 * @returns {Promise<void>}
 */
function idle(group) {
  if (!counts.get(group)) return Promise.resolve();
  return new Promise((resolve) => {
    const w = waiters.get(group) || [];
    w.push(resolve);
    waiters.set(group, w);
  });
}

/** @param {string} group */
function pending(group) {
  return counts.get(group) || 0;
}

module.exports = { begin, end, idle, pending };
