'use strict';
// Optimistic runs on replicas. A handler whose only obstacle to moving is a library object it
// shares with other handlers (gifsockets' connection lists, holding live responses) runs on a
// worker against a copy of that object; what it does to responses and next() is held back. When
// it returns, the main thread checks that the original object is still what was copied: if so,
// the copy's final state is applied to the original and the held-back calls are replayed — the
// same outcome as running the handler at that moment on the main thread. If anything changed the
// object meanwhile, the worker's run is dropped and the handler runs on the main thread instead.
// Only for handlers that finish synchronously (their response ended or next() called when they
// return): a run still waiting for something cannot be committed.
const M = require('../protocol/messages').kinds;
const http = require('node:http');
const v8 = require('node:v8');
const { threadId } = require('node:worker_threads');
const replica = require('./replica');
const express = require('../frameworks/express/views');
const native = require('../native');
const runtime = require('../core/runtime');

const ENDING = new Set(['end', 'send', 'json-body', 'redirect', 'sendStatus', 'render']);
const counts = new Map(); // fluxion id -> { commits, conflicts, aborts }

// ---- main thread --------------------------------------------------------------------------------

/**
 * Encodes the shared objects for one dispatch; remembers on the request record what was sent.
 * @param {object} rec the request record (lib/scheduler.js)
 * @param {Array<[number, object]>} shared [closure index, live object]
 * @param {(res: object) => number} handleOfResponse
 * @returns {{ spec: object, resources: object } | null} null: not encodable now (run here)
 */
function prepare(rec, shared, handleOfResponse, fn) {
  const resources = {};
  // The responses in the object, by handle: a finished one has no request record any more, and
  // it must still come back as itself (the app may write to it, as it would have).
  const byHandle = new Map();
  const resourceOf = (v) => {
    if (!(v instanceof http.ServerResponse)) return null;
    const h = handleOfResponse(v);
    byHandle.set(h, v);
    if (!resources[h]) resources[h] = { state: express.snapshotResponse(v), settings: express.settingsOf(v.req && v.req.app) };
    return h;
  };
  const spec = {};
  const sent = [];
  try {
    for (const [i, live] of shared) {
      const objects = new Map();
      const enc = replica.encode(live, { resourceOf, objects });
      spec[i] = enc;
      sent.push({ i, live, bytes: v8.serialize(enc), objects });
    }
  } catch (err) {
    if (err instanceof replica.NotEncodable) return null;
    throw err;
  }
  rec.spec = { sent, fn, resourceOf, byHandle };
  return { spec, resources };
}

function note(id, what) {
  let c = counts.get(id);
  if (!c) counts.set(id, (c = { commits: 0, conflicts: 0, aborts: 0 }));
  c[what]++;
  native.load().statsPlacement(id, `replicated (optimistic on replicas: ${c.commits} committed, ${c.conflicts} conflicts, ${c.aborts} unfinished)`);
}

/**
 * A worker's run came back: commit it if the shared objects are unchanged, else run it here.
 * @param {object} rec the request record
 * @param {(h: number) => object | undefined} recordOf request records by handle
 * @param {() => void} release the worker no longer holds this request
 */
