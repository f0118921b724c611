'use strict';
// The live dashboard (setting `dashboard`: `fluxion run app.js --dashboard [port]`, or its
// environment variable): a page that shows the app as fluxions, where each runs and its load.
// Loaded only when the setting is on (lib/hook/register.js), on the main thread; with it off,
// nothing of this folder is required.
const config = require('../config');

/** @type {Promise<{ url: string, close: () => Promise<void> }> | null} */
let running = null;

/**
 * Starts the dashboard (once per process) with the settings in use, or `options`. Never makes the
 * app fail: a port in use is a warning, and the app runs without the dashboard.
 * @param {{ port?: number, host?: string, token?: string | null, intervalMs?: number, quiet?: boolean }} [options]
 * @returns {Promise<{ url: string, close: () => Promise<void> } | null>}
 */
function start(options = {}) {
  if (running) return running;
  const s = config.settings();
  const port = options.port !== undefined ? options.port : s.dashboard;
  const host = options.host || s.dashboardHost;
  const token = options.token !== undefined ? options.token : s.dashboardToken;
  const loopback = config.LOOPBACK.test(host);
  if (!loopback && !token) return Promise.reject(new Error(`fluxion: the dashboard listens on ${host} only with a token`));
  const { listen } = require('./server');
  const feed = require('./feed');
  running = listen({ host, port, token, loopback, feed: (send) => feed.create({ send, intervalMs: options.intervalMs }) }).then(
    (d) => {
      if (!options.quiet) process.stderr.write(`fluxion: dashboard on ${d.url}${token ? ' (with ?token=…)' : ''}\n`);
      return d;
    },
    (err) => {
      running = null;
      process.emitWarning(`the dashboard cannot listen on ${host}:${port}: ${err.message}; the app runs without it`, { code: 'FLUXION_DASHBOARD_UNAVAILABLE' });
      return null;
    },
  );
  return running;
}

/** Stops the dashboard (if it runs). */
async function stop() {
  if (!running) return;
  const d = await running;
  running = null;
  if (d) await d.close();
}

module.exports = { start, stop };
