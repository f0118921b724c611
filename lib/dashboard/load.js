'use strict';
// How busy each thread is, between two looks: event-loop utilisation (the share of the time the
// loop ran code) and event-loop delay. The main thread is measured here (the histogram runs only
// while the dashboard is on); workers report their delay themselves (lib/hosts/worker.js) and
// their utilisation is read from their Worker objects (lib/hosts/main.js workerLoad).
const { performance, monitorEventLoopDelay } = require('node:perf_hooks');

const RESOLUTION_MS = 10;

/**
 * @param {{ workerLoad: () => ReturnType<import('../hosts/main')['workerLoad']> }} pool
 */
function create(pool) {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  let mainElu = performance.eventLoopUtilization();
  const lastElu = new Map(); // worker thread id -> { idle, active }
  const late = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);

  /** Each thread's figures since the previous call. */
  function sample() {
    const e = performance.eventLoopUtilization(mainElu);
    mainElu = performance.eventLoopUtilization();
    const threads = [{
      threadId: 0,
      role: 'main',
      utilization: e.utilization,
      delayMs: h.count ? late(h.mean) : null,
      maxDelayMs: h.count ? late(h.max) : null,
    }];
    h.reset();
    for (const w of pool.workerLoad()) {
      let utilization = null;
      if (w.elu) {
        const prev = lastElu.get(w.threadId);
        if (prev) {
          const active = w.elu.active - prev.active;
          const idle = w.elu.idle - prev.idle;
          utilization = active + idle > 0 ? active / (active + idle) : 0;
        }
        lastElu.set(w.threadId, w.elu);
      }
      threads.push({ threadId: w.threadId, role: 'worker', slot: w.slot, inflight: w.inflight, utilization, delayMs: w.delayMs, maxDelayMs: w.maxDelayMs });
    }
    return threads;
  }

  function stop() {
    h.disable();
  }

  return { sample, stop };
}

module.exports = { create };
