'use strict';
// Shrinks a failing app to a minimal one that still fails the same way (delta debugging, greedy
// in chunks): drop whole units (a feature with its routes and requests), then script entries,
// then make the listen code the simplest. Each candidate is run plain and in the failing
// configuration only. Concurrency failures may not reproduce every time: a candidate counts as
// failing if it fails in any of `tries` runs.
const { check, classOf } = require('./differ');

/**
 * @param {import('./generate').Spec} spec a spec that fails
 * @param {{ config: string, cls: string, tries?: number, log?: (s: string) => void }} target
 *   the failing configuration and the class to keep
 * @returns {Promise<import('./generate').Spec>}
 */
async function shrink(spec, target) {
  const log = target.log || (() => {});
  const tries = target.tries || 2;
  let runs = 0;
  const fails = async (candidate) => {
    for (let t = 0; t < tries; t++) {
      runs++;
      const r = await check(candidate, { configs: [target.config] });
      if (r.failures.some((f) => f.diffs.some((d) => classOf(candidate, d) === target.cls || (d.unit === null && target.cls.startsWith('app:'))))) return true;
    }
    return false;
  };
  let best = spec;
  // Units.
  best = await ddmin(best, (s) => s.units, (s, keep) => {
    const ids = new Set(keep.map((u) => u.id));
    return { ...s, units: keep, script: s.script.filter((e) => ids.has(e.unit)) };
  }, fails);
  log(`  units: ${best.units.map((u) => u.feature).join(', ')}`);
  // Script entries (requests, batches, final-state reads).
  best = await ddmin(best, (s) => s.script, (s, keep) => ({ ...s, script: keep }), fails);
  // Requests inside batches: fewer concurrent requests, as long as it still fails.
  for (let i = 0; i < best.script.length; i++) {
    const e = best.script[i];
    if (e.kind !== 'batch') continue;
    for (let n = Math.floor(e.batch.requests.length / 2); n >= 2; n = Math.floor(n / 2)) {
      const script = best.script.slice();
      script[i] = { ...e, batch: { ...e.batch, requests: e.batch.requests.slice(0, n) } };
      const cand = { ...best, script };
      if (await fails(cand)) best = cand;
      else break;
    }
  }
  if (best.listen !== 'top') {
    const cand = { ...best, listen: 'top' };
    if (await fails(cand)) best = cand;
  }
  log(`  shrunk in ${runs} checks`);
  return best;
}

/** Greedy delta debugging over a list: remove chunks (halves, quarters, ... single items). */
async function ddmin(spec, items, rebuild, fails) {
  let best = spec;
  for (let size = Math.max(1, Math.floor(items(best).length / 2)); size >= 1; size = Math.floor(size / 2)) {
    let i = 0;
    while (i < items(best).length) {
      const list = items(best);
      const keep = list.slice(0, i).concat(list.slice(i + size));
      const cand = rebuild(best, keep);
      if (keep.length < list.length && (await fails(cand))) best = cand;
      else i += size;
    }
    if (size === 1) break;
  }
  return best;
}

module.exports = { shrink };
