'use strict';
// Where a fluxion may run, from the compiler's hints. Pure: every thread computes the same
// answer from the same graph. What cannot be proven safe to move stays on the main thread.
const { isBuiltin } = require('node:module');

const api = require('../frameworks/express/api');

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
  // `req.session.views += 1`: on a copy of req the write would land in a copy of the session.
  if (h.writesInto && h.writesInto.length) return `writes into ${h.writesInto[0]}, an object earlier middleware put there (other requests may share it)`;
  for (const r of h.resources) {
    if (r.kind === 'request') {
      if (r.escapes) return `passes ${r.name} on`;
      const live = r.props.find((p) => api.REQ_LIVE_PROPS.has(p)) || r.calls.find((c) => !api.REQ_CALLS.has(c));
      if (live) return `uses ${r.name}.${live}`;
    } else if (r.kind === 'response') {
      if (r.escapes) return `passes ${r.name} on`;
      const live = r.calls.find((c) => !api.RES_CALLS.has(c)) || r.props.find((p) => !api.RES_PROPS.has(p));
      if (live) return `uses ${r.name}.${live}`;
    } else if (r.kind !== 'next') {
      return `uses ${r.kind} ${r.name}`;
    }
  }
  for (const s of h.state) {
    if (s.kind === 'code' || s.constant) continue;
    // Each thread runs the module's top level: a value computed there (a time, a random number,
    // a call) may differ from the main thread's.
    if (s.blockScoped) return `uses ${s.name}, declared in a block of the module's top level (only that block reaches it)`;
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
 * Callees whose callback runs in the same logical turn as the code that registered it: code after
 * `await`, promise reactions, `process.nextTick`, `queueMicrotask`, `setImmediate`. Sending such a
 * callback to another thread would reorder it against the rest of its turn (response calls made in
 * a nextTick and in a `.then` arriving in the wrong order), so it runs where its caller runs and
 * its state counts as its caller's.
 */
const SAME_TURN = /(^await$|(^|\.)(then|catch|finally)$|^process\.nextTick$|^queueMicrotask$|^(global\.|globalThis\.)?setImmediate$)/;

/**
 * The logical handlers of a module: each fluxion that runs on its own (a route, a listener, a
 * post callback the runtime routes) is a root; a continuation that is not registered with the
 * runtime, or that continues in the same turn (SAME_TURN), folds into the root it continues.
 * Post callbacks of the module's top level are start-up effects: they belong to `main`.
 * @param {object} graph the compiler's graph of one module
 * @returns {Map<string, string>} fluxion id -> id of its root (roots map to themselves)
 */
function rootsOf(graph) {
  const byName = new Map(graph.fluxions.map((f) => [f.name, f]));
  const parent = new Map(); // id -> [parent id, callee]
  for (const rp of graph.rupturePoints || []) {
    if (rp.kind !== 'post') continue;
    const from = byName.get(rp.from) || graph.fluxions.find((f) => f.kind === 'main' && rp.from === 'main');
    if (!from) continue;
    for (const to of rp.to) {
      const f = byName.get(to);
      if (f && !parent.has(f.id)) parent.set(f.id, [from.id, rp.callee]);
    }
  }
  const roots = new Map();
  const rootOf = (f, seen = new Set()) => {
    if (roots.has(f.id)) return roots.get(f.id);
    let root = f.id;
    const up = parent.get(f.id);
    if (up && !seen.has(f.id)) {
      seen.add(f.id);
      const [pid, callee] = up;
      const pf = graph.fluxions.find((g) => g.id === pid);
      // A callback that changes an object it was handed (`order.status = 'shipped'` in a timer
      // set by the listener that got `order`) changes its caller's object: it runs with it.
      const writesUpstream =
        f.hints.state.some((st) => st.kind === 'stream' && st.write) ||
        (graph.variables || []).some((v) => v.kind === 'stream' && v.declaredIn !== f.name && (v.writtenBy || []).includes(f.name));
      const folds = !f.hints.registered || SAME_TURN.test(callee) || (pf && pf.kind === 'main') || writesUpstream;
      if (pf && folds) root = rootOf(pf, seen);
    }
    roots.set(f.id, root);
    return root;
  };
  for (const f of graph.fluxions) rootOf(f);
  return roots;
}

/**
 * A root's hints with those of every continuation folded into it: what the logical handler reads,
 * writes and uses, before and after its awaits.
 */
function foldedHints(graph, rootId, roots) {
  const members = graph.fluxions.filter((g) => roots.get(g.id) === rootId);
  const root = graph.fluxions.find((g) => g.id === rootId);
  const h = root.hints;
  const out = { ...h, state: [...h.state], resources: [...h.resources], modules: [...h.modules], storesState: [...(h.storesState || [])], writesInto: [...(h.writesInto || [])] };
  let opaque = Boolean(root.opaque);
  const tags = new Set(root.tags);
  // Variables declared inside the logical handler (`const user = await lookup()`) are its locals:
  // between its parts they are not state.
  const names = new Set(members.map((m) => m.name));
  const local = (st) => (graph.variables || []).some((v) => v.name === st.name && names.has(v.declaredIn));
  for (const m of members) {
    if (m === root) continue;
    out.state.push(...m.hints.state.filter((st) => !local(st)));
    out.resources.push(...m.hints.resources);
    out.modules.push(...m.hints.modules);
    out.storesState.push(...(m.hints.storesState || []));
    out.writesInto.push(...(m.hints.writesInto || []));
    out.dynamicRequire = out.dynamicRequire || m.hints.dynamicRequire;
    out.usesThis = out.usesThis || m.hints.usesThis;
    opaque = opaque || Boolean(m.opaque);
    for (const t of m.tags) tags.add(t);
  }
  return { hints: out, opaque, tags: [...tags] };
}

/**
 * The fluxions of one module with the continuations folded into their roots (see rootsOf): the
 * unit placement decides for. Also used for handlers compiled at run time (lib/jit.js).
 */
function logicalFluxions(graph) {
  const roots = rootsOf(graph);
  return graph.fluxions.map((f) => {
    if (roots.get(f.id) !== f.id) return { ...f, root: roots.get(f.id) };
    const folded = foldedHints(graph, f.id, roots);
    return { ...f, hints: folded.hints, opaque: folded.opaque, tags: folded.tags, root: f.id };
  });
}

/**
 * Placement of every fluxion of one module's graph. A placement record is plain data:
 * `where` ('main' | 'replicated' | 'group'), the group key and the set of shared tags it stands
 * for (`groups`), the context's variables, and for a continuation `inplace: true` (it runs where
 * its root runs, with its root's record).
 * @returns {Map<string, { where: 'main' | 'replicated' | 'group', group?: string, groups?: string[], reason?: string, inplace?: boolean }>}
 */
function placeModule(graph, file, moduleInfo, extraStateless) {
  const out = new Map();
  const flx = logicalFluxions(graph);
  const roots = flx.filter((f) => f.root === f.id);
  const reasons = new Map(roots.map((f) => [f.id, pinReason(f, moduleInfo, extraStateless)]));
  // Fluxions that share a tag are placed together; a fluxion with two tags joins both groups
  // into one (union-find over tags): a group moves as a whole or not at all.
  const tagParent = new Map();
  const find = (t) => {
    while (tagParent.get(t) !== t) t = tagParent.get(t);
    return t;
  };
  for (const f of roots) {
    const tags = f.tags.filter((t) => t.startsWith('grp_'));
    for (const t of tags) if (!tagParent.has(t)) tagParent.set(t, t);
    for (let i = 1; i < tags.length; i++) {
      const a = find(tags[0]);
      const b = find(tags[i]);
      if (a !== b) tagParent.set(b < a ? a : b, b < a ? b : a);
    }
  }
  const tagsOfSet = new Map(); // representative tag -> every tag of its set
  for (const t of tagParent.keys()) {
    const r = find(t);
    tagsOfSet.set(r, [...(tagsOfSet.get(r) || []), t].sort());
  }
  const groupOf = new Map(); // root id -> { key, tags }
  for (const f of roots) {
    const t = f.tags.find((x) => x.startsWith('grp_'));
    if (!t) continue;
    const tags = tagsOfSet.get(find(t));
    groupOf.set(f.id, { key: `${file}#${tags.join('+')}`, tags });
  }
  // The variables of each group's context: the state its members write.
  const varsOf = new Map();
  const ctxVars = (f) => f.hints.state.filter((s) => !s.constant && !s.blockScoped && (s.kind === 'scope' || s.kind === 'share')).map((s) => s.name);
  for (const f of roots) {
    const key = groupOf.has(f.id) ? groupOf.get(f.id).key : `${file}#${f.id}`;
    varsOf.set(key, [...new Set([...(varsOf.get(key) || []), ...ctxVars(f)])]);
  }
  for (const f of roots) {
    let reason = reasons.get(f.id);
    const group = groupOf.get(f.id);
    if (!reason && group) {
      const blocked = roots.find((g) => groupOf.has(g.id) && groupOf.get(g.id).key === group.key && reasons.get(g.id));
      if (blocked) reason = `shares state with ${blocked.name} (${reasons.get(blocked.id)})`;
    }
    // Request properties to check at dispatch: one set by earlier middleware may not be copyable.
    const reqProps = f.hints.resources.filter((r) => r.kind === 'request').flatMap((r) => r.props);
    if (reason) out.set(f.id, { where: 'main', reason });
    else if (group) out.set(f.id, { where: 'group', group: group.key, groups: group.tags, reqProps, vars: varsOf.get(group.key) });
    else if (ctxVars(f).length) out.set(f.id, { where: 'group', group: `${file}#${f.id}`, groups: [], reqProps, vars: varsOf.get(`${file}#${f.id}`) });
    else out.set(f.id, { where: 'replicated', reqProps });
  }
  for (const f of flx) {
    if (f.root === f.id) continue;
    const root = out.get(f.root);
    out.set(f.id, root.where === 'main' && f.root.startsWith('main@')
      ? { where: 'main', reason: 'a start-up callback of the module top level (runs once, on the main thread)', startup: true }
      : { ...root, inplace: true, root: f.root });
  }
  return out;
}

/**
 * The fluxions of a module that write through one of its module bindings (`db.pets[id].name =
 * x` with `const db = require('./db')`): the objects of the modules they use are state.
 * @returns {Set<string>} fluxion names
 */
function moduleWriters(graph) {
  const out = new Set();
  for (const v of graph.variables || []) if (v.kind === 'module') for (const w of v.writtenBy || []) out.add(w);
  return out;
}

/** A relative (the app's own) module specifier. */
const isRelative = (spec) => spec.startsWith('.') || spec.startsWith('/');

module.exports = { moduleWriters, isRelative, placeModule, pinReason, logicalFluxions, rootsOf, SAME_TURN };
