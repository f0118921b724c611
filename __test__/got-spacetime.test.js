'use strict';
// Spacetime 2.1.0 from PyPI, unmodified, against fluxion's GoT server: its Dataframe pulls,
// changes and pushes with its own API, and a JavaScript dataframe sees the change (and the
// reverse, including a pull_await woken by a JavaScript push). The server detects the
// dialect from the connection's first frame (docs/protocol.md).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Dataframe, pccSet, primaryKey, serve } = require('..');

const probe = spawnSync('python3', ['-c', 'import spacetime, rtypes'], { encoding: 'utf8' });
const reason = probe.error
  ? 'python3 is not installed'
  : probe.status !== 0
    ? 'the spacetime package is missing (pip install spacetime==2.1.0)'
    : null;
if (reason) console.warn(`SKIPPED the Spacetime 2.1 interoperability test: ${reason}.`);
const maybe = reason ? test.skip : test;

// rtypes names types "<module>.<class>"; the Python side declares them in datamodel.py.
const Counter = pccSet('datamodel.Counter', { name: primaryKey('str'), count: 'int' });
const Player = pccSet('datamodel.Player', {
  pid: primaryKey('int'),
  nick: 'str',
  score: 'float',
  alive: 'bool',
  items: 'list',
});
const DIR = path.join(__dirname, 'got-spacetime');

function client(port, app, step) {
  // Spacetime writes a Logs/ folder in its working directory.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'spacetime-'));
  const p = spawn('python3', [path.join(DIR, 'st_client.py'), String(port), app, step], {
    cwd,
    env: { ...process.env, PYTHONPATH: DIR },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const lines = [];
  let waiting = null;
  let buf = '';
  p.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
      if (waiting) waiting();
    }
  });
  const exited = new Promise((resolve) => p.on('close', (code) => resolve(code)));
  return {
    proc: p,
    async line() {
      const deadline = Date.now() + 20000;
      while (!lines.length) {
        if (Date.now() > deadline || p.exitCode !== null) throw new Error(`no output from Spacetime client: ${err}`);
        await new Promise((r) => {
          waiting = r;
          setTimeout(r, 100);
        });
      }
      return lines.shift();
    },
    async end() {
      const code = await exited;
      if (code !== 0) throw new Error(`Spacetime client exited ${code}: ${err}`);
      return err;
    },
  };
}

maybe('an unmodified Spacetime 2.1 Dataframe and Node pull, change and push; JavaScript sees it, and the reverse', async () => {
  const server = serve();
  try {
    const app = `St-${process.pid}-${Date.now()}`;
    const js = new Dataframe(app, [Counter, Player]);
    js.addOne(Counter, { name: 'c', count: 1 });
    js.commit();
    js.push();

    // Spacetime → JavaScript.
    const first = client(server.port, app, 'first');
    expect(await first.line()).toEqual({ pulled_count: 1, pushed: true });
    await first.end();
    js.pull();
    expect(js.readAll(Counter)).toEqual([
      { name: 'c', count: 11 },
      { name: 'py', count: 7 },
    ]);
    expect(js.readOne(Player, 1)).toEqual({ pid: 1, nick: 'ada', score: 2.5, alive: true, items: ['sword', 3] });

    // JavaScript → Spacetime: a change and a delete, then a push that wakes pull_await.
    js.updateOne(Counter, 'c', { count: 20 });
    js.deleteOne(Counter, 'py');
    js.updateOne(Player, 1, { score: 3.5, items: ['shield'] });
    js.commit();
    js.push();
    const second = client(server.port, app, 'second');
    expect(await second.line()).toEqual({ count: 20, py_exists: false, player: ['ada', 3.5, true, ['shield']] });
    js.updateOne(Counter, 'c', { count: 21 });
    js.commit();
    js.push();
    second.proc.stdin.write('pushed\n');
    expect(await second.line()).toEqual({ count_after_wait: 21 });
    await second.end();

    // A Spacetime Node (a process with its own Dataframe) commits and pushes when it returns.
    const node = client(server.port, app, 'node');
    expect(await node.line()).toEqual({ node_returned: 121 });
    await node.end();
    js.pull();
    expect(js.readOne(Counter, 'c')).toEqual({ name: 'c', count: 121 });
  } finally {
    server.close();
  }
}, 60000);
