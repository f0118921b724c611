'use strict';
// `node -r fluxion/register app.js`, or `require('fluxion/register')` first thing in the app.
try {
  require('./lib/register').install();
} catch (err) {
  // A bad setting stops the process before the app runs, with one line that names it (no stack).
  if (!err || err.code !== 'FLUXION_CONFIG') throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
