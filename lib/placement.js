'use strict';
// Where a fluxion may run, from the compiler's hints. Pure: every thread computes the same
// answer from the same graph. What cannot be proven safe to move stays on the main thread.
const { isBuiltin } = require('node:module');

/** Request methods that work from a snapshot of the request (headers, url, body...). */
const REQ_CALLS = new Set([
  'get', 'header', 'is', 'accepts', 'acceptsCharsets', 'acceptsCharset', 'acceptsEncodings',
  'acceptsEncoding', 'acceptsLanguages', 'acceptsLanguage', 'range', 'param',
]);
/** Request properties that need the real socket or stream. */
const REQ_LIVE_PROPS = new Set([
  'socket', 'connection', 'on', 'once', 'pipe', 'read', 'resume', 'pause', 'setEncoding',
  'unpipe', 'destroy', 'client', 'addListener', 'removeListener', 'emit', 'readable',
]);
/** Response methods replayed in order on the main thread. */
const RES_CALLS = new Set([
  'status', 'set', 'header', 'setHeader', 'get', 'getHeader', 'getHeaders', 'hasHeader',
  'removeHeader', 'append', 'type', 'contentType', 'vary', 'location', 'links', 'attachment',
  'cookie', 'clearCookie', 'send', 'json', 'end', 'redirect', 'sendStatus', 'write', 'writeHead',
  'render',
]);
const RES_PROPS = new Set(['locals', 'statusCode', 'headersSent', 'statusMessage']);
/** Packages known to keep no state that matters between requests. */
const STATELESS_PACKAGES = new Set([
  'express', 'lodash', 'underscore', 'uuid', 'ms', 'bytes', 'qs', 'mime', 'mime-types',
  'escape-html', 'validator', 'dayjs', 'moment', 'marked', 'crypto-js', 'bcryptjs',
  'jsonwebtoken', 'querystring',
]);

/**
 * Why a fluxion must stay where its module loaded it (the main thread), or null if it may move.
 * @param {object} f a fluxion of the compiler's graph (with `hints`)
 * @param {(spec: string) => { stateful: boolean } | null} moduleInfo graph of a user module
 * @param {Set<string>} extraStateless packages the project declares stateless
 */
function pinReason(f, moduleInfo, extraStateless = new Set()) {
  const h = f.hints;
  if (f.kind === 'main') return 'module top level';
  if (!h.registered) return 'not registered with the runtime';
  if (f.opaque) return 'opaque (eval/with)';
  if (h.dynamicRequire) return 'calls require() while it runs';
  // `req.user = users[id]`: elsewhere the request would carry a copy, and writes to it be lost.
  if (h.storesState && h.storesState.length) return `stores ${h.storesState[0]} on the request or response`;
  for (const r of h.resources) {
    if (r.kind === 'request') {
      if (r.escapes) return `passes ${r.name} on`;
      const live = r.props.find((p) => REQ_LIVE_PROPS.has(p)) || r.calls.find((c) => !REQ_CALLS.has(c));
      if (live) return `uses ${r.name}.${live}`;
    } else if (r.kind === 'response') {
      if (r.escapes) return `passes ${r.name} on`;
      const live = r.calls.find((c) => !RES_CALLS.has(c)) || r.props.find((p) => !RES_PROPS.has(p));
      if (live) return `uses ${r.name}.${live}`;
    } else if (r.kind !== 'next') {
      return `uses ${r.kind} ${r.name}`;
    }
  }
  for (const s of h.state) {
    if (s.kind === 'code' || s.constant) continue;
    // Each thread runs the module's top level: a value computed there (a time, a random number,
    // a call) may differ from the main thread's.
    if (!s.pureInit) return `uses ${s.name}, whose initial value is the main thread's`;
    if (s.kind === 'stream') return `reads ${s.name}, set on the main thread`;
  }
  for (const m of h.modules) {
    if (isBuiltin(m)) continue;
    if (m.startsWith('.') || m.startsWith('/')) {
      const info = moduleInfo(m);
      if (!info) return `uses module ${m}, not compiled by fluxion`;
      if (info.stateful) return `uses stateful module ${m}`;
      continue;
    }
    const pkg = m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0];
    if (!STATELESS_PACKAGES.has(pkg) && !extraStateless.has(pkg)) return `uses package ${pkg}, not known to be stateless`;
  }
  return null;
}

/**
 * Placement of every fluxion of one module's graph.
 * @returns {Map<string, { where: 'main' | 'replicated' | 'group', group?: string, reason?: string }>}
 */
function placeModule(graph, file, moduleInfo, extraStateless) {
  const out = new Map();
  const reasons = new Map(graph.fluxions.map((f) => [f.id, pinReason(f, moduleInfo, extraStateless)]));
  // Fluxions sharing a tag (grp_x) are one group: it moves only if all of them can.
  const groupOf = new Map();
  for (const f of graph.fluxions) {
    for (const t of f.tags) {
      if (!t.startsWith('grp_')) continue;
      const members = graph.fluxions.filter((g) => g.tags.includes(t));
      const key = `${file}#${t}`;
      for (const m of members) if (!groupOf.has(m.id)) groupOf.set(m.id, key);
    }
  }
  // The variables of each group's context: the state its members write.
  const varsOf = new Map();
  const ctxVars = (f) => f.hints.state.filter((s) => !s.constant && (s.kind === 'scope' || s.kind === 'share')).map((s) => s.name);
  for (const f of graph.fluxions) {
    const key = groupOf.get(f.id) || `${file}#${f.id}`;
    varsOf.set(key, [...new Set([...(varsOf.get(key) || []), ...ctxVars(f)])]);
  }
  for (const f of graph.fluxions) {
    let reason = reasons.get(f.id);
    const group = groupOf.get(f.id);
    if (!reason && group) {
      const blocked = graph.fluxions.find((g) => groupOf.get(g.id) === group && reasons.get(g.id));
      if (blocked) reason = `shares state with ${blocked.name} (${reasons.get(blocked.id)})`;
    }
    // Request properties to check at dispatch: one set by earlier middleware may not be copyable.
    const reqProps = f.hints.resources.filter((r) => r.kind === 'request').flatMap((r) => r.props);
    if (reason) out.set(f.id, { where: 'main', reason });
    else if (group) out.set(f.id, { where: 'group', group, reqProps, vars: varsOf.get(group) });
    else if (ctxVars(f).length) out.set(f.id, { where: 'group', group: `${file}#${f.id}`, reqProps, vars: varsOf.get(`${file}#${f.id}`) });
    else out.set(f.id, { where: 'replicated', reqProps });
  }
  return out;
}

module.exports = { placeModule, pinReason, RES_CALLS, REQ_CALLS };
