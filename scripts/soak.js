#!/usr/bin/env node
'use strict';
// Soak under faults (issue 15): __test__/apps/faults.js under fluxion (eager, 2 workers) driven
// for N minutes by clients that increment a worker-hosted counter and call a CPU route, while
// workers are killed every 1-3 s. Every 30 s window prints RSS, the main thread's event-loop
// delay and the window's requests; the end checks that nothing hung, that the counter kept
// every answered write (no count answered twice, at most the failed /inc requests landed without
// an answer) and that the pool is whole, and exits 1 if not.
//
//   npm run soak -- --minutes 10 [--clients 16] [--kill-every 1000,3000] [--json out.json]
const fs = require('node:fs');
const path = require('node:path');
const { startApp } = require('../__test__/helpers/server');
const { drive, newTally, counterViolations, sleep } = require('../__test__/helpers/faults');

function args(argv) {
  const o = { minutes: 10, clients: 16, killEvery: [1000, 3000], json: null, windowS: 30 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--minutes') o.minutes = Number(v());
    else if (a === '--clients') o.clients = Number(v());
    else if (a === '--kill-every') o.killEvery = v().split(',').map(Number);
    else if (a === '--window') o.windowS = Number(v());
    else if (a === '--json') o.json = v();
    else throw new Error(`unknown option ${a} (--minutes N, --clients N, --kill-every MIN,MAX, --window S, --json FILE)`);
  }
  if (!(o.minutes > 0) || !(o.clients >= 1) || o.killEvery.length !== 2 || o.killEvery.some((x) => !(x >= 0))) {
    throw new Error('bad options: --minutes > 0, --clients >= 1, --kill-every MIN,MAX in ms');
  }
  return o;
}

const mb = (b) => Math.round(b / 1048576);

async function main() {
  const o = args(process.argv.slice(2));
  const app = await startApp(path.join(__dirname, '..', '__test__', 'apps', 'faults.js'), {
    env: { FLUXION_WORKERS: '2', FLUXION_PLACEMENT: 'eager', FLUXION_REBALANCE: '0' },
  });
  let exited = null;
  app.child.once('exit', (code, signal) => (exited = { code, signal }));
  const health = () => fetch(app.url + '/__health').then((r) => r.json());
  const tally = newTally();
  const samples = [];
  const started = Date.now();
  await health(); // resets the delay histogram: start-up is not the soak
  const before = await health();
  samples.push({ s: 0, rss: before.rss, eld: before.eld, requests: 0, s500: 0, kills: 0 });
  console.log(`soak: ${o.minutes} min, ${o.clients} clients, a kill every ${o.killEvery.join('-')} ms; rss at start ${mb(before.rss)} MB`);
  const endAt = started + o.minutes * 60000;
  while (Date.now() < endAt && !exited) {
    const windowStart = Date.now();
    const prev = { requests: tally.requests, s500: tally.statuses['500'] || 0, kills: tally.kills.length };
    await drive({ url: app.url, ms: Math.min(o.windowS * 1000, endAt - Date.now()), clients: o.clients, killEveryMs: o.killEvery, tally });
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
  await app.stop();
  exited = died;

  const anomalies = [];
  if (exited) anomalies.push(`the app exited (${JSON.stringify(exited)}): ${app.stderr().slice(-2000)}`);
  for (const k of Object.keys(tally.statuses)) if (!['200', '500'].includes(k)) anomalies.push(`${tally.statuses[k]} answers ${k}`);
  if (tally.cpuWrong) anomalies.push(`${tally.cpuWrong} wrong CPU answers`);
  if (!exited && workers.length !== 2) anomalies.push(`the pool has ${workers.length} workers, not 2`);
  if (!exited) anomalies.push(...counterViolations(tally, final));
  const summary = {
    minutes: o.minutes,
    requests: tally.requests,
    statuses: tally.statuses,
    kills: tally.kills.length,
    killsOfCounterHost: tally.kills.filter((k) => k.wasHost).length,
    counter: { final, answered200: tally.incOk.length, distinct200: new Set(tally.incOk).size, failedIncs: tally.incFailed },
    rssMb: { start: mb(samples[0].rss), firstWindow: samples[1] ? mb(samples[1].rss) : null, end: mb(samples[samples.length - 1].rss), max: mb(Math.max(...samples.map((x) => x.rss))) },
    eldP99Ms: { max: Math.max(...samples.slice(1).map((x) => x.eld.p99)) },
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
