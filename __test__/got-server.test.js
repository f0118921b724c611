'use strict';
// The protocol server against raw clients: well-formed cycles over TCP and WebSocket, and
// every kind of bad input answered by an error status and a closed connection, with the
// server (and the store) unharmed.
const net = require('node:net');
const path = require('node:path');
const { Dataframe, pccSet, primaryKey, serve } = require('..');
const got = require(path.join(__dirname, '..', 'examples', 'presence', 'public', 'got-client.js'));
// Node 22+ has a global WebSocket; Node 20 does not.
const WebSocket = globalThis.WebSocket || require('ws');

const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int' });
let n = 0;
const unique = (name) => `${name}-${process.pid}-${Date.now()}-${n++}`;

let server;
let app;
let owner;
beforeAll(() => {
  server = serve({ maxFrameBytes: 4096, maxDepth: 16, frameTimeoutMs: 500 });
  app = unique('Raw');
  owner = new Dataframe(app, [Counter]);
  owner.addOne(Counter, { name: 'countDocument', count: 1 });
  owner.commit();
  owner.push();
});
afterAll(() => server.close());

/** Sends raw bytes (optionally half-closing), collects what the server sends until it closes. */
function exchange(bytes, { end = false, keepOpenMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1');
    const chunks = [];
    let timer;
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), closed: true });
    });
    sock.on('connect', () => {
      sock.write(bytes);
      if (end) sock.end();
      if (keepOpenMs) {
        timer = setTimeout(() => {
          resolve({ bytes: Buffer.concat(chunks), closed: false });
          sock.destroy();
        }, keepOpenMs);
      }
    });
  });
}

/** Splits a byte stream into frames. */
function frames(buf) {
  const out = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = buf.readUInt32BE(at);
    out.push(got.decodeFrame(new Uint8Array(buf.subarray(at, at + 4 + len))));
    at += 4 + len;
  }
  return out;
}

const fetchFrame = (start = 'ROOT', extra = {}) =>
  Buffer.from(got.encodeFrame({ app, type: got.REQUEST.fetch, start, ...extra }));

test('a fetch then an ack on one connection; the connection stays open', async () => {
  const req = Buffer.concat([fetchFrame()]);
  const first = await exchange(req, { keepOpenMs: 200 });
  expect(first.closed).toBe(false);
  const [reply] = frames(first.bytes);
  expect(reply.status).toBe(200);
  expect(reply.app).toBe(app);
  expect(reply.start).toBe('ROOT');
  expect(reply.end).toMatch(/^[0-9a-f-]{36}$/);
  const counter = reply.data.get('Counter').get('countDocument');
  expect(counter.get(0)).toBe(got.EVENT.new);
  expect(counter.get(1).get('count')).toBe(1);
});

test.each([
  ['garbage CBOR', () => Buffer.from([0, 0, 0, 3, 0xff, 0xff, 0xff]), 400],
  ['a body that is not a map', () => Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from([0x01])]), 400],
  ['an unknown field ({9: 1})', () => Buffer.from([0, 0, 0, 3, 0xa1, 0x09, 0x01]), 400],
  ['an oversized frame (length beyond maxFrameBytes)', () => Buffer.from([0, 0, 0x20, 0]), 413],
  ['nesting deeper than maxDepth', () => (() => {
    let v = 1;
    for (let i = 0; i < 40; i++) v = [v];
    const body = got.encode(new Map([[1, new Map([['Counter', v]])]]));
    const b = Buffer.alloc(4 + body.length);
    b.writeUInt32BE(body.length);
    Buffer.from(body).copy(b, 4);
    return b;
  })(), 400],
  ['a response frame (no request type)', () => Buffer.from(got.encodeFrame({ app, status: 200 })), 400],
  ['a fetch from an unknown version', () => fetchFrame('0b6a2b9c-0000-4000-8000-000000000000'), 410],
  ['a fetch of an unknown app', () => Buffer.from(got.encodeFrame({ app: 'no-such-app', type: 0, start: 'ROOT' })), 404],
  ['a push whose data has the wrong types', () => Buffer.from(got.encodeFrame({
    app,
    type: got.REQUEST.push,
    start: 'ROOT',
    data: new Map([['Counter', new Map([['x', new Map([[0, 0], [1, new Map([['count', 'three']])]])]])]]),
  })), 422],
  ['a push of an object that does not exist', () => Buffer.from(got.encodeFrame({
    app,
    type: got.REQUEST.push,
    start: 'ROOT',
    data: new Map([['Counter', new Map([['ghost', new Map([[0, 1], [1, new Map([['count', 3]])]])]])]]),
  })), 422],
])('%s: error status, then the server closes the connection', async (_, bytes, status) => {
  // The frames are built here, not in the table: `app` exists only after beforeAll.
  const r = await exchange(bytes(), { keepOpenMs: 3000 });
  expect(r.closed).toBe(true);
  const replies = frames(r.bytes);
  expect(replies).toHaveLength(1);
  expect(replies[0].status).toBe(status);
});

