'use strict';
// The dashboard's HTTP server: the page and its scripts (public/, and dagre from the installed
// package: no CDN, no build step), and the push channel (Server-Sent Events: one long response
// per page, `model` and `live` events). Loopback by default; with a token (setting
// dashboardToken) every request must carry it, as `?token=` or the cookie the page gets on its
// first load. Requests for another Host than the one it listens on are refused (a web page
// elsewhere cannot reach a loopback dashboard through DNS rebinding).
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');

const PUBLIC = path.join(__dirname, 'public');
const COOKIE = 'fluxion_dashboard';
const TOKEN_VARIABLE = require('../config').SETTINGS.find((d) => d.key === 'dashboardToken').env;

/** The files a page may ask for, and where they are. */
function assets() {
  const dagreDir = path.dirname(require.resolve('@dagrejs/dagre/package.json'));
  return {
    '/': { file: path.join(PUBLIC, 'index.html'), type: 'text/html; charset=utf-8' },
    '/app.js': { file: path.join(PUBLIC, 'app.js'), type: 'text/javascript; charset=utf-8' },
    '/render.js': { file: path.join(PUBLIC, 'render.js'), type: 'text/javascript; charset=utf-8' },
    '/style.css': { file: path.join(PUBLIC, 'style.css'), type: 'text/css; charset=utf-8' },
    '/dagre.min.js': { file: path.join(dagreDir, 'dist', 'dagre.min.js'), type: 'text/javascript; charset=utf-8' },
  };
}

const HEADERS = {
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function same(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * @param {{ host: string, port: number, token: string | null, loopback: boolean,
 *   feed: (send: (event: string, data: string) => void) => ReturnType<import('./feed')['create']> }} options
 * @returns {Promise<{ server: import('node:http').Server, url: string, clients: () => number, close: () => Promise<void> }>}
 */
function listen({ host, port, token, loopback, feed: makeFeed }) {
  const files = assets();
  const cache = new Map();
  const clients = new Set();
  const send = (event, data) => {
    const chunk = `event: ${event}\ndata: ${data}\n\n`;
    for (const res of clients) res.write(chunk);
  };
  const feed = makeFeed(send);
  let address = null;

  function allowedHost(h) {
    if (!loopback) return true; // the token guards it
    const port = address && address.port;
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`].includes(String(h || '').toLowerCase());
  }

  function authorised(req, url) {
    if (!token) return { ok: true };
    const q = url.searchParams.get('token');
    if (q && same(q, token)) return { ok: true, setCookie: true };
    const cookie = String(req.headers.cookie || '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
    return { ok: Boolean(cookie && same(cookie.slice(COOKIE.length + 1), token)) };
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://dashboard');
    if (!allowedHost(req.headers.host)) {
      res.writeHead(421, HEADERS).end('fluxion dashboard: wrong Host\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEADERS, Allow: 'GET, HEAD' }).end();
      return;
    }
    const auth = authorised(req, url);
    if (!auth.ok) {
      res.writeHead(401, { ...HEADERS, 'Content-Type': 'text/plain' }).end(`fluxion dashboard: open it with ?token=<${TOKEN_VARIABLE}>\n`);
      return;
    }
    const headers = { ...HEADERS };
    if (auth.setCookie) headers['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    if (url.pathname === '/events') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      res.socket.setNoDelay(true);
      res.socket.unref(); // a page left open never keeps the app's process alive
      const first = feed.hello();
      res.write(`retry: 1000\nevent: model\ndata: ${first.model}\n\nevent: live\ndata: ${first.live}\n\n`);
      clients.add(res);
      req.on('close', () => {
        clients.delete(res);
        if (!clients.size) feed.stop();
      });
      return;
    }
    const asset = files[url.pathname];
    if (!asset) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    let body = cache.get(asset.file);
    if (!body) {
      body = fs.readFileSync(asset.file);
      cache.set(asset.file, body);
    }
    res.writeHead(200, { ...headers, 'Content-Type': asset.type, 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.on('connection', (socket) => socket.unref());

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.unref();
      address = server.address();
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        server,
        url: `http://${shown}:${address.port}/`,
        clients: () => clients.size,
        close: () =>
          new Promise((done) => {
            feed.stop();
            for (const res of clients) res.end();
            clients.clear();
            server.close(() => done());
            if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
          }),
      });
    });
  });
}

module.exports = { listen, assets };
