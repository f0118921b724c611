'use strict';
// `node -r fluxion/register app.js`, or `require('fluxion/register')` first thing in the app.
try {
  require('./lib/hook/register').install();
} catch (err) {
  // A bad setting, or no native addon for this platform, stops the process before the app runs,
  // with one line that says what to do (no stack).
  if (!err || (err.code !== 'FLUXION_CONFIG' && err.code !== 'FLUXION_NO_ADDON')) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
