// A minimal GoT protocol client for browsers (and Node): a small CBOR encoder/decoder for the
// subset the protocol uses, frame helpers, and a WebSocket client. Written independently of
// the Rust codec on purpose: it is the browser's side of docs/protocol.md.
(function (root) {
  'use strict';

  // ------------------------------------------------------------------ CBOR (RFC 8949 subset)
  function encode(value) {
    const out = [];
    const head = (major, n) => {
      if (n < 24) out.push((major << 5) | n);
      else if (n < 0x100) out.push((major << 5) | 24, n);
      else if (n < 0x10000) out.push((major << 5) | 25, n >> 8, n & 0xff);
      else if (n < 0x100000000) out.push((major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
      else {
        const hi = Math.floor(n / 0x100000000);
        const lo = n >>> 0;
        out.push((major << 5) | 27, (hi >>> 24) & 0xff, (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff,
          (lo >>> 24) & 0xff, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff);
      }
    };
    const item = (v) => {
      if (v === null || v === undefined) out.push(0xf6);
      else if (v === false) out.push(0xf4);
      else if (v === true) out.push(0xf5);
      else if (typeof v === 'number') {
        if (Number.isSafeInteger(v)) {
          if (v >= 0) head(0, v);
          else head(1, -1 - v);
        } else {
          const b = new DataView(new ArrayBuffer(8));
          b.setFloat64(0, v);
          out.push(0xfb);
          for (let i = 0; i < 8; i++) out.push(b.getUint8(i));
        }
      } else if (typeof v === 'string') {
        const bytes = new TextEncoder().encode(v);
        head(3, bytes.length);
        for (const x of bytes) out.push(x);
      } else if (v instanceof Uint8Array) {
        head(2, v.length);
        for (const x of v) out.push(x);
      } else if (Array.isArray(v)) {
        head(4, v.length);
        v.forEach(item);
      } else if (v instanceof Map) {
        head(5, v.size);
        for (const [k, x] of v) {
          item(k);
          item(x);
        }
      } else if (typeof v === 'object') {
        const keys = Object.keys(v);
        head(5, keys.length);
        for (const k of keys) {
          item(k);
          item(v[k]);
        }
      } else throw new TypeError('cannot encode ' + typeof v);
    };
    item(value);
    return Uint8Array.from(out);
  }

  // Maps decode to Map (frame keys are integers, data keys may be integers too).
  function decode(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    const need = (n) => {
      if (pos + n > bytes.length) throw new Error('truncated CBOR');
    };
    const u8 = () => {
      need(1);
      return bytes[pos++];
    };
    const arg = (info) => {
      if (info < 24) return info;
      if (info === 24) return u8();
      if (info === 25) { need(2); const v = view.getUint16(pos); pos += 2; return v; }
      if (info === 26) { need(4); const v = view.getUint32(pos); pos += 4; return v; }
      if (info === 27) { need(8); const v = view.getUint32(pos) * 0x100000000 + view.getUint32(pos + 4); pos += 8; return v; }
      throw new Error('unsupported CBOR length encoding');
    };
    const item = () => {
      const b = u8();
      const major = b >> 5;
      const info = b & 31;
      switch (major) {
        case 0: return arg(info);
        case 1: return -1 - arg(info);
        case 2: { const n = arg(info); need(n); const v = bytes.slice(pos, pos + n); pos += n; return v; }
        case 3: { const n = arg(info); need(n); const v = new TextDecoder().decode(bytes.subarray(pos, pos + n)); pos += n; return v; }
        case 4: { const n = arg(info); const a = []; for (let i = 0; i < n; i++) a.push(item()); return a; }
        case 5: { const n = arg(info); const m = new Map(); for (let i = 0; i < n; i++) { const k = item(); m.set(k, item()); } return m; }
        case 7:
          if (info === 20) return false;
          if (info === 21) return true;
          if (info === 22 || info === 23) return null;
          if (info === 25) { need(2); const h = view.getUint16(pos); pos += 2; return halfToFloat(h); }
          if (info === 26) { need(4); const v = view.getFloat32(pos); pos += 4; return v; }
          if (info === 27) { need(8); const v = view.getFloat64(pos); pos += 8; return v; }
          throw new Error('unsupported CBOR simple value');
        default: throw new Error('unsupported CBOR major type ' + major);
      }
    };
    const v = item();
    if (pos !== bytes.length) throw new Error('bytes after the CBOR item');
    return v;
  }

  function halfToFloat(h) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
    if (e === 31) return f ? NaN : s * Infinity;
    return s * Math.pow(2, e - 15) * (1 + f / 1024);
  }

  // ------------------------------------------------------------------ frames
  const FIELD = { app: 0, data: 1, type: 2, start: 3, end: 4, wait: 5, waitTimeout: 6, status: 7, types: 8, ifHead: 9, token: 10 };
  const REQUEST = { fetch: 0, push: 1, ack: 2 };
  const EVENT = { new: 0, modify: 1, delete: 2 };

  /** A frame (object with the FIELD names) → bytes with the 4-byte big-endian length prefix. */
  function encodeFrame(f) {
    const m = new Map();
    for (const [name, code] of Object.entries(FIELD)) {
      if (f[name] !== undefined) m.set(code, f[name]);
    }
    const body = encode(m);
    const out = new Uint8Array(4 + body.length);
    new DataView(out.buffer).setUint32(0, body.length);
    out.set(body, 4);
    return out;
  }

  /** Bytes (prefix included) → a frame object with the FIELD names. */
  function decodeFrame(bytes) {
    if (bytes.length < 4) throw new Error('frame shorter than its prefix');
    const len = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
    if (len !== bytes.length - 4) throw new Error('frame length mismatch');
    const m = decode(bytes.subarray(4));
    const f = {};
    for (const [name, code] of Object.entries(FIELD)) {
      if (m.has(code)) f[name] = m.get(code);
    }
    return f;
  }

  /** Applies a frame's Data (Map type → Map key → Map{0: event, 1: dims}) to a plain state
   *  object `{type: {key: {dim: value}}}`. */
  function applyData(state, data) {
    if (!data) return state;
    for (const [type, objs] of data) {
      const t = (state[type] = state[type] || {});
      for (const [key, change] of objs) {
        const event = change.get(0);
        const dims = change.get(1);
        if (event === EVENT.delete) delete t[key];
        else {
          const obj = event === EVENT.new ? {} : Object.assign({}, t[key]);
          if (dims) for (const [d, v] of dims) obj[d] = v;
          t[key] = obj;
        }
      }
    }
    return state;
  }

  /**
   * A GoT client over WebSocket: one request at a time, answers in order. With a token, the
   * handshake offers it as the subprotocol `fluxion-got-token.<token>` (browsers cannot set an
   * Authorization header on a WebSocket).
   */
  class GotSocket {
    constructor(url, WebSocketImpl, options) {
      const WS = WebSocketImpl || root.WebSocket;
      const token = options && options.token;
      this.ws = token ? new WS(url, ['fluxion-got', 'fluxion-got-token.' + token]) : new WS(url);
      this.ws.binaryType = 'arraybuffer';
      this.queue = [];
      this.opened = new Promise((resolve, reject) => {
        this.ws.onopen = resolve;
        this.ws.onerror = () => reject(new Error('WebSocket error'));
      });
      this.ws.onmessage = (ev) => {
        const waiter = this.queue.shift();
        if (waiter) waiter.resolve(decodeFrame(new Uint8Array(ev.data)));
      };
      this.ws.onclose = () => {
        for (const w of this.queue.splice(0)) w.reject(new Error('connection closed'));
      };
    }

    async request(frame) {
      await this.opened;
      return new Promise((resolve, reject) => {
        this.queue.push({ resolve, reject });
        this.ws.send(encodeFrame(frame));
      });
    }

    close() {
      this.ws.close();
    }
  }

  /** A tiny replica of one app: fetch (with ack) and push of plain objects. */
  class Replica {
    constructor(socket, app) {
      this.socket = socket;
      this.app = app;
      this.version = 'ROOT';
      this.state = {};
    }

    async fetch(wait) {
      const req = { app: this.app, type: REQUEST.fetch, start: this.version, wait: !!wait };
      if (wait) req.waitTimeout = wait;
      const r = await this.socket.request(req);
      if (r.status === 408) return false;
      if (r.status !== 200) throw new Error('fetch answered ' + r.status);
      applyData(this.state, r.data);
      const ack = await this.socket.request({ app: this.app, type: REQUEST.ack, start: this.version, end: r.end });
      if (ack.status !== 200) throw new Error('ack answered ' + ack.status);
      const changed = r.end !== this.version;
      this.version = r.end;
      return changed;
    }

    /** Pushes `changes`: Map type → Map key → {event, dims} (dims a plain object). */
    async push(changes, newVersion) {
      const data = new Map();
      for (const [type, objs] of changes) {
        const m = new Map();
        for (const [key, c] of objs) {
          const entry = new Map([[0, EVENT[c.event]]]);
          if (c.dims) entry.set(1, new Map(Object.entries(c.dims)));
          m.set(key, entry);
        }
        data.set(type, m);
      }
      const r = await this.socket.request({ app: this.app, type: REQUEST.push, data, start: this.version, end: newVersion, wait: false });
      if (r.status !== 200) throw new Error('push answered ' + r.status);
      applyData(this.state, data);
      this.version = newVersion;
      return r.end;
    }
  }

  function uuid() {
    const b = new Uint8Array(16);
    (root.crypto || require('node:crypto').webcrypto).getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const api = { encode, decode, encodeFrame, decodeFrame, applyData, GotSocket, Replica, uuid, FIELD, REQUEST, EVENT };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.GotClient = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
