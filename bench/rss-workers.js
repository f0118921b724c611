'use strict';
// Reference for the RSS scenario: `node bench/rss-workers.js <n> <empty|express|express-work>
// [youngMB]` starts n plain worker_threads (empty; each requiring express and building an app;
// or that, then doing the work of 100 requests to bench/apps/cpu.js itself), waits until they
// are up and idle, and prints `{"workers":n,"rss":<bytes>}`. youngMB: the workers'
// resourceLimits.maxYoungGenerationSizeMb (as FLUXION_WORKER_YOUNG_MB does for fluxion's).
const { Worker } = require('node:worker_threads');

const n = Number(process.argv[2] || 0);
const kind = process.argv[3] || 'empty';
const young = Number(process.argv[4] || 0);
const work = `const crypto = require('node:crypto');
       for (let k = 0; k < 100; k++) {
         let h = Buffer.from(String(k));
         for (let i = 0; i < 1000; i++) h = crypto.createHash('sha256').update(h).digest();
       }`;
const code =
  kind === 'express' || kind === 'express-work'
    ? `const e = require(${JSON.stringify(require.resolve('express'))}); const app = e();
       app.get('/', (req, res) => res.send('x'));
       ${kind === 'express-work' ? work : ''}
       require('node:worker_threads').parentPort.postMessage('up'); setInterval(() => {}, 1e6);`
    : `require('node:worker_threads').parentPort.postMessage('up'); setInterval(() => {}, 1e6);`;

const workers = [];
let up = 0;
function done() {
  setTimeout(() => {
    if (global.gc) global.gc();
    process.stdout.write(JSON.stringify({ workers: n, kind, rss: process.memoryUsage.rss() }) + '\n');
    for (const w of workers) w.terminate();
    process.exit(0);
  }, 500);
}
if (n === 0) done();
for (let i = 0; i < n; i++) {
  const w = new Worker(code, { eval: true, resourceLimits: young ? { maxYoungGenerationSizeMb: young } : undefined });
  w.on('message', () => {
    if (++up === n) done();
  });
  workers.push(w);
}
