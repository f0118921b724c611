'use strict';
// Which calls a handler hands its request and response to (lib/jit/passes.js), from the
// compiler's real hints of handlers found at run time: followed only when they are the handler's
// own (req, res, next), in place.
const native = require('../../../lib/native');
const { logicalFluxions } = require('../../../lib/placement/static');
const { handedOn } = require('../../../lib/jit/passes');

/** The hints of the handler whose source starts at `marker`, compiled as the JIT does. */
function hintsAt(src, marker) {
  const at = Buffer.byteLength(src.slice(0, src.indexOf(marker)));
  const g = JSON.parse(native.load().compile(src, { filename: '/app/wrappers.js', emit: 'json', handlers: [at] }).output);
  const f = logicalFluxions(g)
    .filter((x) => x.kind !== 'main' && x.root === x.id && x.span[0] <= at && at < x.span[1])
    .sort((x, y) => x.span[1] - x.span[0] - (y.span[1] - y.span[0]))[0];
  return f.hints;
}

const cases = [
  ['wrap', 'const w = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);', '(req', { callees: { fn: ['req', 'res'] } }],
  ['catchAsync', 'function c(fn) { return (req, res, next) => { fn(req, res, next).catch((err) => next(err)); }; }', '(req', { callees: { fn: ['req', 'res'] } }],
  ['without next', 'const w = (fn) => (req, res) => fn(req, res);', '(req', { callees: { fn: ['req', 'res'] } }],
  ['after an await', 'const w = (fn) => async (req, res, next) => { await null; return fn(req, res, next); };', 'async (req', { callees: { fn: ['req', 'res'] } }],
  ['express-async-handler', 'const a = (fn) => function w(...args) { const r = fn(...args); const next = args[args.length - 1]; return Promise.resolve(r).catch(next); };', 'function w', { callees: { fn: ['args'] } }],
  ['an element of args used as an object', 'const a = (fn) => function w(...args) { args[0].user = 1; return fn(...args); };', 'function w', { reason: "takes args[…], one of the request's arguments, under another name" }],
  ['the rest array itself', 'const last = (a) => a[a.length - 1]; const a = (fn) => function w(...args) { fn(...args); return last(args); };', 'function w', { reason: 'passes args to last with args as argument 1 (followed only as (req, res, next), in that order)' }],
  ['swapped', 'const w = (fn) => (req, res, next) => fn(res, req, next);', '(req', { reason: 'passes req to fn with res as argument 1 (followed only as (req, res, next), in that order)' }],
  ['a factory parameter as next', 'const w = (fn, x) => (req, res, next) => fn(req, res, x);', '(req', { reason: 'passes req to fn with x as argument 3 (followed only as (req, res, next), in that order)' }],
  ['a value computed in place as next', 'const w = (fn) => (req, res, next) => fn(req, res, () => next());', '(req', { reason: 'passes req to fn with another value as argument 3 (followed only as (req, res, next), in that order)' }],
  ['a helper given res first', 'const send = (res, v) => res.json(v); const w = () => (req, res) => send(res, 1);', '(req', { reason: 'passes res to send with res as argument 1 (followed only as (req, res, next), in that order)' }],
  ['stored as well', 'const seen = []; const w = (fn) => (req, res, next) => { seen.push(req); fn(req, res, next); };', '(req', { reason: 'passes req on', generic: true }],
  ['a function of its own', 'const w = () => (req, res, next) => { const g = (r) => r.url; return g(req); };', '(req', { reason: 'passes req on', generic: true }],
];

test.each(cases)('%s', (_, src, marker, want) => {
  const got = handedOn(hintsAt(src, marker));
  if (want.callees) expect(Object.fromEntries(got.callees || [])).toEqual(want.callees);
  else expect(got).toEqual({ reason: want.reason, ...(want.generic ? { generic: true } : {}) });
});
