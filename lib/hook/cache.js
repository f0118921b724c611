'use strict';
// On-disk cache of compiled modules, keyed by source, options and compiler version, so that a
// restart (and every worker thread) skips the compiler. The setting `cache` (0) turns it off.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

let dir;
function cacheDir() {
  if (dir !== undefined) return dir;
  const settings = require('../config').settings();
  if (!settings.cache) return (dir = null);
  const candidates = [
    settings.cacheDir,
    path.join(process.cwd(), 'node_modules', '.cache', 'fluxion'),
    path.join(os.tmpdir(), `fluxion-cache-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`),
  ].filter(Boolean);
  for (const d of candidates) {
    try {
      if (d.includes(`${path.sep}node_modules${path.sep}`) && !fs.existsSync(path.dirname(path.dirname(d)))) continue;
      fs.mkdirSync(d, { recursive: true });
      return (dir = d);
    } catch {
      // not writable: try the next one
    }
  }
  return (dir = null);
}

function keyOf(parts) {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\0');
  return h.digest('hex');
}

function get(key) {
  const d = cacheDir();
  if (!d) return null;
  try {
    return JSON.parse(fs.readFileSync(path.join(d, `${key}.json`), 'utf8'));
  } catch {
    return null;
  }
}

function set(key, value) {
  const d = cacheDir();
  if (!d) return;
  const file = path.join(d, `${key}.json`);
  const tmp = `${file}.${process.pid}.${require('node:worker_threads').threadId}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(value));
    fs.renameSync(tmp, file); // atomic: concurrent threads never read half a file
  } catch {
    // a cache that cannot be written is only slower
  }
}

module.exports = { keyOf, get, set, cacheDir };
