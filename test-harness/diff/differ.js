'use strict';
// One generated app against every configuration: plain first (the reference), then each fluxion
// configuration, each compared with plain. A failure's class is the feature of the unit whose
// requests differ plus the symptom, so one run of many seeds can be counted by class.
const { CONFIGS, config } = require('./configs');
const { runApp, workspace } = require('./run');
const { compare } = require('./compare');

/**
 * @typedef {{ config: string, diffs: import('./compare').Difference[] }} Failure
 * @typedef {{ spec: import('./generate').Spec, failures: Failure[], ms: number }} Checked
 */

/**
 * @param {import('./generate').Spec} spec
 * @param {{ configs?: string[], keep?: boolean }} [opts] `configs`: fluxion configurations to run
 *   (plain always runs first); `keep`: leave the app's directory (its path is in the result).
 * @returns {Promise<Checked & { dir?: string }>}
 */
async function check(spec, opts = {}) {
  const t0 = Date.now();
  const names = opts.configs || CONFIGS.filter((c) => c.name !== 'plain').map((c) => c.name);
  const ws = workspace(spec);
  try {
    const plain = await runApp(spec, config('plain'), ws);
    const failures = [];
    for (const name of names) {
      const got = await runApp(spec, config(name), ws);
      const diffs = compare(plain, got);
      if (diffs.length) failures.push({ config: name, diffs });
    }
    return { spec, failures, ms: Date.now() - t0, ...(opts.keep ? { dir: ws.dir } : {}) };
  } finally {
    if (!opts.keep) ws.remove();
  }
}

/** The class of one difference: the feature it shows in, and how. */
function classOf(spec, d) {
  const unit = spec.units.find((u) => u.id === d.unit);
  return `${unit ? unit.feature : 'app'}: ${d.symptom}`;
}

/** Every class a checked app shows, with the configurations that show it. */
function classes(checked) {
  const out = new Map();
  for (const f of checked.failures) {
    // Once the process has gone, every later request is refused: those are the crash's echo,
    // not classes of their own.
    let gone = false;
    for (const d of f.diffs) {
      if (gone && /request error \((ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET)\)/.test(d.symptom)) continue;
      if (/request error/.test(d.symptom)) gone = true;
      const c = classOf(checked.spec, d);
      if (!out.has(c)) out.set(c, new Set());
      out.get(c).add(f.config);
    }
  }
  return out;
}

module.exports = { check, classes, classOf };
