'use strict';
// The dashboard's cost (issue 16): bench/apps/cpu.js under fluxion (default placement, one worker
// per core), its CPU route's throughput with the dashboard off and with it on and a page
// connected to its push channel (an SSE client in this process, reading every update), modes
// interleaved, median of the runs. `node bench/dashboard.js [--runs 3] [--seconds 8]`.
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { parseArgs } = require('node:util');

const ROOT = path.join(__dirname, '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '8' }, connections: { type: 'string', default: '16' } } });
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);

function startApp(dashboard) {
  const env = { ...process.env, PORT: '0', FLUXION_MODULE: ROOT };
  for (const k of Object.keys(env)) if (k.startsWith('FLUXION_') && k !== 'FLUXION_MODULE') delete env[k];
  if (dashboard) env.FLUXION_DASHBOARD = '0';
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'register.js'), path.join(__dirname, 'apps', 'cpu.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const check = () => {
      const port = /listening (\d+)/.exec(out);
      const dash = /dashboard on (http:\S+)/.exec(err);
      if (port && (!dashboard || dash)) resolve({ child, port: Number(port[1]), dashboard: dash && dash[1] });
    };
    child.stdout.on('data', (d) => ((out += d), check()));
    child.stderr.on('data', (d) => ((err += d), check()));
    child.once('exit', (code) => reject(new Error(`app exited ${code}: ${err}`)));
  });
}

/** A page's push channel: counts the updates it receives. */
function watch(url) {
  const seen = { updates: 0, bytes: 0, req: null };
  seen.req = http.get(`${url}events`, { agent: false }, (res) => {
    res.on('data', (d) => {
      seen.bytes += d.length;
      seen.updates += (String(d).match(/^event: live$/gm) || []).length;
    });
  });
  seen.req.on('error', () => {});
  return seen;
}

function load(port, duration) {
  const opts = { port, path: '/cpu/1', connections: Number(values.connections), phases: [{ name: 'warm', duration: 2 }, { name: 'measure', duration }] };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'load.js'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out).phases.measure) : reject(new Error(`load exited ${code}`))));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  const rps = { off: [], on: [] };
  const os = require('node:os');
  for (let i = 0; i < RUNS; i++) {
    for (const mode of i % 2 ? ['on', 'off'] : ['off', 'on']) {
      const app = await startApp(mode === 'on');
      const page = mode === 'on' ? watch(app.dashboard) : null;
      const r = await load(app.port, SECONDS);
      if (page) page.req.destroy();
      app.child.kill('SIGTERM');
      await new Promise((res) => app.child.once('exit', res));
      rps[mode].push(r.rps);
      console.log(`run ${i + 1} ${mode}: ${r.rps.toFixed(1)} req/s (p50 ${r.latency.p50} ms)${page ? `, page got ${page.updates} updates, ${(page.bytes / 1024).toFixed(0)} KB` : ''} · load average ${os.loadavg()[0].toFixed(2)}`);
    }
  }
  const off = median(rps.off);
  const on = median(rps.on);
  console.log(`median off ${off.toFixed(1)} req/s, on ${on.toFixed(1)} req/s: on/off = ${(on / off).toFixed(3)} (cost ${(100 * (1 - on / off)).toFixed(1)} %)`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
