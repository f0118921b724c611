'use strict';
// Express's request and response API as placement sees it: what a handler may call on a stand-in
// request (a snapshot) and a recording response on a worker, and what needs the real objects.
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

module.exports = { REQ_CALLS, REQ_LIVE_PROPS, RES_CALLS, RES_PROPS };