test('a truncated frame (the client stops mid-frame) gets 400 and a close', async () => {
  const whole = fetchFrame();
  const half = await exchange(whole.subarray(0, whole.length - 3), { end: true });
  expect(half.closed).toBe(true);
  expect(frames(half.bytes).map((f) => f.status)).toEqual([400]);
  // A client that stalls mid-frame is cut off after frameTimeoutMs (500 ms here), not left hanging.
  const started = Date.now();
  const stalled = await exchange(whole.subarray(0, 6), { keepOpenMs: 5000 });
  expect(stalled.closed).toBe(true);
  expect(frames(stalled.bytes).map((f) => f.status)).toEqual([400]);
  expect(Date.now() - started).toBeLessThan(3000);
});

test('a WebSocket client gets the same frames; bad messages get an error status and a close', async () => {
  const ws = new got.GotSocket(server.wsUrl, WebSocket);
  const reply = await ws.request({ app, type: got.REQUEST.fetch, start: 'ROOT' });
  expect(reply.status).toBe(200);
  expect(reply.data.get('Counter').get('countDocument').get(1).get('count')).toBe(1);
  const ack = await ws.request({ app, type: got.REQUEST.ack, start: 'ROOT', end: reply.end });
  expect(ack.status).toBe(200);
  ws.close();

  const bad = new WebSocket(server.wsUrl);
  bad.binaryType = 'arraybuffer';
  const got400 = await new Promise((resolve) => {
    const seen = [];
    bad.onopen = () => bad.send(new Uint8Array([0, 0, 0, 2, 0xff, 0xff]));
    bad.onmessage = (ev) => seen.push(got.decodeFrame(new Uint8Array(ev.data)).status);
    bad.onclose = () => resolve(seen);
  });
  expect(got400).toEqual([400]);
});

test('after all that abuse the server and the store still work', () => {
  const df = new Dataframe(app, [Counter], { remote: server.url });
  df.pull();
  expect(df.readOne(Counter, 'countDocument').count).toBe(1);
  expect(df.readAll(Counter)).toHaveLength(1);
  df.updateOne(Counter, 'countDocument', { count: 2 });
  df.commit();
  df.push();
  owner.pull();
  expect(owner.readOne(Counter, 'countDocument').count).toBe(2);
});

test('a client whose answers exceed its own frame limit gets a clear error', () => {
  const big = new Dataframe(app, [Counter], { remote: server.url, maxFrameBytes: 8 });
  expect(() => big.pull()).toThrow(/exceeds the limit of 8/);
});

// Found by the fault test (issue 15): a server started in a callback, its object not kept
// (`df.serve()` in app.listen's callback), stopped accepting at the first garbage collection.
// A server runs until close(), as a net.Server does.
test('a server whose object is dropped keeps serving until close()', async () => {
  const v8 = require('node:v8');
  const vm = require('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const name = unique('Dropped');
  const df = new Dataframe(name, [Counter]);
  df.addOne(Counter, { name: 'c', count: 7 });
  df.commit();
  df.push();
  // From here on the GotServer object is held weakly only (by this test).
  const ref = (() => new WeakRef(df.serve()))();
  const { url } = ref.deref();
  // deref() keeps its target alive until the end of the current job: collect in a later one.
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 3; i++) gc();
  const client = new Dataframe(name, [Counter], { remote: url });
  client.pull();
  expect(client.readOne(Counter, 'c').count).toBe(7);
  ref.deref().close();
});
