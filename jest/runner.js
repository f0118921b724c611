'use strict';
// Jest's own test runner (jest-runner, from the project's Jest), with each project config's JS/TS
// transforms wrapped by fluxion's: [pattern, transformer, options] becomes
// [pattern, jest/transform.js, { inner: transformer, innerOptions: options, bridge }]. Doing it
// here, on the final config, is what lets the preset compose with any project's transform (a
// preset's `transform` would lose to the project's for the same files). `bridge` carries the
// project's transforms and config to fluxion's worker threads (lib/jest-bridge.js).
const path = require('node:path');

const TRANSFORM = path.join(__dirname, 'transform.js');
const SAMPLES = ['a.js', 'a.cjs', 'a.jsx', 'a.ts', 'a.tsx', 'a.cts'];

function jestRunner(rootDir) {
  const paths = [rootDir, process.cwd()];
  try {
    paths.push(path.dirname(require.resolve('jest/package.json', { paths })));
  } catch {
    // Jest found another way (a global install): try the plain paths
  }
  const mod = require(require.resolve('jest-runner', { paths }));
  return mod.default || mod;
}

const wrapped = new WeakMap();

/** A project config with its JS/TS transforms wrapped by fluxion's. */
function wrapConfig(config) {
  if (wrapped.has(config)) return wrapped.get(config);
  const handlesJs = (pattern) => SAMPLES.some((f) => new RegExp(pattern).test(f));
  const transforms = (config.transform || []).filter(([p, file]) => file !== TRANSFORM);
  const bridge = {
    transforms: transforms.filter(([p]) => handlesJs(p)),
    config: JSON.parse(JSON.stringify(config)),
  };
  const transform = transforms.map(([p, file, options]) =>
    handlesJs(p) ? [p, TRANSFORM, { inner: file, innerOptions: options || {}, bridge }] : [p, file, options]
  );
  // Plain .js files the project leaves untransformed are still compiled by fluxion.
  if (!transforms.some(([p]) => new RegExp(p).test('a.js'))) {
    transform.push(['\\.[cm]?js$', TRANSFORM, { inner: null, innerOptions: {}, bridge }]);
    bridge.transforms.push(['\\.[cm]?js$', null, {}]);
  }
  const out = { ...config, transform };
  wrapped.set(config, out);
  return out;
}

let Base = null;

/** The runner class Jest instantiates (`runner` of the preset). */
function FluxionRunner(globalConfig, context) {
  if (!Base) Base = jestRunner(globalConfig.rootDir);
  const runner = new Base(globalConfig, context);
  const runTests = runner.runTests.bind(runner);
  runner.runTests = (tests, ...rest) =>
    runTests(
      tests.map((t) => ({ ...t, context: { ...t.context, config: wrapConfig(t.context.config) } })),
      ...rest
    );
  return runner;
}

module.exports = FluxionRunner;
module.exports.wrapConfig = wrapConfig;
