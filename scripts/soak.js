#!/usr/bin/env node
'use strict';
// Soak under faults (issue 15): __test__/apps/faults/app.js under fluxion (eager, 2 workers) driven
// for N minutes by clients that increment a worker-hosted counter, call a CPU route and push to a
// GoT dataframe through the app, and by GoT clients pushing to the same dataframe over the
// protocol, while workers are killed every 1-3 s and a worker or the counter's host is stalled
// (busy for 200-500 ms) every 1-3 s. Every 30 s window prints RSS, the main thread's event-loop
// delay and the window's requests; the end checks that nothing hung, that the counter and the
// dataframe kept every answered write (see __test__/helpers/faults.js) and that the pool is
// whole, and exits 1 if not.
//
//   npm run soak -- --minutes 10 [--clients 16] [--kill-every 1000,3000] [--transport port|bus]
//                   [--stall-every 1000,3000] [--stall-ms 200,500] [--stall-main] [--no-stalls]
//                   [--no-got] [--json out.json]
const fs = require('node:fs');
const path = require('node:path');
const { startApp } = require('../__test__/helpers/server');
const { drive, newTally, counterViolations, gotViolations, gotState, gotSummary, sleep } = require('../__test__/helpers/faults');

function args(argv) {
  const o = { minutes: 10, clients: 16, killEvery: [1000, 3000], json: null, windowS: 30, transport: 'port' };
  Object.assign(o, { stallEvery: [1000, 3000], stallMs: [200, 500], stallKinds: ['worker', 'host'], got: true });
  const range = (x) => x.split(',').map(Number);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--minutes') o.minutes = Number(v());
    else if (a === '--clients') o.clients = Number(v());
    else if (a === '--kill-every') o.killEvery = range(v());
    else if (a === '--stall-every') o.stallEvery = range(v());
    else if (a === '--stall-ms') o.stallMs = range(v());
    else if (a === '--stall-main') o.stallKinds = ['worker', 'host', 'main'];
    else if (a === '--no-stalls') o.stallEvery = null;
    else if (a === '--no-got') o.got = false;
    else if (a === '--transport') o.transport = v();
    else if (a === '--window') o.windowS = Number(v());
    else if (a === '--json') o.json = v();
    else {
      throw new Error(
        `unknown option ${a} (--minutes N, --clients N, --kill-every MIN,MAX, --stall-every MIN,MAX, --stall-ms MIN,MAX, --stall-main, --no-stalls, --no-got, --transport port|bus, --window S, --json FILE)`
      );
    }
  }
  const badRange = (r) => r.length !== 2 || r.some((x) => !(x >= 0));
  if (!(o.minutes > 0) || !(o.clients >= 1) || badRange(o.killEvery) || (o.stallEvery && (badRange(o.stallEvery) || badRange(o.stallMs)))) {
    throw new Error('bad options: --minutes > 0, --clients >= 1, --kill-every / --stall-every / --stall-ms MIN,MAX in ms');
  }
  if (!['port', 'bus'].includes(o.transport)) throw new Error('--transport is port or bus');
  return o;
}

const mb = (b) => Math.round(b / 1048576);

