'use strict';
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const bus = require('../lib/transport/bus');

const BUS = path.join(__dirname, '..', 'lib', 'transport', 'bus.js');
const N = 10_000;

/** Starts a worker from source; `BUS` is the path of lib/transport/bus.js inside it. */
function worker(source, workerData) {
  return new Worker(`const BUS = ${JSON.stringify(BUS)};\n${source}`, { eval: true, workerData });
}

function once(w, event) {
  return new Promise((resolve, reject) => {
    w.once(event, resolve);
    if (event !== 'error') w.once('error', reject);
  });
}

/** Main-thread inbox for the whole file; each test routes messages by their `from`. */
const routes = new Map();
beforeAll(() => {
  bus.open((m) => {
    const r = routes.get(m && m.from);
    if (!r) throw new Error(`unexpected message ${JSON.stringify(m)}`);
    r(m);
  });
});
afterAll(() => {
  expect(bus.close()).toEqual([]);
});

test('main and 2 workers exchange 10,000 messages each way, in order, none lost', async () => {
  const src = `
    const { parentPort, threadId, workerData } = require('node:worker_threads');
    const bus = require(BUS);
    let next = 0, sum = 0, inOrder = true;
    bus.ref();
    bus.open((m) => {
      if (m.seq !== next) inOrder = false;
      next++;
      sum += m.seq * (m.tag.length);
      if (next === workerData.n) {
        parentPort.postMessage({ received: next, sum, inOrder });
        bus.close();
      }
    });
    parentPort.postMessage('ready');
    parentPort.once('message', () => {
      // Each sends as fast as it can; backpressure may queue some in the local backlog.
      for (let i = 0; i < workerData.n; i++) bus.send(0, { from: threadId, seq: i, pad: 'x'.repeat(i % 50) });
    });
  `;
  const ws = [worker(src, { n: N }), worker(src, { n: N })];
  const exits = ws.map((w) => once(w, 'exit'));
  await Promise.all(ws.map((w) => once(w, 'message')));

  const got = new Map(ws.map((w) => [w.threadId, { next: 0, inOrder: true, pad: true }]));
  const allIn = new Promise((resolve) => {
    let done = 0;
    for (const w of ws) {
      routes.set(w.threadId, (m) => {
        const g = got.get(m.from);
        if (m.seq !== g.next) g.inOrder = false;
        if (m.pad !== 'x'.repeat(m.seq % 50)) g.pad = false;
        if (++g.next === N) {
          done++;
          if (done === ws.length) resolve();
        }
      });
    }
  });
  const reports = ws.map((w) => once(w, 'message'));
  for (const w of ws) w.postMessage('go');
  for (let i = 0; i < N; i++) for (const w of ws) bus.send(w.threadId, { seq: i, tag: 'abc' });

  const [r1, r2] = await Promise.all(reports);
  await allIn;
  const sum = 3 * ((N - 1) * N) / 2;
  expect(r1).toEqual({ received: N, sum, inOrder: true });
  expect(r2).toEqual({ received: N, sum, inOrder: true });
  for (const g of got.values()) expect(g).toEqual({ next: N, inOrder: true, pad: true });
  await Promise.all(exits);
  for (const w of ws) routes.delete(w.threadId);
  expect(bus.queued(ws[0].threadId)).toBe(0);
});

/** Evaluated in each realm (Jest's sandbox here, the worker's own there) to build the same value. */
const MAKE_VALUE = `() => ({
  nested: { a: [1, 'two', null, true, { deep: 3.5 }], empty: {} },
  buffer: Buffer.from('héllo bytes'),
  u16: new Uint16Array([1, 65535]),
  map: new Map([['k', { v: 1 }], [2, [3]]]),
  set: new Set(['a', 1]),
  error: new TypeError('bad thing'),
  date: new Date(1700000000000),
  big: 12345678901234567890n,
  re: /a+b/gi,
  undef: undefined,
  unicode: '🙂 ünïcödé',
})`;

