'use strict';
// Crash test of durable dataframes: a server with a dataDir, SIGKILLed in the middle of a
// client's pushes, restarted on the same dataDir, has every push it acknowledged.
// Larger: GOT_CRASH_PUSHES=20000 npx jest __test__/got-durable.test.js
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Dataframe, pccSet, primaryKey } = require('..');

const Item = pccSet('Item', { id: primaryKey('int'), n: 'int' });
const PUSHES = Number(process.env.GOT_CRASH_PUSHES || 1000);

function start(dir) {
  const child = spawn(process.execPath, [path.join(__dirname, 'got-durable', 'server.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (b) => resolve({ child, port: Number(String(b).trim()) }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

test(`SIGKILL during ${PUSHES} pushes loses no acknowledged push`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-durable-'));
  const { child, port } = await start(dir);
  const client = new Dataframe('Crash', [Item], { remote: `got://127.0.0.1:${port}`, timeoutMs: 5000 });
  const acked = [];
  const killAt = Math.floor(PUSHES / 2);
  let failed = null;
  for (let i = 0; i < PUSHES; i++) {
    try {
      client.addOne(Item, { id: i, n: i });
      client.commit();
      // Killed while this push is on its way (off the JS thread).
      const pushed = client.pushAwait();
      if (i === killAt) child.kill('SIGKILL');
      await pushed;
      acked.push(i);
    } catch (e) {
      failed = e;
      break;
    }
  }
  expect(failed).not.toBeNull();
  expect(acked.length).toBeGreaterThanOrEqual(killAt);
  // The exit may already have been seen (it can arrive before the failed push does): waiting
  // for it again would wait forever.
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));

  const again = await start(dir);
  try {
    const reader = new Dataframe('Crash', [Item], { remote: `got://127.0.0.1:${again.port}` });
    reader.pull();
    const ids = new Set(reader.readAll(Item).map((o) => o.id));
    const missing = acked.filter((i) => !ids.has(i));
    expect(missing).toEqual([]);
  } finally {
    again.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, Math.max(30000, PUSHES * 30));
