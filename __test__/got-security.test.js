'use strict';
// The GoT server's protections, from Node and from a real browser: the token, the WebSocket
// Origin allow-list, the whole-frame deadline, the connection limit (idle connections closed
// first), and the internal fluxion-contexts dataframe never served unless named (and then
// read-only). The Rust side of each limit is tested in crates/got-protocol/tests/hardening.rs.
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const { Dataframe, pccSet, primaryKey, serve } = require('..');
const got = require(path.join(__dirname, '..', 'examples', 'presence', 'public', 'got-client.js'));

const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int' });
const TOKEN = 'jest-token-0123456789abcdef';
let n = 0;
const unique = (name) => `${name}-${process.pid}-${Date.now()}-${n++}`;

function seed(app) {
  const df = new Dataframe(app, [Counter]);
  df.addOne(Counter, { name: 'c', count: 1 });
  df.commit();
  df.push();
  return df;
}

/** Connects, sends `bytes`, collects what comes back until the server closes (or `waitMs`). */
function exchange(port, bytes, waitMs = 5000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed: false });
    }, waitMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), closed: true });
    });
    sock.on('connect', () => sock.write(bytes));
  });
}

function frames(buf) {
  const out = [];
  for (let at = 0; at + 4 <= buf.length; at += 4 + buf.readUInt32BE(at)) {
    out.push(got.decodeFrame(new Uint8Array(buf.subarray(at, at + 4 + buf.readUInt32BE(at)))));
  }
  return out;
}

const frame = (f) => Buffer.from(got.encodeFrame(f));

describe('the token', () => {
  let server;
  let app;
  beforeAll(() => {
    app = unique('Tok');
    seed(app);
    server = serve({ token: TOKEN });
  });
  afterAll(() => server.close());

  test('a raw client without the token (or with a wrong one) gets 401 and a close', async () => {
    for (const extra of [{}, { token: 'wrong-token-0123456789abcdef' }]) {
      const r = await exchange(server.port, frame({ app, type: got.REQUEST.fetch, start: 'ROOT', ...extra }));
      expect(r.closed).toBe(true);
      const [reply, ...rest] = frames(r.bytes);
      expect(rest).toEqual([]);
      expect(reply.status).toBe(401);
      expect(reply.data).toBeUndefined();
    }
  });

  test('with the token in the first frame the connection is served', async () => {
    const r = await exchange(server.port, frame({ app, type: got.REQUEST.fetch, start: 'ROOT', token: TOKEN }), 300);
    expect(r.closed).toBe(false);
    expect(frames(r.bytes)[0].status).toBe(200);
  });

  test('remote dataframes present it from their options; without it they get GOT_STATUS_401', () => {
    const anonymous = new Dataframe(app, [Counter], { remote: server.url });
    expect(() => anonymous.pull()).toThrow(expect.objectContaining({ code: 'GOT_STATUS_401', status: 401 }));
    const df = new Dataframe(app, [Counter], { remote: server.url, token: TOKEN });
    df.pull();
    expect(df.readOne(Counter, 'c').count).toBe(1);
  });

  test('a WebSocket client offers it as a subprotocol; a wrong one gets HTTP 401', async () => {
    const ws = new got.GotSocket(server.wsUrl, WebSocket, { token: TOKEN });
    const reply = await ws.request({ app, type: got.REQUEST.fetch, start: 'ROOT' });
    expect(reply.status).toBe(200);
    expect(ws.ws.protocol).toBe('fluxion-got');
    ws.close();
    const status = await new Promise((resolve) => {
      const bad = new WebSocket(server.wsUrl, ['fluxion-got', 'fluxion-got-token.wrong-token-0123456789']);
      bad.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      bad.on('open', () => resolve('open'));
      bad.on('error', () => {});
    });
    expect(status).toBe(401);
  });

  test('serving beyond loopback needs a token or an explicit allowUnauthenticated', () => {
    expect(() => serve({ host: '0.0.0.0', token: null })).toThrow(/needs a token .* or allowUnauthenticated/);
    expect(() => serve({ token: 'short' })).toThrow(/16 to 256 characters/);
  });
});

describe('WebSocket Origin', () => {
  let server;
  let app;
  beforeAll(() => {
    app = unique('Origin');
    seed(app);
    server = serve();
  });
  afterAll(() => server.close());

  /** The HTTP status of a refused handshake, or 'open'. */
  function handshake(url, origin) {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, origin ? { origin } : {});
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      ws.on('open', () => {
        ws.close();
        resolve({ status: 'open' });
      });
      ws.on('error', () => {});
    });
  }

  test('a foreign page gets HTTP 403 with the reason; the same host (any port) and non-browsers are served', async () => {
    const foreign = await handshake(server.wsUrl, 'http://evil.test:8080');
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatch(/origin http:\/\/evil.test:8080 is not allowed/);
    expect((await handshake(server.wsUrl, 'http://127.0.0.1:3000')).status).toBe('open');
    expect((await handshake(server.wsUrl)).status).toBe('open');
  });

  test('an explicit list replaces the default', async () => {
    const listed = serve({ origins: ['http://app.test:3000'] });
    try {
      expect((await handshake(listed.wsUrl, 'http://app.test:3000')).status).toBe('open');
      expect((await handshake(listed.wsUrl, 'http://127.0.0.1:3000')).status).toBe(403);
    } finally {
      listed.close();
    }
  });

  const CHROMIUM = '/usr/bin/chromium';
  const reason = fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is absent (apt-get install -y chromium)`;
  (reason ? test.skip : test)(`in headless Chromium a page of a foreign origin cannot open the WebSocket${reason ? ` (skipped: ${reason})` : ''}`, async () => {
    const { chromium } = require('playwright-core');
    const page = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>page</title>');
    });
    await new Promise((r) => page.listen(0, '127.0.0.1', r));
    const port = page.address().port;
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      // evil.test resolves to this machine: the page is foreign by name, not by network.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--host-resolver-rules=MAP evil.test 127.0.0.1'],
    });
    const tryOpen = (wsUrl) =>
      new Promise((resolve) => {
        const ws = new WebSocket(wsUrl);
        ws.onopen = () => {
          ws.close();
          resolve('open');
        };
        ws.onerror = () => resolve('refused');
      });
    try {
      const p = await context.newPage();
      await p.goto(`http://evil.test:${port}/`);
      expect(await p.evaluate(tryOpen, server.wsUrl)).toBe('refused');
      await p.goto(`http://127.0.0.1:${port}/`);
      expect(await p.evaluate(tryOpen, server.wsUrl)).toBe('open');
    } finally {
      await context.close();
      await new Promise((r) => page.close(r));
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  }, 60000);
});

