'use strict';
// The load generator, run by bench/run.js in its own process (never inside the server under
// test): `node bench/load.js '<json>'` runs autocannon phases against 127.0.0.1 and prints one
// JSON line with the results.
//
// Options: { port, path, connections, phases: [{ name, duration } | { name, amount }],
//            counter: bool }   (counter: parse "count: N" bodies and read GET /count)
const http = require('node:http');
const autocannon = require('autocannon');

const opts = JSON.parse(process.argv[2]);
const seen = new Map(); // counter value -> how many 200 responses carried it

function phase(p) {
  return new Promise((resolve, reject) => {
    const ac = {
      url: `http://127.0.0.1:${opts.port}`,
      connections: opts.connections,
      pipelining: 1,
      timeout: 10,
      requests: [{ method: 'GET', path: opts.path }],
    };
    if (p.duration !== undefined) ac.duration = p.duration;
    if (p.amount !== undefined) ac.amount = p.amount;
    let ok = 0;
    const values = [];
    if (opts.counter) {
      ac.requests[0].onResponse = (status, body) => {
        if (status !== 200) return;
        ok += 1;
        const m = /^count: (\d+)/.exec(String(body));
        if (m) values.push(Number(m[1]));
      };
    }
    autocannon(ac, (err, r) => {
      if (err) return reject(err);
      for (const v of values) seen.set(v, (seen.get(v) || 0) + 1);
      resolve({
        name: p.name,
        seconds: r.duration,
        rps: r.requests.average,
        total: r.requests.total,
        sent: r.requests.sent,
        ok2xx: r['2xx'],
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        latency: { p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.average, max: r.latency.max },
        ...(opts.counter ? { counted200: ok, minValue: Math.min(...values), maxValue: Math.max(...values) } : {}),
      });
    });
  });
}

/** GET one path on a fresh connection (so that cluster's scheduler may pick another process). */
function get(path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: opts.port, path, agent: false }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode, body: b }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e.message) }));
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}

async function readCounter(times) {
  const out = [];
  for (let i = 0; i < times; i++) {
    const r = await get('/count');
    out.push(r.status === 200 ? Number(r.body) : `${r.status} ${r.body}`);
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const out = { phases: {} };
  for (const p of opts.phases) {
    if (p.name === 'check' && opts.counter) {
      // Timed phases end by destroying connections: let the server finish what it had started.
      await sleep(400);
      out.counterBefore = await readCounter(4);
    }
    out.phases[p.name] = await phase(p);
    if (p.name === 'check' && opts.counter) out.counterAfter = await readCounter(4);
  }
  if (opts.counter) {
    let dup = 0;
    let maxCopies = 0;
    for (const n of seen.values()) {
      if (n > 1) dup += 1;
      maxCopies = Math.max(maxCopies, n);
    }
    out.duplicates = dup; // counter values that two or more responses carried
    out.maxCopies = maxCopies;
    out.distinct = seen.size;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + '\n');
  process.exit(1);
});
