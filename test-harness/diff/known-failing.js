'use strict';
// Features the harness finds failing on main today, each with the issue-12 item it is (null for a
// class the harness found beyond that list) and the configuration that shows it. The fixed-seed
// test leaves these features out, saying so; __test__/diff/known-failing.test.js checks that each
// still fails, so the fix of one forces its removal from this table (and its seeds back in).

/** @type {Record<string, { item: number | null, config: string, what: string }>} */
const KNOWN_FAILING_FEATURES = {
  // A way to listen (not a feature: every app listens; excluded the same way).
  'listen:http': { item: 2, config: 'eager/register', what: "a `function` listen callback using `this` (the server) runs on a worker: TypeError at start-up" },
  'await-cpu': { item: 1, config: 'eager/register', what: 'a write after await (CPU work around it) lands in a per-thread copy: counts repeat' },
  'routing-setting': { item: 3, config: 'auto/fluxionize', what: "'case sensitive routing' / 'strict routing' set after fluxionize(express()) are ignored" },
  'startup-callback': { item: 5, config: 'eager/register', what: 'state filled at start-up (fs.promises.readFile().then) is lost for requests on workers' },
  'unclonable-body': { item: 8, config: 'eager/register', what: 'a body with a method or a toJSON class instance crashes the process (DataCloneError)' },
  'load-constant': { item: 10, config: 'eager/register', what: 'a value computed at load in another module differs between threads' },
  'custom-error': { item: 12, config: 'eager/register', what: 'instanceof of a custom error class fails in the error middleware; its fields are lost' },
  'headers-sent': { item: 13, config: 'eager/register', what: 'res.headersSent reads false after res.json on a worker' },
  'top-timer': { item: 14, config: 'eager/register', what: 'top-level timers run again on each worker (effects repeated)' },
  'block-state': { item: 15, config: 'eager/register', what: 'state declared in a top-level block: the process dies at the first request' },
  'then-chain': { item: null, config: 'eager/fluxionize', what: 'a write in a later .then link is split per thread when the app is fluxionize()d' },
  'alias-write': { item: null, config: 'eager/register', what: 'writes through a local alias of a module-level object are not seen as writes: state split' },
  'helper-module': { item: null, config: 'eager/register', what: "state inside a helper module changed by its exported functions is split per thread" },
  session: { item: null, config: 'eager/register', what: 'a session object from a module-level Map, hung on req by middleware and mutated in the route: changes lost' },
  'middleware-chain': { item: null, config: 'eager/register', what: 'a helper function hung on req by middleware: the route on a worker answers 500' },
  'req-objects': { item: null, config: 'eager/register', what: 'a per-request object with a method / a function in res.locals: the route on a worker answers 500' },
  'emitter-after': { item: null, config: 'eager/register', what: 'an object changed by an emitter listener after the response: the change never reaches the state' },
};

module.exports = { KNOWN_FAILING_FEATURES };
