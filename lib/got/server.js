'use strict';
// The GoT protocol server, running on Rust threads inside this process and serving the
// process-wide store: length-prefixed CBOR frames over TCP, and the same frames (one per binary
// message) over WebSocket, on one port. See docs/protocol.md.
const native = require('../native');
const { translate } = require('./errors');

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
  }

  /** Open connections. */
  get connections() {
    return this._server.connections;
  }

  /** Stops accepting and closes every connection. Idempotent. */
  close() {
    this._server.close();
  }
}

/**
 * Starts a server on `host` (default 127.0.0.1) and `port` (default 0: any free port).
 * @param {{port?: number, host?: string, maxFrameBytes?: number, maxDepth?: number,
 *   maxWaitMs?: number, frameTimeoutMs?: number, maxConnections?: number}} [options]
 */
function serve(options = {}) {
  const o = options || {};
  try {
    const server = new (native.load().NativeGotServer)({
      host: o.host === undefined ? '127.0.0.1' : o.host,
      port: o.port === undefined ? 0 : o.port,
      maxFrameBytes: o.maxFrameBytes,
      maxDepth: o.maxDepth,
      maxWaitMs: o.maxWaitMs,
      frameTimeoutMs: o.frameTimeoutMs,
      maxConnections: o.maxConnections,
    });
    return new GotServer(server);
  } catch (e) {
    throw translate(e);
  }
}

module.exports = { serve, GotServer };