describe('deadlines and the connection limit', () => {
  test('a client sending one byte per second is cut at the frame deadline', async () => {
    const app = unique('Slow');
    seed(app);
    const server = serve({ frameTimeoutMs: 1500 });
    try {
      const bytes = frame({ app, type: got.REQUEST.fetch, start: 'ROOT' });
      const started = Date.now();
      const r = await new Promise((resolve) => {
        const sock = net.connect(server.port, '127.0.0.1');
        const chunks = [];
        let i = 0;
        let timer;
        const drip = () => {
          if (i < bytes.length) sock.write(bytes.subarray(i, ++i));
          timer = setTimeout(drip, 1000);
        };
        sock.on('connect', drip);
        sock.on('data', (c) => chunks.push(c));
        sock.on('error', () => {});
        sock.on('close', () => {
          clearTimeout(timer);
          resolve({ bytes: Buffer.concat(chunks), after: Date.now() - started, sent: i });
        });
      });
      expect(frames(r.bytes).map((f) => f.status)).toEqual([400]);
      expect(r.after).toBeGreaterThanOrEqual(1400);
      expect(r.after).toBeLessThan(4000);
      expect(r.sent).toBeLessThan(bytes.length);
    } finally {
      server.close();
    }
  }, 20000);

  test('300 idle sockets, then a real client: the client is served', async () => {
    const app = unique('Crowd');
    seed(app);
    const server = serve({ maxConnections: 256 });
    const idle = [];
    try {
      for (let i = 0; i < 300; i++) {
        const s = net.connect(server.port, '127.0.0.1');
        s.on('error', () => {});
        idle.push(s);
        await new Promise((r) => s.once('connect', r));
      }
      for (let i = 0; i < 200 && server.connections < 256; i++) await new Promise((r) => setTimeout(r, 25));
      expect(server.connections).toBe(256);
      const df = new Dataframe(app, [Counter], { remote: server.url });
      df.pull();
      expect(df.readOne(Counter, 'c').count).toBe(1);
      expect(server.connections).toBeLessThanOrEqual(256);
    } finally {
      for (const s of idle) s.destroy();
      server.close();
    }
  }, 30000);
});

describe('fluxion-contexts', () => {
  // The runtime's own dataframe: values a worker restores with v8.deserialize.
  const Ctx = pccSet('FluxionContext', { key: primaryKey('str'), value: 'bytes' });
  let contexts;
  beforeAll(() => {
    contexts = new Dataframe('fluxion-contexts', [Ctx]);
    contexts.addOne(Ctx, { key: `g-${process.pid}`, value: Buffer.from([1, 2, 3]) });
    contexts.commit();
    contexts.push();
  });

  const pushFrame = () =>
    frame({
      app: 'fluxion-contexts',
      type: got.REQUEST.push,
      start: 'ROOT',
      data: new Map([['FluxionContext', new Map([['evil', new Map([[0, 0], [1, new Map([['value', new Uint8Array([0xff])]])]])]])]]),
    });

  test('is neither readable nor writable through a server that does not name it', async () => {
    const app = unique('Public');
    const df = seed(app);
    for (const server of [serve(), df.serve()]) {
      try {
        const fetch = await exchange(server.port, frame({ app: 'fluxion-contexts', type: got.REQUEST.fetch, start: 'ROOT' }));
        expect(frames(fetch.bytes).map((f) => f.status)).toEqual([404]);
        const push = await exchange(server.port, pushFrame());
        expect(frames(push.bytes).map((f) => f.status)).toEqual([404]);
        const remote = new Dataframe('fluxion-contexts', [Ctx], { remote: server.url });
        expect(() => remote.pull()).toThrow(expect.objectContaining({ code: 'GOT_STATUS_404' }));
      } finally {
        server.close();
      }
    }
    expect(contexts.storeVersions).toBeGreaterThan(0);
    contexts.pull();
    expect(contexts.readOne(Ctx, 'evil')).toBeNull();
  });

  test('named explicitly it is served read-only: fetch 200, push 403', async () => {
    const server = serve({ apps: ['fluxion-contexts'] });
    try {
      const fetch = await exchange(server.port, frame({ app: 'fluxion-contexts', type: got.REQUEST.fetch, start: 'ROOT' }), 300);
      expect(frames(fetch.bytes)[0].status).toBe(200);
      const push = await exchange(server.port, pushFrame());
      expect(frames(push.bytes).map((f) => f.status)).toEqual([403]);
      contexts.pull();
      expect(contexts.readOne(Ctx, 'evil')).toBeNull();
    } finally {
      server.close();
    }
  });
});
