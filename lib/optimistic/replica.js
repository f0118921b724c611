'use strict';
// State graphs as messages: a handler's captured state (a library object such as gifsockets'
// connection lists, holding live responses) is encoded for a worker, decoded there into a replica,
// encoded again after the run, and applied back to the original in place. Objects keep their
// identity through node ids; responses travel as request handles; an instance of a class keeps
// its prototype when that prototype belongs to a module's exports (the worker loads the module).
/** Node count beyond which a state graph is too costly to copy with every request. */
const MAX_NODES = 2000;

class NotEncodable extends Error {}

const protoRefs = new WeakMap(); // prototype -> { file, key } | null

/** Where a prototype can be found again: `require(file)[key].prototype` (key null: the export). */
function protoRef(proto) {
  if (protoRefs.has(proto)) return protoRefs.get(proto);
  let found = null;
  for (const m of Object.values(require.cache)) {
    const e = m && m.exports;
    if (!e || (typeof e !== 'function' && typeof e !== 'object')) continue;
    if (typeof e === 'function' && e.prototype === proto) {
      found = { file: m.filename, key: null };
      break;
    }
    for (const k of Object.keys(e)) {
      // Data properties only: exports such as Express's request have getters that throw.
      const d = Object.getOwnPropertyDescriptor(e, k);
      const v = d && d.value;
      if (typeof v === 'function' && v.prototype === proto) {
        found = { file: m.filename, key: k };
        break;
      }
    }
    if (found) break;
  }
  protoRefs.set(proto, found);
  return found;
}

function isLeaf(v) {
  return v === null || typeof v !== 'object' || Buffer.isBuffer(v) || ArrayBuffer.isView(v) || v instanceof Date || v instanceof RegExp;
}

/**
 * Encodes a graph. `resourceOf(v)` gives a handle id for a live resource (a response), or null;
 * `idOf(v)` gives the node id an object had when it arrived (replicas), or undefined; objects
 * without one get `<fresh><n>` ids (a replica's new objects must not take an original's id).
 * `objects`, when given, receives node id -> object (to apply changes to these objects later).
 * @returns {{ root: object, nodes: Record<string, object>, modules: string[] }}
 */
function encode(root, { resourceOf, idOf = () => undefined, fresh: prefix = 'o', objects = null }) {
  const nodes = {};
  const ids = new Map();
  const modules = new Set();
  let fresh = 0;
  let count = 0;
  const ref = (v) => {
    if (typeof v === 'function') throw new NotEncodable('a function');
    if (typeof v === 'symbol') throw new NotEncodable('a symbol');
    if (isLeaf(v)) return { v };
    const r = resourceOf(v);
    if (r !== null && r !== undefined) return { r };
    if (ids.has(v)) return { n: ids.get(v) };
    if (++count > MAX_NODES) throw new NotEncodable(`more than ${MAX_NODES} objects`);
    const known = idOf(v);
    const id = known !== undefined ? known : `${prefix}${fresh++}`;
    ids.set(v, id);
    if (objects) objects.set(id, v);
    if (Array.isArray(v)) {
      const node = { a: [] };
      nodes[id] = node;
      for (let i = 0; i < v.length; i++) node.a.push(ref(v[i]));
      return { n: id };
    }
    const proto = Object.getPrototypeOf(v);
    const node = { p: {} };
    if (proto !== Object.prototype && proto !== null) {
      if (v instanceof Map || v instanceof Set || v instanceof Promise || v instanceof WeakMap) {
        throw new NotEncodable(`a ${proto.constructor.name}`);
      }
      const where = protoRef(proto);
      if (!where) throw new NotEncodable(`a ${(proto.constructor && proto.constructor.name) || 'class'} object whose class no module exports`);
      node.proto = where;
      modules.add(where.file);
    }
    nodes[id] = node;
    for (const k of Object.keys(v)) node.p[k] = ref(v[k]);
    return { n: id };
  };
  const r = ref(root);
  return { root: r, nodes, modules: [...modules] };
}

/**
 * Worker: builds a replica. `resource(id)` gives the stand-in of a handle.
 * @returns {{ value: any, idOf: (v: object) => string | undefined }}
 */
function decode(enc, { resource, requireFrom = require }) {
  const made = new Map();
  const idOf = new WeakMap();
  const build = (ref) => {
    if ('v' in ref) return ref.v;
    if ('r' in ref) return resource(ref.r);
    if (made.has(ref.n)) return made.get(ref.n);
    const node = enc.nodes[ref.n];
    let obj;
    if (node.a) {
      obj = [];
      made.set(ref.n, obj);
      for (const x of node.a) obj.push(build(x));
    } else {
      let proto = Object.prototype;
      if (node.proto) {
        const e = requireFrom(node.proto.file);
        proto = (node.proto.key === null ? e : e[node.proto.key]).prototype;
      }
      obj = Object.create(proto);
      made.set(ref.n, obj);
      for (const [k, x] of Object.entries(node.p)) obj[k] = build(x);
    }
    idOf.set(obj, ref.n);
    return obj;
  };
  return { value: build(enc.root), idOf: (v) => idOf.get(v) };
}

/**
 * Main thread: makes the original graph what the replica became. `objects` maps the node ids of
 * the encoding sent to the original objects; new nodes become new objects.
 */
function apply(enc, objects, { resource, requireFrom = require }) {
  const made = new Map(objects);
  const done = new Set();
  const build = (ref) => {
    if ('v' in ref) return ref.v;
    if ('r' in ref) return resource(ref.r);
    const node = enc.nodes[ref.n];
    let obj = made.get(ref.n);
    if (!obj) {
      if (node.a) obj = [];
      else if (node.proto) {
        const e = requireFrom(node.proto.file);
        obj = Object.create((node.proto.key === null ? e : e[node.proto.key]).prototype);
      } else obj = {};
      made.set(ref.n, obj);
    }
    if (done.has(ref.n)) return obj;
    done.add(ref.n);
    if (node.a) {
      const items = node.a.map(build);
      obj.length = 0;
      for (const x of items) obj.push(x);
    } else {
      for (const k of Object.keys(obj)) if (!(k in node.p)) delete obj[k];
      for (const [k, x] of Object.entries(node.p)) obj[k] = build(x);
    }
    return obj;
  };
  return build(enc.root);
}

module.exports = { encode, decode, apply, NotEncodable, MAX_NODES, protoRef };