function commit(msg, rec, recordOf, release) {
  const spec = rec.spec;
  rec.spec = null;
  const rerun = (what) => {
    note(msg.id, what);
    release();
    // As the router would have run it: a throw (or an Express 5 rejection) goes to next(err).
    runtime.runAsRouter(msg.id, spec.fn, rec.req, rec.res, rec.next, rec.major, false);
  };
  if (msg.t === M.SPEC_ABORT) return rerun('aborts');
  for (const s of spec.sent) {
    let now;
    try {
      now = v8.serialize(replica.encode(s.live, { resourceOf: spec.resourceOf }));
    } catch {
      now = null;
    }
    if (!now || Buffer.compare(now, s.bytes) !== 0) return rerun('conflicts');
  }
  note(msg.id, 'commits');
  const resource = (h) => {
    if (h === msg.h) return rec.res;
    if (spec.byHandle.has(h)) return spec.byHandle.get(h);
    const r = recordOf(h);
    return r && r.res;
  };
  if (msg.changed) for (const s of spec.sent) replica.apply(msg.finals[s.i], s.objects, { resource });
  express.applyRequestChanges(rec.req, msg.changes);
  // Replayed on the real responses, finished or not: what the handler would have done to them.
  for (const e of msg.log) {
    if ('next' in e) {
      release();
      rec.next(express.decodeError(e.next));
    } else {
      const res = resource(e.h);
      if (!res) continue;
      try {
        express.applyResponseOps(res, e.ops);
      } catch (err) {
        // Express refused a call: in the original the handler threw there; the router passes it on.
        release();
        rec.next(err);
        return;
      }
    }
  }
}

// ---- worker -------------------------------------------------------------------------------------

/**
 * Runs a handler against replicas and reports what it did (`spec-commit`) or that it could not
 * finish synchronously (`spec-abort`).
 * @param {object} msg the start message, with `spec` (encoded objects) and `resources`
 * @param {object} env { makeHandler(msg), standIn(msg) -> req, register(proxy, handle), send(msg) }
 */
function run(msg, env) {
  const log = [];
  const made = [];
  const resource = (h) => {
    const r = msg.resources[h];
    const p = express.proxyResponse(r.state, r.settings, (ops) => log.push({ h, ops }));
    env.register(p, { id: h, kind: 'res', state: r.state, settings: r.settings });
    made.push(p);
    return p;
  };
  const ids = {};
  const initial = {};
  let fn;
  try {
    for (const [i, enc] of Object.entries(msg.spec)) {
      const r = replica.decode(enc, { resource });
      msg.closure[i] = r.value;
      ids[i] = r.idOf;
      initial[i] = v8.serialize(enc);
    }
    fn = env.makeHandler(msg);
  } catch (err) {
    env.send({ t: M.REJECT, id: msg.id, h: msg.h, reason: `cannot re-create it on a worker: ${err.message}` });
    return;
  }
  let ended = false;
  let nexted = false;
  const snap = msg.req;
  const original = express.requestOriginal(snap); // before the handler can change anything
  const res = express.proxyResponse(msg.res, msg.settings, (ops) => {
    log.push({ h: msg.h, ops });
    if (ops.some(([name]) => ENDING.has(name))) ended = true;
  });
  const req = env.standIn(msg);
  Object.defineProperty(req, 'res', { value: res, writable: true, configurable: true, enumerable: false });
  res.req = req;
  const next = function next(err) {
    res.__fluxionFlush();
    log.push({ next: express.encodeError(err) });
    nexted = true;
  };
  let ret;
  try {
    ret = runtime.timed(msg.id, fn, undefined, [req, res, next], true);
  } catch (err) {
    next(err);
  }
  for (const p of made) p.__fluxionFlush();
  res.__fluxionFlush();
  const pending = ret && typeof ret.then === 'function';
  if ((!ended && !nexted) || pending) {
    env.send({ t: M.SPEC_ABORT, id: msg.id, h: msg.h, from: threadId });
    return;
  }
  const resourceOf = (v) => {
    const h = env.handleOf(v);
    return h && h.kind === 'res' ? h.id : null;
  };
  const finals = {};
  let changed = false;
  for (const i of Object.keys(msg.spec)) {
    finals[i] = replica.encode(msg.closure[i], { resourceOf, idOf: ids[i], fresh: 'w' });
    if (Buffer.compare(v8.serialize(finals[i]), initial[i]) !== 0) changed = true;
  }
  env.send({
    t: M.SPEC_COMMIT,
    id: msg.id,
    h: msg.h,
    from: threadId,
    changed,
    finals: changed ? finals : null,
    log,
    changes: express.requestChanges(req, original),
  });
}

module.exports = { prepare, commit, run, ENDING };
