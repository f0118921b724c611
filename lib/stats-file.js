'use strict';
// The setting `statsFile`: stats() written as JSON when the process ends — at a normal exit and
// when SIGINT or SIGTERM stops it — without taking those signals away from the app. Node runs the
// default action of a signal (death) only while nobody listens to it, so listening is taking it:
// our listener acts only when it is the sole one, and then writes the file, stops listening and
// sends the signal again, so the process dies by it with the status it would have had (a shell
// sees 130 for SIGINT). An app with its own handler keeps its behaviour (closing its server
// gracefully, say); the file is written when the process then exits.
const fs = require('node:fs');
const config = require('./config');
const native = require('./native');

const SIGNALS = ['SIGINT', 'SIGTERM'];
let installed = false;

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
  // Somebody else listens: the signal is theirs; if they end the process, 'exit' writes.
  if (process.listenerCount(signal) > 1) return;
  write();
  for (const sig of SIGNALS) process.removeListener(sig, onSignal);
  process.kill(process.pid, signal);
}

/** Main thread, once: the file is written at exit and on SIGINT/SIGTERM (see above). */
function install() {
  if (installed || !config.statsFilePath()) return;
  installed = true;
  process.on('exit', () => write());
  for (const sig of SIGNALS) process.on(sig, onSignal);
}

module.exports = { install, write, SIGNALS };
