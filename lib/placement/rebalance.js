'use strict';
// Automatic migration (the poster's TODO): every interval, the main thread reads how much run
// time each thread spent (from the process-wide stats). A context starts on the main thread and
// leaves it for the least busy worker once its runs cost more than a message (leaveMain), and
// comes back once they cost clearly less (comeBack; not under placement eager); when
// one worker is much busier than another, one of the busy worker's contexts (a group) moves to
// the idle one (decide). Moves go through moveContext, so no message or write is lost. A group
// moves between workers only if that narrows the gap (a lone hot group never bounces) and not
// again within a cool-down.
// Node's own timers, not the globals of a Jest test environment (jsdom's, or fake timers).
const { setInterval } = require('node:timers');
const native = require('../native');


/**
 * One rebalancing decision, from run time per group and per worker over the last interval.
 * Pure, for tests: returns `{ group, from, to }` or null.
 * @param {Map<number, number>} busy worker thread id -> ms of run time in the interval
 * @param {Map<string, { host: number, ms: number }>} groups group -> host and its ms
 * @param {number} intervalMs
 * @param {(group: string) => boolean} coolingDown
 */
function decide(busy, groups, intervalMs, coolingDown) {
  if (busy.size < 2) return null;
  let hi = null;
  let lo = null;
  for (const [t, ms] of busy) {
    if (hi === null || ms > busy.get(hi)) hi = t;
    if (lo === null || ms < busy.get(lo)) lo = t;
  }
  const gap = busy.get(hi) - busy.get(lo);
  // Below this the difference is noise (and moving costs a drain).
  if (gap < 0.25 * intervalMs) return null;
  let best = null;
  for (const [group, g] of groups) {
    // A group too light to change the balance is not worth a move (a drain, a checkout).
    if (g.host !== hi || g.ms < 0.05 * intervalMs || g.ms >= gap || coolingDown(group)) continue;
    if (!best || g.ms > best.ms) best = { group, ms: g.ms };
  }
  return best && { group: best.group, from: hi, to: lo };
}

/** Counts how many intervals in a row `yes` held for `key` (updating `counts`). */
function streak(counts, key, yes) {
  const n = yes ? (counts.get(key) || 0) + 1 : 0;
  counts.set(key, n);
  return n;
}

/**
 * Which context hosted on the main thread should leave it for a worker (pure, for tests): one
 * whose runs cost more than a message would save, in two intervals in a row (hysteresis), or
 * far more from the start. Contexts start on the main thread (runtime.hostOf).
 * @param {Map<string, { host: number, ms: number, runs: number }>} groups
 * @param {number} intervalMs
 * @param {Map<string, number>} above group -> intervals in a row above the threshold (updated)
 * @param {number} highMicros mean run time above which a run is worth a message (adaptive.HIGH)
 * @returns {string | null} the group to move
 */
function leaveMain(groups, intervalMs, above, highMicros) {
  let best = null;
  for (const [group, g] of groups) {
    if (g.host !== 0) continue;
    const mean = g.runs ? (1000 * g.ms) / g.runs : 0;
    // Light in total (a rarely used route) or cheap per run: a message would cost more.
    const heavy = mean > highMicros && g.ms >= 0.05 * intervalMs;
    const n = streak(above, group, heavy);
    if (heavy && (n >= 2 || mean > 10 * highMicros) && (!best || g.ms > best.ms)) best = { group, ms: g.ms };
  }
  return best && best.group;
}

/**
 * Which context hosted on a worker should come back to the main thread (pure, for tests): one
 * whose runs became cheaper than a message (below `lowMicros`, half the threshold to leave) in
 * two intervals in a row.
 * @param {Map<string, { host: number, ms: number, runs: number }>} groups
 * @param {Map<string, number>} below group -> intervals in a row below (updated)
 * @param {number} lowMicros
 * @param {(group: string) => boolean} coolingDown
 * @returns {string | null}
 */
function comeBack(groups, below, lowMicros, coolingDown) {
  let best = null;
  for (const [group, g] of groups) {
    if (g.host === 0 || !g.runs) continue;
    const n = streak(below, group, (1000 * g.ms) / g.runs < lowMicros);
    if (n >= 2 && !coolingDown(group) && (!best || g.runs > best.runs)) best = { group, runs: g.runs };
  }
  return best && best.group;
}

/** The last moves made: `{ group, from, to, at }`. */
const history = [];

/**
 * Starts the periodic check. `pool` gives the workers, `hostOf` a group's host, `groupOf` the
 * group key of a fluxion (from its placement record, or null), `move` moves a group (a promise).
 */
function start({ workers, hostOf, groupOf, move, highMicros, home = true }) {
  const settings = require('../config').settings();
  if (!settings.rebalance) return null;
  const interval = settings.rebalanceMs;
  const cooldown = 4 * interval;
  let last = new Map(); // fluxion id -> { counts per thread, total runs, total ms }
  const movedAt = new Map();
  let moving = false;
  const above = new Map();
  const below = new Map();
  const timer = setInterval(() => {
    if (moving) return;
    const ids = workers();
    if (!ids.length) return;
    const busy = new Map(ids.map((t) => [t, 0]));
    const groups = new Map();
    const now = new Map();
    for (const s of native.load().statsSnapshot()) {
      const counts = new Map(s.executions.map((e) => [e.threadId, e.count]));
      let total = 0;
      for (const n of counts.values()) total += n;
      const totalMs = total * s.meanCpuMs;
      now.set(s.id, { counts, total, totalMs });
      const before = last.get(s.id) || { counts: new Map(), total: 0, totalMs: 0 };
      // The interval's own mean (the overall one remembers a cold start for long).
      const mean = total > before.total ? (totalMs - before.totalMs) / (total - before.total) : s.meanCpuMs;
      const key = groupOf(s.id);
      for (const [t, n] of counts) {
        const runs = n - (before.counts.get(t) || 0);
        const ms = runs * mean;
        if ((!busy.has(t) && t !== 0) || ms <= 0) continue;
        if (t !== 0) busy.set(t, busy.get(t) + ms);
        if (key) {
          const g = groups.get(key) || { host: hostOf(key), ms: 0, runs: 0 };
          if (g.host === t) {
            g.ms += ms;
            g.runs += runs;
          }
          groups.set(key, g);
        }
      }
    }
    last = now;
    let d = null;
    const coolingDown = (g) => Date.now() - (movedAt.get(g) || 0) < cooldown;
    const out = home ? leaveMain(groups, interval, above, highMicros) : null;
    const back = home ? comeBack(groups, below, highMicros / 2, coolingDown) : null;
    if (out && !coolingDown(out)) {
      let to = ids[0];
      for (const t of ids) if (busy.get(t) < busy.get(to)) to = t;
      d = { group: out, from: 0, to };
    } else if (back) {
      d = { group: back, from: hostOf(back), to: 0 };
    } else if (ids.length >= 2) {
      d = decide(busy, groups, interval, coolingDown);
    }
    if (!d) return;
    moving = true;
    movedAt.set(d.group, Date.now());
    history.push({ ...d, at: Date.now() });
    if (history.length > 100) history.shift();
    move(d.group, d.to).then(
      () => (moving = false),
      (err) => {
        moving = false;
        // A refused move is a bug of ours, not the app's: say so once per group, keep running.
        process.emitWarning(`fluxion: moving ${d.group} to thread ${d.to} failed: ${err.message}`, { code: 'FLUXION_MOVE_FAILED' });
      },
    );
  }, interval);
  timer.unref();
  return timer;
}

module.exports = { start, decide, leaveMain, comeBack, history };
