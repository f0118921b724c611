'use strict';
// Run-time compilation (the paper's §4.3 "just-in-time" future work): a route handler found in
// the live router — from node_modules, made by a factory, added by a test — is compiled from the
// source V8 holds for it, and its closure is read from memory (V8's inspector, in this thread).
// The analysis decides whether it may run on a worker: its free variables must be code, modules
// without state, or values nobody writes (copied from this thread's memory into the message).
// Whatever else it touches keeps it on the main thread, with the reason in stats().
// Node's own timers, not the globals of a Jest test environment (jsdom's, or fake timers).
const { clearTimeout, setTimeout } = require('node:timers');
const fs = require('node:fs');
const http = require('node:http');
const inspector = require('node:inspector');
const { isBuiltin } = require('node:module');
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const cache = require('../hook/cache');
const express = require('../frameworks/express/views');
const native = require('../native');
const { pinReason, logicalFluxions, moduleWriters, isRelative } = require('../placement/static');
const { handedOn } = require('./passes');
const replica = require('../optimistic/replica');
const realm = require('../realm');

let session = null;
const scripts = new Map(); // scriptId -> url
const analyses = new Map(); // scriptId -> { file, source, graphs: Map<offset key, graph> }

function post(method, params = {}) {
  let out;
  let error;
  let done = false;
  session.post(method, params, (e, r) => {
    error = e;
    out = r;
    done = true;
  });
  if (!done) throw new Error(`fluxion: inspector call ${method} did not answer synchronously`);
  if (error) throw error;
  return out;
}

/** How long a session stays open after a walk, for the next one (a test suite makes many apps). */
const LINGER_MS = 200;
let lingering = null;

/**
 * Opens the in-thread inspector session (idempotent): opened only when a handler not seen before
 * has to be compiled, and closed shortly after the walk (`close`), so an app pays for the
 * debugger domain only while it compiles. Enabling it announces every script loaded so far:
 * with many apps made in a row (Express's own suite makes a thousand), reopening it for each
 * cost ~50 ms an app.
 */
function open() {
  clearTimeout(lingering);
  lingering = null;
  if (session) return;
  session = new inspector.Session();
  session.connect();
  session.on('Debugger.scriptParsed', (m) => scripts.set(m.params.scriptId, m.params.url));
  post('Debugger.enable');
}

function close() {
  if (!session) return;
  // This walk's handles go now; the debugger domain a little later (closeNow).
  post('Runtime.releaseObjectGroup', { objectGroup: 'fluxion' });
  clearTimeout(lingering);
  // In a Jest test file, apps come and go between the test's own waits: reopening costs more
  // there (Debugger.enable announces every script Jest, its transformers and the suite loaded),
  // so the session stays open until the file ends (fluxion.shutdown() in jest/setup.js).
  if (realm.sandboxed()) return;
  lingering = setTimeout(closeNow, LINGER_MS);
  lingering.unref();
}

function closeNow() {
  lingering = null;
  if (!session) return;
  try {
    post('Debugger.disable');
  } finally {
    session.disconnect();
    session = null;
  }
}

/**
 * The inspector's handle on a live value of this thread. `Runtime.evaluate` runs in Node's main
 * context: the value is put on that context's global (under Jest, this module's `globalThis` is a
 * test file's sandbox, which the evaluation would not see: -32602 on the next call).
 */
function remote(value) {
  const g = realm.realGlobal();
  g.__fluxionInspect = value;
  try {
    return post('Runtime.evaluate', { expression: 'globalThis.__fluxionInspect', objectGroup: 'fluxion' }).result;
  } finally {
    delete g.__fluxionInspect;
  }
}

/** The live value behind an inspector handle. */
function local(obj) {
  if (!obj.objectId) {
    if (obj.type === 'undefined') return undefined;
    if (obj.subtype === 'null') return null;
    if (obj.unserializableValue !== undefined) {
      const u = obj.unserializableValue;
      return u.endsWith('n') ? BigInt(u.slice(0, -1)) : Number(u);
    }
    return obj.value;
  }
  post('Runtime.callFunctionOn', {
    objectId: obj.objectId,
    functionDeclaration: 'function () { globalThis.__fluxionInspect = this; }',
  });
  // The function runs in the context the handle was made in: Node's main context (remote), not
  // a Jest test file's sandbox, whose `globalThis` this module sees.
  const g = realm.realGlobal();
  const v = g.__fluxionInspect;
  delete g.__fluxionInspect;
  return v;
}

