'use strict';
// What the dashboard's page receives, built on the main thread from what fluxion already keeps:
// the compiled graphs (runtime.state.graphs) as a model (model.js), and a few times a second the
// live figures — per fluxion its placement and reason (stats(), placement records), executions
// per thread, mean run and CPU time, inbox, messages; per thread its load (load.js); the pool's
// timeline (hosts/timeline.js); the versions of the contexts' dataframe (versions.js). It runs
// only while a page is connected: with nobody watching, nothing is computed.
// Node's own timers, not the globals of a Jest test environment (jsdom's, or fake timers).
const { clearInterval, setInterval } = require('node:timers');
const fs = require('node:fs');
const native = require('../native');
const runtime = require('../core/runtime');
const pool = require('../hosts/main');
const timeline = require('../hosts/timeline');
const model = require('./model');
const loadOf = require('./load');
const versionsOf = require('./versions');

const EVENTS_SENT = 100;

/**
 * @param {{ intervalMs?: number, send: (event: string, data: string) => void }} options
 *   send: to every connected page (server.js)
 */
function create({ intervalMs = 500, send }) {
  let timer = null;
  let modelKey = '';
  let modelJson = null;
  let load = null;
  let versions = null;
  let versionsJson = '';
  let eventsSeq = -1;
  let ticks = 0;

  /** The model, rebuilt when a module was compiled or a fluxion first ran. */
  function currentModel(stats) {
    const key = `${runtime.state.graphs.size}/${stats.length}`;
    if (key !== modelKey || !modelJson) {
      modelKey = key;
      const sources = new Map();
      const m = model.build(runtime.state.graphs, {
        ids: stats.map((s) => s.id),
        sourceOf: (file) => {
          if (!sources.has(file)) {
            try {
              sources.set(file, fs.readFileSync(file, 'utf8'));
            } catch {
              sources.set(file, null);
            }
          }
          return sources.get(file);
        },
      });
      modelJson = JSON.stringify(m);
      return { json: modelJson, changed: true };
    }
    return { json: modelJson, changed: false };
  }

  /** Per fluxion: where it may run (placement record) and where it ran (stats). */
  function fluxions(stats) {
    return stats.map((s) => {
      const p = runtime.state.placements.get(s.id);
      const where = p ? p.where : null;
      let total = 0;
      for (const e of s.executions) total += e.count;
      return {
        id: s.id,
        placement: s.placement,
        where,
        group: where === 'group' ? p.group : undefined,
        host: where === 'group' ? runtime.hostOf(p.group) : undefined,
        executions: s.executions.map((e) => [e.threadId, e.count]),
        total,
        meanRunMs: s.meanRunMs,
        meanCpuMs: s.meanCpuMs,
        inbox: s.inbox,
        messagesIn: s.messagesIn,
        messagesOut: s.messagesOut,
      };
    });
  }

  function live(stats) {
    const groups = new Map();
    for (const w of pool.workers()) groups.set(w.threadId, w.groups);
    const threads = load.sample().map((t) => ({ ...t, groups: groups.get(t.threadId) || [] }));
    const events = timeline.after(0).slice(-EVENTS_SENT);
    const out = { at: Date.now(), fluxions: fluxions(stats), threads };
    const last = events.length ? events[events.length - 1].seq : 0;
    if (last !== eventsSeq) {
      eventsSeq = last;
      out.events = events;
    }
    // The store's version graph: once a second is plenty.
    if (ticks % Math.max(1, Math.round(1000 / intervalMs)) === 0) {
      try {
        const v = JSON.stringify(versions.look());
        if (v !== versionsJson) {
          versionsJson = v;
          out.versions = JSON.parse(v);
        }
      } catch (err) {
        out.versionsError = err.message;
      }
    }
    ticks++;
    return out;
  }

  function tick() {
    const stats = native.load().statsSnapshot();
    const m = currentModel(stats);
    if (m.changed) send('model', m.json);
    send('live', JSON.stringify(live(stats)));
  }

  /** What a page gets when it connects: the model and the figures of now. */
  function hello() {
    if (!load) start();
    const stats = native.load().statsSnapshot();
    eventsSeq = -1;
    versionsJson = '';
    return { model: currentModel(stats).json, live: JSON.stringify(live(stats)) };
  }

  function start() {
    if (timer) return;
    load = load || loadOf.create(pool);
    versions = versions || versionsOf.create();
    timer = setInterval(tick, intervalMs);
    timer.unref();
  }

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    if (load) load.stop();
    load = null;
  }

  return { start, stop, hello, tick };
}

module.exports = { create };
