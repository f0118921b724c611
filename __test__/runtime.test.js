'use strict';
// The runtime on worker threads: the paper's Listing 1 keeps an exact counter under concurrency,
// a stateless route spreads over workers, a worker killed under load does not hang the server,
// and a module fluxion cannot compile still runs.
const path = require('node:path');
const { startApp, outcome } = require('./helpers/server');

const apps = path.join(__dirname, 'apps');
jest.setTimeout(60000);

/** 200 concurrent requests to Listing 1 return the counts 1..200, each once; then its stats. */
async function countTo200(app) {
  const bodies = await Promise.all(Array.from({ length: 200 }, () => fetch(app.url + '/').then((r) => r.text())));
  const counts = bodies.map((b) => Number(/^count: (\d+) /.exec(b)[1])).sort((a, b) => a - b);
  expect(counts).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  const stats = await fetch(app.url + '/__stats').then((r) => r.json());
  return {
    handler: stats.find((s) => s.id.endsWith('#handler@394')),
    reply: stats.find((s) => s.id.endsWith('#reply@449')),
    tail: stats.find((s) => /#__flx_tail@\d+$/.test(s.id)),
  };
}

// FLUXION_REBALANCE=0: with the template split off, reply is cheap and its context may be moved
// between workers by load (rebalance.test.js); here one host must run every execution.
test.each([
  ['MessagePort', { FLUXION_PLACEMENT: 'eager', FLUXION_REBALANCE: '0' }],
  ['the Rust bus', { FLUXION_PLACEMENT: 'eager', FLUXION_TRANSPORT: 'bus', FLUXION_REBALANCE: '0' }],
])('Listing 1 under -r fluxion/register (eager, %s): 200 concurrent requests count 1..200 exactly once', async (_, env) => {
  const app = await startApp(path.join(apps, 'listing1.js'), { env });
  try {
    const { handler, reply, tail } = await countTo200(app);
    // handler is stateless: it runs on worker threads (never on the main thread, id 0).
    expect(handler.placement).toBe('replicated');
    expect(handler.executions.reduce((n, e) => n + e.count, 0)).toBe(200);
    expect(handler.executions.every((e) => e.threadId !== 0)).toBe(true);
    // What sending it cost the main thread is measured (adaptive placement weighs runs against it).
    expect(handler.meanMessageCpuMs).toBeGreaterThan(0);
    expect(handler.meanMessageCpuMs).toBeLessThan(50);
    // reply owns `count`: one thread hosts its context, and runs every one of its executions.
    expect(reply.placement).toMatch(/^group /);
    expect(reply.executions).toHaveLength(1);
    expect(reply.executions[0].count).toBe(200);
    // What follows `count += 1` only reads count: split off (a context-free tail, given the
    // value of count), it runs on every worker, not only on count's host.
    expect(tail.placement).toBe('replicated');
    expect(tail.executions.reduce((n, e) => n + e.count, 0)).toBe(200);
    expect(tail.executions.every((e) => e.threadId !== 0)).toBe(true);
  } finally {
    await app.stop();
  }
});

test('FLUXION_TAILS=0: no context-free tail, the template runs on count\'s host', async () => {
  const app = await startApp(path.join(apps, 'listing1.js'), { env: { FLUXION_PLACEMENT: 'eager', FLUXION_TAILS: '0' } });
  try {
    const { tail } = await countTo200(app);
    expect(tail).toBeUndefined();
  } finally {
    await app.stop();
  }
});

// Timing decides placement; the thresholds are set so that the tests do not depend on this
// machine's speed (a handler under 100 ms stays inline; any handler moves when the threshold is 0).
test('Listing 1, default placement: a handler under the threshold stays inline, and so does count\'s context', async () => {
  const app = await startApp(path.join(apps, 'listing1.js'), { env: { FLUXION_OFFLOAD_ABOVE_US: '100000', FLUXION_REBALANCE: '0' } });
  try {
    const { handler, reply, tail } = await countTo200(app);
    expect(handler.placement).toMatch(/^replicated \(on the main thread: \d+ µs per run\)$/);
    expect(handler.executions).toEqual([{ threadId: 0, count: 200 }]);
    // A context starts on the main thread (no rebalancer here to move it out)...
    expect(reply.executions).toEqual([{ threadId: 0, count: 200 }]);
    // ...while the template, split off as a tail, still runs on the workers.
    expect(tail.executions.reduce((n, e) => n + e.count, 0)).toBe(200);
    expect(tail.executions.every((e) => e.threadId !== 0)).toBe(true);
  } finally {
    await app.stop();
  }
});

test('default placement, FLUXION_TAILS=0: a costly context leaves the main thread once measured, count exact', async () => {
  const app = await startApp(path.join(apps, 'listing1.js'), { env: { FLUXION_TAILS: '0', FLUXION_REBALANCE_MS: '200' } });
  try {
    const bodies = [];
    let reply;
    for (let wave = 0; wave < 20; wave++) {
      bodies.push(...(await Promise.all(Array.from({ length: 40 }, () => fetch(app.url + '/').then((r) => r.text())))));
      const stats = await fetch(app.url + '/__stats').then((r) => r.json());
      reply = stats.find((s) => s.id.endsWith('#reply@449'));
      if (reply.executions.some((e) => e.threadId !== 0) && wave >= 2) break;
    }
    const counts = bodies.map((b) => Number(/^count: (\d+) /.exec(b)[1])).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: bodies.length }, (_, i) => i + 1));
    // It ran on the main thread first, then on one worker only.
    expect(reply.executions.find((e) => e.threadId === 0).count).toBeGreaterThan(0);
    expect(reply.executions.filter((e) => e.threadId !== 0)).toHaveLength(1);
    expect(app.stderr()).toBe('');
  } finally {
    await app.stop();
  }
});

