'use strict';
// The GoT protocol server, running on Rust threads inside this process and serving the
// process-wide store: length-prefixed CBOR frames over TCP, and the same frames (one per binary
// message) over WebSocket, on one port. See docs/protocol.md ("Security").
const native = require('../native');
const { settings } = require('../config');
const { GotError, translate } = require('./errors');

/**
 * The servers not closed yet. A server runs until close(), like a net.Server: dropping the object
 * returned by serve() must not stop it (the native server closes when it is collected).
 * @type {Set<GotServer>}
 */
const open = new Set();

/** A running server: `port`, `url` (got://), `wsUrl` (ws://), `close()`. */
class GotServer {
  /** @param {object} server the native server */
  constructor(server) {
    /** @private */
    this._server = server;
    this.host = server.host;
    this.port = server.port;
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.url = `got://${h}:${this.port}`;
    this.wsUrl = `ws://${h}:${this.port}`;
    open.add(this);
  }

  /** Open connections. */
  get connections() {
    return this._server.connections;
  }

  /** Stops accepting and closes every connection. Idempotent. */
  close() {
    open.delete(this);
    this._server.close();
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;
const TOKEN = /^[A-Za-z0-9._~-]{16,256}$/;
const MS_OPTIONS = ['maxWaitMs', 'frameTimeoutMs', 'idleMs', 'unackedMs'];
const COUNT_OPTIONS = ['maxFrameBytes', 'maxDepth', 'maxConnections', 'maxUnacked'];

function invalid(msg) {
  return new GotError('GOT_INVALID', `serve(): ${msg}`);
}

/** The options, checked, with the token and origins of the settings as defaults. */
function nativeOptions(o) {
  for (const k of [...MS_OPTIONS, ...COUNT_OPTIONS]) {
    const v = o[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= 0xffffffff)) {
      throw invalid(`${k} must be a positive integer, found ${String(v)}`);
    }
  }
  const s = settings();
  const token = o.token === undefined ? s.gotToken : o.token;
  if (token !== null && token !== undefined && (typeof token !== 'string' || !TOKEN.test(token))) {
    throw invalid('token must be 16 to 256 characters of A-Z a-z 0-9 - . _ ~ (e.g. crypto.randomBytes(32).toString("base64url"))');
  }
  let origins = o.origins === undefined ? s.gotOrigins : o.origins;
  if (typeof origins === 'string') origins = origins.split(',').map((x) => x.trim());
  if (origins !== null && origins !== undefined && (!Array.isArray(origins) || origins.some((x) => typeof x !== 'string'))) {
    throw invalid('origins must be an array of origins such as "https://app.example:8443", or ["*"]');
  }
  const { apps } = o;
  if (apps !== undefined && (!Array.isArray(apps) || apps.some((a) => typeof a !== 'string' || a === ''))) {
    throw invalid('apps must be an array of dataframe (app) names');
  }
  if (o.dataDir !== undefined && (typeof o.dataDir !== 'string' || o.dataDir === '')) {
    throw invalid(`dataDir must be a directory path, found ${String(o.dataDir)}`);
  }
  const host = o.host === undefined ? '127.0.0.1' : o.host;
  const allowUnauthenticated = o.allowUnauthenticated === true;
  if (!token && !allowUnauthenticated && !LOOPBACK.test(host)) {
    throw invalid(
      `listening on ${host} (beyond this machine) needs a token (serve({ token }), or the gotToken setting: fluxion help settings), or allowUnauthenticated: true to serve anyone who connects`
    );
  }
  return {
    host,
    port: o.port === undefined ? 0 : o.port,
    maxFrameBytes: o.maxFrameBytes,
    maxDepth: o.maxDepth,
    maxWaitMs: o.maxWaitMs,
    frameTimeoutMs: o.frameTimeoutMs,
    idleMs: o.idleMs,
    maxConnections: o.maxConnections,
    maxUnacked: o.maxUnacked,
    unackedMs: o.unackedMs,
    token: token || undefined,
    allowUnauthenticated,
    origins: origins || undefined,
    apps,
    dataDir: o.dataDir,
  };
}

/**
 * Starts a server on `host` (default 127.0.0.1) and `port` (default 0: any free port). Serves
 * the dataframes named in `apps` (default: every one but fluxion's internal `fluxion-…` ones).
 * @param {import('../../versions').ServeOptions} [options]
 */
function serve(options = {}) {
  const opts = nativeOptions(options || {});
  try {
    return new GotServer(new (native.load().NativeGotServer)(opts));
  } catch (e) {
    throw translate(e);
  }
}

module.exports = { serve, GotServer };
