'use strict';
// The fluxion graph as the dashboard and `fluxion compile --emit svg` draw it: from the
// compiler's graphs (one per module, the JSON of `--emit json`), nodes for fluxions and for the
// module variables that are contexts (scope) or shared (share, a grp_ tag), edges for the
// messages between fluxions (start: a listener, post: a continuation) and for who owns or shares
// which variable. Node ids are the runtime's fluxion ids (`<file>#<id>`, as in stats()), so live
// figures attach to them. Plain data: it is laid out by public/render.js.
const path = require('node:path');

/**
 * @typedef {{ id: string, kind: 'main' | 'fluxion' | 'scope' | 'share' | 'runtime', name: string,
 *   label: string, route?: string, cluster: string, tags?: string[], context?: string[], line?: number }} ModelNode
 * @typedef {{ from: string, to: string, kind: 'start' | 'post' | 'owns' | 'shares', label?: string, writes?: boolean }} ModelEdge
 * @typedef {{ id: string, label: string }} ModelCluster
 * @typedef {{ nodes: ModelNode[], edges: ModelEdge[], clusters: ModelCluster[] }} Model
 */

const ROUTE_METHODS = new Set(['get', 'post', 'put', 'delete', 'patch', 'all', 'use', 'head', 'options']);

/**
 * `GET /cpu/:n` for a listener registered by `app.get('/cpu/:n', ...)` at `loc` of `source`.
 * @param {string} callee e.g. `express().get`
 * @param {{ line: number, col: number }} loc
 * @param {string[] | null} lines the module's source lines
 */
function routeOf(callee, loc, lines) {
  const method = callee.slice(callee.lastIndexOf('.') + 1);
  if (!ROUTE_METHODS.has(method)) return null;
  const verb = method === 'use' ? 'USE' : method.toUpperCase();
  if (!lines || !loc) return verb;
  const text = lines.slice(loc.line - 1, loc.line + 2).join('\n').slice(Math.max(0, loc.col - 1));
  const m = new RegExp(`\\.${method}\\(\\s*(['"\`])([^'"\`\\n]{0,80})\\1`).exec(text);
  return m ? `${verb} ${m[2]}` : verb;
}

/**
 * Builds the model from compiled graphs.
 * @param {Iterable<[string, any]>} graphs file -> compiler graph (`fluxion compile --emit json`)
 * @param {{ sourceOf?: (file: string) => string | null, ids?: Iterable<string>, root?: string }} [options]
 *   sourceOf: a module's source (for route paths); ids: fluxion ids seen at run time (stats()),
 *   drawn too when no graph has them (handlers compiled from the live router); root: file
 *   names are shown relative to it
 * @returns {Model}
 */
function build(graphs, options = {}) {
  const { sourceOf = () => null, ids = [], root = process.cwd() } = options;
  /** @type {Model} */
  const model = { nodes: [], edges: [], clusters: [] };
  const known = new Set();
  const shown = (file) => {
    const r = path.relative(root, file);
    return r && !r.startsWith('..') ? r : file;
  };
  for (const [file, g] of graphs) {
    if (!g || !Array.isArray(g.fluxions)) continue;
    const others = g.fluxions.filter((f) => f.kind !== 'main');
    const main = g.fluxions.find((f) => f.kind === 'main');
    // A module with no fluxion but its top level (a config file, a helper) says nothing here.
    if (!others.length) continue;
    const cluster = `file:${file}`;
    model.clusters.push({ id: cluster, label: shown(file) });
    let lines = null;
    try {
      const src = sourceOf(file);
      lines = src ? src.split('\n') : null;
    } catch {
      lines = null;
    }
    const idOf = new Map(); // name -> full id (first one of that name)
    for (const f of g.fluxions) if (!idOf.has(f.name)) idOf.set(f.name, `${file}#${f.id}`);
    const routes = new Map(); // fluxion name -> route label
    for (const rp of g.rupturePoints || []) {
      if (rp.kind !== 'start') continue;
      const r = routeOf(rp.callee || '', rp.loc, lines);
      if (r) for (const to of rp.to || []) if (!routes.has(to)) routes.set(to, r);
    }
    for (const f of g.fluxions) {
      const id = `${file}#${f.id}`;
      known.add(id);
      model.nodes.push({
        id,
        kind: f.kind === 'main' ? 'main' : 'fluxion',
        name: f.name,
        label: f.kind === 'main' ? `main (${path.basename(file)})` : f.name,
        route: routes.get(f.name),
        cluster,
        tags: f.tags || [],
        context: f.context || [],
        line: f.loc ? f.loc.line : undefined,
      });
      for (const s of f.streams || []) {
        const to = idOf.get(s.to);
        if (!to) continue;
        model.edges.push({ from: id, to, kind: s.kind === 'post' ? 'post' : 'start', label: (s.vars || []).length ? `[${s.vars.join(', ')}]` : undefined });
      }
    }
    for (const v of g.variables || []) {
      if (v.kind !== 'scope' && v.kind !== 'share') continue;
      if (main && v.declaredIn !== main.name) continue; // module-level state only
      const vid = `${file}#var:${v.name}`;
      const users = (v.usedBy || []).map((n) => idOf.get(n)).filter(Boolean);
      if (!users.length) continue;
      model.nodes.push({ id: vid, kind: v.kind, name: v.name, label: v.kind === 'share' ? `${v.name} (grp_${v.name})` : v.name, cluster, line: v.loc ? v.loc.line : undefined });
      for (const u of users) {
        const writes = (v.writtenBy || []).includes(model.nodes.find((n) => n.id === u).name);
        model.edges.push({ from: u, to: vid, kind: v.kind === 'share' ? 'shares' : 'owns', writes });
      }
    }
  }
  // Handlers compiled at run time from the live router (node_modules, factories): no module
  // graph of the require hook has them.
  const extra = [...ids].filter((id) => !known.has(id));
  if (extra.length) {
    const cluster = 'file:<run time>';
    model.clusters.push({ id: cluster, label: 'compiled at run time from the router' });
    for (const id of extra) {
      const hash = id.lastIndexOf('#');
      const name = id.slice(hash + 1).replace(/@\d+$/, '');
      model.nodes.push({ id, kind: 'runtime', name, label: `${name} (${path.basename(id.slice(0, hash))})`, cluster });
    }
  }
  return model;
}

module.exports = { build, routeOf };
