'use strict';
// Loads the Rust addon: a local build (`npm install` in the repository) or the platform
// package published under npm/ (`@fluxion/<platform>`).
const fs = require('node:fs');
const path = require('node:path');

function platformTriple() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const report = process.report && process.report.getReport ? process.report.getReport() : null;
    const glibc = report && report.header && report.header.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

let cached;

/** @returns {import('../index').NativeBinding} */
function load() {
  if (cached) return cached;
  const triple = platformTriple();
  const local = path.join(__dirname, '..', `fluxion.${triple}.node`);
  const tried = [];
  if (fs.existsSync(local)) {
    cached = require(local);
    return cached;
  }
  tried.push(local);
  try {
    cached = require(`@fluxion/${triple}`);
    return cached;
  } catch (e) {
    tried.push(`@fluxion/${triple} (${e.code || e.message})`);
  }
  const err = new Error(
    `fluxion: no native addon for ${triple}. Tried:\n  ${tried.join('\n  ')}\n` +
      'Build it from source with `npm run build` (needs Rust), or install the platform package.'
  );
  err.code = 'FLUXION_NO_ADDON';
  throw err;
}

module.exports = { load, platformTriple };
