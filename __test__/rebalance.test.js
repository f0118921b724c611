'use strict';
// Automatic migration (lib/rebalance.js): the decision rule, and two contexts gathered on one
// worker under load being spread over two, with every increment kept.
const path = require('node:path');
const { decide, leaveMain } = require('../lib/rebalance');
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
