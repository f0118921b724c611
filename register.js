'use strict';
// `node -r fluxion/register app.js`, or `require('fluxion/register')` first thing in the app.
require('./lib/hook/register').install();