/**
 * Where a function was written and what its closure holds.
 * @returns {{ scriptId: string, line: number, column: number, closures: Map<string, any>[] } | null}
 *   closures: innermost first, the module's own scope last (CommonJS wraps modules in a function)
 */
function inspectFunction(fn) {
  open();
  const props = post('Runtime.getProperties', { objectId: remote(fn).objectId, ownProperties: true });
  const internal = props.internalProperties || [];
  const loc = internal.find((p) => p.name === '[[FunctionLocation]]');
  const scopes = internal.find((p) => p.name === '[[Scopes]]');
  if (!loc || !scopes) return null; // native or bound function
  const closures = [];
  for (const s of post('Runtime.getProperties', { objectId: scopes.value.objectId, ownProperties: true }).result) {
    if (!s.value || !/^Closure/.test(s.value.description)) continue;
    const vars = new Map();
    for (const v of post('Runtime.getProperties', { objectId: s.value.objectId, ownProperties: true }).result) {
      if (v.value) vars.set(v.name, v.value);
    }
    closures.push(vars);
  }
  const { scriptId, lineNumber, columnNumber } = loc.value.value;
  return { scriptId, line: lineNumber, column: columnNumber, closures };
}

/** The value of a variable in a function's closure (a live value), or undefined. */
function closureValue(fn, name) {
  const info = inspectFunction(fn);
  return info ? valueIn(info, name).value : undefined;
}

function fileOf(url) {
  if (!url) return null;
  if (url.startsWith('file:')) return fileURLToPath(url);
  return path.isAbsolute(url) ? url : null;
}

/** UTF-8 byte offset of a V8 position (line, UTF-16 column) in a source text. */
function byteOffset(source, line, column) {
  let i = 0;
  for (let l = 0; l < line; l++) {
    i = source.indexOf('\n', i) + 1;
    if (i === 0) return -1;
  }
  return Buffer.byteLength(source.slice(0, i + column));
}

/**
 * The modules a source requires, by literal specifier; null when it also requires by a computed
 * name (then what it loads is unknown).
 */
