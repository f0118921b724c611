'use strict';
// What a web framework adapter provides. fluxion's core, placement and hosts know threads,
// fluxions and request records; an adapter knows what a request, a response and a route handler
// are in one framework. Express's is lib/frameworks/express/; a Fastify or Koa adapter is one
// more folder that exports the same shape (and a `views.js` that workers load by the name).
//
// This file holds the interface only (JSDoc types, mirrored in index.d.ts), and the check that an
// adapter has every piece.

/**
 * @typedef {object} MainAdapter  the main thread's side
 * @property {string} name  folder name under lib/frameworks/ (workers load `<name>/views.js`)
 * @property {(fullId: string, file: string, fn: Function, compiled?: object) => Function} dispatcher
 *   wraps a route handler: runs it where its placement says, as the framework would
 * @property {(id: string, rec: object) => void} runHere  runs a handler on the main thread after all
 *   (a worker gave it back), as the framework's router would
 * @property {(kind: 'req' | 'res', rec: object, checked: boolean) => object} handleState
 *   what a handle to a request or a response carries (a snapshot a worker rebuilds it from)
 * @property {(req: object, changes: object) => void} applyChanges  a worker's changes to `req`
 * @property {(res: object, ops: Array<[string, unknown[]]>) => void} applyOps  a worker's response calls, in order
 * @property {(app: unknown) => void} watch  finds the handlers of a live app (run-time compilation)
 * @property {(server: object) => unknown[]} appsOf  the apps a server answers with
 * @property {{ REQ_CALLS: Set<string>, RES_CALLS: Set<string>, REQ_LIVE_PROPS: Set<string>, RES_PROPS: Set<string> }} api
 *   the request and response methods a handler may use on a worker (placement reads them)
 */

const MAIN_KEYS = ['name', 'dispatcher', 'runHere', 'handleState', 'applyChanges', 'applyOps', 'watch', 'appsOf', 'api'];

/**
 * Throws (naming what is missing) unless `a` is a complete adapter.
 * @param {Partial<MainAdapter>} a
 * @returns {MainAdapter}
 */
function checkAdapter(a) {
  const missing = MAIN_KEYS.filter((k) => !a || a[k] === undefined);
  if (missing.length) throw new TypeError(`fluxion: framework adapter ${a && a.name ? a.name : '?'} lacks ${missing.join(', ')}`);
  return /** @type {MainAdapter} */ (a);
}

module.exports = { checkAdapter, MAIN_KEYS };
