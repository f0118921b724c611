'use strict';
// Errors across threads keep their meaning: the same class on the receiving side (so that
// `err instanceof NotFound` in an error middleware holds), their own fields (`status`, `expose`,
// `code`...), their message and their stack. Structured clone keeps none of the class and drops
// custom fields, which turned a 404 into a 500.
//
// A class is named by what both threads share: its name and its source text. Each thread loads
// the same modules, so the receiving side finds its own copy of the class among the modules it
// loaded (their exports, and the top-level bindings of the modules fluxion compiled).
const v8 = require('node:v8');

const SCOPE = Symbol.for('fluxion.scope');

function cloneable(v) {
  try {
    v8.serialize(v);
    return true;
  } catch {
    return false;
  }
}

/** Built-in error classes, found by name on any thread. */
const BUILTIN = new Set([
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError',
  'AggregateError',
]);

/**
 * How the receiving side finds the error's class, or null for a plain `Error`.
 * @param {Error} e
 * @returns {{ builtin: string } | { name: string, source: string } | null}
 */
function classOf(e) {
  const proto = Object.getPrototypeOf(e);
  const ctor = proto && Object.prototype.hasOwnProperty.call(proto, 'constructor') ? proto.constructor : null;
  if (typeof ctor !== 'function' || ctor === Error) return null;
  if (BUILTIN.has(ctor.name) && globalThis[ctor.name] === ctor) return { builtin: ctor.name };
  return { name: ctor.name, source: Function.prototype.toString.call(ctor) };
}

const found = new Map(); // name + source -> class on this thread (or null: not found)

function matches(v, ref) {
  return typeof v === 'function' && v.name === ref.name && Function.prototype.toString.call(v) === ref.source;
}

/** This thread's copy of a class: in a loaded module's exports or top-level scope. */
function findClass(ref) {
  const key = `${ref.name}\0${ref.source}`;
  if (found.has(key)) return found.get(key);
  let hit = null;
  const cache = require.cache;
  for (const file of Object.keys(cache)) {
    const m = cache[file];
    const ex = m && m.exports;
    if (matches(ex, ref)) hit = ex;
    else if (ex && (typeof ex === 'object' || typeof ex === 'function')) {
      for (const k of Object.keys(ex)) {
        let v;
        try {
          v = ex[k];
        } catch {
          continue;
        }
        if (matches(v, ref)) {
          hit = v;
          break;
        }
      }
    }
    if (!hit && m && typeof m[SCOPE] === 'function' && /^[A-Za-z_$][\w$]*$/.test(ref.name)) {
      // A class the module keeps to itself (`class NotFound extends Error {}` beside its routes).
      try {
        const v = m[SCOPE](`typeof ${ref.name} === 'function' ? ${ref.name} : undefined`);
        if (matches(v, ref)) hit = v;
      } catch {
        // not there
      }
    }
    if (hit) break;
  }
  found.set(key, hit);
  return hit;
}

/**
 * An error (or any thrown value) as data that crosses threads.
 * @param {unknown} e
 */
function encodeError(e) {
  if (!(e instanceof Error)) return { plain: e };
  const props = {};
  for (const k of Object.keys(e)) if (cloneable(e[k])) props[k] = e[k];
  // Own non-enumerable fields that Node sets on its errors (`code` on system errors is enumerable,
  // `cause` is not).
  const cause = Object.prototype.hasOwnProperty.call(e, 'cause') && cloneable(e.cause) ? { cause: e.cause } : {};
  const ownName = Object.prototype.hasOwnProperty.call(e, 'name');
  return { error: true, cls: classOf(e), name: e.name, ownName, message: e.message, stack: e.stack, props, ...cause };
}

/**
 * The error again, as an instance of the same class when this thread has it.
 * @param {ReturnType<typeof encodeError>} x
 */
function decodeError(x) {
  if (!x || !x.error) return x && x.plain;
  let ctor = Error;
  if (x.cls && x.cls.builtin) ctor = globalThis[x.cls.builtin] || Error;
  else if (x.cls) ctor = findClass(x.cls) || Error;
  // The constructor is not run again: it may have effects or need arguments we do not have.
  const e = Object.create(ctor.prototype);
  Object.defineProperty(e, 'message', { value: x.message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(e, 'stack', { value: x.stack, writable: true, configurable: true, enumerable: false });
  if ('cause' in x) Object.defineProperty(e, 'cause', { value: x.cause, writable: true, configurable: true, enumerable: false });
  if (x.ownName || (ctor === Error && x.name && x.name !== 'Error')) {
    Object.defineProperty(e, 'name', { value: x.name, writable: true, configurable: true, enumerable: false });
  }
  Object.assign(e, x.props);
  return e;
}

module.exports = { encodeError, decodeError, classOf };
