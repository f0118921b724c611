'use strict';
// Run-time compilation (the paper's §4.3 "just-in-time" future work): a route handler found in
// the live router — from node_modules, made by a factory, added by a test — is compiled from the
// source V8 holds for it, and its closure is read from memory (V8's inspector, in this thread).
// The analysis decides whether it may run on a worker: its free variables must be code, modules
// without state, or values nobody writes (copied from this thread's memory into the message).
// Whatever else it touches keeps it on the main thread, with the reason in stats().
const inspector = require('node:inspector');
const path = require('node:path');
const fs = require('node:fs');
const { fileURLToPath } = require('node:url');
const { isBuiltin } = require('node:module');
const native = require('./native');
const { pinReason } = require('./placement');
const express = require('./express');
const replica = require('./replica');
const http = require('node:http');

/** Marks functions that are already dispatchers (compiled routes or run-time ones). */
const DISPATCHER = Symbol.for('fluxion.dispatcher');

let session = null;
const scripts = new Map(); // scriptId -> url
const analyses = new Map(); // scriptId -> { file, source, graph, offsets }

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

/**
 * Opens the in-thread inspector session (idempotent): opened only when a handler not seen before
 * has to be compiled, and closed at the end of the walk (`close`), so an app pays for the
 * debugger domain only while it compiles.
 */
function open() {
  if (session) return;
  session = new inspector.Session();
  session.connect();
  session.on('Debugger.scriptParsed', (m) => scripts.set(m.params.scriptId, m.params.url));
  post('Debugger.enable');
}

function close() {
  if (!session) return;
  try {
    post('Runtime.releaseObjectGroup', { objectGroup: 'fluxion' });
    post('Debugger.disable');
  } finally {
    session.disconnect();
    session = null;
  }
}