test('structured-clone values arrive intact (objects, Buffers, Maps, Sets, Errors, Dates...)', async () => {
  const w = worker(`
    const { parentPort, threadId } = require('node:worker_threads');
    const { isDeepStrictEqual } = require('node:util');
    const bus = require(BUS);
    const expected = (${MAKE_VALUE})();
    bus.ref();
    bus.open((m) => {
      // Checked in the worker, where the received value and the expected one share one realm.
      bus.send(0, { from: threadId, echo: m, checks: {
        deepEqual: isDeepStrictEqual(m, expected),
        buffer: Buffer.isBuffer(m.buffer),
        error: m.error instanceof TypeError,
        map: m.map instanceof Map && m.map.get('k').v === 1,
        date: m.date instanceof Date,
        undef: 'undef' in m,
      } });
      bus.close();
    });
    parentPort.postMessage('ready');
  `);
  const exited = once(w, 'exit');
  await once(w, 'message');
  // eslint-disable-next-line no-eval
  const value = eval(MAKE_VALUE)();
  const reply = new Promise((resolve) => routes.set(w.threadId, resolve));
  bus.send(w.threadId, value);
  const { echo, checks } = await reply;
  routes.delete(w.threadId);
  expect(checks).toEqual({ deepEqual: true, buffer: true, error: true, map: true, date: true, undef: true });
  // And back on this side (v8.deserialize builds objects in Node's realm, not Jest's sandbox, so
  // compare fields rather than prototypes).
  expect(Buffer.isBuffer(echo.buffer)).toBe(true);
  expect(echo.buffer.toString()).toBe('héllo bytes');
  expect(Array.from(echo.u16)).toEqual([1, 65535]);
  expect(Object.prototype.toString.call(echo.error)).toBe('[object Error]');
  expect([echo.error.name, echo.error.message]).toEqual(['TypeError', 'bad thing']);
  expect(echo.error.stack).toBe(value.error.stack);
  expect([...echo.map.entries()]).toEqual([['k', { v: 1 }], [2, [3]]]);
  expect([...echo.set]).toEqual(['a', 1]);
  expect(echo.date.getTime()).toBe(1700000000000);
  expect(echo.big).toBe(12345678901234567890n);
  expect(String(echo.re)).toBe('/a+b/gi');
  expect(JSON.stringify(echo.nested)).toBe(JSON.stringify(value.nested));
  expect(echo.unicode).toBe(value.unicode);
  await exited;
});

test('received Buffers stay intact after later batches; a message larger than a batch arrives', async () => {
  const w = worker(`
    const { parentPort, threadId } = require('node:worker_threads');
    const bus = require(BUS);
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 255;
    bus.send(0, { from: threadId, i: 0, buf: Buffer.from('first buffer') });
    for (let i = 1; i <= 3000; i++) bus.send(0, { from: threadId, i, buf: Buffer.alloc(64, i & 255) });
    bus.send(0, { from: threadId, i: 3001, big });
    bus.send(0, { from: threadId, i: 3002, json: 'after big' });
  `);
  const exited = once(w, 'exit');
  const got = [];
  const all = new Promise((resolve) =>
    routes.set(w.threadId, (m) => {
      got.push(m);
      if (m.i === 3002) resolve();
    })
  );
  await all;
  routes.delete(w.threadId);
  expect(got.map((m) => m.i)).toEqual(Array.from({ length: 3003 }, (_, i) => i));
  expect(got[0].buf.toString()).toBe('first buffer');
  for (let i = 1; i <= 3000; i++) {
    if (!got[i].buf.equals(Buffer.alloc(64, i & 255))) throw new Error(`message ${i} was overwritten`);
  }
  const big = got[3001].big;
  expect(big.length).toBe(1 << 20);
  let ok = true;
  for (let i = 0; i < big.length; i++) if (big[i] !== ((i * 7) & 255)) ok = false;
  expect(ok).toBe(true);
  expect(got[3002].json).toBe('after big');
  await exited;
});

