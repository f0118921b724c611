'use strict';
// The configurations every generated app runs in. `plain` is the reference; the others must
// answer what it answers. Two workers and no compile cache everywhere: the cache would let one
// run's compiled code stand in for another's, and more workers than cores only adds noise here.

/**
 * @typedef {{ name: string, way: 'register' | 'fluxionize', preload: boolean, env: Record<string,string> }} Config
 */

/** @type {Config[]} */
const CONFIGS = [
  { name: 'plain', way: 'register', preload: false, env: {} },
  { name: 'auto/register', way: 'register', preload: true, env: {} },
  { name: 'eager/register', way: 'register', preload: true, env: { FLUXION_PLACEMENT: 'eager' } },
  { name: 'auto/fluxionize', way: 'fluxionize', preload: false, env: {} },
  { name: 'eager/fluxionize', way: 'fluxionize', preload: false, env: { FLUXION_PLACEMENT: 'eager' } },
];

const BASE_ENV = { FLUXION_WORKERS: '2', FLUXION_CACHE: '0', PORT: '0', NODE_ENV: 'test' };

/** @param {string} name */
function config(name) {
  const c = CONFIGS.find((x) => x.name === name);
  if (!c) throw new Error(`unknown configuration "${name}" (known: ${CONFIGS.map((x) => x.name).join(', ')})`);
  return c;
}

module.exports = { CONFIGS, BASE_ENV, config };