test('a stateless CPU-bound route moves to the workers once measured, and answers as without fluxion', async () => {
  const plain = await startApp(path.join(apps, 'cpu.js'), { fluxion: false });
  const flx = await startApp(path.join(apps, 'cpu.js'), { env: { FLUXION_WORKERS: '2', FLUXION_OFFLOAD_ABOVE_US: '0' } });
  try {
    const ns = Array.from({ length: 200 }, (_, i) => i);
    const expected = await Promise.all(ns.map((n) => outcome(`${plain.url}/cpu/${n}`)));
    const got = await Promise.all(ns.map((n) => outcome(`${flx.url}/cpu/${n}`)));
    expect(got).toEqual(expected);
    const stats = await fetch(flx.url + '/__stats').then((r) => r.json());
    const cpu = stats.find((s) => /#anonymous_\d+@/.test(s.id) && s.executions.reduce((n, e) => n + e.count, 0) === 200);
    expect(cpu).toBeDefined();
    // Its first window ran on the main thread (where it was measured), the rest on both workers.
    expect(cpu.placement).toMatch(/^replicated \(on workers: \d+ µs per run\)$/);
    const threads = cpu.executions.filter((e) => e.threadId !== 0);
    expect(threads.length).toBeGreaterThanOrEqual(2);
  } finally {
    await plain.stop();
    await flx.stop();
  }
});

test('a worker killed under load: no hang, error responses for its requests, the server goes on', async () => {
  const app = await startApp(path.join(apps, 'cpu.js'), { env: { FLUXION_WORKERS: '2', FLUXION_PLACEMENT: 'eager' } });
  try {
    const load = Array.from({ length: 80 }, (_, i) => outcome(`${app.url}/cpu/${i}`));
    await new Promise((r) => setTimeout(r, 20));
    const killed = await fetch(app.url + '/__kill').then((r) => r.json());
    expect(killed).toHaveLength(2);
    const results = await Promise.all(load);
    const statuses = results.map((r) => r.status);
    for (const s of new Set(statuses)) expect([200, 500]).toContain(s);
    // The killed worker had requests in flight: they got Express's error response.
    expect(killed[0].inflight).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 500).length).toBeGreaterThan(0);
    // After the replacement, every request is answered normally.
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => outcome(`${app.url}/cpu/${i}`)));
    expect(after.every((r) => r.status === 200)).toBe(true);
    const workers = await fetch(app.url + '/__kill').then((r) => r.json());
    expect(workers.map((w) => w.threadId)).not.toContain(killed[0].threadId);
  } finally {
    await app.stop();
  }
});

