'use strict';
// Benchmark (not a test): the Rust bus (lib/transport/bus.js) against MessagePort.postMessage between the
// main thread and one worker_thread. Round-trip latency main→worker→main (p50, p99, one message
// in flight) and one-way throughput (messages/second, main floods, the worker counts), for
// payloads of ~100 B and ~10 KB. Bounded in time (each measurement stops at its time budget).
//
//   npm run bench:bus            (or: node bench/bus.js [--budget-ms 500] [--rounds 3])
const path = require('node:path');
const { Worker, MessageChannel } = require('node:worker_threads');
const bus = require('../lib/transport/bus');

const BUS = path.join(__dirname, '..', 'lib', 'transport', 'bus.js');
const args = process.argv.slice(2);
const BUDGET_MS = Number(args[args.indexOf('--budget-ms') + 1]) || 500;
/** Rounds per measurement, alternating the transports, so that load from other processes on the
 * machine hits both alike; each cell reports the median round. */
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || 3;
const SIZES = [100, 10 * 1024];

// The worker answers pings (round trip) and counts floods (throughput), over either transport.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const bus = require(${JSON.stringify(BUS)});
let port;
let count = 0, target = -1;
function onMessage(m) {
  if (m.k === 'ping') reply(m);
  else if (m.k === 'flood') {
    if (++count === target) { reply({ k: 'done', count }); count = 0; target = -1; }
  }
}
function reply(m) { if (workerData.transport === 'bus') bus.send(0, m); else port.postMessage(m); }
parentPort.on('message', (c) => {
  if (c.port) { port = c.port; port.on('message', onMessage); }
  if (c.expect !== undefined) { target = c.expect; if (count === target) { reply({ k: 'done', count }); count = 0; target = -1; } }
  if (c.stop) { if (port) port.close(); if (workerData.transport === 'bus') bus.close(); parentPort.close(); }
});
if (workerData.transport === 'bus') { bus.open(onMessage); }
parentPort.postMessage('ready');
`;

function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, resolve));
}

async function startTransport(kind) {
  const w = new Worker(WORKER, { eval: true, workerData: { transport: kind } });
  await once(w, 'message');
  let onReply = null;
  let send;
  let close;
  if (kind === 'bus') {
    send = (m) => bus.send(w.threadId, m);
    close = () => {};
    // Replies come through this thread's inbox (opened once in main()).
    busRoute = (m) => onReply(m);
  } else {
    const { port1, port2 } = new MessageChannel();
    w.postMessage({ port: port2 }, [port2]);
    port1.on('message', (m) => onReply(m));
    send = (m) => port1.postMessage(m);
    close = () => port1.close();
  }
  return {
    send,
    setOnReply(f) {
      onReply = f;
    },
    control: (c) => w.postMessage(c),
    async stop() {
      close();
      w.postMessage({ stop: true });
      await once(w, 'exit');
    },
  };
}

let busRoute = () => {};

async function roundTrip(t, size) {
  const payload = { k: 'ping', i: 0, s: 'x'.repeat(size) };
  const samples = [];
  let resolveReply;
  t.setOnReply(() => resolveReply());
  const end = Date.now() + BUDGET_MS;
  // Warm-up, then measure until the time budget or 20,000 samples.
  for (let i = 0; i < 200; i++) {
    const p = new Promise((r) => (resolveReply = r));
    t.send(payload);
    await p;
  }
  while (Date.now() < end && samples.length < 20000) {
    const p = new Promise((r) => (resolveReply = r));
    payload.i++;
    const t0 = process.hrtime.bigint();
    t.send(payload);
    await p;
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { p50: q(0.5), p99: q(0.99), n: samples.length };
}

async function throughput(t, size) {
  const payload = { k: 'flood', i: 0, s: 'x'.repeat(size) };
  // Send in chunks so that the time budget is respected; the receiver runs concurrently.
  const chunk = size > 1000 ? 500 : 5000;
  const start = process.hrtime.bigint();
  const end = Date.now() + BUDGET_MS;
  let sent = 0;
  while (Date.now() < end) {
    for (let i = 0; i < chunk; i++) {
      payload.i = sent++;
      t.send(payload);
    }
    // Yield so that replies, backlog retries and the worker's progress are not starved.
    await new Promise((r) => setImmediate(r));
  }
  const done = new Promise((r) => t.setOnReply(r));
  t.control({ expect: sent });
  await done;
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: sent / secs, n: sent };
}

function fmt(n, digits = 1) {
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function main() {
  const t0 = Date.now();
  bus.open((m) => busRoute(m));
  const kinds = ['bus', 'postMessage'];
  const transports = {};
  for (const kind of kinds) transports[kind] = await startTransport(kind);
  const results = {};
  for (const size of SIZES) {
    const runs = Object.fromEntries(kinds.map((k) => [k, { p50: [], p99: [], rate: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of r % 2 ? [...kinds].reverse() : kinds) {
        const rt = await roundTrip(transports[kind], size);
        const tp = await throughput(transports[kind], size);
        runs[kind].p50.push(rt.p50);
        runs[kind].p99.push(rt.p99);
        runs[kind].rate.push(tp.rate);
      }
    }
    for (const kind of kinds) {
      const x = runs[kind];
      results[`${kind}/${size}`] = { rt: { p50: median(x.p50), p99: median(x.p99) }, tp: { rate: median(x.rate) } };
    }
  }
  for (const kind of kinds) await transports[kind].stop();
  bus.close();

  const label = (s) => (s >= 1024 ? `${s / 1024} KB` : `${s} B`);
  const lines = [
    `| payload | transport | round trip p50 (µs) | p99 (µs) | one-way msgs/s |`,
    `| --- | --- | ---: | ---: | ---: |`,
  ];
  for (const size of SIZES) {
    for (const kind of ['bus', 'postMessage']) {
      const { rt, tp } = results[`${kind}/${size}`];
      lines.push(`| ${label(size)} | ${kind} | ${fmt(rt.p50)} | ${fmt(rt.p99)} | ${fmt(tp.rate)} |`);
    }
    const b = results[`bus/${size}`];
    const p = results[`postMessage/${size}`];
    lines.push(
      `| ${label(size)} | **bus / postMessage** | **${(b.rt.p50 / p.rt.p50).toFixed(2)}×** | ${(b.rt.p99 / p.rt.p99).toFixed(2)}× | **${(b.tp.rate / p.tp.rate).toFixed(2)}×** |`
    );
  }
  console.log(lines.join('\n'));
  console.log(
    `\nnode ${process.version}, ${require('node:os').cpus().length} CPUs, load average ${require('node:os')
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, median of ${ROUNDS} alternating rounds of ${BUDGET_MS} ms, total ${((Date.now() - t0) / 1000).toFixed(1)} s`
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
