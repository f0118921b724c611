'use strict';
// req, res and next across threads (the paper's express_dispatcher, generalised): a request
// snapshot with Express's request methods, a response whose calls are replayed in order on the
// main thread, and a next() that merges the worker's changes to req back first.
const v8 = require('node:v8');

/** Request fields every snapshot carries: Express's request methods work from these. */
const REQ_FIELDS = [
  'method', 'url', 'originalUrl', 'baseUrl', 'params', 'query', 'headers', 'body', 'cookies',
  'signedCookies', 'httpVersion',
];
/**
 * Fields computed from the socket or by Express's getters (some are costly: `fresh` hashes
 * headers): copied only when the handler reads them, or when nothing says what it reads.
 */
const REQ_COMPUTED = [
  'path', 'rawHeaders', 'ip', 'ips', 'protocol', 'secure', 'xhr', 'fresh', 'stale',
];
/**
 * Express's getters that a worker runs itself, from the request's own headers (a handler may
 * change `req.headers.host` before reading `req.hostname`): they need only whether the first
 * proxy hop is trusted, which the snapshot carries under TRUST.
 */
const REQ_HOST = ['host', 'hostname', 'subdomains'];
const TRUST = '\u0000trust proxy hop 0';
const SKIP_OWN = new Set([
  'socket', 'client', 'res', 'next', 'app', 'route', '_readableState', '_events', '_eventsCount',
  '_maxListeners', 'connection', 'rawTrailers', 'trailers', 'aborted', 'upgrade', 'complete',
  '_consuming', '_dumped', '_parsedUrl', '_parsedOriginalUrl', 'readable',
]);

function cloneable(v) {
  try {
    v8.serialize(v);
    return true;
  } catch {
    return false;
  }
}

const { encodeError, decodeError } = require('../../wire/values');

const fieldLists = new WeakMap(); // props array (from the placement) -> fields to copy
const ALL_FIELDS = REQ_FIELDS.concat(REQ_COMPUTED);

function fieldsFor(props) {
  if (!props) return ALL_FIELDS;
  let f = fieldLists.get(props);
  if (!f) {
    f = REQ_FIELDS.concat(REQ_COMPUTED.filter((k) => props.includes(k)));
    fieldLists.set(props, f);
  }
  return f;
}

/**
 * Main thread: what a worker needs to rebuild `req`. With `checked`, values that cannot be
 * structured-cloned are left out (the caller retries with it when sending failed).
 */
function snapshotRequest(req, checked = false, props = null) {
  const snap = {};
  const fields = fieldsFor(props);
  for (let i = 0; i < fields.length; i++) {
    const k = fields[i];
    let v;
    try {
      v = req[k];
    } catch {
      continue;
    }
    if (v !== undefined && typeof v !== 'function' && (!checked || cloneable(v))) snap[k] = v;
  }
  // Whatever earlier middleware attached (req.user, req.id...), when it can be copied.
  const own = Object.keys(req);
  for (let i = 0; i < own.length; i++) {
    const k = own[i];
    if (k in snap || SKIP_OWN.has(k) || k.charCodeAt(0) === 95 /* _ */) continue;
    const v = req[k];
    if (v !== undefined && typeof v !== 'function' && (!checked || cloneable(v))) snap[k] = v;
  }
  if (!props || REQ_HOST.some((k) => props.includes(k))) {
    const app = req.app;
    const trust = app && typeof app.get === 'function' ? app.get('trust proxy fn') : null;
    const socket = req.socket || req.connection;
    try {
      snap[TRUST] = typeof trust === 'function' ? Boolean(trust(socket && socket.remoteAddress, 0)) : false;
    } catch {
      snap[TRUST] = false;
    }
  }
  return snap;
}

/** In a settings snapshot: the app's `json replacer` is a function (it stays on the main thread). */
const REPLACER_FN = '\u0000json replacer is a function';

/**
 * Express's Content-Type rule (`res.set('Content-Type', 'html')` is `text/html; charset=utf-8`):
 * the mime-types package Express itself uses, found from the app's Express; without it, the
 * charset rule for text types.
 */