test('a module fluxion cannot compile loads unmodified, with one warning', async () => {
  const app = await startApp(path.join(apps, 'uses-annexb.js'));
  try {
    expect(await fetch(app.url + '/').then((r) => r.text())).toBe('annex b');
    const warnings = app.stderr().match(/FLUXION_UNCOMPILED/g) || [];
    expect(warnings).toHaveLength(1);
    expect(app.stderr()).toContain('annexb.js:2:11');
  } finally {
    await app.stop();
  }
});

test('FLUXION_STRICT=1 turns an uncompilable module into a clear error', async () => {
  await expect(startApp(path.join(apps, 'uses-annexb.js'), { env: { FLUXION_STRICT: '1' } })).rejects.toThrow(
    /fluxion: cannot compile .*annexb\.js:2:11: Declaration is not allowed/
  );
});

test('stack traces point at the original file and line, also in re-created callbacks', async () => {
  const plain = await startApp(path.join(apps, 'stack.js'), { fluxion: false });
  const flx = await startApp(path.join(apps, 'stack.js'), { env: { FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '2' } });
  try {
    for (let i = 1; i <= 6; i++) {
      const expected = await fetch(plain.url + '/').then((r) => r.text());
      expect(expected).toMatch(new RegExp(`^${i} stack\\.js:11:\\d+\\)$`));
      const got = await fetch(flx.url + '/').then((r) => r.text());
      expect(got.replace(/:\d+\)$/, '')).toBe(expected.replace(/:\d+\)$/, ''));
    }
    // `reply` owns `hits`: on the handler's other worker it was re-created from its factory.
    const stats = await fetch(flx.url + '/__stats').then((r) => r.json());
    expect(stats.find((s) => s.id.includes('#reply@')).messagesIn).toBeGreaterThan(0);
  } finally {
    await plain.stop();
    await flx.stop();
  }
});

test('fluxion run app.js --workers 2 starts the app with the hook', async () => {
  const { spawn } = require('node:child_process');
  const bin = path.join(__dirname, '..', 'bin', 'fluxion.js');
  const child = spawn(process.execPath, [bin, 'run', path.join(apps, 'cpu.js'), '--workers', '2'], {
    env: { ...process.env, PORT: '0', FLUXION_MODULE: path.join(__dirname, '..'), FLUXION_CACHE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const port = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (c) => reject(new Error(`exited ${c}`)));
    });
    const ws = await fetch(`http://127.0.0.1:${port}/__kill`).then((r) => r.json());
    expect(ws).toHaveLength(2);
  } finally {
    child.kill();
  }
});

test('an ES module app under --import fluxion/register runs its handlers on workers', async () => {
  const plain = await startApp(path.join(apps, 'esm.mjs'), { fluxion: false });
  const flx = await startApp(path.join(apps, 'esm.mjs'), { esm: true, env: { FLUXION_PLACEMENT: 'eager' } });
  try {
    for (const url of ['/hash/a', '/hash/b', '/count', '/count', '/nowhere']) {
      expect(await outcome(flx.url + url)).toEqual(await outcome(plain.url + url));
    }
    const stats = await fetch(flx.url + '/__stats').then((r) => r.json());
    const onWorkers = stats.filter((s) => s.executions.some((e) => e.threadId !== 0));
    // Node 20's loader hooks (module.register) do not reach worker threads: there the ES
    // module's handlers stay on the main thread. Node 22+ has module.registerHooks.
    if (typeof require('node:module').registerHooks === 'function') {
      expect(onWorkers.length).toBeGreaterThanOrEqual(2);
    }
    expect(flx.stderr()).toBe('');
  } finally {
    await plain.stop();
    await flx.stop();
  }
});

