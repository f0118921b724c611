'use strict';
// Issue 15, faults under load: an app with module state (a counter hosted on a worker under
// eager placement, 2 workers), a CPU route and GoT pushes (handlers pushing to a dataframe, and
// clients pushing to the same dataframe over the GoT protocol), while workers are killed every
// few hundred milliseconds and threads are stalled (a worker, the counter's host, the main thread
// busy for 150-400 ms: their messages wait meanwhile), under both transports (MessagePort, the
// default, and the Rust bus). Every request is answered (a request the dying worker held: 500;
// the others: their normal answer), the process stays up, the pool is back to its size, the
// counter keeps every write that was answered and so does the dataframe: see counterViolations
// and gotViolations for the exact bounds. A second test: a response answered in full and still
// flushing is not cut by the death of the worker that made it.
const http = require('node:http');
const path = require('node:path');
const { startApp } = require('./helpers/server');
const { drive, counterViolations, gotViolations, gotState, gotSummary, sleep } = require('./helpers/faults');

const APP = path.join(__dirname, 'apps', 'faults', 'app.js');
const LOAD_MS = 10000;

jest.setTimeout(45000);

describe.each(['port', 'bus'])('transport %s', (transport) => {
  test('workers killed and threads stalled under load: every request answered, committed state kept, pool restored', async () => {
    const env = { FLUXION_WORKERS: '2', FLUXION_PLACEMENT: 'eager', FLUXION_REBALANCE: '0', FLUXION_TRANSPORT: transport };
    const app = await startApp(APP, { env, cwd: path.dirname(APP) }); // its fluxion.config.js
    try {
      const gotUrl = `got://127.0.0.1:${/got (\d+)/.exec(app.stdout())[1]}`;
      const first = await fetch(app.url + '/__workers').then((r) => r.json());
      const t = await drive({
        url: app.url,
        ms: LOAD_MS,
        clients: 16,
        killEveryMs: [200, 500],
        gotUrl,
        stallEveryMs: [100, 400],
        stallMs: [150, 400],
        stallKinds: ['worker', 'host', 'main'],
      });

      // Every request got an HTTP answer, 200 or the dying worker's 500; none hung.
      expect(Object.keys(t.statuses).sort()).toEqual(expect.arrayContaining(['200']));
      for (const s of Object.keys(t.statuses)) expect(['200', '500']).toContain(s);
      expect(t.cpuWrong).toBe(0);
      expect(t.kills.length).toBeGreaterThanOrEqual(12);
      expect(t.kills.filter((k) => k.wasHost).length).toBeGreaterThanOrEqual(6);
      for (const kind of ['worker', 'host', 'main']) expect(t.stalls[kind]).toBeDefined();

      // The process is up and the pool is back to 2 workers, all of them new, all serving.
      expect(app.child.exitCode).toBeNull();
      await sleep(300);
      const now = await fetch(app.url + '/__workers').then((r) => r.json());
      expect(now).toHaveLength(2);
      const killed = new Set(t.kills.map((k) => k.thread));
      for (const w of now) expect(killed.has(w.threadId)).toBe(false);
      for (const w of first) expect(killed.has(w.threadId)).toBe(true);
      const after = await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`${app.url}/cpu/after${i}`).then((r) => r.status)));
      expect(after.every((s) => s === 200)).toBe(true);

      // The counter: its last committed value survived every kill of its host. The dataframe:
      // every push answered 200 (or acknowledged over the protocol) is in its final state.
      const final = (await fetch(app.url + '/count').then((r) => r.json())).count;
      const objects = gotState(gotUrl);
      const got = gotSummary(t);
      const report = { transport, final, answered: t.incOk.length, incFailed: t.incFailed, got, stalls: t.stalls, kills: t.kills.length, statuses: t.statuses };
      // The figures in the test's output: what a run under faults looks like (issue 15's note).
      console.log(`faults: ${JSON.stringify(report)}`);
      expect(got.appPushesOk).toBeGreaterThan(50);
      expect(got.remotePushes).toBeGreaterThan(20);
      expect({ violations: [...counterViolations(t, final), ...gotViolations(t, objects)], report }).toEqual({ violations: [], report });
      // And they go on from there, one by one.
      const next = [];
      for (let i = 0; i < 5; i++) next.push((await fetch(app.url + '/inc').then((r) => r.json())).count);
      expect(next).toEqual([1, 2, 3, 4, 5].map((i) => final + i));
      const h0 = objects.find((x) => x.key === 'h0');
      const pushed = await fetch(`${app.url}/got/h0/${t.got.h0.seq + 1}`).then((r) => r.json());
      expect(pushed.pushes).toBe(h0.pushes + 1);
    } finally {
      await app.stop();
    }
  });

  // Found by this test's load (a connection error, once in ~10 runs): a response answered in
  // full, still flushing to a client that reads slowly (its 'close' not yet come), was destroyed
  // when the worker that made it died, and the client got a truncated body.
  test('a response answered in full is not cut when its worker dies while it flushes', async () => {
    const env = { FLUXION_WORKERS: '2', FLUXION_PLACEMENT: 'eager', FLUXION_REBALANCE: '0', FLUXION_TRANSPORT: transport };
    const app = await startApp(APP, { env, cwd: path.dirname(APP) });
    try {
      const N = 16 * 1024 * 1024; // more than the sockets' buffers hold
      // Resolves at the headers: the main thread applied the worker's answer, the response ended.
      const res = await new Promise((resolve, reject) => {
        http.get(`${app.url}/big/${N}`, resolve).on('error', reject);
      });
      res.pause(); // nothing read yet: the response stays between its end and its 'close'
      for (const w of await fetch(app.url + '/__workers').then((r) => r.json())) {
        await fetch(`${app.url}/__kill?thread=${w.threadId}`);
      }
      await sleep(200);
      const read = await new Promise((resolve) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode, bytes, complete: res.complete }));
        res.on('error', (err) => resolve({ status: res.statusCode, bytes, error: err.message }));
        res.on('aborted', () => resolve({ status: res.statusCode, bytes, error: 'aborted' }));
        res.resume();
      });
      expect(read).toEqual({ status: 200, bytes: N, complete: true });
    } finally {
      await app.stop();
    }
  });
});
