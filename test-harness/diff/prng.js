'use strict';
// A small seeded PRNG (mulberry32): the same seed gives the same app and the same request script
// on every machine and Node version, which Math.random cannot promise.

/**
 * @param {number} seed
 */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    /** integer in [lo, hi] */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    /** @template T @param {T[]} xs @returns {T} */
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
    /** @template T @param {T[]} xs @returns {T[]} a shuffled copy */
    shuffle: (xs) => {
      const out = xs.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
    /** A child generator: a feature's choices do not shift when another feature draws more. */
    fork: (salt) => prng((a ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0),
  };
  return rng;
}

module.exports = { prng };
