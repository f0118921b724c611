'use strict';
// Values a message carries (a post callback's arguments, its variables): plain data goes as it
// is (structured clone); errors go by lib/wire/errors.js, so they arrive as the same class.
const { encodeError, decodeError } = require('./errors');

/** @param {unknown[]} args */
function encodeArgs(args) {
  return args.map((a) => (a instanceof Error ? { __err: encodeError(a) } : { v: a }));
}

/** @param {Array<{ __err?: object, v?: unknown }>} args */
function decodeArgs(args) {
  return args.map((a) => ('__err' in a ? decodeError(a.__err) : a.v));
}

module.exports = { encodeArgs, decodeArgs, encodeError, decodeError };
