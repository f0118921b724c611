'use strict';
// Automatic migration (lib/placement/rebalance.js): the decision rule, and two contexts gathered on one
// worker under load being spread over two, with every increment kept.
const path = require('node:path');
const { decide, leaveMain, comeBack } = require('../lib/placement/rebalance');
const { startApp, outcome } = require('./helpers/server');

jest.setTimeout(60000);

describe('decide', () => {
  const never = () => false;
  test('moves the biggest group that narrows the gap', () => {
    const busy = new Map([[1, 400], [2, 20]]);
    const groups = new Map([['x', { host: 1, ms: 250 }], ['y', { host: 1, ms: 150 }]]);
    expect(decide(busy, groups, 500, never)).toEqual({ group: 'x', from: 1, to: 2 });
  });
  test('a lone hot group stays: moving it would only move the gap', () => {
    const busy = new Map([[1, 450], [2, 0]]);
    expect(decide(busy, new Map([['x', { host: 1, ms: 450 }]]), 500, never)).toBeNull();
  });
  test('a light group is not worth a move', () => {
    const busy = new Map([[1, 400], [2, 20]]);
    expect(decide(busy, new Map([['x', { host: 1, ms: 10 }]]), 500, never)).toBeNull();
  });
  test('a small gap is noise; a group cooling down stays', () => {
    const groups = new Map([['x', { host: 1, ms: 100 }]]);
    expect(decide(new Map([[1, 150], [2, 60]]), groups, 500, never)).toBeNull();
    expect(decide(new Map([[1, 400], [2, 0]]), groups, 500, () => true)).toBeNull();
    expect(decide(new Map([[1, 400], [2, 0]]), groups, 500, never)).toEqual({ group: 'x', from: 1, to: 2 });
  });
});

describe('leaveMain', () => {
  const on = (ms, runs, host = 0) => ({ host, ms, runs });
  test('a context whose runs cost more than a message leaves after two intervals in a row', () => {
    const above = new Map();
    const groups = new Map([['x', on(100, 400)]]); // 250 µs per run
    expect(leaveMain(groups, 500, above, 150)).toBeNull();
    expect(leaveMain(groups, 500, above, 150)).toBe('x');
  });
  test('one interval below resets the count (no flapping on a noisy measure)', () => {
    const above = new Map();
    expect(leaveMain(new Map([['x', on(100, 400)]]), 500, above, 150)).toBeNull();
    expect(leaveMain(new Map([['x', on(10, 400)]]), 500, above, 150)).toBeNull();
    expect(leaveMain(new Map([['x', on(100, 400)]]), 500, above, 150)).toBeNull();
  });
  test('far above the threshold: leaves at once; cheap or light contexts stay', () => {
    expect(leaveMain(new Map([['x', on(100, 40)]]), 500, new Map(), 150)).toBe('x'); // 2.5 ms per run
    const cheap = new Map([['x', on(200, 4000)]]); // 50 µs per run
    const light = new Map([['x', on(10, 4)]]); // 2.5 ms per run, but 2% of the interval
    const above = new Map();
    for (let i = 0; i < 3; i++) {
      expect(leaveMain(cheap, 500, above, 150)).toBeNull();
      expect(leaveMain(light, 500, above, 150)).toBeNull();
    }
  });
  test('only contexts on the main thread; the heaviest goes first', () => {
    const groups = new Map([['w', on(400, 40, 3)], ['x', on(100, 40)], ['y', on(200, 40)]]);
    expect(leaveMain(groups, 500, new Map(), 150)).toBe('y');
  });
});

describe('comeBack', () => {
  const never = () => false;
  test('a context on a worker whose runs became cheaper than a message comes back after two intervals', () => {
    const below = new Map();
    const groups = new Map([['x', { host: 3, ms: 20, runs: 1000 }]]); // 20 µs per run
    expect(comeBack(groups, below, 75, never)).toBeNull();
    expect(comeBack(groups, below, 75, never)).toBe('x');
  });
  test('a costly one, one on the main thread, or one cooling down stays', () => {
    const below = new Map();
    const costly = new Map([['x', { host: 3, ms: 100, runs: 400 }]]); // 250 µs per run
    const home = new Map([['x', { host: 0, ms: 20, runs: 1000 }]]);
    const cheap = new Map([['x', { host: 3, ms: 20, runs: 1000 }]]);
    for (let i = 0; i < 3; i++) {
      expect(comeBack(costly, below, 75, never)).toBeNull();
      expect(comeBack(home, new Map(), 75, never)).toBeNull();
      expect(comeBack(cheap, below, 75, () => true)).toBeNull();
    }
  });
});

