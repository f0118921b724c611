'use strict';
// Errors of the GoT layer. The native addon reports them as `[CODE] message`; `call` turns
// that into a GotError with `code` (and `status` for a server's answer).

/** A dataframe, store or protocol error. `code` says which; `status` is a server's status. */
class GotError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = 'GotError';
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

const PREFIX = /^\[([A-Z0-9_]+)\] /;

// Errors thrown by the addon come from Node's own realm, so `instanceof Error` can be false
// (under Jest's vm contexts): test the shape instead.
function translate(e) {
  if (!e || typeof e.message !== 'string') return e;
  const m = PREFIX.exec(e.message);
  if (!m) return e;
  const code = m[1];
  const status = /^GOT_STATUS_(\d+)$/.exec(code);
  const out = new GotError(code, e.message.slice(m[0].length), status ? Number(status[1]) : undefined);
  return out;
}

/** Set while a user merge function runs (it runs inside a native call holding locks). */
const state = { merging: 0 };

function reentrant() {
  return new GotError(
    'GOT_REENTRANT',
    'a merge function must not call dataframe methods (it runs while the version graph is locked)'
  );
}

/** Calls a native method, translating its errors. */
function call(target, method, ...args) {
  if (state.merging) throw reentrant();
  try {
    return target[method](...args);
  } catch (e) {
    throw translate(e);
  }
}

/** Awaits a native promise, translating its rejection. */
async function callAsync(target, method, ...args) {
  if (state.merging) throw reentrant();
  try {
    return await target[method](...args);
  } catch (e) {
    throw translate(e);
  }
}

module.exports = { GotError, call, callAsync, translate, state };
