'use strict';
// `preset: 'fluxion/jest'` (issue 14, item 2): a three-file supertest suite against an app with
// module state (__test__/apps/jest-suite), with the project's own transform (babel-jest plus a
// rewrite). Run by Jest without the preset, then with it in band and with 2 Jest workers: the same
// outcome for every test (one fails on purpose), handlers run on fluxion's workers (eager; the
// stats file of each Jest worker), and Jest exits by itself (no --forceExit).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

jest.setTimeout(180000);
const ROOT = path.join(__dirname, '..');
const SUITE = path.join(__dirname, 'apps', 'jest-suite');
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-jest-preset-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(preset) {
  const c = {
    rootDir: SUITE,
    testMatch: ['**/*.spec.js'],
    testEnvironment: 'node',
    transform: { '\\.js$': '<rootDir>/transform.js' },
    cacheDirectory: path.join(dir, 'jest-cache'),
    testTimeout: 30000, // a loaded machine: the first request of a file starts fluxion's workers
  };
  if (preset) c.preset = path.join(ROOT, 'jest'); // what `preset: 'fluxion/jest'` resolves to
  return c;
}

/** Runs the suite in a child Jest; resolves with per-test outcomes, stats files, exit and output. */
function runJest(name, { preset, args = [] }) {
  const cfg = path.join(dir, `${name}.json`);
  const out = path.join(dir, `${name}.out.json`);
  const statsDir = fs.mkdtempSync(path.join(dir, `${name}-stats-`));
  fs.writeFileSync(cfg, JSON.stringify(config(preset)));
  const child = spawn(process.execPath, [JEST, '--config', cfg, '--json', '--outputFile', out, '--ci', ...args], {
    env: { ...process.env, FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '2', FLUXION_STATS_FILE: path.join(statsDir, 'stats-%p.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  return new Promise((resolve, reject) => {
    // Jest that does not exit by itself is a failure, not a hang.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`jest (${name}) did not exit by itself:\n${stderr}`));
    }, 120000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const result = JSON.parse(fs.readFileSync(out, 'utf8'));
      const outcomes = {};
      for (const file of result.testResults) {
        for (const a of file.assertionResults) outcomes[`${path.basename(file.name)} › ${a.title}`] = a.status;
      }
      const stats = fs.readdirSync(statsDir).map((f) => JSON.parse(fs.readFileSync(path.join(statsDir, f), 'utf8')));
      resolve({ code, outcomes, stats, stderr });
    });
  });
}

/** The app's handlers (by id) that ran on a worker thread, over all stats files. */
function onWorkers(statsFiles) {
  const ids = new Set();
  for (const stats of statsFiles) {
    for (const s of stats) if (s.id.startsWith(SUITE + path.sep) && s.executions.some((e) => e.threadId !== 0 && e.count > 0)) ids.add(s.id);
  }
  return [...ids];
}

let plain;
beforeAll(async () => {
  plain = await runJest('plain', { preset: false, args: ['--runInBand'] });
});

test('without the preset: the reference outcomes', () => {
  expect(plain.code).toBe(1);
  expect(Object.values(plain.outcomes).filter((s) => s === 'failed')).toHaveLength(1);
  expect(Object.keys(plain.outcomes)).toHaveLength(10);
  expect(plain.stats).toEqual([]); // fluxion never loaded
});

test.each([
  ['in band', ['--runInBand'], 1],
  ['2 Jest workers', ['-w', '2'], 2],
])('with the preset, %s: same outcomes, handlers on workers, Jest exits by itself', async (name, args, processes) => {
  const r = await runJest(name.replace(/\s/g, '-'), { preset: true, args });
  expect(r.outcomes).toEqual(plain.outcomes);
  expect(r.code).toBe(plain.code);
  expect(r.stderr).not.toMatch(/did not exit|open handle|TypeError/);
  expect(r.stats.length).toBe(processes); // one stats file per Jest process that ran tests
  const ids = onWorkers(r.stats);
  // count, items (3 routes), hash and greeting: every route handler of the app ran on a worker;
  // and the factory-made one of tags.js, compiled at run time with its closure read from memory.
  expect(ids.filter((id) => id.startsWith(path.join(SUITE, 'app.js'))).length).toBeGreaterThanOrEqual(6);
  expect(ids.some((id) => id.startsWith(`${path.join(SUITE, 'tags.js')}#tag@`))).toBe(true);
});
