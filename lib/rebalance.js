'use strict';
// Automatic migration (the poster's TODO): every interval, the main thread reads how much run
// time each worker spent (from the process-wide stats) and, when one worker is much busier than
// another, moves one of the busy worker's contexts (a group) to the idle one — with
// moveContext, so no message or write is lost. A group moves only if that narrows the gap (a
// lone hot group never bounces between workers) and not again within a cool-down.
const native = require('./native');

function numberFromEnv(name, fallback, min) {
  const v = process.env[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`fluxion: ${name} must be a number ≥ ${min} (got "${v}")`);
  return n;
}

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

/** The last moves made: `{ group, from, to, at }`. */
const history = [];

/**
 * Starts the periodic check. `pool` gives the workers, `hostOf` a group's host,
 * `move` moves a group (a promise).
 */
function start({ workers, hostOf, move }) {
  if (process.env.FLUXION_REBALANCE === '0') return null;
  const interval = numberFromEnv('FLUXION_REBALANCE_MS', 500, 50);
  const cooldown = 4 * interval;
  let last = new Map(); // fluxion id -> { count per thread, micros }
  const movedAt = new Map();
  let moving = false;
  const timer = setInterval(() => {
    if (moving) return;
    const ids = workers();
    if (ids.length < 2) return;
    const busy = new Map(ids.map((t) => [t, 0]));
    const groups = new Map();
    const now = new Map();
    for (const s of native.load().statsSnapshot()) {
      const counts = new Map(s.executions.map((e) => [e.threadId, e.count]));
      now.set(s.id, counts);
      const before = last.get(s.id) || new Map();
      const group = /^group (.+)$/.exec(s.placement);
      for (const [t, n] of counts) {
        const ms = (n - (before.get(t) || 0)) * s.meanRunMs;
        if (!busy.has(t) || ms <= 0) continue;
        busy.set(t, busy.get(t) + ms);
        if (group) {
          const key = group[1];
          const g = groups.get(key) || { host: hostOf(key), ms: 0 };
          if (g.host === t) g.ms += ms;
          groups.set(key, g);
        }
      }
    }
    last = now;
    const d = decide(busy, groups, interval, (g) => Date.now() - (movedAt.get(g) || 0) < cooldown);
    if (!d) return;
    moving = true;
    movedAt.set(d.group, Date.now());
    history.push({ ...d, at: Date.now() });
    if (history.length > 100) history.shift();
    move(d.group, d.to).then(
      () => (moving = false),
      () => (moving = false),
    );
  }, interval);
  timer.unref();
  return timer;
}

module.exports = { start, decide, history };
