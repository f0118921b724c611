'use strict';
// Reference for the RSS scenario: `node bench/rss-workers.js <n> <empty|express>` starts n plain
// worker_threads (empty, or each requiring express and building an app), waits until they are
// up and idle, and prints `{"workers":n,"rss":<bytes>}`.
const { Worker } = require('node:worker_threads');

const n = Number(process.argv[2] || 0);
const kind = process.argv[3] || 'empty';
const code =
  kind === 'express'
    ? `const e = require(${JSON.stringify(require.resolve('express'))}); const app = e();
       app.get('/', (req, res) => res.send('x'));
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
  const w = new Worker(code, { eval: true });
  w.on('message', () => {
    if (++up === n) done();
  });
  workers.push(w);
}
