'use strict';
// The cost of dispatching one request to a worker (issue 5), without the noise of a full load
// test: `node bench/dispatch.js [--n 2000] [--rounds 5] [--routes /hello,/json/7?q=x,/count]
// [--placement eager] [--workers 1] [--connections 1]`.
//
// The server (bench/apps/dispatch.js under fluxion) runs in a child process; a client in this
// process sends N requests one after the other (keep-alive, one connection). The server reports
// the busy time of its main thread's event loop (performance.eventLoopUtilization) and of its
// workers' (worker.performance.eventLoopUtilization), and its process CPU time, per request.
// With one request in flight at a time, busy time per request is the cost of one request on
// each thread. Median of --rounds rounds, after a warm-up round. One request at a time, each
// message wakes a sleeping thread (a cost the kernel charges); with --connections 16 (autocannon,
// in this process) the threads stay busy and wake-ups are shared: closer to a loaded server.
const { fork } = require('node:child_process');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = path.join(__dirname, '..');

if (process.argv[2] === '--server') server();
else client();

function server() {
  // Keep a reference to every worker fluxion starts, to read its event-loop figures.
  const wt = require('node:worker_threads');
  const workers = [];
  const Base = wt.Worker;
  wt.Worker = class extends Base {
    constructor(...a) {
      super(...a);
      workers.push(this);
    }
  };
  const { performance } = require('node:perf_hooks');
  require(path.join(ROOT, 'register.js'));
  require(path.join(__dirname, 'apps', 'dispatch.js'));
  const fs = require('node:fs');
  // CPU time of every thread of this process, in µs (Linux: /proc schedstat, ns precision).
  const threads = () => {
    const out = new Map();
    try {
      for (const t of fs.readdirSync('/proc/self/task')) {
        out.set(t, Number(fs.readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1000);
      }
    } catch {
      // not Linux: the event-loop figures only
    }
    return out;
  };
  let mark = null;
  const snap = () => ({
    threads: threads(),
    main: performance.eventLoopUtilization(),
    workers: workers.filter((w) => w.threadId >= 0).map((w) => [w, w.performance.eventLoopUtilization()]),
    cpu: process.cpuUsage(),
  });
  process.on('message', (m) => {
    if (m === 'exit') {
      Promise.all(workers.map((w) => w.terminate())).then(() => process.exit(0));
    } else if (m === 'mark') {
      mark = snap();
      process.send('marked');
    } else if (m === 'read') {
      const now = snap();
      const main = performance.eventLoopUtilization(now.main, mark.main);
      let worker = 0;
      for (const [w, e] of now.workers) {
        const before = mark.workers.find(([x]) => x === w);
        if (before) worker += w.performance.eventLoopUtilization(e, before[1]).active;
      }
      const cpu = process.cpuUsage(mark.cpu);
      // Main thread (tid = pid), the busiest other thread (the worker), and all the rest (GC
      // helpers, libuv), from the per-thread CPU times.
      const deltas = [];
      for (const [t, us] of now.threads) deltas.push([t, us - (mark.threads.get(t) || 0)]);
      const mainCpu = (deltas.find(([t]) => t === String(process.pid)) || [0, NaN])[1];
      const others = deltas.filter(([t]) => t !== String(process.pid)).map(([, d]) => d).sort((a, b) => b - a);
      process.send({
        main: main.active,
        worker,
        cpu: (cpu.user + cpu.system) / 1000,
        mainCpu: mainCpu / 1000,
        workerCpu: (others[0] || 0) / 1000,
        restCpu: others.slice(1).reduce((a, b) => a + b, 0) / 1000,
        stats: require(ROOT).stats(),
      });
    }
  });
}

function client() {
  const { values: o } = parseArgs({
    options: {
      n: { type: 'string', default: '2000' },
      rounds: { type: 'string', default: '5' },
      routes: { type: 'string', default: '/hello,/json/7?q=x,/count' },
      placement: { type: 'string', default: 'eager' },
      workers: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      connections: { type: 'string', default: '1' }, // > 1: autocannon, that many at once
      prof: { type: 'string' }, // a directory: --cpu-prof of the server's threads goes there
    },
  });
  const N = Number(o.n);
  const C = Number(o.connections);
  const load = (port, p) =>
    new Promise((resolve, reject) => {
      require('autocannon')({ url: `http://127.0.0.1:${port}${p}`, connections: C, amount: N }, (err, r) =>
        err ? reject(err) : r.non2xx || r.errors ? reject(new Error(`${p}: ${r.non2xx} non-2xx, ${r.errors} errors`)) : resolve(r)
      );
    });
  const env = { ...process.env, PORT: '0', NODE_ENV: 'production', FLUXION_PLACEMENT: o.placement, FLUXION_WORKERS: o.workers };
  const execArgv = o.prof ? ['--cpu-prof', `--cpu-prof-dir=${o.prof}`] : [];
  const child = fork(__filename, ['--server'], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ask = (m) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send(m);
    });
  const get = (port, p) =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${p}: ${res.statusCode} ${body}`))));
        })
        .on('error', reject);
    });
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  child.once('message', async ({ port }) => {
    const out = { load: os.loadavg().map((x) => x.toFixed(2)).join(' '), n: N, routes: {} };
    try {
      for (const route of o.routes.split(',')) {
        for (let i = 0; i < Math.min(N, 500); i++) await get(port, route); // warm-up (and placement)
        if (C > 1) await load(port, route);
        const rounds = [];
        for (let r = 0; r < Number(o.rounds); r++) {
          await ask('mark');
          const t0 = process.hrtime.bigint();
          if (C > 1) await load(port, route);
          else for (let i = 0; i < N; i++) await get(port, route);
          const wall = Number(process.hrtime.bigint() - t0) / 1e6;
          const m = await ask('read');
          const per = (v) => (v * 1000) / N;
          rounds.push({
            mainCpu: per(m.mainCpu),
            workerCpu: per(m.workerCpu),
            restCpu: per(m.restCpu),
            mainElu: per(m.main),
            workerElu: per(m.worker),
            cpu: per(m.cpu),
            wall: per(wall),
            stats: m.stats,
          });
        }
        const med = (k) => +median(rounds.map((x) => x[k])).toFixed(1);
        const where = rounds[rounds.length - 1].stats
          .filter((s) => s.executions.length && !s.id.endsWith('__stats'))
          .map((s) => `${s.id.split("#")[1].split("@")[0]}:t${s.executions.map((e) => e.threadId).join("+")}`);
        out.routes[route] = {
          mainCpuUs: med('mainCpu'),
          workerCpuUs: med('workerCpu'),
          restCpuUs: med('restCpu'),
          mainEluUs: med('mainElu'),
          workerEluUs: med('workerElu'),
          processCpuUs: med('cpu'),
          wallUs: med('wall'),
          ran: where,
        };
      }
    } catch (e) {
      console.error(e);
      process.exitCode = 1;
    }
    child.send('exit');
    agent.destroy();
    if (o.json) console.log(JSON.stringify(out));
    else {
      console.log(`load average ${out.load}; ${N} ${C > 1 ? `requests, ${C} connections,` : 'sequential requests'} x ${o.rounds} rounds, median µs per request (placement ${o.placement}, ${o.workers} worker(s))`);
      const cols = ['mainCpuUs', 'workerCpuUs', 'restCpuUs', 'mainEluUs', 'workerEluUs', 'processCpuUs', 'wallUs'];
      console.log('CPU: per-thread CPU time (schedstat); ELU: event-loop busy time (counts time descheduled)');
      console.log('route'.padEnd(14) + cols.map((c) => c.replace('Us', '').padStart(11)).join(''));
      for (const [r, x] of Object.entries(out.routes)) {
        console.log(r.padEnd(14) + cols.map((c) => String(x[c]).padStart(11)).join('') + '  ' + x.ran.join(' '));
      }
    }
  });
}
