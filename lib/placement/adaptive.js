'use strict';
// Where a stateless handler runs, from what it costs: a handler cheaper than a message stays on
// the main thread, a costly one goes to the workers. A message's cost is measured as the main
// thread's CPU time to build and send it (see thresholds). Cost is the CPU time of its runs on the
// thread that ran them (wall time would count the time a busy machine descheduled the thread,
// and make a cheap handler look costly). Decided again every WINDOW executions, with hysteresis
// (move out after two windows above HIGH, come back below LOW), so that a handler near the
// threshold does not flap; a handler far above HIGH over its first runs moves early (EARLY_TO).
// Only for fluxions without state: contexts move with lib/rebalance.js.
const native = require('../native');

const { offloadAboveUs } = require('../config').settings();

/** Mean run time (µs) above which a handler moves to the workers. */
const HIGH = offloadAboveUs === null ? 150 : offloadAboveUs;
/** Mean run time (µs) below which an offloaded handler comes back. */
const LOW = HIGH / 2;
const WINDOW = 64;
/** Windows measured before one may count towards moving out. */
const WARM_WINDOWS = 1;
/** offloadAboveUs set: that threshold, as it is; otherwise messages' costs count too. */
const FIXED = offloadAboveUs !== null;

/**
 * The thresholds for one handler, from its figures: a run moves out only if it costs more than
 * its messages would — what building and sending one cost the main thread (measured on each
 * send), twice for the answer coming back — and never below HIGH; it comes back below LOW or
 * 1.5 times that message cost (a band, so that it does not flap).
 * @param {{ messagesTimed: number, messageCpuMicros: number }} t
 */
function thresholds(t) {
  const msg = !FIXED && t.messagesTimed > 0 ? t.messageCpuMicros / t.messagesTimed : 0;
  return { high: Math.max(HIGH, 2 * msg), low: Math.max(LOW, 1.5 * msg) };
}
/**
 * A first look: a handler already far above HIGH over runs EARLY_FROM..EARLY_TO moves without
 * waiting for a window. Not its very first runs: a burst of concurrent first requests pays for
 * compiling Express's and the route's code (a trivial route measured over 1.5 ms per run there).
 */
const EARLY_FROM = 8;
const EARLY_TO = 16;

const states = new Map(); // fullId -> { offload, seen, windows, above, count, cpuMicros, early }

/**
 * Whether this execution of a stateless fluxion should go to a worker.
 * @param {string} fullId
 */
function shouldOffload(fullId) {
  let s = states.get(fullId);
  if (!s) {
    // Start on the main thread: the first window measures the handler where it is cheapest.
    s = { offload: false, seen: 0, windows: 0, above: 0, count: 0, cpuMicros: 0, early: null };
    states.set(fullId, s);
  }
  ++s.seen;
  if (s.seen === EARLY_FROM && !s.early && s.count === 0) s.early = native.load().statsTotals(fullId);
  if (!s.offload && s.count === 0 && s.seen === EARLY_TO && s.early) {
    const t = native.load().statsTotals(fullId);
    const n = t.count - s.early.count;
    const mean = n > 0 ? (t.cpuMicros - s.early.cpuMicros) / n : 0;
    if (mean > 10 * thresholds(t).high) {
      s.offload = true;
      native.load().statsPlacement(fullId, `replicated (on workers: ${mean.toFixed(0)} µs per run)`);
    }
  }
  if (s.seen >= WINDOW) {
    s.seen = 0;
    const t = native.load().statsTotals(fullId);
    const n = t.count - s.count;
    if (n > 0) {
      const mean = (t.cpuMicros - s.cpuMicros) / n;
      const { high, low } = thresholds(t);
      // Moving out takes two windows in a row above, not counting the first: a window can lie (a
      // 10 ms collection adds 150 µs to a window's mean), and the first pays for compiling the
      // route's code. A handler far above moves early (EARLY_TO).
      s.windows++;
      s.above = mean > high && s.windows > WARM_WINDOWS ? s.above + 1 : 0;
      if (!s.offload && s.above >= 2) s.offload = true;
      else if (s.offload && mean < low) s.offload = false;
      const where = s.offload ? 'on workers' : 'on the main thread';
      native.load().statsPlacement(fullId, `replicated (${where}: ${mean.toFixed(0)} µs per run)`);
    }
    s.count = t.count;
    s.cpuMicros = t.cpuMicros;
  }
  return s.offload;
}

module.exports = { shouldOffload, thresholds, HIGH };
