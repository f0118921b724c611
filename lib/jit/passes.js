'use strict';
// The calls a handler hands its request and response to. The most common Express wrapper,
// `wrap(fn)` returning `(req, res, next) => Promise.resolve(fn(req, res, next)).catch(next)`,
// does nothing with them but that call: whether it may leave the main thread is whether `fn`
// may, analysed as a handler in its place. Pure: it reads the compiler's hints (`passedTo`, the
// calls a resource leaves through when those are its only escapes); lib/jit/index.js looks the
// callees up in the handler's closure and checks them.

/** Where a handler receives each resource: a callee checked as a handler gets it there too. */
const POSITION = { request: 0, response: 1, next: 2 };

/**
 * The named functions a handler hands its request or response to, each called with the
 * handler's own (req, res, next) in place — so that analysing the callee as a handler binds
 * its parameters to what they really are.
 * @param {{ resources: Array<{ name: string, kind: string, escapes: boolean, props: string[],
 *   rest?: boolean, elementsOnlyCalled?: boolean,
 *   passedTo?: Array<{ callee: string, index: number, spread: boolean, args: string[] }> }> }} hints
 *   the handler's hints (its continuations folded in)
 * @returns {{ callees: Map<string, string[]> } | { reason: string, generic?: boolean }} callees:
 *   name -> the resources it is given (for reasons people read); reason: why it cannot be
 *   followed (generic: it leaves other than through a named call)
 */
function handedOn(hints) {
  const own = new Map(); // parameter name -> { kind, rest }, for the handler's resources
  for (const r of hints.resources) if (r.kind in POSITION) own.set(r.name, { kind: r.kind, rest: Boolean(r.rest) });
  const callees = new Map();
  for (const r of hints.resources) {
    if (!r.escapes || (r.kind !== 'request' && r.kind !== 'response')) continue;
    // Stored, returned, given to a method or to a function of its own: today's reason, as
    // pinReason words it.
    if (!r.passedTo) return { reason: `passes ${r.name} on`, generic: true };
    // `args[i]` of a rest parameter is req, res or next itself, under another name: followed
    // only into locals that are only called or handed to a promise (express-async-handler's
    // `const next = args[args.length - 1]` ... `.catch(next)`).
    if (r.rest && r.props.some((p) => p !== 'length' && !(p === '[]' && r.elementsOnlyCalled))) {
      return { reason: `takes ${r.name}[…], one of the request's arguments, under another name` };
    }
    for (const p of r.passedTo) {
      const bad = p.args.findIndex((a, i) => !inPlace(a, i, own));
      if (bad >= 0) {
        return { reason: `passes ${r.name} to ${p.callee} with ${p.args[bad] === '?' ? 'another value' : p.args[bad]} as argument ${bad + 1} (followed only as (req, res, next), in that order)` };
      }
      callees.set(p.callee, [...new Set([...(callees.get(p.callee) || []), r.name])]);
    }
  }
  return { callees };
}

/**
 * Whether argument `i` of a call is the handler's own parameter for that position: `req` as
 * the first, or `...args` of a rest parameter from where its arguments start.
 */
function inPlace(arg, i, own) {
  const spread = arg.startsWith('...');
  const p = own.get(spread ? arg.slice(3) : arg);
  return Boolean(p) && p.rest === spread && POSITION[p.kind] === i;
}

module.exports = { handedOn, POSITION };
