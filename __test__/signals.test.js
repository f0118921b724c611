'use strict';
// The stats file (setting statsFile) is written at a normal exit and when SIGINT or SIGTERM
// stops the app, without taking the signal away from the app: an app without a handler still
// dies by the signal; an app with its own SIGTERM handler still runs it (issue 14, item 4).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startApp } = require('./helpers/server');

jest.setTimeout(60000);
const APP = path.join(__dirname, 'apps', 'signals.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-signals-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(env, stop) {
  const statsFile = path.join(dir, `${Object.values(env).join('-')}-%p.json`);
  const a = await startApp(APP, { env: { FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '1', FLUXION_STATS_FILE: statsFile, ...env } });
  for (let i = 1; i <= 3; i++) expect(await fetch(`${a.url}/count`).then((r) => r.json())).toEqual({ count: i });
  const exited = new Promise((resolve) => a.child.once('exit', (code, signal) => resolve({ code, signal })));
  await stop(a);
  const end = await exited;
  const file = statsFile.replace('%p', String(a.child.pid));
  const stats = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
  return { end, stats, stdout: a.stdout(), stderr: a.stderr() };
}

/** Runs of the /count handler on workers, from a stats file. */
function countRuns(stats) {
  const s = stats.find((x) => x.executions.some((e) => e.threadId !== 0)) || { executions: [] };
  return s.executions.filter((e) => e.threadId !== 0).reduce((n, e) => n + e.count, 0);
}

test.each(['SIGTERM', 'SIGINT'])('%s, no handler in the app: stats written, the process still dies by the signal', async (sig) => {
  const r = await run({ SIG: sig }, (a) => a.child.kill(sig));
  expect(r.end).toEqual({ code: null, signal: sig });
  expect(countRuns(r.stats)).toBe(3);
});

test("SIGTERM with the app's own handler: it still closes its server gracefully; stats written at exit", async () => {
  const r = await run({ GRACEFUL: '1' }, (a) => a.child.kill('SIGTERM'));
  expect(r.stdout).toContain('closed gracefully');
  expect(r.end).toEqual({ code: 0, signal: null });
  expect(countRuns(r.stats)).toBe(3);
});

test('a normal exit writes the stats file; %p is the process id', async () => {
  const r = await run({ EXIT_AFTER: '1' }, (a) => fetch(`${a.url}/bye`));
  expect(r.end).toEqual({ code: 0, signal: null });
  expect(countRuns(r.stats)).toBe(3);
  expect(r.stderr).toBe('');
});
