'use strict';
// The Jest preset (jest/) compiles the app's modules through Jest's transform: the project's own
// transformer first (babel-jest, ts-jest...), then fluxion's compiler. fluxion's worker threads
// load the same modules with Node's require, so they must see the same code, byte for byte
// (fluxion ids carry source offsets): this module runs the project's transformer there too.
// The spec — the project's JS transforms and its Jest config — is published by jest/transform.js
// on Node's main-context global (lib/realm.js) of the Jest worker process, and handed to fluxion's
// workers in workerData (lib/scheduler.js).
const { isMainThread, workerData } = require('node:worker_threads');
const { realGlobal } = require('../realm');

const SLOT = Symbol.for('fluxion.jest');

/**
 * @typedef {object} JestSpec
 * @property {Array<[string, string | null, unknown]>} transforms the project's transforms of JS/TS
 *   files: [pattern, transformer path or null (none), its options]
 * @property {object} config the project's Jest config (JSON), as its transformers receive it
 * @property {number} [jestMajor] the major version of the project's Jest: up to 26, transformers
 *   take `process(src, filename, config, options)` and `getCacheKey(src, filename, configString,
 *   options)`; from 27, one options object that carries the config
 */

/** Main thread: the spec this process runs with (null outside the preset). */
function spec() {
  return realGlobal()[SLOT] || null;
}

/** jest/transform.js: publishes the spec for the workers fluxion will start. */
function publish(s) {
  if (s) realGlobal()[SLOT] = s;
}

const loaded = new Map();
// Modules a transformer loads (itself, its config, its plugins: babel.config.js, say) are not
// the app's: while one loads or runs, the workers' hook leaves them as they are.
let inTransformer = 0;

function guarded(fn) {
  inTransformer++;
  try {
    return fn();
  } finally {
    inTransformer--;
  }
}

/** A Jest transformer by path, made as Jest makes it (`createTransformer(options)` if offered). */
function transformerAt(file, options) {
  const key = `${file}\0${JSON.stringify(options || {})}`;
  if (!loaded.has(key)) {
    guarded(() => {
      let mod = require(file);
      if (mod && mod.__esModule && mod.default) mod = mod.default;
      loaded.set(key, typeof mod.createTransformer === 'function' ? mod.createTransformer(options) : mod);
    });
  }
  return loaded.get(key);
}

/**
 * The options the project's transformer gets, the same on the main thread and on workers
 * (CommonJS, no coverage instrumentation: Jest instruments fluxion's output itself).
 */
function transformOptions(config, transformerConfig) {
  return {
    config,
    configString: JSON.stringify(config),
    cacheFS: new Map(),
    instrument: false,
    supportsDynamicImport: false,
    supportsExportNamespaceFrom: false,
    supportsStaticESM: false,
    supportsTopLevelAwait: false,
    transformerConfig,
  };
}

/** Jest 26 and older: the transformer API before Jest 27 (config passed on its own). */
function legacy(s) {
  return Boolean(s && s.jestMajor && s.jestMajor < 27);
}

/** The 4th argument of a Jest 26 transformer's `process` and `getCacheKey`. */
function legacyOptions(config) {
  return { config, instrument: false, rootDir: config.rootDir, supportsDynamicImport: false, supportsStaticESM: false };
}

/** The project's transformer's cache key, called as the project's Jest calls it. */
function innerCacheKey(s, t, src, filename, transformerConfig) {
  if (legacy(s)) return t.getCacheKey(src, filename, JSON.stringify(s.config), legacyOptions(s.config));
  return t.getCacheKey(src, filename, transformOptions(s.config, transformerConfig));
}

/**
 * The project's transform of one module: `{ code, map }` (map may be null); the source as it is
 * when no transform of the spec matches the file.
 * @param {JestSpec} s
 */
function innerTransform(s, code, filename) {
  const entry = s.transforms.find(([pattern]) => new RegExp(pattern).test(filename));
  if (!entry || !entry[1]) return { code, map: null };
  const t = transformerAt(entry[1], entry[2]);
  const out = guarded(() =>
    legacy(s) ? t.process(code, filename, s.config, legacyOptions(s.config)) : t.process(code, filename, transformOptions(s.config, entry[2]))
  );
  if (typeof out === 'string') return { code: out, map: null };
  return { code: out.code, map: out.map || null };
}

/** On fluxion's workers under the preset: the module as Jest's transform made it on the main thread. */
function preTransform(code, filename) {
  const s = !isMainThread && workerData && workerData.fluxionJest;
  return s && !inTransformer ? innerTransform(s, code, filename).code : code;
}

/** File extensions the workers' require hook must handle (TypeScript under ts-jest, say). */
function extensions() {
  const s = !isMainThread && workerData && workerData.fluxionJest;
  if (!s) return [];
  return ['.ts', '.tsx', '.jsx', '.cts'].filter((ext) => s.transforms.some(([p, file]) => file && new RegExp(p).test(`a${ext}`)));
}

module.exports = { spec, publish, innerTransform, innerCacheKey, transformOptions, transformerAt, preTransform, extensions };