function requiresOf(source) {
  const specs = [];
  const re = /\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)|\brequire\s*\(/g;
  let m;
  while ((m = re.exec(source))) {
    if (!m[2]) return null;
    specs.push(m[2]);
  }
  if (/\bimport\s*\(/.test(source)) return null;
  return specs;
}

/**
 * What one module file says about itself: its own state, and what it requires (resolved). The
 * analysis goes through the on-disk cache, as compiled modules do: a restart does not compile
 * every dependency of every handler again.
 */
const localFacts = new Map(); // file -> { stateful, deps: string[] | null, builtins: string[] }
function factsOf(file) {
  let f = localFacts.get(file);
  if (f) return f;
  f = { stateful: true, deps: null, builtins: [] };
  localFacts.set(file, f);
  if (file.endsWith('.json')) {
    f.stateful = false;
    f.deps = [];
    return f;
  }
  if (!/\.c?js$/.test(file)) return f;
  try {
    const source = fs.readFileSync(file, 'utf8');
    const key = cache.keyOf([native.load().version(), 'module facts', file, source]);
    let own = cache.get(key);
    if (!own) {
      const g = JSON.parse(native.load().compile(source, { filename: file, emit: 'json' }).output || 'null');
      own = { stateful: !g || g.stateful || g.fluxions.some((x) => x.opaque), specs: requiresOf(source) };
      cache.set(key, own);
    }
    const specs = own.specs;
    f.stateful = own.stateful;
    if (specs) {
      const deps = [];
      for (const spec of specs) {
        if (isBuiltin(spec)) f.builtins.push(spec);
        else deps.push(require.resolve(spec, { paths: [path.dirname(file)] }));
      }
      f.deps = deps;
    }
  } catch {
    f.deps = null; // unreadable, uncompilable or unresolvable: unknown
  }
  return f;
}

/** Every file a module loads (itself included), or null when that cannot be known. */
const closures = new Map(); // resolved file -> files | null
function closureOf(spec, fromFile) {
  let root;
  try {
    root = require.resolve(spec, { paths: [path.dirname(fromFile)] });
  } catch {
    return null;
  }
  if (!closures.has(root)) closures.set(root, loadedBy(root));
  return closures.get(root);
}

function loadedBy(root) {
  const seen = new Set([root]);
  const queue = [root];
  while (queue.length) {
    const f = factsOf(queue.shift());
    if (!f.deps || seen.size > 1000) return null;
    for (const d of f.deps) {
      if (!seen.has(d)) {
        seen.add(d);
        queue.push(d);
      }
    }
  }
  return [...seen];
}

/** Whether a module and every module it loads keep no state between calls (analysed once). */
function moduleIsStateless(spec, fromFile) {
  if (isBuiltin(spec)) return true;
  const files = closureOf(spec, fromFile);
  return !!files && files.every((f) => !factsOf(f).stateful);
}

/** Builtins whose use means talking to the world: a run that may be dropped must not use them. */
const IO_BUILTINS = /^(node:)?(fs|fs\/promises|http|https|http2|net|tls|dgram|dns|child_process|cluster|worker_threads|inspector|readline|repl)$/;

/** Whether a module, or one it loads, can do I/O (conservative: unknown means yes). */
function moduleDoesIO(spec, fromFile) {
  if (isBuiltin(spec)) return IO_BUILTINS.test(spec);
  const files = closureOf(spec, fromFile);
  return !files || files.some((f) => factsOf(f).builtins.some((b) => IO_BUILTINS.test(b)));
}

/** Globals through which a handler's own code reaches the world (timers, output, fetch...). */
const WORLD_GLOBALS = /\b(console|process|fetch|setTimeout|setInterval|setImmediate|queueMicrotask|globalThis|global|require)\b/;

function describe(v) {
  if (typeof v === 'function') return 'a function';
  const p = v && Object.getPrototypeOf(v);
  const name = p && p.constructor && p.constructor.name;
  return name ? `a ${name} object` : 'an object';
}

class NotSerializable extends Error {}

/**
 * Finds a live function in its module's source and analyses it: as a route handler
 * (`asHandler`: parameters are req, res, next) or as a plain function (a value in a closure).
 * @returns {{ src, file, info, graph, f, at } | { reason: string, file?: string }}
 */
function analyse(fn, asHandler) {
  const src = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) return { reason: 'a native or bound function' };
  const info = inspectFunction(fn);
  if (!info) return { reason: 'a native or bound function' };
  const file = fileOf(scripts.get(info.scriptId));
  if (!file) return { reason: 'its script is not a file' };
  if (!/^(async\s+)?function\b|^(async\s*)?(\([^)]*\)|[\w$]+)\s*=>/.test(src)) {
    return { reason: 'a method or class member (its source is not an expression)', file };
  }
  let a = analyses.get(info.scriptId);
  if (!a) {
    const source = post('Debugger.getScriptSource', { scriptId: info.scriptId }).scriptSource;
    a = { file, source, graphs: new Map() };
    analyses.set(info.scriptId, a);
  }
  if (/\.mjs$/.test(file) || /^\s*(import|export)\s/m.test(a.source)) {
    return { reason: 'defined in an ES module (its scope cannot be re-created on a worker)', file };
  }
  const at = byteOffset(a.source, info.line, info.column);
  const key = `${asHandler ? 'h' : 'f'}${at}`;
  let graph = a.graphs.get(key);
  if (!graph) {
    const r = native.load().compile(a.source, { filename: file, emit: 'json', [asHandler ? 'handlers' : 'functions']: [at] });
    if (r.error) return { reason: `its module does not compile: ${r.error.message}`, file };
    graph = JSON.parse(r.output);
    a.graphs.set(key, graph);
  }
  // Its continuations (code after await, promise callbacks) count as the handler's own code.
  const f = logicalFluxions(graph)
    .filter((x) => x.kind !== 'main' && x.root === x.id && x.span[0] <= at && at < x.span[1])
    .sort((x, y) => x.span[1] - x.span[0] - (y.span[1] - y.span[0]))[0];
  if (!f) return { reason: 'not found by the compiler', file };
  return { src, file, info, graph, f, at };
}

/** The live value of a free variable: the innermost closure that holds the name has it. */
function valueIn(info, name) {
  for (const vars of info.closures) if (vars.has(name)) return { found: true, value: local(vars.get(name)) };
  return { found: false };
}

/**
 * A module binding of the handler's module that some fluxion writes through (`db.pets[id].name =
 * x`): the module's objects are state, and every handler that uses them stays with them.
 */
