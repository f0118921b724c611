'use strict';
// What happened to the pool, as events in time order: context moves (by rebalancing or by
// moveContext) and worker replacements. A bounded list kept on the main thread (an event is
// rare: one entry per move or replacement), read by the dashboard (lib/dashboard/).

/**
 * @typedef {{ seq: number, at: number, kind: 'move', group: string, from: number, to: number, by: string }
 *   | { seq: number, at: number, kind: 'replace', slot: number, from: number, to: number, why: string }} TimelineEvent
 */

const KEPT = 500;
/** @type {TimelineEvent[]} */
const events = [];
let seq = 0;

/**
 * Records an event (its `seq` and `at` are added).
 * @param {Omit<TimelineEvent, 'seq' | 'at'>} event
 */
function record(event) {
  events.push({ seq: ++seq, at: Date.now(), ...event });
  if (events.length > KEPT) events.shift();
}

/**
 * The events after `since` (a seq), oldest first.
 * @param {number} [since]
 * @returns {TimelineEvent[]}
 */
function after(since = 0) {
  let i = events.length;
  while (i > 0 && events[i - 1].seq > since) i--;
  return events.slice(i);
}

module.exports = { record, after, KEPT };
