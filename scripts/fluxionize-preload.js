'use strict';
// A preload (`--require scripts/fluxionize-preload.js`) that runs a test suite as if every app
// were written `const app = fluxionize(express())`: the Express factory is replaced, in the
// require cache, by one that calls the original and then fluxion's `fluxionize(app)` on the app
// it made. Everything else the factory carries (express.Router, express.json, express.static,
// express.application...) is copied onto the wrapper, so `require('express')` looks the same.
//
// Which Express: FLUXIONIZE_EXPRESS=<file> (the module to wrap), else the current directory when
// it is the express package itself (its own tests do `require('..')`), else `express` as the code
// in the current directory would require it. Every module whose exports are that factory (for
// Express, `index.js` and `lib/express.js`) gets the wrapper.
//
// Which fluxion: FLUXION_ROOT=<dir> (a fluxion checkout), else the one this script is part of.
// FLUXIONIZE_REPORT=<file>: at exit, `{ target, apps }` (how many apps were fluxionized) is
// written there as JSON.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = process.env.FLUXION_ROOT ? path.resolve(process.env.FLUXION_ROOT) : path.join(__dirname, '..');

function target() {
  if (process.env.FLUXIONIZE_EXPRESS) return require.resolve(path.resolve(process.env.FLUXIONIZE_EXPRESS));
  const cwd = process.cwd();
  try {
    if (JSON.parse(fs.readFileSync(path.join(cwd, 'package.json'), 'utf8')).name === 'express') return require.resolve(cwd);
  } catch {
    // no package.json here
  }
  try {
    return require.resolve('express', { paths: [cwd] });
  } catch {
    return null;
  }
}

let apps = 0;
const file = target();

if (!file) {
  process.stderr.write(`fluxionize-preload: no Express found from ${process.cwd()}: nothing is fluxionized\n`);
} else {
  const original = require(file);
  let fluxionize = null;
  const wrapped = function createApplication() {
    const app = original.apply(this, arguments);
    if (!fluxionize) fluxionize = require(path.join(ROOT, 'lib', 'index.js')).fluxionize;
    apps += 1;
    return fluxionize(app);
  };
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'prototype') continue;
    Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(original, key));
  }
  let replaced = 0;
  for (const mod of Object.values(require.cache)) {
    if (mod && mod.exports === original) {
      mod.exports = wrapped;
      replaced += 1;
    }
  }
  if (!replaced) process.stderr.write(`fluxionize-preload: ${file} is not in the require cache: nothing is fluxionized\n`);
}

if (process.env.FLUXIONIZE_REPORT) {
  process.on('exit', () => {
    fs.writeFileSync(process.env.FLUXIONIZE_REPORT, JSON.stringify({ target: file, apps }));
  });
}