function writtenModuleReason(graph, f) {
  // Only the app's own modules (a relative require): a method call on a package's object counts
  // as a write in the compiler's facts (`crypto.createHash()`), which says nothing of state.
  if (!f.hints.modules.some(isRelative)) return null;
  const writers = moduleWriters(graph);
  if (!writers.size) return null;
  const root = f.root || f.id;
  const names = new Set(graph.fluxions.filter((g) => (g.root || g.id) === root || g.id === f.id).map((g) => g.name));
  names.add(f.name);
  for (const v of graph.variables || []) {
    if (v.kind !== 'module' || !(v.writtenBy || []).length) continue;
    if ([...(v.usedBy || []), ...v.writtenBy].some((n) => names.has(n))) return `uses module ${v.name}, whose objects handlers write`;
  }
  return null;
}

/**
 * Why the modules a function uses keep it on the main thread (packages proven stateless by
 * compiling them), or null.
 * @param {boolean} [handedChecked] its request and response leave it only through calls whose
 *   callees were checked as handlers (checkCallees): those escapes are not reasons
 */
function modulesReason(f, file, extraStateless, withResources, handedChecked = false) {
  const stateless = new Set(extraStateless || []);
  for (const m of f.hints.modules) {
    if (!m.startsWith('.') && !m.startsWith('/') && moduleIsStateless(m, file)) stateless.add(m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0]);
  }
  const moduleInfo = (m) => (moduleIsStateless(m, file) ? { stateful: false } : { stateful: true });
  let resources = withResources ? f.hints.resources : [];
  if (handedChecked) resources = resources.map((r) => (r.passedTo ? { ...r, escapes: false } : r));
  const hints = { ...f.hints, registered: true, state: [], resources };
  return pinReason({ ...f, hints }, moduleInfo, stateless);
}

/** How many wrappers deep a request is followed (`wrap(wrap(fn))`; a function that passes req to itself). */
const MAX_HANDED_DEPTH = 4;

/**
 * The functions a handler hands its request and response to (`fn` in `wrap(fn)`'s
 * `(req, res, next) => Promise.resolve(fn(req, res, next)).catch(next)`), each compiled as a
 * handler in its place: the handler may move only if every one of them may. Each callee is a
 * variable from outside the handler (a wrapper's parameter, a module's function) that nothing
 * reassigns, read from the handler's closure.
 * @returns {{ reason: string | null, callees: Map<string, object>, reqProps: string[] } | null}
 *   null when the handler hands nothing on (or in a way not followed: pinReason says so);
 *   callees: name -> its compilation (compileHandler)
 */
function checkCallees(f, info, opts, depth) {
  const handed = handedOn(f.hints);
  if (handed.reason && !handed.generic) return { reason: handed.reason, callees: new Map(), reqProps: [] };
  if (!handed.callees || !handed.callees.size) return null;
  const callees = new Map();
  const reqProps = [];
  for (const [name, given] of handed.callees) {
    const what = `passes ${given.join(' and ')} to ${name}`;
    const fail = (why) => ({ reason: `${what}, ${why}`, callees, reqProps });
    const s = f.hints.state.find((st) => st.name === name);
    if (!s) return fail('not a variable fluxion can read');
    if (s.write || !s.fixed) return fail('which other code reassigns');
    const { found, value } = valueIn(info, name);
    if (!found) return fail('not found in its closure');
    if (typeof value !== 'function') return fail(`${describe(value)}`);
    if (value.length > 3) return fail('an error handler (four parameters)');
    if (depth >= MAX_HANDED_DEPTH) return fail(`more than ${MAX_HANDED_DEPTH} wrappers deep`);
    const c = compileHandler(value, opts, depth + 1);
    if (c.placement.where === 'main') return fail(c.analysed ? `which ${c.placement.reason}` : c.placement.reason);
    // Four parameters as the compiler counts them (a default or rest after next): analysed as
    // an error handler, its parameters would not be what the call gives.
    if (c.params > 3) return fail('which declares more than three parameters');
    if (c.shared.length) return fail('which shares objects with other handlers (runs on replicas are for route handlers only)');
    callees.set(name, c);
    reqProps.push(...(c.placement.reqProps || []));
  }
  return { reason: null, callees, reqProps };
}

