'use strict';
// Compares a configuration's transcript with the plain one. Sequential requests and the final
// state must be identical. A concurrent batch is compared as a multiset (interleavings
// legitimately differ), or — where the interleaving decides the bodies — by its statuses plus
// the invariant a single thread guarantees: no path hands out the same value twice.

/**
 * @typedef {{ unit: string | null, where: string, symptom: string, plain: any, got: any }} Difference
 */

const NONCE = /nonce:[0-9a-f]+/g;

/**
 * Renames run-specific values (`nonce:<hex>`, see grammar's load-constant) by order of first
 * appearance, and drops the headers derived from them, so only "same constant or not" is compared.
 */
function canonical(run) {
  const names = new Map();
  const fix = (out) => {
    if (!out || typeof out.body !== 'string' || !NONCE.test(out.body)) return out;
    NONCE.lastIndex = 0;
    const body = out.body.replace(NONCE, (m) => {
      if (!names.has(m)) names.set(m, `nonce#${names.size + 1}`);
      return names.get(m);
    });
    const { etag, 'content-length': _len, ...headers } = out.headers;
    return { ...out, headers, body };
  };
  return run.entries.map((e) => (e.kind === 'batch' ? { ...e, outs: e.outs.map(fix) } : { ...e, out: fix(e.out) }));
}

/** What kind of difference two outcomes show, for grouping failures. */
function symptom(a, b) {
  if (b.error) return `request error (${b.error})`;
  if (a.error) return 'plain errored';
  if (a.status !== b.status) return `status ${a.status} -> ${b.status}`;
  if (a.body !== b.body) return 'body';
  return 'headers';
}

const key = (o) => JSON.stringify(o);

function multisetDiff(a, b) {
  const count = new Map();
  for (const x of a) count.set(x, (count.get(x) || 0) + 1);
  const extra = [];
  for (const x of b) {
    if (count.get(x)) count.set(x, count.get(x) - 1);
    else extra.push(x);
  }
  const missing = [...count].flatMap(([x, n]) => Array(n).fill(x));
  return { missing, extra };
}

/** Values answered more than once by one path (2xx answers only). */
function duplicates(reqs, outs) {
  const seen = new Map();
  const dups = [];
  outs.forEach((o, i) => {
    if (o.error || o.status >= 300) return;
    const k = reqs[i].split('?')[0] + ' ' + o.body;
    if (seen.has(k)) dups.push(k);
    seen.set(k, true);
  });
  return dups;
}

/**
 * @param {{ started: boolean, alive: boolean, entries: any[] }} plain
 * @param {{ started: boolean, alive: boolean, entries: any[], stderr: string }} got
 * @returns {Difference[]}
 */
function compare(plain, got) {
  if (!plain.started) throw new Error('the plain app did not start: the generated app itself is broken');
  if (!got.started) return [{ unit: null, where: 'start', symptom: 'did not start', plain: 'listening', got: tail(got.stderr) }];
  const a = canonical(plain);
  const b = canonical(got);
  const diffs = [];
  a.forEach((ea, i) => {
    const eb = b[i];
    if (ea.kind === 'batch') {
      if (ea.check === 'multiset') {
        const { missing, extra } = multisetDiff(ea.outs.map(key), eb.outs.map(key));
        if (missing.length || extra.length) {
          const firstBad = eb.outs.find((o) => extra.includes(key(o)));
          const firstGood = ea.outs.find((o) => missing.includes(key(o)));
          diffs.push({
            unit: ea.unit, where: `batch of ${ea.outs.length} × ${[...new Set(ea.reqs)].join(', ')}`,
            symptom: 'concurrent: ' + symptom(firstGood || {}, firstBad || {}),
            plain: `${missing.length} outcomes missing, e.g. ${missing.slice(0, 3).join(' ')}`,
            got: `${extra.length} outcomes the plain run never gave, e.g. ${extra.slice(0, 3).join(' ')}`,
          });
        }
      } else {
        const { missing, extra } = multisetDiff(ea.outs.map((o) => o.status || o.error), eb.outs.map((o) => o.status || o.error));
        const dupA = duplicates(ea.reqs, ea.outs);
        const dupB = duplicates(eb.reqs, eb.outs);
        if (missing.length || extra.length) {
          diffs.push({ unit: ea.unit, where: `batch of ${ea.outs.length}`, symptom: `concurrent: statuses`, plain: missing, got: extra });
        } else if (dupB.length > dupA.length) {
          diffs.push({ unit: ea.unit, where: `batch of ${ea.outs.length}`, symptom: 'concurrent: a value answered twice', plain: 'each value once', got: dupB.slice(0, 4) });
        }
      }
      return;
    }
    if (key(ea.out) !== key(eb.out)) {
      diffs.push({ unit: ea.unit, where: `#${i} ${ea.req}`, symptom: (ea.kind === 'state' ? 'final state: ' : '') + symptom(ea.out, eb.out), plain: ea.out, got: eb.out });
    }
  });
  if (plain.alive && !got.alive) diffs.push({ unit: null, where: 'end', symptom: 'process died', plain: 'alive', got: tail(got.stderr) });
  return diffs;
}

function tail(text) {
  return String(text || '').trim().split('\n').slice(-6).join('\n');
}

module.exports = { compare, canonical };