test('the codec takes the JSON path only where JSON means the same as structured clone', async () => {
  // Run in a worker: one realm, so that prototypes compare strictly.
  const w = worker(`
    const { parentPort } = require('node:worker_threads');
    const { isDeepStrictEqual } = require('node:util');
    const v8 = require('node:v8');
    const { encode, decode } = require(BUS.replace(/bus\\.js$/, 'bus-codec.js'));
    const shared = { s: 1 };
    const cyclic = { name: 'c' }; cyclic.self = cyclic;
    const holes = [1, , 3];
    const extra = [1, 2]; extra.note = 'kept';
    class Point { constructor() { this.x = 1; } }
    const cases = {
      json: {
        plain: { a: 1, b: 'two', c: [true, null, { d: -1.5 }], e: {} },
        string: 'héllo 🙂 \\ud800 lone',
        number: 42,
        nullProto: Object.assign(Object.create(null), { a: 1 }),
        intKeys: { b: 1, 2: 'x', a: 3, 1: 'y' },
      },
      v8: {
        undefinedProp: { a: undefined },
        undefinedTop: undefined,
        minusZero: { z: -0 },
        nan: [NaN, Infinity],
        big: 10n,
        date: new Date(0),
        map: new Map([[1, 2]]),
        buffer: Buffer.from('ab'),
        error: new RangeError('r'),
        instance: new Point(),
        sharedTwice: { a: shared, b: shared },
        cyclic,
        holes,
        extra,
        longString: 'x'.repeat(5000),
        deep: JSON.parse('['.repeat(100) + ']'.repeat(100)),
      },
    };
    const out = {};
    for (const [path, values] of Object.entries(cases)) {
      for (const [name, v] of Object.entries(values)) {
        const bytes = encode(v);
        const got = decode(bytes);
        const ref = v8.deserialize(v8.serialize(v));
        out[name] = {
          path: bytes[0] === 0xff ? 'v8' : 'json',
          expected: path,
          same: isDeepStrictEqual(got, ref) && Object.keys(Object(got)).join() === Object.keys(Object(ref)).join(),
        };
      }
    }
    const shared2 = decode(encode(cases.v8.sharedTwice));
    out.identityKept = shared2.a === shared2.b;
    const c2 = decode(encode(cyclic));
    out.cycleKept = c2.self === c2;
    try { encode({ f() {} }); out.functionThrows = false; } catch (e) { out.functionThrows = /could not be cloned/.test(e.message); }
    parentPort.postMessage(out);
  `);
  const [out] = await Promise.all([once(w, 'message'), once(w, 'exit')]);
  const { identityKept, cycleKept, functionThrows, ...cases } = out;
  expect({ identityKept, cycleKept, functionThrows }).toEqual({ identityKept: true, cycleKept: true, functionThrows: true });
  for (const [name, r] of Object.entries(cases)) {
    expect([name, r.path, r.same]).toEqual([name, r.expected, true]);
  }
  expect(Object.keys(cases).length).toBe(21);
});

test('a worker that exits closes its inbox; what it had not drained is handed back', async () => {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const w = worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const bus = require(BUS);
    bus.open(() => { throw new Error('must not be delivered'); });
    parentPort.postMessage('ready');
    // Hold the thread until main has sent, then end it before its loop can drain the inbox.
    Atomics.wait(workerData.flag, 0, 0);
    process.exit(0);
  `, { flag });
  await once(w, 'message');
  const id = w.threadId;
  expect(bus.stats().map((s) => s.threadId)).toContain(id);
  bus.send(id, 'one');
  bus.send(id, { two: 2 });
  expect(bus.stats().find((s) => s.threadId === id)).toMatchObject({ length: 2, sent: 2, received: 0 });
  const exited = once(w, 'exit');
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  await exited;
  expect(bus.stats().map((s) => s.threadId)).not.toContain(id);
  expect(() => bus.send(id, 'three')).toThrow(expect.objectContaining({ code: 'FLUXION_BUS_NO_INBOX' }));
  expect(bus.takeUndelivered(id)).toEqual(['one', { two: 2 }]);
  expect(bus.takeUndelivered(id)).toEqual([]);
});

test('a full inbox pushes back: the sender keeps the rest in order and delivers it all later', async () => {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const w = worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const bus = require(BUS);
    let next = 0, inOrder = true;
    bus.ref();
    bus.open((n) => {
      if (n !== next) inOrder = false;
      if (++next === 2000) {
        parentPort.postMessage({ next, inOrder });
        bus.close();
      }
    }, { capacity: { maxMessages: 16 } });
    parentPort.postMessage('ready');
    // Not draining until main has sent everything: its inbox fills up.
    Atomics.wait(workerData.flag, 0, 0);
  `, { flag });
  const exited = once(w, 'exit');
  await once(w, 'message');
  const results = [];
  for (let i = 0; i < 2000; i++) results.push(bus.send(w.threadId, i));
  // Sends are batched: the first batch (256 messages) is refused whole (it cannot fit), then 16
  // go in one by one and the 17th is refused; from then on `send` says the message is queued.
  const firstQueued = results.indexOf(false);
  expect(firstQueued).toBeGreaterThan(0);
  expect(results.slice(0, firstQueued).every(Boolean)).toBe(true);
  expect(results.slice(firstQueued).some(Boolean)).toBe(false);
  expect(bus.queued(w.threadId)).toBe(2000 - 16);
  expect(bus.stats().find((s) => s.threadId === w.threadId)).toMatchObject({ length: 16, highWater: 16, full: 2 });
  const report = once(w, 'message');
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  expect(await report).toEqual({ next: 2000, inOrder: true });
  expect(bus.queued(w.threadId)).toBe(0);
  await exited;
});

