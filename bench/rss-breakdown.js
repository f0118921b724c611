'use strict';
// Where a fluxion worker's memory goes (scenario 7 of bench/run.js, in detail):
//   node bench/rss-breakdown.js [workers=4] [app=bench/apps/cpu.js] [path=/cpu/<k>]
// starts the app under fluxion (`-r register.js`, plus bench/rss-probe.js) with that many
// workers, sends it 100 requests one at a time as bench/run.js does, waits 500 ms, then prints
// the process's RSS split by kind of mapping (/proc/<pid>/smaps: the node binary, glibc malloc
// arenas, other anonymous memory: mostly V8 heap pages) and each thread's V8 heap spaces. The
// environment passes through (FLUXION_WORKER_YOUNG_MB, FLUXION_PLACEMENT, MALLOC_ARENA_MAX...).
// Linux only.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const workers = process.argv[2] || '4';
const app = path.resolve(ROOT, process.argv[3] || 'bench/apps/cpu.js');
const urlOf = (k) => (process.argv[4] || '/cpu/<k>').replace('<k>', k);

/** RSS (kB) by kind of mapping; a glibc arena is a 64 MB-aligned anonymous heap of 64 MB. */
function smaps(pid) {
  const maps = [];
  let cur = null;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (m) {
      cur = { start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), inode: m[3], name: m[4].trim(), rss: 0 };
      maps.push(cur);
    } else if (cur && line.startsWith('Rss:')) cur.rss = Number(line.split(/\s+/)[1]);
  }
  const ARENA = 64n << 20n;
  const out = { total: 0, 'node binary': 0, 'other files': 0, '[heap] (main malloc arena)': 0, 'malloc arenas': 0, 'other anonymous (V8 heaps, stacks...)': 0 };
  const arenas = [];
  maps.forEach((m, i) => {
    out.total += m.rss;
    const next = maps[i + 1];
    if (m.inode !== '0') out[m.name === process.execPath ? 'node binary' : 'other files'] += m.rss;
    else if (m.name === '[heap]') out['[heap] (main malloc arena)'] += m.rss;
    else if (!m.name && m.start % ARENA === 0n && (m.end - m.start === ARENA || (next && next.start === m.end && next.end - m.start === ARENA))) {
      out['malloc arenas'] += m.rss;
      arenas.push(m.rss);
    } else out['other anonymous (V8 heaps, stacks...)'] += m.rss;
  });
  const mb = (kb) => +(kb / 1024).toFixed(1);
  return { ...Object.fromEntries(Object.entries(out).map(([k, v]) => [k, mb(v)])), arenasMB: arenas.sort((a, b) => b - a).map(mb) };
}

function get(port, p) {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: p }, (r) => r.resume().on('end', resolve)).on('error', resolve);
  });
}

const argv = ['-r', path.join(__dirname, 'rss-probe.js'), '-r', path.join(ROOT, 'register.js'), app];
const child = spawn(process.execPath, argv, {
  cwd: ROOT,
  env: { ...process.env, PORT: '0', NODE_ENV: 'production', FLUXION_WORKERS: workers, FLUXION_MODULE: ROOT },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
let err = '';
let started = false;
child.stderr.on('data', (d) => (err += d));
child.stdout.on('data', async (d) => {
  out += d;
  const m = /listening (\d+)/.exec(out);
  if (!m || started) return;
  started = true;
  for (let k = 0; k < 100; k++) await get(Number(m[1]), urlOf(k));
  await new Promise((r) => setTimeout(r, 500));
  const mem = smaps(child.pid);
  child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 1000));
  child.kill('SIGKILL');
  const threads = err.split('\n').filter((l) => l.startsWith('PROBE ')).map((l) => JSON.parse(l.slice(6)));
  threads.sort((a, b) => a.threadId - b.threadId);
  console.log(`${path.relative(ROOT, app)}, ${workers} worker(s), after 100 requests; RSS by mapping (MB):`);
  console.log(JSON.stringify(mem));
  console.log('V8 heap per thread (MB; spaces: committed/used):');
  for (const t of threads) {
    const spaces = Object.entries(t.spaces).map(([k, v]) => `${k.replace('_space', '')} ${v.size}/${v.used}`).join(', ');
    const young = t.resourceLimits.maxYoungGenerationSizeMb;
    console.log(`  thread ${t.threadId}: committed ${t.heapCommitted} (${spaces}), external ${t.external}, ${t.modules} modules${young ? `, young generation cap ${young} MB` : ''}`);
  }
});
child.on('exit', (code, signal) => {
  if (!started) {
    console.error(`the app exited (${signal || code}) before listening:\n${err}`);
    process.exit(1);
  }
});
