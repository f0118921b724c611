'use strict';
// fluxion's Jest transformer: the project's own transformer first (given by jest/runner.js as
// `inner`), then fluxion's compiler on its output — the same pair fluxion's workers apply when
// they load the module (lib/jest-bridge.js), so both threads see the same code. Test files,
// node_modules and fluxion itself are only given to the project's transformer.
const crypto = require('node:crypto');
const bridge = require('../lib/hook/jest-bridge');
const register = require('../lib/hook/register');
const native = require('../lib/native');
const config = require('../lib/config');

const TEST_FILE = /(^|[\\/])__tests__[\\/]|\.(test|spec)\.[cm]?[jt]sx?$/;
const warned = new Set();

/**
 * The project's own test-file rule (its `testMatch` globs or `testRegex`), as Jest's matcher reads
 * it; `*-test.ts` under `test/` is a test file too when the project says so.
 */
const matchers = new Map(); // config JSON -> (filename) => boolean
function projectTests(config) {
  if (!config || !config.rootDir) return () => false;
  const key = JSON.stringify([config.rootDir, config.testMatch, config.testRegex]);
  if (matchers.has(key)) return matchers.get(key);
  let match = () => false;
  try {
    const regexes = [].concat(config.testRegex || []).filter(Boolean).map((r) => new RegExp(r));
    let globs = () => false;
    if ((config.testMatch || []).length) {
      const util = require(require.resolve('jest-util', { paths: [config.rootDir, process.cwd()] }));
      globs = util.globsToMatcher(config.testMatch);
    }
    match = (file) => regexes.some((r) => r.test(file)) || globs(file);
  } catch {
    // no jest-util next to the project (an unusual layout): fluxion's own rule alone
  }
  matchers.set(key, match);
  return match;
}

function compilable(filename, config) {
  return !TEST_FILE.test(filename) && !projectTests(config)(filename) && register.wanted(filename);
}

/** fluxion's source map after the inner transform's: composed when a composer is at hand. */
function composeMaps(outer, inner) {
  if (!inner) return outer;
  try {
    const remapping = require(require.resolve('@ampproject/remapping', { paths: [process.cwd(), __dirname] }));
    return remapping([outer, inner], () => null);
  } catch {
    return outer; // lines point at the inner transform's output: close enough for most stacks
  }
}

function createTransformer(options = {}) {
  bridge.publish(options.bridge);
  const spec = options.bridge || { transforms: [], config: {} };
  const inner = options.inner ? bridge.transformerAt(options.inner, options.innerOptions) : null;
  return {
    canInstrument: false,
    getCacheKey(src, filename) {
      // Jest 26 and older pass (src, filename, configString, options); 27+ (src, filename, options).
      const innerKey = inner && typeof inner.getCacheKey === 'function' ? bridge.innerCacheKey(spec, inner, src, filename, options.innerOptions) : src;
      return crypto
        .createHash('sha256')
        // What fluxion's output depends on: the compiler, the runtime it calls (its path), settings, project config.
        .update([innerKey, filename, native.load().version(), register.RUNTIME, String(config.settings().tails), JSON.stringify(config.forFile(filename))].join('\0'))
        .digest('hex');
    },
    process(src, filename) {
      const pre = bridge.innerTransform({ ...spec, transforms: options.inner ? [['', options.inner, options.innerOptions]] : [] }, src, filename);
      if (!compilable(filename, spec.config)) return pre;
      let out;
      try {
        out = register.transform(pre.code, filename);
      } catch (err) {
        if (config.settings().strict) throw err;
        if (!warned.has(filename)) {
          warned.add(filename);
          process.emitWarning(`${err.message}\n  It loads unmodified and runs on the main thread.`, { code: 'FLUXION_UNCOMPILED' });
        }
        return pre;
      }
      if (!out.graph.fluxions.some((f) => f.hints.registered)) return pre;
      // The module carries its graph (lib/runtime.js moduleApi reads module.graph): the require
      // hook would have recorded it in this thread's runtime, which is not the test file's.
      const map = typeof out.map === 'string' ? JSON.parse(out.map) : out.map;
      map.mappings = `;${map.mappings}`;
      const code = `module.graph = ${JSON.stringify(out.graph)};\n${out.code}${register.SCOPE_ACCESSOR}`;
      return { code, map: composeMaps(map, pre.map) };
    },
  };
}

module.exports = { createTransformer, compilable };