/**
 * A value for the wire: plain data as it is; functions as their source and closure, serialised
 * the same way (the paper's "closure serialization"), so a worker can re-create them.
 * @throws {NotSerializable}
 */
function toWire(value, opts, depth = 0) {
  if (value === null || typeof value !== 'object' && typeof value !== 'function') {
    if (typeof value === 'symbol') throw new NotSerializable('a symbol');
    return value;
  }
  if (depth > 8) throw new NotSerializable('values nested too deep');
  if (typeof value === 'function') return { __fluxionFunction: serializeFunction(value, opts, depth + 1) };
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof Date || value instanceof RegExp) return value;
  if (Array.isArray(value)) return value.map((x) => toWire(x, opts, depth + 1));
  const p = Object.getPrototypeOf(value);
  if (p !== Object.prototype && p !== null) throw new NotSerializable(describe(value));
  const out = {};
  for (const k of Object.keys(value)) out[k] = toWire(value[k], opts, depth + 1);
  return out;
}

function hasFunction(value, depth = 0) {
  if (typeof value === 'function') return true;
  if (value === null || typeof value !== 'object' || depth > 8) return false;
  return Object.values(value).some((v) => hasFunction(v, depth + 1));
}

/** A function in a closure, as `{ file, src, names, values }` (values on the wire). */
function serializeFunction(fn, opts, depth) {
  if (depth > 6) throw new NotSerializable('functions nested too deep');
  const x = analyse(fn, false);
  if (x.reason) throw new NotSerializable(`${fn.name || 'a function'}: ${x.reason}`);
  const names = [];
  const values = [];
  for (const s of x.f.hints.state) {
    // Module-level code and constants: the worker's copy of the module has them; a function
    // declared in the factory is part of the closure and travels with it.
    if ((s.kind === 'code' && !s.captured) || (s.constant && !s.captured) || s.name === '__flx') continue;
    if (s.write) throw new NotSerializable(`${fn.name || 'a function'} writes ${s.name}`);
    const { found, value } = valueIn(x.info, s.name);
    if (!found) {
      if (s.captured) throw new NotSerializable(`${s.name} not found in the closure of ${fn.name || 'a function'}`);
      continue;
    }
    if (!s.fixed) throw new NotSerializable(`${fn.name || 'a function'} reads ${s.name}, which other code writes`);
    names.push(s.name);
    values.push(toWire(value, opts, depth));
  }
  const reason = modulesReason(x.f, x.file, opts.extraStateless, false);
  if (reason) throw new NotSerializable(`${fn.name || 'a function'}: ${reason}`);
  return { file: x.file, src: x.src, names, values };
}

/**
 * Compiles one live handler: its module's source as V8 has it, analysed with the handler marked
 * as a route; then its free variables are checked against their values in memory.
 * @param {Function} fn
 * @param {object} opts { extraStateless: Set<string> }
 * @returns {{ id: string, file: string, src: string, names: string[], values: any[],
 *   wired: number[], shared: Array<[number, object]>, placement: object }}
 *   names/values: its closure as the worker re-creates it (`wired`: the indices holding
 *   serialised functions); `shared`: closure entries that are objects shared with other
 *   handlers, copied with each request and run on optimistically
 */
