'use strict';
// Jest's own test runner (jest-runner, from the project's Jest), with each project config's JS/TS
// transforms wrapped by fluxion's: [pattern, transformer, options] becomes
// [pattern, jest/transform.js, { inner: transformer, innerOptions: options, bridge }]. Doing it
// here, on the final config, is what lets the preset compose with any project's transform (a
// preset's `transform` would lose to the project's for the same files). `bridge` carries the
// project's transforms and config to fluxion's worker threads (lib/jest-bridge.js).
const fs = require('node:fs');
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
  const file = require.resolve('jest-runner', { paths });
  const mod = require(file);
  // Its major version: Jest 26 and older call transformers with another signature (lib/hook/jest-bridge.js).
  let major = 0;
  try {
    const pkg = require(path.join(file.slice(0, file.lastIndexOf(`${path.sep}jest-runner${path.sep}`)), 'jest-runner', 'package.json'));
    major = Number(String(pkg.version).split('.')[0]) || 0;
  } catch {
    // an unusual layout: assume the current API
  }
  // Jest 26 runs in band with the resolver it built from the unwrapped config: rebuilt from ours.
  let createResolver = null;
  try {
    const runtime = require(require.resolve('jest-runtime', { paths: [path.dirname(file)] }));
    createResolver = (runtime.default || runtime).createResolver;
  } catch {
    // no jest-runtime next to jest-runner: keep Jest's resolver
  }
  return { Runner: mod.default || mod, major, createResolver };
}

const wrapped = new WeakMap();

/**
 * Jest 26 and older do not know `node:` specifiers, which fluxion's runtime (loaded in each test
 * file's module registry) uses: they are mapped to one-line modules, written once in Jest's cache
 * directory, that require the builtin by its plain name.
 */
function nodeSchemeMapper(config) {
  const dir = path.join(config.cacheDirectory || require('node:os').tmpdir(), 'fluxion-node-builtins');
  const { builtinModules } = require('node:module');
  for (const name of builtinModules) {
    if (name.startsWith('_') || name.includes(':')) continue;
    const file = path.join(dir, `${name}.js`);
    if (fs.existsSync(file)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `module.exports = require(${JSON.stringify(name)});\n`);
  }
  return ['^node:(.*)$', path.join(dir, '$1')];
}

/** A project config with its JS/TS transforms wrapped by fluxion's. */
function wrapConfig(config, jestMajor = 0) {
  if (wrapped.has(config)) return wrapped.get(config);
  const handlesJs = (pattern) => SAMPLES.some((f) => new RegExp(pattern).test(f));
  const transforms = (config.transform || []).filter(([p, file]) => file !== TRANSFORM);
  const bridge = {
    transforms: transforms.filter(([p]) => handlesJs(p)),
    config: JSON.parse(JSON.stringify(config)),
    jestMajor,
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
  if (jestMajor && jestMajor < 27) out.moduleNameMapper = [nodeSchemeMapper(config), ...(config.moduleNameMapper || [])];
  wrapped.set(config, out);
  return out;
}

let Base = null;
let jestMajor = 0;
let createResolver = null;

/** A test's context with the wrapped config (and, on Jest 26, a resolver that knows its mapper). */
function wrapContext(context) {
  const config = wrapConfig(context.config, jestMajor);
  const out = { ...context, config };
  if (config.moduleNameMapper !== context.config.moduleNameMapper && context.resolver && context.moduleMap && createResolver) {
    out.resolver = createResolver(config, context.moduleMap);
  }
  return out;
}

/** The runner class Jest instantiates (`runner` of the preset). */
function FluxionRunner(globalConfig, context) {
  if (!Base) ({ Runner: Base, major: jestMajor, createResolver } = jestRunner(globalConfig.rootDir));
  const runner = new Base(globalConfig, context);
  const runTests = runner.runTests.bind(runner);
  const made = new Map(); // one wrapped context per project, as Jest has one per project
  const contexts = (c) => {
    if (!made.has(c)) made.set(c, wrapContext(c));
    return made.get(c);
  };
  runner.runTests = (tests, ...rest) =>
    runTests(
      tests.map((t) => ({ ...t, context: contexts(t.context) })),
      ...rest
    );
  return runner;
}

module.exports = FluxionRunner;
module.exports.wrapConfig = wrapConfig;
