'use strict';
// The setting `statsFile`: stats() written as JSON when the process ends — at a normal exit and
// when SIGINT or SIGTERM stops it — without taking those signals away from the app. Node runs the
// default action of a signal (death) only while nobody listens to it, so listening is taking it:
// our listener acts only when it is the sole one, and then writes the file, stops listening and
// sends the signal again, so the process dies by it with the status it would have had (a shell
// sees 130 for SIGINT). An app with its own handler keeps its behaviour (closing its server
// gracefully, say); the file is written when the process then exits.
// Listeners go on the real process (lib/realm.js: a Jest test file's `process` is a copy), once per
// process (a symbol on it), however many test files load fluxion.
const fs = require('node:fs');
const config = require('./config');
const native = require('./native');
const { realProcess } = require('./realm');

const SIGNALS = ['SIGINT', 'SIGTERM'];
const INSTALLED = Symbol.for('fluxion.statsFile');

/** Writes the stats file now (this process's path; `%p` is its id). Never throws. */
function write(file = config.statsFilePath()) {
  if (!file) return;
  try {
    fs.writeFileSync(file, JSON.stringify(native.load().statsSnapshot()));
  } catch (err) {
    process.stderr.write(`fluxion: cannot write the stats file ${file}: ${err.message}\n`);
  }
}

function onSignal(signal) {
  const proc = realProcess();
  // Somebody else listens: the signal is theirs; if they end the process, 'exit' writes.
  if (proc.listenerCount(signal) > 1) return;
  write();
  for (const sig of SIGNALS) proc.removeListener(sig, onSignal);
  proc.kill(proc.pid, signal);
}

/** Main thread, once: the file is written at exit and on SIGINT/SIGTERM (see above). */
function install() {
  const proc = realProcess();
  if (proc[INSTALLED] || !config.statsFilePath()) return;
  proc[INSTALLED] = true;
  proc.on('exit', () => write());
  for (const sig of SIGNALS) proc.on(sig, onSignal);
}

module.exports = { install, write, SIGNALS };