function compileHandler(fn, opts = {}, depth = 0) {
  const x = analyse(fn, true);
  if (x.reason) {
    return { id: `${x.file || '<unknown>'}#${fn.name || 'anonymous'}`, file: x.file || null, names: [], values: [], wired: [], shared: [], analysed: false, placement: { where: 'main', reason: x.reason } };
  }
  const { src, file, info, graph, f } = x;
  const id = `${file}#${f.id}`;
  const names = [];
  const values = [];
  const wired = [];
  const shared = []; // [index, object]: objects it shares with other handlers, run optimistically
  // What it hands its request and response to, checked first: the reason people need is the
  // callee's (`passes req to fn, which stores users on the request or response`).
  const handed = checkCallees(f, info, opts, depth);
  let reason = handed ? handed.reason : null;
  // Optimistic runs on replicas (lib/speculate.js) need a handler that finishes synchronously:
  // no callback of its own waits for I/O, and it is not async.
  const inner = graph.fluxions.filter((y) => y.id !== f.id && y.kind !== 'main' && y.span[0] >= f.span[0] && y.span[1] <= f.span[1]);
  const synchronous = !inner.length && !/^async\b/.test(src);
  // A run that may be dropped (a conflict) must have had no effect on the world but through req,
  // res, next and the objects it was given: no module that does I/O, no timers or output.
  const quiet = synchronous && !WORLD_GLOBALS.test(src) && !f.hints.modules.some((m) => moduleDoesIO(m, file));
  for (const s of reason ? [] : f.hints.state) {
    // Module-level code and constants: the worker's copy of the module has them; a function
    // declared in the factory is part of the closure and travels with it.
    if ((s.kind === 'code' && !s.captured) || (s.constant && !s.captured) || s.name === '__flx') continue;
    const callee = handed && handed.callees.get(s.name);
    if (callee) {
      // A function it hands the request to: re-created on the worker from its compilation as a
      // handler (its own closure checked there), the way serializeFunction's functions are.
      wired.push(names.length);
      names.push(s.name);
      values.push({ __fluxionFunction: { file: callee.file, src: callee.src, names: callee.names, values: callee.values } });
      continue;
    }
    const { found, value } = valueIn(info, s.name);
    if (s.captured && found && !s.rebound && value !== null && typeof value === 'object' && (s.write || !express.plainData(value)) && !hasFunction(value)) {
      // A library object (a store, a list of open responses): one copy, on the main thread.
      if (!quiet) {
        reason = s.write ? `writes ${s.name}` : `captures ${s.name}, ${describe(value)} that stays on the main thread`;
        break;
      }
      try {
        const enc = replica.encode(value, { resourceOf: (v) => (v instanceof http.ServerResponse ? 0 : null) });
        const unsafe = enc.modules.find((m) => !moduleIsStateless(m, file) || moduleDoesIO(m, file));
        if (unsafe) {
          reason = `writes ${s.name}, whose class comes from ${unsafe}, not proven free of state and I/O`;
          break;
        }
      } catch (err) {
        if (!(err instanceof replica.NotEncodable)) throw err;
        reason = `captures ${s.name}, which holds ${err.message}`;
        break;
      }
      shared.push([names.length, value]);
      names.push(s.name);
      values.push(null);
      continue;
    }
    if (s.write) {
      reason = `writes ${s.name}`;
      break;
    }
    if (!found) {
      if (s.captured) {
        reason = `captures ${s.name}, not found in its closure`;
        break;
      }
      continue; // never captured by V8: a module variable only the top level uses
    }
    if (!s.fixed) {
      reason = `reads ${s.name}, which other code writes`;
      break;
    }
    if (!express.plainData(value)) {
      // Functions (and plain data holding them) travel as their source and closure.
      try {
        if (!hasFunction(value)) throw new NotSerializable(describe(value));
        wired.push(names.length);
        names.push(s.name);
        values.push(toWire(value, opts));
      } catch (err) {
        if (!(err instanceof NotSerializable)) throw err;
        reason = `captures ${s.name}, ${err.message}, that stays on the main thread`;
        break;
      }
      continue;
    }
    names.push(s.name);
    values.push(value);
  }
  if (!reason) {
    // A variable of a block of the module's top level: the worker's copy of the module cannot
    // reach it (the block's scope is not the module's).
    const block = f.hints.state.find((s) => s.blockScoped);
    if (block) reason = `uses ${block.name}, declared in a block of the module's top level (only that block reaches it)`;
  }
  if (!reason) reason = writtenModuleReason(graph, f);
  // A run on a replica may be dropped and run again: what it hands the request to was not
  // checked for that (no I/O, no timers).
  if (!reason && handed && shared.length) reason = `passes the request to ${[...handed.callees.keys()].join(', ')} and shares objects with other handlers`;
  if (!reason) reason = modulesReason(f, file, opts.extraStateless, true, Boolean(handed));
  // The request properties it reads, its callees' included: the snapshot sent with it has them.
  const reqProps = [...new Set([...f.hints.resources.filter((r) => r.kind === 'request').flatMap((r) => r.props), ...(handed ? handed.reqProps : [])])];
  const placement = reason ? { where: 'main', reason } : { where: 'replicated', reqProps, jit: true, shared: shared.length > 0 };
  return { id, file, src, names, values, wired, shared, placement, analysed: true, params: f.hints.params || 0 };
}

module.exports = { open, close, closeNow, compileHandler, closureValue, inspectFunction, local, moduleIsStateless, moduleDoesIO, requiresOf };
