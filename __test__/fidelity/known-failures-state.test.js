'use strict';
// Issue 12, known failures about state: one authoritative copy of every variable, module top
// levels run once per process. Each fixture runs plain, under the default placement (auto) and
// under FLUXION_PLACEMENT=eager; an observer must not tell them apart.
const { eachOnce, nodeMajor, start, run, transcript } = require('../helpers/transcript');
const { fixture, baseline, expectSoundBaseline, expectSame } = require('./fidelity');
const { cases } = require('./cases');

jest.setTimeout(60000);

describe('#1 await after CPU work', () => {
  const app = fixture('01-await-after-cpu.js');
  const script = [{ url: '/v' }, { concurrent: 200, url: '/v', check: eachOnce(200, 2) }, { url: '/v' }];
  const plain = baseline(app, script);
  test('plain: counts 2..201 each exactly once', () => expectSoundBaseline(plain));
  // regression #1 (issue 12), fixed: ~95 of 200 counts duplicated; the part before the await runs replicated on workers, the part after on the main thread
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #1 (issue 12), fixed: ~100 of 200 counts duplicated, as under auto
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));

  const esm = fixture('01-await-after-cpu.mjs');
  const esmPlain = baseline(esm, script);
  if (nodeMajor < 22) {
    // Printed, not only skipped, so that a run on Node 20 says what it did not cover.
    console.log(`#1 ES module variant skipped: it needs Node 22+ (module.registerHooks); this is Node ${process.versions.node}`);
  }
  const esmTest = nodeMajor >= 22 ? test : test.skip;
  // Not verified here (Node 20): the issue reports #1 for an ES module on Node 22 in eager placement.
  const esmWhy = nodeMajor >= 22 ? '' : ` (skipped: needs Node 22+ for module.registerHooks; this is Node ${process.versions.node})`;
  esmTest(`ES module (--import): auto = plain${esmWhy}`, () => expectSame(esmPlain, esm, script, { mode: 'auto' }));
  esmTest(`ES module (--import): eager = plain${esmWhy}`, () => expectSame(esmPlain, esm, script, { mode: 'eager' }));
});

describe('#4 MVC app: PUT /pet/:id updates the db module', () => {
  const { app, script } = cases['04'];
  const plain = baseline(app, script);
  test('plain: the pet is renamed', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.steps[2].body).toBe('{"name":"Boots","id":2}');
  });
  for (const way of ['register', 'fluxionize-early']) {
    test(`auto, ${way} = plain`, () => expectSame(plain, app, script, { mode: 'auto', way }));
    // regression #4 (issue 12), fixed: PUT /pet/2 answers 302 but GET /pet/2 still reads "Jane": the update ran on a copy of req.pet on a worker
    test(`eager, ${way} = plain`, () => expectSame(plain, app, script, { mode: 'eager', way }));
  }
});

