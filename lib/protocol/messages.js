'use strict';
// Every message between fluxion's threads, in one table: its kind, who sends it, who handles it,
// and its fields. Code names a kind only through `kinds` (a test checks that no other file spells
// one), and the README's architecture section is checked against this table.
//
// The transport (lib/transport/) assumes no shared memory: the same messages could travel between
// processes or machines over a broker (a subject per fluxion, queue groups for replicated ones).

/**
 * @typedef {object} MessageSpec
 * @property {'main' | 'worker' | 'any'} from
 * @property {'main' | 'worker' | 'any'} to
 * @property {string} handler  where it is handled
 * @property {Record<string, string>} fields  field -> meaning
 * @property {string} doc
 */

/** @type {Record<string, MessageSpec>} */
const TABLE = {
  start: {
    from: 'main',
    to: 'worker',
    handler: 'hosts/worker.js runStart',
    fields: {
      id: 'fluxion id of the route handler', file: 'its module', h: 'request handle', req: 'request snapshot',
      res: 'response state (headers, status, locals)', settings: 'app settings', appView: 'app.locals (data) and mountpath',
      express: "framework's major version", requestModule: 'module of the request prototype',
      closure: 'closure values (run-time compiled handler)', jit: 'its definition, the first time', spec: 'objects for an optimistic run',
      resources: 'other responses it may write (optimistic run)', fwd: 'already forwarded once',
      d: "dispatch number, when the main thread stands in for the handler's returned value (Express 4 and older)",
    },
    doc: 'run a route handler for a request',
  },
  post: {
    from: 'any',
    to: 'any',
    handler: 'core/runtime.js runPost (hosts/main.js, hosts/worker.js)',
    fields: { id: 'fluxion id', file: 'its module', vars: 'variables it carries (values or handles)', args: 'callback arguments', fwd: 'already forwarded once' },
    doc: 'run a post callback (a continuation) where its fluxion is hosted',
  },
  res: {
    from: 'worker',
    to: 'main',
    handler: 'hosts/main.js onMessage',
    fields: { h: 'request handle', ops: 'response calls in the order the handler made them', changes: "the handler's changes to req" },
    doc: 'apply response calls on the real response',
  },
  next: {
    from: 'worker',
    to: 'main',
    handler: 'hosts/main.js onMessage',
    fields: { h: 'request handle', from: 'worker thread', err: 'error given to next (wire/errors.js)', changes: "the handler's changes to req" },
    doc: "continue the router after the handler called next()",
  },
  settled: {
    from: 'worker',
    to: 'main',
    handler: 'hosts/main.js onMessage',
    fields: { d: 'dispatch number (from start)', ok: 'whether it fulfilled', err: 'the rejection reason (wire/errors.js)' },
    doc: "what the handler returned settled: the main thread's stand-in promise settles the same way (Express 4 and older)",
  },
  reject: {
    from: 'worker',
    to: 'main',
    handler: 'hosts/main.js onMessage',
    fields: { id: 'fluxion id', h: 'request handle', d: 'dispatch number (from start)', reason: 'why the worker cannot run it' },
    doc: 'the worker cannot run this handler: run it on the main thread, now and from now on',
  },
  'post-reject': {
    from: 'worker',
    to: 'main',
    handler: 'hosts/main.js onMessage',
    fields: { msg: 'the post message', from: 'worker thread' },
    doc: 'the module did not load compiled on the worker: run the post here',
  },
  'spec-commit': {
    from: 'worker',
    to: 'main',
    handler: 'optimistic/speculate.js commit',
    fields: { h: 'request handle', from: 'worker thread', log: 'response calls and next()', finals: 'shared objects after the run', changed: 'whether they changed', changes: "changes to req" },
    doc: 'an optimistic run finished: commit it unless the shared objects changed meanwhile',
  },
  'spec-abort': {
    from: 'worker',
    to: 'main',
    handler: 'optimistic/speculate.js commit',
    fields: { h: 'request handle', from: 'worker thread' },
    doc: 'an optimistic run could not finish synchronously: run the handler on the main thread',
  },
  'call-result': {
    from: 'main',
    to: 'worker',
    handler: 'hosts/worker.js onMessage',
    fields: { id: 'the waiting callback', args: '[error (wire/errors.js) or null, result]' },
    doc: "the result of a call a worker's handler made on a main-thread object (res.render with a callback)",
  },
  slots: {
    from: 'main',
    to: 'worker',
    handler: 'hosts/worker.js onMessage',
    fields: { slots: 'thread ids of the pool' },
    doc: 'the worker pool changed',
  },
  hosts: {
    from: 'main',
    to: 'worker',
    handler: 'hosts/worker.js onMessage',
    fields: { hosts: '[group, thread id] of contexts moved off their default host' },
    doc: 'where each moved context lives',
  },
  'drain-group': {
    from: 'main',
    to: 'worker',
    handler: 'hosts/worker.js onMessage',
    fields: { group: 'group key', to: 'new host' },
    doc: 'a context moves away: finish what was sent for it (and its async runs), commit, answer group-drained',
  },
  'group-drained': {
    from: 'worker',
    to: 'main',
    handler: 'hosts/main.js onMessage',
    fields: { group: 'group key', to: 'new host' },
    doc: 'the old host is done with the context: send its queued messages to the new host',
  },
  load: {
    from: 'worker',
    to: 'main',
    handler: 'hosts/main.js onMessage',
    fields: { from: 'worker thread', delayMs: 'mean event-loop delay over the last second (ms)', maxDelayMs: 'its maximum' },
    doc: "the worker's event-loop delay, once a second while the dashboard is on",
  },
  undeliverable: {
    from: 'any',
    to: 'main',
    handler: 'hosts/main.js onMessage',
    fields: { msg: 'the message', to: 'the thread that is gone' },
    doc: 'the transport could not deliver a message (its thread stopped)',
  },
};

/** Kind names as constants: `kinds.START === 'start'`, `kinds.POST_REJECT === 'post-reject'`. */
const kinds = Object.freeze(Object.fromEntries(Object.keys(TABLE).map((k) => [k.toUpperCase().replace(/-/g, '_'), k])));

module.exports = { TABLE, kinds };
