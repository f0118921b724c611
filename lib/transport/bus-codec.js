'use strict';
/**
 * Encoding of bus messages: structured-clone semantics (what `postMessage` gives), made cheaper
 * for the common case.
 *
 * `v8.serialize` is the reference encoding, but called from JS it builds a Serializer object per
 * message (~3 µs for a 100-byte object on our 2-core machine, against ~1.3 µs for a whole
 * `postMessage`, which serializes in C++). Small values made only of plain objects, arrays,
 * strings, finite numbers, booleans and null mean exactly the same thing as JSON, and
 * `JSON.stringify`/`JSON.parse` are 3× cheaper for them. Anything else — undefined, -0, NaN,
 * BigInt, Dates, Maps, Buffers, Errors, class instances, holes or extra properties on arrays,
 * an object reachable twice (identity must survive), long strings (where V8's raw copy wins) —
 * goes through `v8.serialize`. The two are told apart by the first byte: V8's format starts with
 * 0xFF, which UTF-8 JSON text never does.
 */
const v8 = require('node:v8');

/** Deeper than this, the check gives up and V8 encodes the value (no risk of stack overflow). */
const MAX_DEPTH = 64;
/** Total string characters above which V8's encoding is faster than JSON (measured: 2 KB). */
const JSON_STRING_BUDGET = 2048;

const seen = new Set();
let budget = 0;

function jsonSafe(v, depth) {
  switch (typeof v) {
    case 'string':
      return (budget -= v.length) >= 0;
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object':
      break;
    default:
      return false; // undefined, bigint, symbol, function
  }
  if (v === null) return true;
  if (depth > MAX_DEPTH || seen.has(v)) return false;
  seen.add(v);
  const proto = Object.getPrototypeOf(v);
  if (proto === Array.prototype) {
    const n = v.length;
    for (let i = 0; i < n; i++) if (!(i in v) || !jsonSafe(v[i], depth + 1)) return false;
    return Object.keys(v).length === n;
  }
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v) {
    if (!jsonSafe(v[k], depth + 1)) return false;
  }
  return true;
}

/**
 * Encodes `value` now (so that later changes to it do not change what is sent, and a value that
 * cannot be cloned throws here, in the sender): JSON text for plain data, else V8's encoding.
 * @param {unknown} value @returns {string | Buffer}
 */
function encodeItem(value) {
  budget = JSON_STRING_BUDGET;
  let json;
  try {
    json = jsonSafe(value, 0);
  } finally {
    seen.clear();
  }
  return json ? JSON.stringify(value) : v8.serialize(value);
}

/** One message as bytes (what `busSend` takes). @param {unknown} value @returns {Buffer} */
function encode(value) {
  const item = encodeItem(value);
  return typeof item === 'string' ? Buffer.from(item) : item;
}

/** @param {Uint8Array} bytes one message, from `encode` @returns {unknown} */
function decode(bytes) {
  if (bytes[0] === 0xff) return v8.deserialize(bytes);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return JSON.parse(buf.utf8Slice(0, buf.length));
}

/** @param {string | Buffer} item from `encodeItem` @returns {unknown} */
function decodeItem(item) {
  return typeof item === 'string' ? JSON.parse(item) : v8.deserialize(item);
}

/**
 * The messages of one inbox frame `buf[start..end]`: a V8 frame holds one message; any other
 * frame is a batch, a JSON array of messages (`busSendJson`). On the V8 path, Buffers and typed
 * arrays in the result point into `buf`: the caller must not overwrite it afterwards. The JSON
 * path copies by nature.
 * @returns {unknown[]}
 */
function frameValues(buf, start, end) {
  if (buf[start] === 0xff) return [v8.deserialize(buf.subarray(start, end))];
  return JSON.parse(buf.utf8Slice(start, end));
}

module.exports = { encode, encodeItem, decode, decodeItem, frameValues };
