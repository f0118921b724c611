'use strict';
// Preload for bench/rss-breakdown.js (`node -r bench/rss-probe.js ...`; Node preloads it in
// every worker too). On SIGUSR2 the main thread asks every thread, over a BroadcastChannel, for
// its V8 heap figures; each prints one `PROBE {json}` line on stderr.
const { isMainThread, threadId, BroadcastChannel } = require('node:worker_threads');
const v8 = require('node:v8');

const MB = (x) => +(x / 2 ** 20).toFixed(2);
const channel = new BroadcastChannel('fluxion-rss-probe');
channel.unref();

function report() {
  const mu = process.memoryUsage();
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) {
    if (s.space_size) spaces[s.space_name] = { size: MB(s.space_size), used: MB(s.space_used_size) };
  }
  const line = {
    threadId,
    heapCommitted: MB(v8.getHeapStatistics().total_physical_size),
    external: MB(mu.external),
    spaces,
    modules: Object.keys(require.cache).length,
    resourceLimits: require('node:worker_threads').resourceLimits,
  };
  process.stderr.write(`PROBE ${JSON.stringify(line)}\n`);
}

if (isMainThread) {
  process.on('SIGUSR2', () => {
    report();
    channel.postMessage('report');
  });
} else {
  channel.onmessage = report;
}