let contentTypeOf;
function contentType(value) {
  if (contentTypeOf === undefined) {
    contentTypeOf = null;
    try {
      const path = require('node:path');
      const express = require.resolve('express', { paths: [process.cwd()] });
      contentTypeOf = require(require.resolve('mime-types', { paths: [path.dirname(express)] })).contentType;
    } catch {
      // fall back below
    }
  }
  if (contentTypeOf) return contentTypeOf(value) || value;
  return /;\s*charset=/i.test(value) || !/^text\//i.test(value) ? value : `${value}; charset=utf-8`;
}

/**
 * Worker: callbacks waiting for a main-thread call's result (`res.render(view, cb)`), by id.
 * `add` gives the id that travels with the call; `answer` runs the callback when the result comes.
 */
const callbacks = {
  next: 1,
  waiting: new Map(),
  add(fn) {
    const id = this.next++;
    this.waiting.set(id, fn);
    return { id, thread: require('node:worker_threads').threadId };
  },
  answer(id, args) {
    const fn = this.waiting.get(id);
    this.waiting.delete(id);
    if (fn) fn(args[0] ? decodeError(args[0]) : null, args[1]);
  },
};

const settingsCache = new WeakMap(); // app -> { values, snapshot }

/** The app's settings that can be copied; recomputed only when one of them changed. */
function settingsOf(app) {
  const s = (app && app.settings) || {};
  const keys = Object.keys(s);
  const cached = settingsCache.get(s);
  if (cached && cached.keys.length === keys.length && keys.every((k, i) => cached.keys[i] === k && cached.values[i] === s[k])) {
    return cached.snapshot;
  }
  const snapshot = {};
  for (const k of keys) if (typeof s[k] !== 'function' && cloneable(s[k])) snapshot[k] = s[k];
  if (typeof s['json replacer'] === 'function') snapshot[REPLACER_FN] = true;
  settingsCache.set(s, { keys, values: keys.map((k) => s[k]), snapshot });
  return snapshot;
}

const viewCache = new WeakMap(); // app.locals -> { keys, values, mountpath, view }

/**
 * What a worker's `req.app` shows besides the settings: `app.locals` as data (functions and
 * sockets left out) and the app's `mountpath`. Recomputed only when one of them changed.
 */
function appViewOf(app) {
  const l = app && app.locals;
  const mountpath = app && app.mountpath;
  if (!l || typeof l !== 'object') return { locals: {}, mountpath };
  const keys = Object.keys(l);
  const cached = viewCache.get(l);
  if (cached && cached.mountpath === mountpath && cached.keys.length === keys.length && keys.every((k, i) => cached.keys[i] === k && cached.values[i] === l[k])) {
    return cached.view;
  }
  const locals = {};
  for (const k of keys) if (k !== 'settings' && typeof l[k] !== 'function' && cloneable(l[k])) locals[k] = l[k];
  const view = { locals, mountpath: cloneable(mountpath) ? mountpath : undefined };
  viewCache.set(l, { keys, values: keys.map((k) => l[k]), mountpath, view });
  return view;
}

/**
 * Main thread: what a worker needs to mirror `res`. With `checked`, locals that cannot be
 * structured-cloned are left out (the caller retries with it when sending failed); without, the
 * send itself is the test, so that the common case costs no extra serialisation.
 */
function snapshotResponse(res, checked = false) {
  const src = res.locals;
  const locals = {};
  if (src) {
    const keys = Object.keys(src);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (!checked || cloneable(src[k])) locals[k] = src[k];
    }
  }
  return { headers: res.getHeaders(), statusCode: res.statusCode, headersSent: res.headersSent, locals };
}

const protoKeys = new WeakMap(); // prototype -> (name -> whether assignment would not define it)

function definedOn(proto) {
  let fn = protoKeys.get(proto);
  if (fn) return fn;
  const known = new Map();
  fn = (k) => {
    let r = known.get(k);
    if (r === undefined) {
      r = false;
      for (let p = proto; p; p = Object.getPrototypeOf(p)) {
        const d = Object.getOwnPropertyDescriptor(p, k);
        if (d) {
          r = Boolean(d.get || d.set || !d.writable);
          break;
        }
      }
      known.set(k, r);
    }
    return r;
  };
  protoKeys.set(proto, fn);
  return fn;
}