async function main() {
  const o = args(process.argv.slice(2));
  const APP = path.join(__dirname, '..', '__test__', 'apps', 'faults', 'app.js');
  const app = await startApp(APP, {
    cwd: path.dirname(APP), // its fluxion.config.js
    env: { FLUXION_WORKERS: '2', FLUXION_PLACEMENT: 'eager', FLUXION_REBALANCE: '0', FLUXION_TRANSPORT: o.transport },
  });
  const gotUrl = o.got ? `got://127.0.0.1:${/got (\d+)/.exec(app.stdout())[1]}` : null;
  let exited = null;
  app.child.once('exit', (code, signal) => (exited = { code, signal }));
  const health = () => fetch(app.url + '/__health').then((r) => r.json());
  const tally = newTally();
  const samples = [];
  const started = Date.now();
  await health(); // resets the delay histogram: start-up is not the soak
  const before = await health();
  samples.push({ s: 0, rss: before.rss, eld: before.eld, requests: 0, s500: 0, kills: 0 });
  const stalls = o.stallEvery ? `a stall (${o.stallKinds.join('/')}) of ${o.stallMs.join('-')} ms every ${o.stallEvery.join('-')} ms` : 'no stalls';
  console.log(
    `soak: ${o.minutes} min, transport ${o.transport}, ${o.clients} clients${o.got ? ' + 2 GoT clients' : ''}, a kill every ${o.killEvery.join('-')} ms, ${stalls}; rss at start ${mb(before.rss)} MB`
  );
  const endAt = started + o.minutes * 60000;
  while (Date.now() < endAt && !exited) {
    const windowStart = Date.now();
    const prev = { requests: tally.requests, s500: tally.statuses['500'] || 0, kills: tally.kills.length };
    await drive({
      url: app.url,
      ms: Math.min(o.windowS * 1000, endAt - Date.now()),
      clients: o.clients,
      killEveryMs: o.killEvery,
      gotUrl,
      stallEveryMs: o.stallEvery,
      stallMs: o.stallMs,
      stallKinds: o.stallKinds,
      tally,
    });
    const h = await health();
    const row = {
      s: Math.round((Date.now() - started) / 1000),
      rss: h.rss,
      eld: h.eld,
      requests: tally.requests - prev.requests,
      s500: (tally.statuses['500'] || 0) - prev.s500,
      kills: tally.kills.length - prev.kills,
    };
    samples.push(row);
    console.log(
      `t=${String(row.s).padStart(4)}s rss=${mb(row.rss)} MB eld p99=${row.eld.p99} ms max=${row.eld.max} ms` +
        ` requests=${row.requests} (${((row.requests * 1000) / (Date.now() - windowStart)).toFixed(0)}/s) 500s=${row.s500} kills=${row.kills}`
    );
  }
  await sleep(500);
  const died = exited; // before stop(), whose SIGTERM is no anomaly
  const workers = exited ? [] : await fetch(app.url + '/__workers').then((r) => r.json());
  const final = exited ? NaN : (await fetch(app.url + '/count').then((r) => r.json())).count;
  const objects = exited || !gotUrl ? null : gotState(gotUrl);
  await app.stop();
  exited = died;

  const anomalies = [];
  if (exited) anomalies.push(`the app exited (${JSON.stringify(exited)}): ${app.stderr().slice(-2000)}`);
  for (const k of Object.keys(tally.statuses)) if (!['200', '500'].includes(k)) anomalies.push(`${tally.statuses[k]} answers ${k}`);
  if (tally.cpuWrong) anomalies.push(`${tally.cpuWrong} wrong CPU answers`);
  if (!exited && workers.length !== 2) anomalies.push(`the pool has ${workers.length} workers, not 2`);
  if (!exited) anomalies.push(...counterViolations(tally, final));
  if (objects) anomalies.push(...gotViolations(tally, objects));
  // Growth: the median RSS of the last third of the windows against the first third's.
  const rss = samples.slice(1).map((x) => x.rss);
  const third = Math.max(1, Math.floor(rss.length / 3));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rssThirds = { first: mb(median(rss.slice(0, third))), last: mb(median(rss.slice(-third))) };
  const summary = {
    minutes: o.minutes,
    transport: o.transport,
    requests: tally.requests,
    statuses: tally.statuses,
    kills: tally.kills.length,
    killsOfCounterHost: tally.kills.filter((k) => k.wasHost).length,
    counter: { final, answered200: tally.incOk.length, distinct200: new Set(tally.incOk).size, failedIncs: tally.incFailed },
    got: gotUrl ? { ...gotSummary(tally), objects: objects && objects.length } : null,
    stalls: tally.stalls,
    rssMb: { start: mb(samples[0].rss), firstWindow: samples[1] ? mb(samples[1].rss) : null, end: mb(samples[samples.length - 1].rss), max: mb(Math.max(...samples.map((x) => x.rss))), medianFirstThird: rssThirds.first, medianLastThird: rssThirds.last },
    eldP99Ms: { first: samples[1] ? samples[1].eld.p99 : null, last: samples[samples.length - 1].eld.p99, max: Math.max(...samples.slice(1).map((x) => x.eld.p99)) },
    samples: samples.map((x) => ({ ...x, rss: mb(x.rss) })),
    anomalies,
  };
  console.log(JSON.stringify({ ...summary, samples: undefined }, null, 2));
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(summary, null, 2));
  process.exitCode = anomalies.length ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
