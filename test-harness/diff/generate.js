'use strict';
// Seed -> app spec: which features (units) the app has, with their drawn parameters, how it
// listens, and the request script (the units' sequential steps interleaved, concurrent batches at
// drawn points, the final state of every unit at the end). Same seed and options, same spec.
const { prng } = require('./prng');
const { FEATURES, LISTENS, feature } = require('./grammar');

/**
 * @typedef {{ id: string, feature: string, params: object }} Unit
 * @typedef {{ unit: string, kind: 'step', step: import('./grammar').Step }
 *   | { unit: string, kind: 'batch', batch: import('./grammar').Batch }
 *   | { unit: string, kind: 'state' }} ScriptEntry
 * @typedef {{ seed: number, listen: string, units: Unit[], script: ScriptEntry[] }} Spec
 */

/**
 * @param {number} seed
 * @param {{ features?: string[], exclude?: string[], minUnits?: number, maxUnits?: number }} [opts]
 *   `features`: draw only these; `exclude`: never these (`listen:<way>` leaves out a way to listen).
 * @returns {Spec}
 */
function generate(seed, opts = {}) {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer (got ${seed})`);
  for (const n of opts.features || []) feature(n); // unknown names throw
  for (const n of opts.exclude || []) if (!(n.startsWith('listen:') && LISTENS[n.slice(7)])) feature(n);
  const exclude = new Set(opts.exclude || []);
  const pool = (opts.features && opts.features.length ? opts.features.map(feature) : FEATURES).filter((f) => !exclude.has(f.name));
  const listens = Object.keys(LISTENS).filter((l) => !exclude.has(`listen:${l}`));
  if (!listens.length) throw new Error('every way to listen is excluded');
  if (!pool.length) throw new Error('no feature left to draw from');
  const rng = prng(seed);
  const count = rng.int(opts.minUnits || 2, opts.maxUnits || 5);
  const units = [];
  const used = new Set();
  for (let k = 0; k < count; k++) {
    const choices = pool.filter((f) => !(f.once && used.has(f.name)));
    if (!choices.length) break;
    const f = rng.pick(choices);
    used.add(f.name);
    units.push({ id: `u${k}`, feature: f.name, params: f.params(rng.fork(k)) });
  }
  const listen = rng.pick(listens);
  return { seed, listen, units, script: script(units, rng) };
}

/** The request script of these units: steps interleaved, batches placed, final states last. */
function script(units, rng) {
  const queues = units.map((u) => feature(u.feature).render(u.params, u.id).steps.map((step) => ({ unit: u.id, kind: 'step', step })));
  const seq = [];
  for (;;) {
    const open = queues.filter((q) => q.length);
    if (!open.length) break;
    seq.push(rng.pick(open).shift());
  }
  for (const u of units) {
    for (const batch of feature(u.feature).render(u.params, u.id).batches || []) {
      seq.splice(rng.int(0, seq.length), 0, { unit: u.id, kind: 'batch', batch });
    }
  }
  for (const u of units) seq.push({ unit: u.id, kind: 'state' });
  return seq;
}

/** A spec of one feature only (the known-failure checks, and `--features x` with one unit). */
function single(name, seed) {
  return generate(seed, { features: [name], minUnits: 1, maxUnits: 1 });
}

module.exports = { generate, single };
