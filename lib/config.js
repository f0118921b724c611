'use strict';
// Project configuration: the "fluxion" key of package.json, or fluxion.config.js, found by
// walking up from the compiled file. Unknown or ill-typed keys are errors that name the key.
const fs = require('node:fs');
const path = require('node:path');
const { FluxionConfigError } = require('./errors');

/**
 * @typedef {import('../index').FluxionConfig} FluxionConfig
 */

const KNOWN = {
  rupturePoints: 'object',
  statelessModules: 'array',
  compileNodeModules: 'array',
};
const RUPTURE_KINDS = ['start', 'post'];

/**
 * Checks a config object; throws FluxionConfigError naming the first bad key.
 * @param {unknown} config
 * @param {string} [source] where it came from, for the message
 * @returns {FluxionConfig}
 */
function validate(config, source) {
  if (config === undefined || config === null) return {};
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new FluxionConfigError('fluxion', 'must be an object such as { "rupturePoints": { "post": ["db.query"] } }', source);
  }
  for (const key of Object.keys(config)) {
    if (!(key in KNOWN)) {
      throw new FluxionConfigError(key, `unknown key; known keys: ${Object.keys(KNOWN).join(', ')}`, source);
    }
  }
  for (const key of ['statelessModules', 'compileNodeModules']) {
    const list = config[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) {
      throw new FluxionConfigError(key, 'must be an array of package names', source);
    }
  }
  const rp = config.rupturePoints;
  if (rp !== undefined) {
    if (typeof rp !== 'object' || rp === null || Array.isArray(rp)) {
      throw new FluxionConfigError('rupturePoints', 'must be an object { start?: string[], post?: string[] }', source);
    }
    for (const key of Object.keys(rp)) {
      if (!RUPTURE_KINDS.includes(key)) {
        throw new FluxionConfigError(`rupturePoints.${key}`, 'unknown kind; use "start" (listeners) or "post" (continuations)', source);
      }
      const list = rp[key];
      if (!Array.isArray(list)) {
        throw new FluxionConfigError(`rupturePoints.${key}`, 'must be an array of callee patterns such as "db.query" or "redis.*"', source);
      }
      list.forEach((p, i) => {
        if (typeof p !== 'string') {
          throw new FluxionConfigError(`rupturePoints.${key}[${i}]`, `must be a string, got ${typeof p}`, source);
        }
      });
    }
  }
  return config;
}

// No cap by default: the cap that meets scenario 7's RSS target (4 MB) cost gifsockets 10-15 %
// of its throughput (docs/bench.md, scenario 7): memory-tight deployments can set it.
const DEFAULT_WORKER_YOUNG_MB = 0;

/**
 * V8 young-generation cap of each worker, in MB (Worker `resourceLimits.maxYoungGenerationSizeMb`),
 * from FLUXION_WORKER_YOUNG_MB; 0 (the default) leaves V8's default. Without a cap, V8 grows a busy worker's
 * new space as the main thread's, and what a large young generation holds until its next scavenge
 * (the objects, and native memory such as crypto Hash contexts that only GC frees) is most of a
 * worker's memory beyond a worker that only loaded the app: docs/bench.md (scenario 7).
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ maxYoungGenerationSizeMb: number } | undefined}
 */
function workerResourceLimits(env = process.env) {
  const raw = env.FLUXION_WORKER_YOUNG_MB;
  let mb = DEFAULT_WORKER_YOUNG_MB;
  if (raw !== undefined && raw !== '') {
    mb = Number(raw);
    if (!/^\s*\d+\s*$/.test(raw) || mb > 4096) {
      throw new FluxionConfigError(
        'FLUXION_WORKER_YOUNG_MB',
        `must be a whole number of megabytes from 1 to 4096, or 0 for V8's default (got "${raw}")`,
        'environment'
      );
    }
  }
  return mb === 0 ? undefined : { maxYoungGenerationSizeMb: mb };
}

const cache = new Map();

/**
 * The configuration that applies to a file: the nearest fluxion.config.js or package.json with
 * a "fluxion" key, walking up from the file's directory.
 * @param {string} file
 * @returns {FluxionConfig}
 */
function forFile(file) {
  let dir = path.dirname(path.resolve(file));
  const seen = [];
  for (;;) {
    if (cache.has(dir)) {
      const found = cache.get(dir);
      for (const d of seen) cache.set(d, found);
      return found;
    }
    seen.push(dir);
    const js = path.join(dir, 'fluxion.config.js');
    const pkg = path.join(dir, 'package.json');
    let found;
    if (fs.existsSync(js)) {
      found = validate(require(js), js);
    } else if (fs.existsSync(pkg)) {
      let json;
      try {
        json = JSON.parse(fs.readFileSync(pkg, 'utf8'));
      } catch {
        json = null; // not ours to judge: Node reports broken package.json files itself
      }
      if (json && Object.prototype.hasOwnProperty.call(json, 'fluxion')) {
        found = validate(json.fluxion, `${pkg} "fluxion"`);
      }
    }
    const parent = path.dirname(dir);
    if (found || parent === dir) {
      found = found || {};
      for (const d of seen) cache.set(d, found);
      return found;
    }
    dir = parent;
  }
}

module.exports = { validate, forFile, workerResourceLimits, DEFAULT_WORKER_YOUNG_MB };