describe('#5 a start-up callback loads data once', () => {
  const { app, script } = cases['05'];
  const plain = baseline(app, script);
  test('plain: 13 users at the end', async () => {
    const t = await expectSoundBaseline(plain);
    expect(JSON.parse(t.steps.at(-1).body)).toHaveLength(13);
  });
  // regression #5 (issue 12), fixed: once a worker loads the module (for the offloaded /avatar route) the readFile callback runs again and resets users on the main thread: "cy" is lost
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #5 (issue 12), fixed: a worker loading the module re-runs the readFile callback, which resets users on the main thread: POST answers {"count":1}, GET lists only ada and bob
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#6 a handler that uses several shared groups', () => {
  const app = fixture('06-two-groups.js');
  const fruits = ['apples', 'pears', 'plums', 'figs', 'kiwis', 'limes'];
  const round = [{ url: '/basket' }, ...fruits.map((f) => ({ url: `/${f}` }))];
  const script = [...round, ...round, ...round];
  const plain = baseline(app, script);
  test('plain: every counter counts both routes', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.steps[14].body).toBe('{"apples":5,"pears":5,"plums":5,"figs":5,"kiwis":5,"limes":5}');
  });
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #6 (issue 12), fixed: /basket and /limes keep two copies of limes (placed in grp_apples only): limes 1 where plain says limes 2
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#10 values computed when another module loads', () => {
  const { app, script } = cases['10']; // several batches: auto offloads the signing route once measured
  const plain = baseline(app, script);
  test('plain: one instance id', () => expectSoundBaseline(plain));
  // regression #10 (issue 12), fixed: once the default placement offloads the signing route, a batch sees 2-3 instance ids (one per thread that loaded lib/instance.js)
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #10 (issue 12), fixed: two distinct instance ids in one batch: each thread that loaded lib/instance.js computed its own
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#14 top-level timers run once', () => {
  const { app, script } = cases['14'];
  const plain = baseline(app, script);
  test('plain: warmed once, refreshed twice', async () => {
    const t = await expectSoundBaseline(plain);
    expect(t.stdout).toEqual(['cache warmed', 'refreshed twice']);
  });
  // The tarball matrix on Node 22 found 'refreshed' printed before 'cache warmed' under the Jest
  // way: fluxion's start-up blocked the loop past the interval's first tick, and Jest's own older
  // 100 ms timer list ran it before the timeout. Plain Jest does the same with a slow start-up, so
  // that order is the fixture's, not fluxion's: the fixture's output must not depend on it.
  test('plain, Jest, a start-up that blocks the loop 250 ms: the same output', async () => {
    const t = await transcript(app, script, { mode: 'plain', way: 'jest', env: { FIXTURE_BLOCK_MS: '250' } });
    expect(t.stdout).toEqual(['cache warmed', 'refreshed twice']);
  });
  // regression #14 (issue 12), fixed: 'cache warmed' printed 3 times: each worker that loads the module (for the offloaded /avatar route) re-runs its top-level timers
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #14 (issue 12), fixed: 'cache warmed' printed 3 times and 'refreshed' 10 times: each worker re-runs the top-level timers
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#15 state declared in a top-level block', () => {
  const { app, script } = cases['15'];
  const plain = baseline(app, script);
  test('plain: visits 1..23', () => expectSoundBaseline(plain));
  test('auto = plain', () => expectSame(plain, app, script, { mode: 'auto' }));
  // regression #15 (issue 12), fixed: first answers, then the process dies: ReferenceError: visits is not defined (context commit reads a block-scoped variable)
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager' }));
});

describe('#16 a shared-state context moves off a busy main thread', () => {
  const app = fixture('16-shared-group-move.js');
  const load = (n) => ({ concurrent: n, url: (i) => ['/buy', '/sell', '/ledger'][i % 3], summary: (os) => os.map((o) => o.body.split(' ')[0]).sort().join(',') });
  // Long enough for several rebalancing intervals: the first ones pick the heavier order book.
  const script = [...Array.from({ length: 12 }, () => load(30)), { url: '/buy' }, { url: '/ledger' }];
  const env = { FLUXION_REBALANCE_MS: '50' };
  const plain = baseline(app, script, { env });
  test('plain: 241 orders, 121 ledger entries', async () => {
    const t = await expectSoundBaseline(plain);
    expect([t.steps[12].body, t.steps[13].body]).toEqual(['order 241', 'ledger 121']);
  });
  test('eager = plain', () => expectSame(plain, app, script, { mode: 'eager', env }));
  // One auto run serves three assertions: its responses, and where each context ran.
  const onAWorker = (threads) => (threads || []).some((t) => t !== 0);
  let autoRun = null;
  const auto = () =>
    (autoRun ||= (async () => {
      const running = await start(app, { mode: 'auto', env });
      try {
        const steps = await run(running, script);
        // Then more of the same load until both contexts ran on a worker, or 6 s: a rebalancing
        // decision depends on how the intervals fall on a loaded machine.
        const where = {};
        const t0 = Date.now();
        do {
          const [w] = await run(running, [{ url: '/__where' }]);
          for (const s of JSON.parse(w.body)) where[s.id.split('#')[1].split('@')[0]] = s.threads;
          if (onAWorker(where.record) && onAWorker(where.buy) && onAWorker(where.sell)) break;
          await run(running, [load(30), load(30)]);
        } while (Date.now() - t0 < 6000);
        return { steps, where };
      } finally {
        await running.stop();
      }
    })());
  test('auto = plain', async () => {
    const base = await plain();
    const { steps } = await auto();
    expect(steps.map((s) => s.body ?? s.summary)).toEqual(base.steps.map((s) => s.body ?? s.summary));
  });
  // The control: shows that this load does make the rebalancer move a context.
  test('auto: a context of its own (the ledger) leaves the busy main thread', async () => {
    expect(onAWorker((await auto()).where.record)).toBe(true);
  });
  // regression #16 (issue 12), fixed: grp_orders stays on the main thread: the rebalancer picks it first and moveContext rejects its group key, silently
  test('auto: the shared order book (buy + sell) leaves it too', async () => {
    const { where } = await auto();
    expect({ buy: onAWorker(where.buy), sell: onAWorker(where.sell) }).toEqual({ buy: true, sell: true });
  });
});