/** Worker: a request object with Express's request prototype and the snapshot's values. */
function standInRequest(proto, snap, settings, view) {
  const req = Object.create(proto);
  const needsDefine = definedOn(proto);
  const trusted = Boolean(snap[TRUST]);
  // What Express's host getters read of the socket; whether the hop is trusted was decided on
  // the main thread (the app's 'trust proxy fn' is a function: it does not cross threads).
  const socket = { remoteAddress: undefined, encrypted: snap.protocol === 'https' };
  Object.defineProperty(req, 'connection', { value: socket, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(req, 'socket', { value: socket, writable: true, configurable: true, enumerable: false });
  for (const k of Object.keys(snap)) {
    if (k === TRUST) continue;
    // An assignment makes the same own property as defineProperty, unless the prototype chain
    // has a getter/setter or a read-only value under that name (Express 5's `query`, `path`...).
    if (k === '__proto__' || needsDefine(k)) Object.defineProperty(req, k, { value: snap[k], writable: true, configurable: true, enumerable: true });
    else req[k] = snap[k];
  }
  Object.defineProperty(req, 'app', { value: appView(req, settings, view || {}, trusted), writable: true, configurable: true, enumerable: false });
  return req;
}

/**
 * Worker: what `req.app` is in a handler here — the app's settings and locals as the main
 * thread had them when the request left it. A setting changed here is applied to the real app
 * too, in order with the response's calls.
 */
function appView(req, settings, view, trusted) {
  const own = { ...settings };
  own['trust proxy fn'] = () => trusted;
  delete own[REPLACER_FN];
  const change = (k, v) => {
    own[k] = v;
    if (req.res && typeof req.res.__fluxionRecord === 'function') req.res.__fluxionRecord('app.set', [k, v]);
    return app;
  };
  const app = {
    settings: own,
    locals: { ...(view.locals || {}), settings: own },
    mountpath: view.mountpath === undefined ? '/' : view.mountpath,
    get: (k) => own[k],
    enable: (k) => change(k, true),
    disable: (k) => change(k, false),
    enabled: (k) => Boolean(own[k]),
    disabled: (k) => !own[k],
  };
  app.set = function set(k, v) {
    return arguments.length === 1 ? own[k] : change(k, v);
  };
  return app;
}

/** Plain data: what a copy keeps whole (a class instance would arrive without its methods). */
function plainData(v, depth = 0) {
  if (v === null || typeof v !== 'object') return typeof v !== 'function';
  if (depth > 8) return true;
  if (Array.isArray(v)) return v.every((x) => plainData(x, depth + 1));
  if (Buffer.isBuffer(v) || v instanceof Date || v instanceof RegExp) return true;
  const p = Object.getPrototypeOf(v);
  if (p !== Object.prototype && p !== null) return false;
  return Object.values(v).every((x) => plainData(x, depth + 1));
}

const warnedNotPlain = new Set();

const NOT_PLAIN = Symbol('not plain');
const COPY_LIMIT = 4096;

/**
 * A deep copy of plain data (plain objects and arrays, Dates, RegExps, primitives), or NOT_PLAIN
 * (anything else, or too large a value).
 */
function plainCopy(value) {
  let nodes = 0;
  const copy = (v, depth) => {
    if (v === null || typeof v !== 'object') return typeof v === 'function' || typeof v === 'symbol' ? NOT_PLAIN : v;
    if (++nodes > COPY_LIMIT || depth > 64) return NOT_PLAIN;
    const proto = Object.getPrototypeOf(v);
    if (Array.isArray(v)) {
      if (proto !== Array.prototype) return NOT_PLAIN;
      const out = new Array(v.length);
      for (let i = 0; i < v.length; i++) if ((out[i] = copy(v[i], depth + 1)) === NOT_PLAIN) return NOT_PLAIN;
      return out;
    }
    if (proto === Date.prototype) return new Date(v.getTime());
    if (proto === RegExp.prototype) return new RegExp(v.source, v.flags);
    if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
    const out = proto === null ? Object.create(null) : {};
    for (const k of Object.keys(v)) {
      const c = copy(v[k], depth + 1);
      if (c === NOT_PLAIN) return NOT_PLAIN;
      if (k === '__proto__') Object.defineProperty(out, k, { value: c, writable: true, configurable: true, enumerable: true });
      else out[k] = c;
    }
    return out;
  };
  return copy(value, 0);
}

/** Whether two values of plain data are equal (what a structured clone would keep of them). */
function sameData(a, b) {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (proto === Date.prototype) return Object.is(a.getTime(), b.getTime());
  if (proto === RegExp.prototype) return a.source === b.source && a.flags === b.flags;
  if (proto !== Object.prototype && proto !== null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || !sameData(a[ka[i]], b[ka[i]])) return false;
  return true;
}

/**
 * Worker: the request snapshot as it arrived, kept before the handler can change anything in
 * place: a deep copy when it is plain data (the common case: copying and comparing in JS costs
 * a fraction of two serialisations), else its serialisation.
 */
function requestOriginal(snap) {
  const copy = plainCopy(snap);
  return copy === NOT_PLAIN ? { bytes: v8.serialize(snap) } : { copy };
}

/**
 * Worker: the own properties of the stand-in that differ from the request as it arrived, in-place
 * changes included. `original` is what `requestOriginal` kept before the handler ran (or the
 * snapshot's serialisation).
 */
function requestChanges(req, original) {
  const current = {};
  for (const k of Object.keys(req)) {
    const v = req[k];
    if (typeof v === 'function') continue;
    if (!plainData(v)) {
      // A class instance put on req here would reach the main thread without its methods.
      if (!warnedNotPlain.has(k)) {
        warnedNotPlain.add(k);
        process.emitWarning(`fluxion: req.${k} set on a worker is not plain data; the main thread does not see it`, { code: 'FLUXION_REQ_NOT_PLAIN' });
      }
      continue;
    }
    current[k] = v;
  }
  if (original && !Buffer.isBuffer(original) && original.copy) {
    const before = original.copy;
    if (sameData(current, before)) return {};
    const changes = {};
    for (const [k, v] of Object.entries(current)) {
      if (k in before && sameData(v, before[k])) continue;
      changes[k] = v;
    }
    return changes;
  }
  const bytes = original && original.bytes ? original.bytes : original;
  if (Buffer.compare(v8.serialize(current), bytes) === 0) return {};
  const before = v8.deserialize(bytes);
  const changes = {};
  for (const [k, v] of Object.entries(current)) {
    if (k in before && Buffer.compare(v8.serialize(v), v8.serialize(before[k])) === 0) continue;
    changes[k] = v;
  }
  return changes;
}

/**
 * Main thread: applies a worker's changes to the real request. An object that changed is updated
 * in place, so that it stays the same object (a session kept behind a getter/setter, say).
 */
function applyRequestChanges(req, changes) {
  for (const [k, v] of Object.entries(changes || {})) {
    const cur = req[k];
    // Plain objects only: a Buffer or a class instance is replaced, not merged key by key.
    const plain = (x) => x && typeof x === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(x));
    if (plain(cur) && plain(v)) {
      for (const key of Object.keys(cur)) if (!(key in v)) delete cur[key];
      Object.assign(cur, v);
      continue;
    }
    Object.defineProperty(req, k, { value: v, writable: true, configurable: true, enumerable: true });
  }
}

/** Express's own JSON body, built where the object lives (keeps toJSON of class instances). */
function stringify(value, settings) {
  const json = value !== undefined
    ? JSON.stringify(value, settings['json replacer'], settings['json spaces'])
    : undefined;
  if (settings['json escape'] && typeof json === 'string') {
    return json.replace(/[<>&]/g, (c) => (c === '<' ? '\\u003c' : c === '>' ? '\\u003e' : '\\u0026'));
  }
  return json;
}

const TERMINAL = new Set(['send', 'json', 'json-body', 'end', 'redirect', 'sendStatus', 'render', 'writeHead', 'write']);

const NO_LOCALS = Buffer.alloc(0);

/**
 * `res.locals` serialised, to see whether a handler changed it (null: it cannot be cloned). An
 * empty plain object, the common case, needs no serialisation.
 */
function localsBytes(locals) {
  if (typeof locals === 'object' && Object.getPrototypeOf(locals) === Object.prototype && Object.keys(locals).length === 0) {
    return NO_LOCALS;
  }
  try {
    return v8.serialize(locals);
  } catch {
    return null;
  }
}

/**
 * Worker: a response whose calls are recorded and flushed, in order, to the main thread. A class
 * (methods on the prototype, state in private fields): one is made per offloaded request, and
 * two dozen closures per request were a good part of a worker's garbage.
 */
class ResponseProxy {
  #headers;
  #ops = [];
  #scheduled = false;
  #localsSent;
  #code;
  #settings;
  #flush;

  /**
   * @param {object} state `{ headers, statusCode, headersSent, locals }` from the main thread
   * @param {(ops: Array<[string, unknown[]]>) => void} flush
   */
  constructor(state, settings, flush) {
    this.locals = state.locals || {};
    this.headersSent = Boolean(state.headersSent);
    this.#headers = Object.assign(Object.create(null), state.headers);
    // res.locals set here (for a template rendered later on the main thread) travels back.
    this.#localsSent = localsBytes(this.locals) || NO_LOCALS;
    this.#code = state.statusCode;
    this.#settings = settings;
    this.#flush = flush;
  }

  // statusCode assignments are recorded too.
  get statusCode() {
    return this.#code;
  }
  set statusCode(c) {
    this.#code = c;
    this.#record('statusCode=', [c]);
  }

  /** A call to replay on the main thread that is not a response method (`req.app.set`). */
  __fluxionRecord(name, args) {
    this.#record(name, args);
  }

  __fluxionFlush() {
    let current = this.locals;
    let locals = current ? localsBytes(current) : null;
    if (!locals && current && typeof current === 'object') {
      // Something in it cannot be copied (a function): the rest still travels back.
      current = {};
      for (const k of Object.keys(this.locals)) if (cloneable(this.locals[k])) current[k] = this.locals[k];
      locals = localsBytes(current);
    }
    if (locals && Buffer.compare(locals, this.#localsSent) !== 0) {
      this.#localsSent = locals;
      this.#ops.unshift(['locals=', [current]]);
    }
    if (this.#ops.length) {
      const batch = this.#ops;
      this.#ops = [];
      this.#flush(batch);
    }
    this.#scheduled = false;
  }

  #record(name, args) {
    // A URL given to location/redirect/links is used as its string by Express; as data it would
    // cross threads as an empty object.
    for (let i = 0; i < args.length; i++) if (args[i] instanceof URL) args[i] = args[i].href;
    this.#ops.push([name, args]);
    if (TERMINAL.has(name)) this.headersSent = true;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.__fluxionFlush());
    }
  }

  // `res.set`/`res.header` store what Express would: strings (or arrays of strings), a
  // Content-Type with its charset; `res.setHeader` stores the value as given, as Node does.
  #setHeader(field, val, coerce = true) {
    if (typeof field === 'object') {
      for (const [k, v] of Object.entries(field)) this.#setHeader(k, v, coerce);
      return;
    }
    const key = String(field).toLowerCase();
    let value = val;
    if (coerce) {
      value = Array.isArray(val) ? val.map(String) : String(val);
      if (key === 'content-type' && typeof value === 'string') value = contentType(value);
    }
    this.#headers[key] = value;
  }

  #chain(name, args) {
    this.#record(name, args);
    return this;
  }

  // Calls with nothing to mirror here: recorded, replayed on the main thread, chainable.
  static {
    for (const name of ['append', 'type', 'contentType', 'vary', 'location', 'links', 'attachment', 'cookie', 'clearCookie', 'end', 'redirect']) {
      Object.defineProperty(this.prototype, name, {
        value: function (...args) {
          return this.#chain(name, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }

  status(...args) {
    this.#code = args[0];
    return this.#chain('status', args);
  }
  set(...args) {
    this.#setHeader(...args);
    return this.#chain('set', args);
  }
  header(...args) {
    this.#setHeader(...args);
    return this.#chain('header', args);
  }
  setHeader(...args) {
    this.#setHeader(args[0], args[1], false);
    return this.#chain('setHeader', args);
  }
  removeHeader(...args) {
    delete this.#headers[String(args[0]).toLowerCase()];
    return this.#chain('removeHeader', args);
  }
  sendStatus(...args) {
    this.#code = args[0];
    return this.#chain('sendStatus', args);
  }
  writeHead(...args) {
    this.#code = args[0];
    return this.#chain('writeHead', args);
  }
  write(...args) {
    this.#record('write', args);
    return true;
  }
  render(view, locals, cb) {
    if (typeof locals === 'function') [locals, cb] = [undefined, locals];
    if (typeof cb === 'function') {
      // The view renders on the main thread (the app's engines and views are there); the
      // callback runs here with the result, as a method call on a handle answered by message.
      this.#record('render-cb', [view, locals === undefined ? {} : locals, callbacks.add(cb)]);
      return;
    }
    this.#record('render', locals === undefined ? [view] : [view, locals]);
  }
  json(obj) {
    // A replacer function cannot cross threads: the main thread serialises with it.
    if (this.#settings[REPLACER_FN]) return this.#chain('json', [obj]);
    this.#record('json-body', [stringify(obj, this.#settings)]);
    return this;
  }
  /**
   * Express's `send` answers an object with `json`: serialised here, by Express's JSON rules
   * (functions dropped, `toJSON` honoured, the app's replacer and spaces), never by structured
   * clone, which cannot carry functions or class instances across threads.
   */
  send(body) {
    if (body !== null && typeof body === 'object' && !ArrayBuffer.isView(body) && !(body instanceof ArrayBuffer)) return this.json(body);
    return this.#chain('send', [body]);
  }
  get(f) {
    return this.#headers[String(f).toLowerCase()];
  }
  getHeader(f) {
    return this.#headers[String(f).toLowerCase()];
  }
  getHeaders() {
    return { ...this.#headers };
  }
  hasHeader(f) {
    return String(f).toLowerCase() in this.#headers;
  }
}

/** Worker: a response proxy (see ResponseProxy). */
function proxyResponse(state, settings, flush) {
  return new ResponseProxy(state, settings, flush);
}

/** Main thread: replays recorded calls on the real response. */
function applyResponseOps(res, ops, reply) {
  for (const [name, args] of ops) {
    if (name === 'render-cb') {
      // Only a live worker waits for the answer (not an optimistic run's replay).
      if (!reply) throw new Error('fluxion: a res.render callback cannot be answered here');
      const [view, locals, call] = args;
      res.render(view, locals, (err, html) => reply(call, [err ? encodeError(err) : null, html]));
    } else if (name === 'json-body') {
      if (!res.get('Content-Type')) res.set('Content-Type', 'application/json');
      res.send(args[0]);
    } else if (name === 'locals=') {
      Object.assign(res.locals, args[0]);
    } else if (name === 'statusCode=') {
      res.statusCode = args[0];
    } else if (name === 'throw') {
      throw decodeError(args[0]);
    } else if (name === 'app.set') {
      if (res.app) res.app.set(args[0], args[1]);
    } else {
      res[name](...args);
    }
  }
}

module.exports = {
  answerCall: (id, args) => callbacks.answer(id, args),
  requestProto: require('./prototype').requestProto,
  cloneable,
  plainData,
  snapshotRequest,
  snapshotResponse,
  settingsOf,
  appViewOf,
  standInRequest,
  requestOriginal,
  requestChanges,
  applyRequestChanges,
  proxyResponse,
  applyResponseOps,
  encodeError,
  decodeError,
};
