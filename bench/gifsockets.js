#!/usr/bin/env node
'use strict';
// The paper's case study as a benchmark (issue 4): gifsockets-server 0.38.1, unmodified, with
// 4 concurrent POSTs of its own test pixel JSON (checkerboard.png, 600×380 RGBA: 2.3 MB) to
// /image/json while a client holds /image.gif open and receives every frame. Modes, interleaved:
// the original on one thread, fluxion (default placement, default pool: one worker per core) and
// fluxion with cores − 1 workers. Median of N runs; throughput in POSTs per second; the GIF client's bytes are
// checked to grow with every frame.
//
//   GIFSOCKETS_DIR=/path/to/gifsockets-server npm run bench:gifsockets [-- --runs 3 --duration 10]
//
// Skips (exit 0, with a message) without a checkout. Loopback only.
const { spawn } = require('node:child_process');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const fs = require('node:fs');
const { parseArgs } = require('node:util');

const ROOT = path.join(__dirname, '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
  },
});
const RUNS = Number(args.runs);
const DURATION = Number(args.duration) * 1000;
const WARMUP = Number(args.warmup) * 1000;
const CONCURRENCY = Number(args.concurrency);
const CORES = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

const dir = process.env.GIFSOCKETS_DIR && path.resolve(process.env.GIFSOCKETS_DIR);
if (!dir || !fs.existsSync(path.join(dir, 'server', 'app.js')) || !fs.existsSync(path.join(dir, 'node_modules', 'get-pixels'))) {
  console.log('bench:gifsockets: skipped: set GIFSOCKETS_DIR to a checkout of twolfson/gifsockets-server 0.38.1 with its dependencies installed');
  process.exit(0);
}

const MODES = [
  { name: 'one thread', fluxion: false, env: {} },
  { name: 'fluxion', fluxion: true, env: {} },
  { name: `fluxion, ${Math.max(1, CORES - 1)} worker(s)`, fluxion: true, env: { FLUXION_WORKERS: String(Math.max(1, CORES - 1)) } },
];

const SERVER = `
const GifServer = require(${JSON.stringify(dir)});
const s = new GifServer();
const server = s.app.listen(0, () => console.log('listening ' + server.address().port));
`;

function start(mode) {
  const argv = [...(mode.fluxion ? ['-r', path.join(ROOT, 'register.js')] : []), '-e', SERVER];
  const child = spawn(process.execPath, argv, { cwd: dir, env: { ...process.env, ...mode.env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function pixelsBody() {
  const getPixels = require(path.join(dir, 'node_modules', 'get-pixels'));
  return new Promise((resolve, reject) => {
    getPixels(path.join(dir, 'test', 'test-files', 'checkerboard.png'), (err, p) => (err ? reject(err) : resolve(JSON.stringify([].slice.call(p.data)))));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/image/json', method: 'POST', agent, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A client holding /image.gif open: counts the bytes it receives. */
function listen(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/image.gif' }, (res) => {
      const l = { bytes: 0, req };
      res.on('data', (d) => (l.bytes += d.length));
      resolve(l);
    });
    req.on('error', reject);
  });
}

async function measure(port, body) {
  const gif = await listen(port);
  let stop = false;
  let done = 0;
  let counting = false;
  const loop = async () => {
    while (!stop) {
      await post(port, body);
      if (counting) done++;
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, loop);
  await new Promise((r) => setTimeout(r, WARMUP));
  const before = gif.bytes;
  counting = true;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, DURATION));
  counting = false;
  const secs = (Date.now() - t0) / 1000;
  stop = true;
  await Promise.all(loops);
  const grew = gif.bytes - before;
  gif.req.destroy();
  return { rate: done / secs, frames: done, gifBytes: grew };
}

(async () => {
  const body = await pixelsBody();
  console.log(`gifsockets-server ${dir}: ${CONCURRENCY} concurrent POST /image/json (${(body.length / 1e6).toFixed(1)} MB each), one GIF client, ${RUNS} × ${DURATION / 1000} s after ${WARMUP / 1000} s warm-up, ${CORES} cores, load ${os.loadavg()[0].toFixed(1)}`);
  const results = new Map(MODES.map((m) => [m.name, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const mode of MODES) {
      const s = await start(mode);
      try {
        const m = await measure(s.port, body);
        if (m.frames > 0 && m.gifBytes <= 0) throw new Error(`${mode.name}: the GIF client received nothing for ${m.frames} frames`);
        results.get(mode.name).push(m);
        console.log(`  run ${r + 1} ${mode.name.padEnd(22)} ${m.rate.toFixed(2)} POST/s  (GIF client +${(m.gifBytes / 1024).toFixed(0)} KB)`);
      } finally {
        s.child.kill();
      }
    }
  }
  const median = (xs) => xs.map((x) => x.rate).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(results.get(MODES[0].name));
  console.log('\n| mode | POST/s (median) | vs one thread |\n|---|---|---|');
  for (const mode of MODES) {
    const m = median(results.get(mode.name));
    console.log(`| ${mode.name} | ${m.toFixed(2)} | ${(m / base).toFixed(2)}× |`);
  }
  agent.destroy();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