/** The inspector's handle on a live value of this thread. */
function remote(value) {
  globalThis.__fluxionInspect = value;
  try {
    return post('Runtime.evaluate', { expression: 'globalThis.__fluxionInspect', objectGroup: 'fluxion' }).result;
  } finally {
    delete globalThis.__fluxionInspect;
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
  const v = globalThis.__fluxionInspect;
  delete globalThis.__fluxionInspect;
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
  if (!info) return undefined;
  for (const vars of info.closures) if (vars.has(name)) return local(vars.get(name));
  return undefined;
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

/** What one module file says about itself: its own state, and what it requires (resolved). */
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
    const g = JSON.parse(native.load().compile(source, { filename: file, emit: 'json' }).output || 'null');
    const specs = requiresOf(source);
    f.stateful = !g || g.stateful || g.fluxions.some((x) => x.opaque);
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
function closureOf(spec, fromFile) {
  let root;
  try {
    root = require.resolve(spec, { paths: [path.dirname(fromFile)] });
  } catch {
    return null;
  }
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

/**
 * Compiles one live handler: its module's source as V8 has it, analysed with the handler marked
 * as a route; then its free variables are checked against their values in memory.
 * @param {Function} fn
 * @param {object} opts { extraStateless: Set<string> }
 * @returns {{ id: string, file: string, src: string, names: string[], values: any[],
 *   shared: Array<[number, object]>, placement: object }}
 *   names/values: its closure as the worker re-creates it; `shared`: closure entries that are
 *   objects shared with other handlers, copied with each request and run on optimistically
 */
function compileHandler(fn, opts = {}) {
  const src = Function.prototype.toString.call(fn);
  const pin = (reason, extra = {}) => ({ id: `${extra.file || '<unknown>'}#${fn.name || 'anonymous'}`, file: extra.file || null, src, names: [], values: [], placement: { where: 'main', reason } });
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) return pin('a native or bound function');
  const info = inspectFunction(fn);
  if (!info) return pin('a native or bound function');
  const file = fileOf(scripts.get(info.scriptId));
  if (!file) return pin('its script is not a file');
  if (!/^(async\s+)?function\b|^(async\s*)?(\([^)]*\)|[\w$]+)\s*=>/.test(src)) {
    return pin('a method or class member (its source is not an expression)', { file });
  }
  let a = analyses.get(info.scriptId);
  if (!a) {
    const source = post('Debugger.getScriptSource', { scriptId: info.scriptId }).scriptSource;
    a = { file, source, graphs: new Map() };
    analyses.set(info.scriptId, a);
  }
  if (/\.mjs$/.test(file) || /^\s*(import|export)\s/m.test(a.source)) {
    return pin('defined in an ES module (its scope cannot be re-created on a worker)', { file });
  }
  const at = byteOffset(a.source, info.line, info.column);
  let graph = a.graphs.get(at);
  if (!graph) {
    const r = native.load().compile(a.source, { filename: file, emit: 'json', handlers: [at] });
    if (r.error) return pin(`its module does not compile: ${r.error.message}`, { file });
    graph = JSON.parse(r.output);
    a.graphs.set(at, graph);
  }
  const f = graph.fluxions
    .filter((x) => x.kind !== 'main' && x.span[0] <= at && at < x.span[1])
    .sort((x, y) => x.span[1] - x.span[0] - (y.span[1] - y.span[0]))[0];
  const id = `${file}#${f ? f.id : `${fn.name || 'anonymous'}@${at}`}`;
  if (!f) return { ...pin('not found by the compiler', { file }), id };

  // Free variables: the innermost closure that holds each name has its value.
  const valueOf = (name) => {
    for (const vars of info.closures) if (vars.has(name)) return { found: true, value: local(vars.get(name)) };
    return { found: false };
  };
  const names = [];
  const values = [];
  const shared = []; // [index, object]: objects it shares with other handlers, run optimistically
  let reason = null;
  // Optimistic runs on replicas (lib/speculate.js) need a handler that finishes synchronously:
  // no callback of its own waits for I/O, and it is not async.
  const inner = graph.fluxions.filter((x) => x !== f && x.kind !== 'main' && x.span[0] >= f.span[0] && x.span[1] <= f.span[1]);
  const synchronous = !inner.length && !/^async\b/.test(src);
  // A run that may be dropped (a conflict) must have had no effect on the world but through req,
  // res, next and the objects it was given: no module that does I/O, no timers or output.
  const quiet = synchronous && !WORLD_GLOBALS.test(src) && !f.hints.modules.some((m) => moduleDoesIO(m, file));
  for (const s of f.hints.state) {
    if (s.kind === 'code' || (s.constant && !s.captured) || s.name === '__flx') continue;
    const { found, value } = valueOf(s.name);
    if (s.captured && found && !s.rebound && value !== null && typeof value === 'object' && (s.write || !express.plainData(value))) {
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
      reason = `captures ${s.name}, ${describe(value)} that stays on the main thread`;
      break;
    }
    names.push(s.name);
    values.push(value);
  }
  if (!reason) {
    // The state checks are done above; resources and modules as for compiled handlers, with
    // packages proven stateless by compiling them.
    const stateless = new Set(opts.extraStateless || []);
    for (const m of f.hints.modules) {
      if (!m.startsWith('.') && !m.startsWith('/') && moduleIsStateless(m, file)) stateless.add(m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0]);
    }
    const moduleInfo = (m) => (moduleIsStateless(m, file) ? { stateful: false } : { stateful: true });
    reason = pinReason({ ...f, hints: { ...f.hints, registered: true, state: [] } }, moduleInfo, stateless);
  }
  const reqProps = f.hints.resources.filter((r) => r.kind === 'request').flatMap((r) => r.props);
  const placement = reason ? { where: 'main', reason } : { where: 'replicated', reqProps, jit: true, shared: shared.length > 0 };
  return { id, file, src, names, values, shared, placement };
}

module.exports = { open, close, compileHandler, closureValue, inspectFunction, local, moduleIsStateless, moduleDoesIO, requiresOf, DISPATCHER };