test("a killed worker's context resumes from its last commit (GoT): the count goes on", async () => {
  const app = await startApp(path.join(apps, 'listing1.js'), { env: { FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '2', FLUXION_REBALANCE: '0' } });
  try {
    const get = () => fetch(app.url + '/').then((r) => r.text()).then((b) => Number(/^count: (\d+) /.exec(b)[1]));
    const first = [];
    for (let i = 0; i < 30; i++) first.push(await get());
    expect(first).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const stats = await fetch(app.url + '/__stats').then((r) => r.json());
    const host = stats.find((s) => s.id.endsWith('#reply@449')).executions[0].threadId;
    const workers = await fetch(`${app.url}/__kill?thread=${host}`).then((r) => r.json());
    expect(workers.map((w) => w.threadId)).not.toContain(host);
    const after = [];
    for (let i = 0; i < 30; i++) after.push(await get());
    // Without recovery the new host would start again from `count = 0`.
    expect(after).toEqual(Array.from({ length: 30 }, (_, i) => i + 31));
    const again = await fetch(app.url + '/__stats').then((r) => r.json());
    const hosts = again.find((s) => s.id.endsWith('#reply@449')).executions.map((e) => e.threadId);
    expect(hosts).toContain(host);
    expect(hosts.length).toBe(2);
  } finally {
    await app.stop();
  }
});

test('the Listing-1 context moves between the main thread and the workers under load with no lost increment', async () => {
  const app = await startApp(path.join(apps, 'listing1.js'), { env: { FLUXION_WORKERS: '2', FLUXION_REBALANCE: '0' } });
  try {
    await fetch(app.url + '/');
    const stats = await fetch(app.url + '/__stats').then((r) => r.json());
    const reply = stats.find((s) => s.id.endsWith('#reply@449'));
    expect(reply.executions).toEqual([{ threadId: 0, count: 1 }]);
    const threads = (await fetch(app.url + '/__workers').then((r) => r.json())).map((w) => w.threadId);
    const bodies = [];
    for (const to of [threads[0], 0, threads[1], 0]) {
      const load = Array.from({ length: 60 }, () => fetch(app.url + '/').then((r) => r.text()));
      const moved = await fetch(`${app.url}/__move?id=${encodeURIComponent(reply.id)}&to=${to}`).then((r) => r.json());
      expect(moved).toEqual({ host: to });
      bodies.push(...(await Promise.all(load)));
    }
    const counts = bodies.map((b) => Number(/^count: (\d+) /.exec(b)[1])).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 240 }, (_, i) => i + 2));
    const after = (await fetch(app.url + '/__stats').then((r) => r.json())).find((s) => s.id === reply.id);
    expect(after.executions.map((e) => e.threadId).sort()).toEqual([0, ...threads].sort());
    expect(app.stderr()).toBe('');
  } finally {
    await app.stop();
  }
});

test('the Listing-1 context moves between workers under load with no lost increment', async () => {
  const app = await startApp(path.join(apps, 'listing1.js'), { env: { FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '2', FLUXION_REBALANCE: '0' } });
  try {
    await fetch(app.url + '/');
    const stats = await fetch(app.url + '/__stats').then((r) => r.json());
    const reply = stats.find((s) => s.id.endsWith('#reply@449'));
    const threads = (await fetch(app.url + '/__workers').then((r) => r.json())).map((w) => w.threadId);
    expect(threads.length).toBe(2);
    // 4 waves of 60 concurrent requests; between the waves' start and end, the context moves.
    const bodies = [];
    let host = reply.executions[0].threadId;
    for (let wave = 0; wave < 4; wave++) {
      const load = Array.from({ length: 60 }, () => fetch(app.url + '/').then((r) => r.text()));
      const to = threads.find((t) => t !== host);
      const moved = await fetch(`${app.url}/__move?id=${encodeURIComponent(reply.id)}&to=${to}`).then((r) => r.json());
      expect(moved).toEqual({ host: to });
      host = to;
      bodies.push(...(await Promise.all(load)));
    }
    const counts = bodies.map((b) => Number(/^count: (\d+) /.exec(b)[1])).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 240 }, (_, i) => i + 2));
    const after = (await fetch(app.url + '/__stats').then((r) => r.json())).find((s) => s.id === reply.id);
    expect(after.executions.map((e) => e.threadId).sort()).toEqual([...threads].sort());
  } finally {
    await app.stop();
  }
});
