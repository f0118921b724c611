'use strict';
// GoT dataframes (the thesis's Table 3.1) over the Rust core: typed objects, commit/checkout,
// and fetch/push/pull against the process-wide store or a remote GoT server.
const native = require('../native');
const { GotError, call, callAsync, state } = require('./errors');

const KINDS = new Set(['int', 'float', 'str', 'bool', 'bytes', 'list', 'map', 'any']);

/**
 * A tracked dimension of kind `kind`.
 * @param {string} kind int, float, str, bool, bytes, list, map or any
 */
function dimension(kind) {
  if (!KINDS.has(kind)) {
    throw new GotError('GOT_INVALID', `unknown dimension kind ${JSON.stringify(kind)} (use ${[...KINDS].join(', ')})`);
  }
  return { kind, primaryKey: false };
}

/**
 * The primary-key dimension (the thesis's `primarykey(int)`): `int` or `str`.
 * @param {'int'|'str'} kind
 */
function primaryKey(kind) {
  if (kind !== 'int' && kind !== 'str') {
    throw new GotError('GOT_INVALID', `a primary key is int or str, not ${JSON.stringify(kind)}`);
  }
  return { kind, primaryKey: true };
}

/**
 * Declares a type of tracked objects (the thesis's `@pcc_set` class): a name and its
 * dimensions, exactly one of them the primary key.
 *   const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int' });
 * @param {string} name
 * @param {Record<string, string | {kind: string, primaryKey: boolean}>} dims
 */
function pccSet(name, dims) {
  if (typeof name !== 'string' || name === '') {
    throw new GotError('GOT_INVALID', 'pccSet(name, dims): name must be a non-empty string');
  }
  if (dims === null || typeof dims !== 'object' || Array.isArray(dims)) {
    throw new GotError('GOT_INVALID', `pccSet(${JSON.stringify(name)}, dims): dims must be an object of dimensions`);
  }
  const out = [];
  let key = null;
  for (const [dim, spec] of Object.entries(dims)) {
    const d = typeof spec === 'string' ? { kind: spec, primaryKey: false } : spec;
    if (!d || typeof d.kind !== 'string' || !KINDS.has(d.kind)) {
      throw new GotError(
        'GOT_INVALID',
        `type ${JSON.stringify(name)}: dimension ${JSON.stringify(dim)} has an invalid kind ${JSON.stringify(spec)} (use ${[...KINDS].join(', ')})`
      );
    }
    if (d.primaryKey) {
      if (key !== null) {
        throw new GotError('GOT_INVALID', `type ${JSON.stringify(name)}: two primary keys (${key}, ${dim})`);
      }
      key = dim;
    }
    out.push({ name: dim, kind: d.kind });
  }
  if (key === null) {
    throw new GotError('GOT_INVALID', `type ${JSON.stringify(name)}: no primary key (mark one dimension with primaryKey('int'|'str'))`);
  }
  return Object.freeze({ name, key, dims: Object.freeze(out) });
}

function typeName(t) {
  if (typeof t === 'string') return t;
  if (t && typeof t.name === 'string' && Array.isArray(t.dims)) return t.name;
  throw new GotError('GOT_INVALID', `expected a type (from pccSet) or a type name, found ${typeof t}`);
}

/** `got://host:port` → `host:port`. */
function parseRemote(url) {
  const m = typeof url === 'string' && /^got:\/\/([^/:[\]]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})\/?$/.exec(url);
  if (!m || Number(m[2]) > 65535) {
    throw new GotError('GOT_INVALID', `remote must look like got://host:port, found ${JSON.stringify(url)}`);
  }
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return host.includes(':') ? `[${host}]:${m[2]}` : `${host}:${m[2]}`;
}

/**
 * A dataframe: a local working copy of typed objects with its own version history, kept in
 * sync with the process-wide store (default) or with a GoT server (`remote`).
 */
/** Conditional pushes a push() may try before giving up (each after a fetch and a merge). */
const PUSH_ATTEMPTS = 1000;

