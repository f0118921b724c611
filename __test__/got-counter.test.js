'use strict';
// The thesis's demo across languages: 3 Node and 3 Python processes each add 100 to one
// counter through one server, each with its merge function: exactly 600.
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Dataframe, pccSet, primaryKey, serve } = require('..');

const probe = spawnSync('python3', ['-c', 'import fluxion_got'], { encoding: 'utf8' });
const reason = probe.error
  ? 'python3 is not installed'
  : probe.status !== 0
    ? 'the fluxion_got package is missing (pip install ./clients/python)'
    : null;
if (reason) console.warn(`SKIPPED the cross-language counter: ${reason}.`);
const maybe = reason ? test.skip : test;

const Counter = pccSet('Counter', { name: primaryKey('str'), count: 'int' });
const EACH = 100;

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

maybe(`3 Node and 3 Python processes add ${EACH} each to one counter: exactly ${6 * EACH}`, async () => {
  const server = serve();
  try {
    const app = `Demo-${process.pid}-${Date.now()}`;
    const host = new Dataframe(app, [Counter]);
    host.addOne(Counter, { name: 'countDocument', count: 0 });
    host.commit();
    host.push();
    const dir = path.join(__dirname, 'got-counter');
    const t0 = Date.now();
    const runs = await Promise.all([
      ...[0, 1, 2].map(() => run(process.execPath, [path.join(dir, 'node_counter.js'), server.port, app, EACH])),
      ...[0, 1, 2].map(() => run('python3', [path.join(dir, 'py_counter.py'), server.port, app, EACH])),
    ]);
    const ms = Date.now() - t0;
    host.pull();
    expect(host.readOne(Counter, 'countDocument').count).toBe(6 * EACH);
    console.log(
      `cross-language counter: ${6 * EACH} increments in ${ms} ms (process start-up included); ` +
        `per process: node ${runs.slice(0, 3).map((r) => Math.round(r.ms)).join('/')} ms, ` +
        `python ${runs.slice(3).map((r) => Math.round(r.ms)).join('/')} ms`
    );
  } finally {
    server.close();
  }
}, 120000);
