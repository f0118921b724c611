'use strict';
// The store is a Rust static: every worker_thread of the process sees the same apps. The
// workers below only post their observations back; no object state travels through JS.
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { Dataframe, pccSet, primaryKey } = require('..');

const root = path.join(__dirname, '..');
const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int' });

function worker(body, data) {
  const code = `
    const { parentPort, workerData, threadId } = require('node:worker_threads');
    const { Dataframe, pccSet, primaryKey } = require(${JSON.stringify(root)});
    const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int' });
    (async () => { ${body} })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
  `;
  const w = new Worker(code, { eval: true, workerData: data });
  const messages = [];
  const waiters = [];
  w.on('message', (m) => {
    if (waiters.length) waiters.shift()(m);
    else messages.push(m);
  });
  w.next = () =>
    new Promise((resolve, reject) => {
      if (messages.length) return resolve(messages.shift());
      waiters.push(resolve);
      w.once('error', reject);
    });
  return w;
}

test('two worker threads push and fetch the same app through the process-wide store', async () => {
  const app = `Shared-${process.pid}-${Date.now()}`;
  // B waits (off its JS thread) for a version it has not seen, then reports what it reads.
  const b = worker(
    `
    const df = new Dataframe(workerData.app, [Counter]);
    parentPort.postMessage({ ready: threadId });
    const r = await df.pullAwait({ timeoutMs: 10000 });
    parentPort.postMessage({ status: r.status, objects: df.readAll(Counter), threadId });
    // Then B changes the counter; A will see it without anything crossing postMessage.
    df.updateOne(Counter, 'fromA', { count: 100 });
    df.commit();
    df.push();
    parentPort.postMessage({ pushed: true });
    `,
    { app }
  );
  const ready = await b.next();
  expect(ready.error).toBeUndefined();

  const a = worker(
    `
    const df = new Dataframe(workerData.app, [Counter]);
    df.addOne(Counter, { name: 'fromA', count: threadId });
    df.commit();
    df.push();
    parentPort.postMessage({ pushed: threadId });
    const r = await df.pullAwait({ timeoutMs: 10000 });
    parentPort.postMessage({ status: r.status, objects: df.readAll(Counter) });
    `,
    { app }
  );
  const pushed = await a.next();
  expect(pushed.error).toBeUndefined();
  const seenByB = await b.next();
  expect(seenByB.error).toBeUndefined();
  expect(seenByB.status).toBe(200);
  expect(seenByB.objects).toEqual([{ name: 'fromA', count: pushed.pushed }]);
  expect(seenByB.threadId).not.toBe(pushed.pushed);

  expect((await b.next()).pushed).toBe(true);
  const seenByA = await a.next();
  expect(seenByA.error).toBeUndefined();
  expect(seenByA.objects).toEqual([{ name: 'fromA', count: 100 }]);

  // The main thread is one more client of the same store.
  const main = new Dataframe(app, [Counter]);
  main.pull();
  expect(main.readAll(Counter)).toEqual([{ name: 'fromA', count: 100 }]);
  await Promise.all([a.terminate(), b.terminate()]);
});
