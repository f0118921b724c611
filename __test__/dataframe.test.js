'use strict';
// GoT dataframes through the JS API: the thesis's counter cycle, merge functions, waits,
// local and remote (over the protocol server), and the errors bad input gets.
const { Dataframe, pccSet, primaryKey, serve, GotError } = require('..');

let n = 0;
const unique = (name) => `${name}-${process.pid}-${Date.now()}-${n++}`;

const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int' });

let server;
beforeAll(() => {
  server = serve();
});
afterAll(() => server.close());

/** A served app holding the thesis's `countDocument` at `count`. */
function counterApp(count = 0, mergeFn) {
  const app = unique('GotCounter');
  const owner = new Dataframe(app, [Counter], { mergeFn });
  owner.addOne(Counter, { name: 'countDocument', count });
  owner.commit();
  owner.push();
  return { app, owner };
}

describe('the thesis counter', () => {
  test('fetch/push cycle through a remote dataframe (got://)', () => {
    const { app, owner } = counterApp(0);
    const a = new Dataframe(app, [Counter], { remote: server.url });
    const b = new Dataframe(app, [Counter], { remote: server.url });
    a.pull();
    expect(a.readOne(Counter, 'countDocument')).toEqual({ name: 'countDocument', count: 0 });
    // Alternate increments between two clients: each pulls, increments, commits, pushes.
    for (let i = 0; i < 10; i++) {
      const df = i % 2 ? b : a;
      df.pull();
      const c = df.readOne(Counter, 'countDocument');
      df.updateOne(Counter, 'countDocument', { count: c.count + 1 });
      df.commit();
      df.push();
    }
    b.pull();
    expect(b.readOne(Counter, 'countDocument').count).toBe(10);
    owner.pull();
    expect(owner.readOne(Counter, 'countDocument').count).toBe(10);
    expect(a.serverVersion).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('local dataframes share the process store', () => {
    const { app } = counterApp(41);
    const df = new Dataframe(app, [Counter]);
    expect(df.readAll(Counter)).toEqual([]);
    df.pull();
    df.updateOne(Counter, { name: 'countDocument', count: 42 });
    df.commit();
    df.push();
    const other = new Dataframe(app, [Counter]);
    other.pull();
    expect(other.readAll(Counter)).toEqual([{ name: 'countDocument', count: 42 }]);
  });

  test('commit, checkout of an older version, add/delete', () => {
    const df = new Dataframe(unique('Local'), [Counter]);
    df.addMany(Counter, [
      { name: 'a', count: 1 },
      { name: 'b', count: 2 },
    ]);
    const v1 = df.commit();
    const v0 = 'ROOT';
    df.pin(v1);
    expect(df.deleteAll(Counter)).toBe(2);
    df.addOne(Counter, { name: 'c' });
    expect(df.readOne(Counter, 'c')).toEqual({ name: 'c', count: null });
    df.commit();
    expect(df.readAll(Counter).map((o) => o.name)).toEqual(['c']);
    df.checkout(v1);
    expect(df.readAll(Counter).map((o) => o.name)).toEqual(['a', 'b']);
    df.checkout(v0);
    expect(df.readAll(Counter)).toEqual([]);
    const head = df.head;
    df.checkout();
    df.unpin(v1);
    df.addOne(Counter, { name: 'd' });
    df.commit();
    expect(() => df.checkout(v1)).toThrow(/unknown version .* pin\(version\) to keep an older one/);
    expect(df.head).not.toBe(head);
    df.checkout();
    df.deleteOne(Counter, 'c');
    expect(df.readOne(Counter, 'c')).toBeNull();
    df.discard();
    expect(df.readOne(Counter, 'c')).toEqual({ name: 'c', count: null });
  });

  test('values round-trip with their kinds', () => {
    const All = pccSet('All', {
      id: primaryKey('int'),
      i: 'int',
      f: 'float',
      s: 'str',
      b: 'bool',
      y: 'bytes',
      l: 'list',
      m: 'map',
      a: 'any',
    });
    const df = new Dataframe(unique('Kinds'), [All]);
    const obj = {
      id: 7,
      i: 2n ** 60n,
      f: 3,
      s: 'é',
      b: true,
      y: Buffer.from([1, 2, 3]),
      l: [1, 'two', [3.5]],
      m: { x: { y: null } },
      a: -5,
    };
    df.addOne(All, obj);
    const back = df.readOne(All, 7);
    expect(back).toEqual({ ...obj, y: Buffer.from([1, 2, 3]) });
    expect(typeof back.i).toBe('bigint');
    expect(df.readOne(All, 7n)).toEqual(back);
  });
});

describe('merge functions', () => {
  // Counter increments commute: the merge adds both sides' increments to the original.
  const addIncrements = jest.fn((original, yours, theirs) => ({
    ...theirs,
    count: theirs.count + yours.count - original.count,
  }));

  test('two remote clients push conflicting updates; the merge function resolves them', () => {
    const { app, owner } = counterApp(0);
    const a = new Dataframe(app, [Counter], { remote: server.url, mergeFn: addIncrements });
    const b = new Dataframe(app, [Counter], { remote: server.url, mergeFn: addIncrements });
    a.pull();
    b.pull();
    a.updateOne(Counter, 'countDocument', { count: 1 });
    a.commit();
    b.updateOne(Counter, 'countDocument', { count: 5 });
    b.commit();
    a.push();
    addIncrements.mockClear();
    b.push(); // conflicts with a's push: b merges locally, then pushes the merge
    expect(addIncrements).toHaveBeenCalledTimes(1);
    expect(addIncrements.mock.calls[0]).toEqual([
      { name: 'countDocument', count: 0 },
      { name: 'countDocument', count: 5 },
      { name: 'countDocument', count: 1 },
      'Counter',
    ]);
    a.pull();
    b.pull();
    owner.pull();
    for (const df of [a, b, owner]) expect(df.readOne(Counter, 'countDocument').count).toBe(6);
  });

  test('in-process dataframes: the pusher\'s merge function runs in the store', () => {
    const { app } = counterApp(10);
    const a = new Dataframe(app, [Counter], { mergeFn: addIncrements });
    const b = new Dataframe(app, [Counter], { mergeFn: addIncrements });
    a.pull();
    b.pull();
    a.updateOne(Counter, 'countDocument', { count: 12 });
    a.commit();
    a.push();
    b.updateOne(Counter, 'countDocument', { count: 13 });
    b.commit();
    b.push();
    a.pull();
    expect(a.readOne(Counter, 'countDocument').count).toBe(15);
  });

  test('null from the merge function deletes the object; without one, theirs wins', () => {
    const { app } = counterApp(0);
    const del = new Dataframe(app, [Counter], { remote: server.url, mergeFn: () => null });
    const plain = new Dataframe(app, [Counter], { remote: server.url });
    del.pull();
    plain.pull();
    plain.updateOne(Counter, 'countDocument', { count: 1 });
    plain.commit();
    plain.push();
    del.updateOne(Counter, 'countDocument', { count: 2 });
    del.commit();
    del.push();
    plain.pull();
    expect(plain.readAll(Counter)).toEqual([]);

    const { app: app2 } = counterApp(0);
    const x = new Dataframe(app2, [Counter], { remote: server.url });
    const y = new Dataframe(app2, [Counter], { remote: server.url });
    x.pull();
    y.pull();
    x.updateOne(Counter, 'countDocument', { count: 1 });
    x.commit();
    x.push();
    y.updateOne(Counter, 'countDocument', { count: 2 });
    y.commit();
    y.push();
    y.pull();
    expect(y.readOne(Counter, 'countDocument').count).toBe(1);
  });

  test('a merge function that throws: its error reaches the caller', () => {
    const { app } = counterApp(0);
    const boom = new Error('no merge today');
    const a = new Dataframe(app, [Counter], { mergeFn: () => { throw boom; } });
    const b = new Dataframe(app, [Counter]);
    a.pull();
    b.pull();
    b.updateOne(Counter, 'countDocument', { count: 1 });
    b.commit();
    b.push();
    a.updateOne(Counter, 'countDocument', { count: 2 });
    a.commit();
    expect(() => a.push()).toThrow(boom);
  });

  test('a merge function returning a bad object gets a clear error', () => {
    const { app } = counterApp(0);
    const a = new Dataframe(app, [Counter], { mergeFn: (o, y, t) => ({ ...t, count: 'many' }) });
    const b = new Dataframe(app, [Counter]);
    a.pull();
    b.pull();
    b.updateOne(Counter, 'countDocument', { count: 1 });
    b.commit();
    b.push();
    a.updateOne(Counter, 'countDocument', { count: 2 });
    a.commit();
    expect(() => a.push()).toThrow(/merge function returned an invalid object: Counter "countDocument": dimension "count" expects int, found string "many"/);
  });
});

describe('waiting for changes', () => {
  test.each([
    ['remote', () => ({ remote: server.url })],
    ['in-process', () => ({})],
  ])('%s pullAwait blocks (off the JS thread) until another client pushes', async (_, opts) => {
    const { app } = counterApp(0);
    const waiter = new Dataframe(app, [Counter], opts());
    const pusher = new Dataframe(app, [Counter], opts());
    waiter.pull();
    pusher.pull();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let settled = false;
    const started = Date.now();
    const p = waiter.pullAwait({ timeoutMs: 10000 }).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(settled).toBe(false);
    expect(ticks).toBeGreaterThan(5); // the event loop kept running during the wait
    pusher.updateOne(Counter, 'countDocument', { count: 99 });
    pusher.commit();
    pusher.push();
    const r = await p;
    clearInterval(timer);
    expect(r.status).toBe(200);
    expect(r.changed).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(waiter.readOne(Counter, 'countDocument').count).toBe(99);
  });

  test.each([
    ['remote', () => ({ remote: server.url })],
    ['in-process', () => ({})],
  ])('%s pullAwait answers a timeout status when no one pushes', async (_, opts) => {
    const { app } = counterApp(0);
    const df = new Dataframe(app, [Counter], opts());
    df.pull();
    const started = Date.now();
    const r = await df.pullAwait({ timeoutMs: 300 });
    expect(r).toEqual({ status: 408, changed: false, version: df.head });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  test('pushAwait and fetchAwait', async () => {
    const { app } = counterApp(0);
    const a = new Dataframe(app, [Counter], { remote: server.url });
    const b = new Dataframe(app, [Counter], { remote: server.url });
    a.pull();
    b.pull();
    const fetched = b.fetchAwait({ timeoutMs: 5000 });
    a.updateOne(Counter, 'countDocument', { count: 3 });
    a.commit();
    const head = await a.pushAwait();
    expect(head).toBe(a.serverVersion); // nobody else pushed: the server's head is ours
    const r = await fetched;
    expect(r.status).toBe(200);
    // fetch does not touch the working copy; checkout does.
    expect(b.readOne(Counter, 'countDocument').count).toBe(0);
    b.checkout();
    expect(b.readOne(Counter, 'countDocument').count).toBe(3);
  });
});

describe('clear errors', () => {
  const catchErr = (f) => {
    try {
      f();
    } catch (e) {
      return e;
    }
    throw new Error('expected a throw');
  };

  test('wrong dimension types name the type, key and dimension', () => {
    const df = new Dataframe(unique('Errors'), [Counter]);
    const e = catchErr(() => df.addOne(Counter, { name: 'k', count: 'three' }));
    expect(e).toBeInstanceOf(GotError);
    expect(e.code).toBe('GOT_SCHEMA');
    expect(e.message).toBe('Counter "k": dimension "count" expects int, found string "three"');
    expect(catchErr(() => df.addOne(Counter, { name: 'k', count: 1.5 })).message).toBe(
      'Counter "k": dimension "count" expects int, found float 1.5'
    );
    expect(catchErr(() => df.addOne(Counter, { name: 'k', count: 2 ** 60 })).message).toMatch(/beyond 2\^53: pass a BigInt/);
    expect(catchErr(() => df.addOne(Counter, { name: 'k', cont: 1 })).message).toBe(
      'Counter "k": unknown dimension "cont" (declared: name, count)'
    );
    expect(catchErr(() => df.addOne(Counter, { count: 1 })).message).toBe('Counter: missing key dimension "name"');
    expect(catchErr(() => df.addOne(Counter, { name: 5 })).message).toMatch(/Counter: key dimension "name" expects str, found number 5/);
    expect(catchErr(() => df.readOne('Nope', 'k')).message).toBe('unknown type "Nope"');
    expect(catchErr(() => df.updateOne(Counter, 'k', { count: 1 })).message).toMatch(/no such object/);
  });

  test('bad declarations and options', () => {
    expect(() => pccSet('T', { a: 'int' })).toThrow(/no primary key/);
    expect(() => pccSet('T', { a: primaryKey('int'), b: 'integerish' })).toThrow(/dimension "b" has an invalid kind "integerish"/);
    expect(() => primaryKey('float')).toThrow(/a primary key is int or str/);
    expect(() => new Dataframe('x', [Counter], { remote: 'http://h:1' })).toThrow(/got:\/\/host:port/);
    expect(() => new Dataframe('x', [Counter], { mergeFn: 3 })).toThrow(/mergeFn must be a function/);
    const app = unique('Clash');
    new Dataframe(app, [Counter]);
    const Other = pccSet('Other', { id: primaryKey('int') });
    expect(() => new Dataframe(app, [Other])).toThrow(/already exists in this process with other types/);
  });

  test('pull with staged changes, unknown server app, unreachable server', () => {
    const { app } = counterApp(0);
    const df = new Dataframe(app, [Counter]);
    df.addOne(Counter, { name: 'x' });
    expect(catchErr(() => df.pull()).code).toBe('GOT_UNCOMMITTED');

    const missing = new Dataframe(unique('NoSuchApp'), [Counter], { remote: server.url });
    const e = catchErr(() => missing.pull());
    expect(e.code).toBe('GOT_STATUS_404');
    expect(e.status).toBe(404);
    expect(e.message).toMatch(/answered status 404 \(no such app on the server\) to a fetch/);

    const dead = new Dataframe(unique('Dead'), [Counter], { remote: 'got://127.0.0.1:1', timeoutMs: 500 });
    expect(catchErr(() => dead.pull()).code).toBe('GOT_NETWORK');
  });

  test('a merge function must not call back into dataframes', () => {
    const { app } = counterApp(0);
    let inner;
    const a = new Dataframe(app, [Counter], {
      mergeFn: (o, y, t) => {
        try {
          a.readAll(Counter);
        } catch (e) {
          inner = e;
        }
        return t;
      },
    });
    const b = new Dataframe(app, [Counter]);
    a.pull();
    b.pull();
    b.updateOne(Counter, 'countDocument', { count: 1 });
    b.commit();
    b.push();
    a.updateOne(Counter, 'countDocument', { count: 2 });
    a.commit();
    a.push();
    expect(inner && inner.code).toBe('GOT_REENTRANT');
  });

  test('a server with a taken port says so', () => {
    expect(() => serve({ port: server.port })).toThrow(/cannot listen on 127.0.0.1/);
  });
});