test('a cheap context moved to a worker comes back to the main thread by itself, counts exact', async () => {
  const app = await startApp(path.join(__dirname, 'apps', 'listing1.js'), { env: { FLUXION_WORKERS: '2', FLUXION_REBALANCE_MS: '100' } });
  try {
    await outcome(`${app.url}/`);
    const stats = JSON.parse((await outcome(`${app.url}/__stats`)).body);
    const reply = stats.find((s) => s.id.endsWith('#reply@449'));
    const workers = JSON.parse((await outcome(`${app.url}/__workers`)).body);
    const moved = JSON.parse((await outcome(`${app.url}/__move?id=${encodeURIComponent(reply.id)}&to=${workers[0].threadId}`)).body);
    expect(moved).toEqual({ host: workers[0].threadId });
    // Its runs (count += 1 and sending the tail) cost far less than a message: it comes back.
    const bodies = [];
    let home = false;
    const t0 = Date.now();
    while (!home && Date.now() - t0 < 15000) {
      bodies.push(...(await Promise.all(Array.from({ length: 20 }, () => outcome(`${app.url}/`)))).map((r) => r.body));
      home = JSON.parse((await outcome(`${app.url}/__workers`)).body).every((w) => w.groups.length === 0);
    }
    bodies.push(...(await Promise.all(Array.from({ length: 20 }, () => outcome(`${app.url}/`)))).map((r) => r.body));
    expect(home).toBe(true);
    const counts = bodies.map((b) => Number(/^count: (\d+) /.exec(b)[1])).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: bodies.length }, (_, i) => i + 2));
    const after = JSON.parse((await outcome(`${app.url}/__stats`)).body).find((s) => s.id === reply.id);
    // Ran here, on the worker it was sent to, and nowhere else than on these threads (under a
    // loaded test run, the rebalancer may also move it between the two workers on the way).
    const threads = after.executions.map((e) => e.threadId);
    expect(threads).toContain(0);
    expect(threads).toContain(workers[0].threadId);
    expect(threads.every((t) => t === 0 || workers.some((w) => w.threadId === t))).toBe(true);
    expect(app.stderr()).toBe('');
  } finally {
    await app.stop();
  }
});

test('two contexts on one busy worker are spread over two, counts exact', async () => {
  const app = await startApp(path.join(__dirname, 'apps', 'two-counters.js'), { env: { FLUXION_WORKERS: '2', FLUXION_REBALANCE_MS: '300', FLUXION_PLACEMENT: 'eager' } });
  try {
    await outcome(`${app.url}/a`);
    await outcome(`${app.url}/b`);
    const gathered = JSON.parse((await outcome(`${app.url}/__gather`, { method: 'POST' })).body);
    expect(gathered[0].groups.length).toBe(2);
    const seen = { a: [], b: [] };
    const t0 = Date.now();
    let spread = false;
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const r = i % 2 ? 'a' : 'b';
        while (Date.now() - t0 < 2500 || (!spread && Date.now() - t0 < 15000)) {
          seen[r].push(Number((await outcome(`${app.url}/${r}`)).body.split(' ')[1]));
          if (i === 0) {
            const ws = JSON.parse((await outcome(`${app.url}/__workers`)).body);
            spread = ws.every((w) => w.groups.length === 1);
          }
        }
      }),
    );
    const ws = JSON.parse((await outcome(`${app.url}/__workers`)).body);
    expect({ spread, ws }).toEqual({ spread: true, ws });
    for (const r of ['a', 'b']) {
      const s = seen[r].sort((x, y) => x - y);
      expect(s).toEqual(Array.from({ length: s.length }, (_, k) => k + 2)); // 1 was the warm-up
    }
    expect(app.stderr()).toBe('');
  } finally {
    await app.stop();
  }
});