class Dataframe {
  /**
   * @param {string} name the GoT app name
   * @param {ReadonlyArray<{name: string, key: string, dims: ReadonlyArray<{name: string, kind: string}>}>} types
   * @param {{remote?: string, dataDir?: string, mergeFn?: Function, timeoutMs?: number, maxFrameBytes?: number, maxDepth?: number, token?: string | null}} [options]
   */
  constructor(name, types, options = {}) {
    if (!Array.isArray(types)) {
      throw new GotError('GOT_INVALID', 'new Dataframe(name, types): types must be an array of pccSet types');
    }
    const { remote, mergeFn, timeoutMs, maxFrameBytes, maxDepth, token, dataDir } = options || {};
    if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir === '')) {
      throw new GotError('GOT_INVALID', `dataDir must be a directory path, found ${String(dataDir)}`);
    }
    if (mergeFn !== undefined && mergeFn !== null && typeof mergeFn !== 'function') {
      throw new GotError('GOT_INVALID', 'mergeFn must be a function (original, yours, theirs, typeName) => object | null');
    }
    this.name = name;
    this.remote = remote === undefined || remote === null ? null : remote;
    const nativeOpts = {
      remote: this.remote === null ? undefined : parseRemote(this.remote),
      timeoutMs,
      maxFrameBytes,
      maxDepth,
      dataDir,
      // The server's token (default: the gotToken setting), sent in each connection's first frame.
      token: this.remote === null ? undefined : (token === undefined ? require('../config').settings().gotToken : token) || undefined,
    };
    let nativeDf;
    try {
      nativeDf = new (native.load().NativeDataframe)(name, types.map(toNativeType), nativeOpts);
    } catch (e) {
      throw require('./errors').translate(e);
    }
    /** @private */
    this._native = nativeDf;
    /** @private */
    this._mergeError = null;
    /** @private */
    this._merge = mergeFn ? this._wrapMerge(mergeFn) : undefined;
  }

  /**
   * The user's merge function runs inside the Rust merge; an exception cannot cross it, so
   * it is kept here and rethrown once the operation returns.
   * @private
   */
  _wrapMerge(fn) {
    return (original, yours, theirs, type) => {
      if (this._mergeError) return theirs;
      state.merging++;
      try {
        const r = fn(original, yours, theirs, type);
        return r === undefined ? null : r;
      } catch (e) {
        this._mergeError = e;
        return theirs;
      } finally {
        state.merging--;
      }
    };
  }

  /** @private */
  _withMerge(method, ...args) {
    this._mergeError = null;
    let r;
    try {
      r = call(this._native, method, ...args, this._merge);
    } finally {
      const e = this._mergeError;
      this._mergeError = null;
      if (e) throw e;
    }
    return r;
  }

  /** Adds one new object. */
  addOne(type, obj) {
    call(this._native, 'addMany', typeName(type), [obj]);
  }

  /** Adds new objects, all or none. */
  addMany(type, objs) {
    return call(this._native, 'addMany', typeName(type), objs);
  }

  /** The object with this key (a copy: change it with updateOne), or null. */
  readOne(type, key) {
    return call(this._native, 'readOne', typeName(type), key);
  }

  /** Every object of the type (copies), by key order. */
  readAll(type) {
    return call(this._native, 'readAll', typeName(type));
  }

  /**
   * Changes dimensions of an existing object: `updateOne(T, key, {dim: value})`, or
   * `updateOne(T, obj)` with the key dimension inside `obj`.
   */
  updateOne(type, keyOrObject, changes) {
    const name = typeName(type);
    if (changes === undefined && keyOrObject !== null && typeof keyOrObject === 'object') {
      const t = this._type(type);
      const { [t.key]: key, ...rest } = keyOrObject;
      return call(this._native, 'updateOne', name, key, rest);
    }
    return call(this._native, 'updateOne', name, keyOrObject, changes);
  }

  /** Deletes the object with this key (it must exist). */
  deleteOne(type, key) {
    call(this._native, 'deleteOne', typeName(type), key);
  }

  /** Deletes every object of the type; returns how many. */
  deleteAll(type) {
    return call(this._native, 'deleteAll', typeName(type));
  }

  /** Drops the changes made since the last commit or checkout. */
  discard() {
    call(this._native, 'discard');
  }

  /** @private */
  _type(type) {
    if (typeof type !== 'string') return type;
    throw new GotError('GOT_INVALID', 'updateOne(type, object) needs the type object (from pccSet), not its name');
  }

  /** Records the staged changes as a new local version; returns the local head. */
  commit() {
    return this._withMerge('commit');
  }

  /**
   * Replaces the working copy with `version` of the local history (default: the head). The
   * history keeps the head, the checked-out and the last fetched version, and what is pinned.
   */
  checkout(version) {
    try {
      return call(this._native, 'checkout', version);
    } catch (e) {
      if (e.code === 'GOT_UNKNOWN_VERSION') {
        e.message += ' (the local history is garbage-collected: pin(version) to keep an older one)';
      }
      throw e;
    }
  }

  /** Keeps `version` in the local history (for a later checkout) until unpin(version). */
  pin(version) {
    call(this._native, 'pin', version);
  }

  /** Undoes one pin(version). */
  unpin(version) {
    call(this._native, 'unpin', version);
  }

  /** Gets the store's (or server's) new versions and merges them into the local head. */
  fetch() {
    if (this.remote) call(this._native, 'syncDown');
    return this._withMerge('fetchLocal');
  }

  /**
   * Sends the local versions the store (or server) lacks. With a remote, the server's new
   * versions are fetched first and merged locally with `mergeFn`, so conflicts are resolved
   * by this client. Returns the store's (or server's) head.
   */
  push() {
    if (!this.remote) return this._withMerge('pushLocal');
    // Merge here, with mergeFn, then push only if the server's head has not moved since (the
    // server never merges for us: an increment pushed by two clients at once adds up).
    for (let attempt = 0; ; attempt++) {
      call(this._native, 'syncDown');
      this._withMerge('fetchLocal');
      const head = call(this._native, 'pushRemote');
      if (head !== null) return head;
      this._contended(attempt);
    }
  }

  /** @private */
  _contended(attempt) {
    if (attempt + 1 >= PUSH_ATTEMPTS) {
      throw new GotError('GOT_CONTENDED', `the server's head moved ${PUSH_ATTEMPTS} times in a row during one push`);
    }
  }

  /** fetch, then checkout of the new head. */
  pull() {
    this._noStaged('pull');
    this.fetch();
    return this.checkout();
  }

  /** push, with the network round trips off the JS thread. */
  async pushAwait() {
    if (!this.remote) return this.push();
    for (let attempt = 0; ; attempt++) {
      await callAsync(this._native, 'syncDownAsync');
      this._withMerge('fetchLocal');
      if (await callAsync(this._native, 'pushRemoteAsync')) {
        call(this._native, 'pushLocal');
        return this.head;
      }
      this._contended(attempt);
    }
  }

  /**
   * Waits (off the JS thread, at most `timeoutMs`, default 30 s) until the store or server has
   * a version this dataframe has not fetched, then fetches it. Resolves
   * `{status: 200, changed: true, version}`, or `{status: 408, changed: false, version}` when
   * nothing came.
   */
  async fetchAwait(options = {}) {
    return this._await(options, false);
  }

  /** fetchAwait, then checkout of the new head. */
  async pullAwait(options = {}) {
    this._noStaged('pullAwait');
    return this._await(options, true);
  }

  /** @private */
  async _await(options, checkout) {
    const timeoutMs = options && options.timeoutMs !== undefined ? options.timeoutMs : 30000;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      throw new GotError('GOT_INVALID', `timeoutMs must be a non-negative number, found ${String(timeoutMs)}`);
    }
    const status = await callAsync(this._native, 'waitAsync', timeoutMs);
    if (status === 408) return { status, changed: false, version: this.head };
    this._withMerge('fetchLocal');
    if (checkout) {
      this._noStaged('pullAwait');
      this.checkout();
    }
    return { status, changed: true, version: this.head };
  }

  /** @private */
  _noStaged(op) {
    if (this._native.hasStaged) {
      throw new GotError('GOT_UNCOMMITTED', `${op}: the dataframe has uncommitted changes (commit or discard them first)`);
    }
  }

  /**
   * Serves this dataframe's app of the process-wide store (or the apps named in
   * `options.apps`) over the GoT protocol: TCP and WebSocket on one port. Not for remote
   * dataframes.
   * @returns {import('./server').GotServer}
   */
  serve(options = {}) {
    if (this.remote) {
      throw new GotError('GOT_INVALID', 'serve(): a remote dataframe mirrors another server; serve from a local dataframe');
    }
    const o = options || {};
    return require('./server').serve({ ...o, apps: o.apps === undefined ? [this.name] : o.apps });
  }

  /** The newest local version. */
  get head() {
    return this._native.head;
  }

  /** The version the working copy was checked out from. */
  get version() {
    return this._native.version;
  }

  /** The newest server version this dataframe's mirror has (remote dataframes), else null. */
  get serverVersion() {
    return this._native.serverVersion || null;
  }

  /** Whether changes are staged (made and not committed). */
  get hasStaged() {
    return this._native.hasStaged;
  }

  /** Number of versions in the local history (it is garbage-collected as it goes). */
  get localVersions() {
    return this._native.localVersions;
  }

  /** Number of versions the store (or the remote's mirror) holds for this app. */
  get storeVersions() {
    try {
      return this._native.storeVersions;
    } catch (e) {
      throw require('./errors').translate(e);
    }
  }
}

function toNativeType(t) {
  if (!t || typeof t.name !== 'string' || typeof t.key !== 'string' || !Array.isArray(t.dims)) {
    throw new GotError('GOT_INVALID', 'types must be made by pccSet(name, dims)');
  }
  return { name: t.name, key: t.key, dims: t.dims.map((d) => ({ name: d.name, kind: d.kind })) };
}

module.exports = { Dataframe, pccSet, defineType: pccSet, primaryKey, dimension, GotError, parseRemote };
