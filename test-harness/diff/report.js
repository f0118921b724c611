'use strict';
// How a failing app is shown to a person: its seed, its features, the app's source, the request
// script and the differences, short enough to paste into an issue.
const { render } = require('./render');

const clip = (v, n = 300) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > n ? s.slice(0, n) + '…' : s;
};

/** One line per script entry. */
function scriptText(spec) {
  return spec.script.map((e) => {
    if (e.kind === 'step') return `  ${e.step.method} ${e.step.path}${e.step.body !== undefined ? ' ' + JSON.stringify(e.step.body) : ''}${e.step.headers ? ' ' + JSON.stringify(e.step.headers) : ''}`;
    if (e.kind === 'batch') {
      const counts = new Map();
      for (const r of e.batch.requests) counts.set(`${r.method} ${r.path}`, (counts.get(`${r.method} ${r.path}`) || 0) + 1);
      return `  concurrently (${e.batch.check}): ${[...counts].map(([k, n]) => `${n} × ${k}`).join(', ')}`;
    }
    return `  GET /__state/${e.unit}`;
  }).join('\n');
}

/** Only what differs between two outcomes: status, body, changed headers. */
function brief(a, b) {
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || a.error || b.error || !a.headers || !b.headers) return [a, b];
  const pa = {};
  const pb = {};
  if (a.status !== b.status) [pa.status, pb.status] = [a.status, b.status];
  if (a.body !== b.body) [pa.body, pb.body] = [a.body, b.body];
  for (const k of new Set([...Object.keys(a.headers), ...Object.keys(b.headers)])) {
    if (a.headers[k] !== b.headers[k] && k !== 'etag' && k !== 'content-length') {
      (pa.headers ||= {})[k] = a.headers[k];
      (pb.headers ||= {})[k] = b.headers[k];
    }
  }
  return [pa, pb];
}

/** @param {import('./differ').Failure} f */
function diffText(f) {
  return f.diffs.map((d) => {
    const [a, b] = brief(d.plain, d.got);
    return `  [${f.config}] ${d.where}: ${d.symptom}\n      plain: ${clip(a)}\n      got:   ${clip(b)}`;
  }).join('\n');
}

/**
 * @param {import('./generate').Spec} spec
 * @param {import('./differ').Failure[]} failures
 */
function failureText(spec, failures) {
  const files = render(spec, 'register');
  const others = Object.keys(files).filter((f) => f !== 'app.js');
  return [
    `seed ${spec.seed}: ${spec.units.map((u) => `${u.id}=${u.feature} ${JSON.stringify(u.params)}`).join('; ')} (listen: ${spec.listen})`,
    '--- app.js ---',
    files['app.js'],
    ...others.map((f) => `--- ${f} ---\n${files[f]}`),
    '--- requests ---',
    scriptText(spec),
    '--- differences ---',
    ...failures.map(diffText),
  ].join('\n');
}

module.exports = { failureText, scriptText };