test('a terminated worker closes its inbox too', async () => {
  const w = worker(`
    const { parentPort } = require('node:worker_threads');
    require(BUS).open(() => {});
    parentPort.postMessage('ready');
    setInterval(() => {}, 1000);
  `);
  await once(w, 'message');
  expect(bus.stats().map((s) => s.threadId)).toContain(w.threadId);
  const id = w.threadId;
  await w.terminate();
  expect(bus.stats().map((s) => s.threadId)).not.toContain(id);
});

function runChild(source, killAfterMs) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['-e', `const BUS = ${JSON.stringify(BUS)};\n${source}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, ms: Date.now() - t0 });
    });
  });
}

const IDLE_APP = `
  const { Worker } = require('node:worker_threads');
  const bus = require(BUS);
  bus.open((m) => console.log('main got', m));
  if (process.argv.includes('--ref')) bus.ref();
  new Worker(\`
    const bus = require(\${JSON.stringify(BUS)});
    bus.open(() => {});
    bus.send(0, 'hello');
  \`, { eval: true });
`;

test('an idle process with an open bus (main and a worker) exits by itself', async () => {
  const r = await runChild(IDLE_APP, 8000);
  expect(r.signal).toBeNull();
  expect(r.code).toBe(0);
  expect(r.out).toContain('main got hello');
  expect(r.ms).toBeLessThan(5000);
});

test('ref() keeps an idle process alive (so the test above can tell)', async () => {
  const r = await runChild(IDLE_APP.replace("process.argv.includes('--ref')", 'true'), 1500);
  expect(r.signal).toBe('SIGKILL');
  expect(r.out).toContain('main got hello');
});

/** Starts a worker that echoes back (to main, in one message) the first `n` values it receives. */
async function collector(n, extra = '') {
  const w = worker(`
    const { parentPort, threadId, workerData } = require('node:worker_threads');
    const bus = require(BUS);
    const got = [];
    bus.ref();
    bus.open((m) => {
      got.push(m);
      if (got.length === workerData.n) {
        bus.send(0, { from: threadId, got });
        bus.close();
      }
    });
    ${extra}
    parentPort.postMessage('ready');
  `, { n });
  const exited = once(w, 'exit');
  await once(w, 'message');
  const reply = new Promise((resolve) => routes.set(w.threadId, resolve));
  return { w, exited, reply };
}

test('batched sends keep their order across JSON and V8-encoded values sent in one turn', async () => {
  const { w, exited, reply } = await collector(9);
  const values = [1, { a: 'json' }, new Map([[1, 2]]), 'two', undefined, [3, 4], Buffer.from('buf'), -0, { z: null }];
  for (const v of values) bus.send(w.threadId, v);
  const { got } = await reply;
  routes.delete(w.threadId);
  expect(got.length).toBe(9);
  expect(got[0]).toBe(1);
  expect(got[1]).toEqual({ a: 'json' });
  expect([...got[2].entries()]).toEqual([[1, 2]]);
  expect(got[3]).toBe('two');
  expect(got[4]).toBeUndefined();
  expect(got[5]).toEqual([3, 4]);
  expect(Buffer.from(got[6]).toString()).toBe('buf');
  expect(Object.is(got[7], -0)).toBe(true);
  expect(got[8]).toEqual({ z: null });
  await exited;
});

test('a value changed after send is delivered as it was when sent', async () => {
  const { w, exited, reply } = await collector(4);
  const obj = { n: 1, list: ['a'] };
  const map = new Map([['n', 1]]);
  bus.send(w.threadId, obj);
  bus.send(w.threadId, map);
  obj.n = 2;
  obj.list.push('b');
  map.set('n', 2);
  bus.send(w.threadId, obj);
  bus.send(w.threadId, map);
  obj.n = 3;
  map.set('n', 3);
  const { got } = await reply;
  routes.delete(w.threadId);
  expect(got[0]).toEqual({ n: 1, list: ['a'] });
  expect(got[1].get('n')).toBe(1);
  expect(got[2]).toEqual({ n: 2, list: ['a', 'b'] });
  expect(got[3].get('n')).toBe(2);
  await exited;
});

test('a value that cannot be cloned throws in send and leaves nothing half-sent', async () => {
  // Four messages: the receiver closes its inbox (and leaves the stats) only after the last,
  // sent once the count below has been read.
  const { w, exited, reply } = await collector(4);
  const before = bus.stats().find((s) => s.threadId === w.threadId).sent;
  bus.send(w.threadId, { seq: 0 });
  expect(() => bus.send(w.threadId, { seq: 'bad', f() {} })).toThrow(/could not be cloned/);
  expect(() => bus.send(w.threadId, [1, 2, Symbol('s')])).toThrow();
  bus.send(w.threadId, { seq: 1 });
  bus.send(w.threadId, new Set([2]));
  // Only the three good messages reach the inbox.
  expect(bus.stats().find((s) => s.threadId === w.threadId).sent - before).toBe(3);
  bus.send(w.threadId, 'end');
  const { got } = await reply;
  routes.delete(w.threadId);
  expect(got.slice(0, 2)).toEqual([{ seq: 0 }, { seq: 1 }]);
  expect([...got[2]]).toEqual([2]);
  expect(got[3]).toBe('end');
  await exited;
});

test('a receiver delivers at most 4,096 messages per turn, even from inside a batch', async () => {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const w = worker(`
    const { parentPort, threadId, workerData } = require('node:worker_threads');
    const bus = require(BUS);
    let next = 0, inOrder = true, beforeYield = -1;
    bus.ref();
    bus.open((m) => {
      if (next === 0) setImmediate(() => { beforeYield = next; });
      else if (m !== next) inOrder = false;
      if (++next === 10001) {
        bus.send(0, { from: threadId, next, inOrder, beforeYield });
        bus.close();
      }
    });
    parentPort.postMessage('ready');
    Atomics.wait(workerData.flag, 0, 0); // everything is in the inbox before the first drain
  `, { flag });
  // Read now: on Node 24 a worker's threadId is -1 once it has exited (it closes right after replying).
  const id = w.threadId;
  const exited = once(w, 'exit');
  await once(w, 'message');
  const reply = new Promise((resolve) => routes.set(id, resolve));
  // A V8-encoded first message shifts the batches so that the 4,096th message is inside one.
  bus.send(w.threadId, new Map());
  for (let i = 1; i <= 10000; i++) bus.send(w.threadId, i);
  expect(bus.stats().find((s) => s.threadId === w.threadId).length).toBe(10001);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const r = await reply;
  routes.delete(id);
  expect(r).toEqual({ from: id, next: 10001, inOrder: true, beforeYield: 4096 });
  await exited;
});

test('messages sent just before process.exit() in a worker are handed over', async () => {
  const w = worker(`
    const { threadId } = require('node:worker_threads');
    const bus = require(BUS);
    bus.send(0, { from: threadId, last: 'sent before exit' });
    process.exit(0);
  `);
  const id = w.threadId;
  const got = new Promise((resolve) => routes.set(id, resolve));
  await once(w, 'exit');
  expect(await got).toEqual({ from: id, last: 'sent before exit' });
  routes.delete(id);
});
