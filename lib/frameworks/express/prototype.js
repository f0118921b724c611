'use strict';
// Worker: the request prototype a stand-in request gets, so that Express's request methods
// (`req.get`, `req.accepts`, getters such as `req.path`) work on it as on the real one.
const { createRequire } = require('node:module');

const protoCache = new Map();
const requestModules = new Map(); // file of Express's lib/request.js -> its exports
function requestProto(file, requestModule) {
  if (requestModule) {
    // require() resolves the path again at each call: keep what it gave.
    const known = requestModules.get(requestModule);
    if (known) return known;
    try {
      const proto = require(requestModule);
      requestModules.set(requestModule, proto);
      return proto;
    } catch {
      // fall back to looking Express up from the handler's module
    }
  }
  if (protoCache.has(file)) return protoCache.get(file);
  let proto = Object.prototype;
  try {
    proto = createRequire(file)('express').request;
  } catch {
    proto = require('node:http').IncomingMessage.prototype;
  }
  protoCache.set(file, proto);
  return proto;
}

module.exports = { requestProto };
