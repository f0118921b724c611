'use strict';
// `fluxion verify -- <test command>`: the user's tests plain and under fluxion, per-test outcomes
// compared. The end-to-end cases run a node:test suite shipped in __test__/apps/verify-broken,
// built to differ under eager placement (it asserts a handler runs on the main thread).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PassThrough } = require('node:stream');
const { instrument, words } = require('../lib/verify/command');
const outcomes = require('../lib/verify/outcomes');
const { differences } = require('../lib/verify/compare');
const cli = require('../lib/cli');

jest.setTimeout(120000);

const FIXTURE = path.join(__dirname, 'apps', 'verify-broken');

async function runCli(argv, cwd) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await cli.main(argv, { out, err, cwd });
  return { code, stdout, stderr };
}

describe('recognising the test runner', () => {
  const o = { cwd: FIXTURE, reportFile: '/r.json' };
  test.each([
    [['mocha', 'test/'], 'mocha', ['mocha', 'test/', '--reporter', 'json', '--reporter-option', 'output=/r.json']],
    [['npx', 'mocha', '-R', 'spec'], 'mocha', ['npx', 'mocha', '-R', 'spec', '--reporter', 'json', '--reporter-option', 'output=/r.json']],
    [['node', 'node_modules/mocha/bin/mocha.js'], 'mocha', ['node', 'node_modules/mocha/bin/mocha.js', '--reporter', 'json', '--reporter-option', 'output=/r.json']],
    [['npx', 'jest', 'x'], 'jest', ['npx', 'jest', 'x', '--json', '--outputFile=/r.json']],
    [['node', '--test'], 'node-test', ['node', '--test']],
    [['make', 'test'], 'exit-status', ['make', 'test']],
  ])('%j is %s', (argv, runner, rewritten) => {
    expect(instrument(argv, o)).toEqual({ runner, argv: rewritten });
  });

  test('npm test is read through its script, with the report arguments after --', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-npm-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ scripts: { test: 'mocha --reporter spec test/', other: 'mocha && echo hi' } }));
      expect(instrument(['npm', 'test'], { cwd: dir, reportFile: '/r' })).toEqual({
        runner: 'mocha',
        argv: ['npm', 'test', '--', '--reporter', 'json', '--reporter-option', 'output=/r'],
        via: 'mocha --reporter spec test/',
      });
      // A script a shell does more with is judged by exit status.
      expect(instrument(['npm', 'run', 'other'], { cwd: dir, reportFile: '/r' }).runner).toBe('exit-status');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('shell words', () => {
    expect(words(`mocha --grep "a b" 'c'`)).toEqual(['mocha', '--grep', 'a b', 'c']);
    expect(words('a | b')).toBeNull();
  });
});

describe('reading reports', () => {
  test('mocha JSON: passes, pending, failures (hooks too)', () => {
    const m = outcomes.mocha({
      passes: [{ fullTitle: 'a b', file: '/p/t.js' }],
      pending: [{ fullTitle: 'a c', file: '/p/t.js' }],
      failures: [{ fullTitle: '"before all" hook for "x"', file: '/p/t.js', err: { message: 'boom\nstack' } }],
    }, '/p');
    expect([...m]).toEqual([
      ['t.js > a b', { outcome: 'pass' }],
      ['t.js > a c', { outcome: 'skipped' }],
      ['t.js > "before all" hook for "x"', { outcome: 'fail', message: 'boom' }],
    ]);
  });

  test('jest JSON: per assertion, and a file that failed to load as one test', () => {
    const m = outcomes.jest({
      testResults: [
        { name: '/p/a.test.js', status: 'passed', assertionResults: [{ fullName: 'x y', status: 'passed' }, { fullName: 'x y', status: 'failed', failureMessages: ['Error: no\n at'] }] },
        { name: '/p/b.test.js', status: 'failed', message: 'SyntaxError: bad', assertionResults: [] },
      ],
    }, '/p');
    expect([...m]).toEqual([
      ['a.test.js > x y', { outcome: 'pass', message: undefined }],
      ['a.test.js > x y (2)', { outcome: 'fail', message: 'Error: no' }],
      ['b.test.js > (the test file)', { outcome: 'fail', message: 'SyntaxError: bad' }],
    ]);
  });

  test('a failure with another message is the same outcome; a crash shows as the exit status', () => {
    const run = (config, tests, extra = {}) => ({ config, tests: new Map(tests), reported: true, code: 0, signal: null, timedOut: false, ...extra });
    const plain = run('plain', [['t', { outcome: 'fail', message: 'a' }], ['u', { outcome: 'pass' }]], { code: 1 });
    expect(differences([plain, run('auto', [['t', { outcome: 'fail', message: 'b' }], ['u', { outcome: 'pass' }]], { code: 1 })])).toEqual([]);
    const crashed = run('eager', [['t', { outcome: 'fail', message: 'a' }]], { code: null, signal: 'SIGSEGV', reported: false, tests: new Map() });
    expect(differences([plain, crashed]).map((r) => [r.test, r.outcomes.eager])).toEqual([
      ['t', 'no report'],
      ['u', 'no report'],
      ['(exit status)', 'killed by SIGSEGV'],
    ]);
  });
});

describe('fluxion verify (CLI)', () => {
  test('bad input is refused with a clear message and exit 2', async () => {
    let r = await runCli(['verify'], FIXTURE);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected the test command after `--`/);
    r = await runCli(['verify', 'npm', 'test'], FIXTURE);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/put the command after --/);
    r = await runCli(['verify', '--placements', 'fast', '--', 'node', '--test'], FIXTURE);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--placements takes auto and\/or eager \(got "fast"\)/);
    r = await runCli(['verify', '--timeout', '-1', '--', 'node', '--test'], FIXTURE);
    expect(r.code).toBe(2);
    r = await runCli(['verify', '--', 'no-such-command-fluxion'], FIXTURE);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot run "no-such-command-fluxion": not found/);
  });

  test('a command it cannot read per test is compared by exit status: same status, exit 0', async () => {
    const r = await runCli(['verify', '--placements', 'eager', '--', process.execPath, '-e', 'process.exit(3)'], FIXTURE);
    expect(r.stdout).toMatch(/No difference/);
    expect(r.code).toBe(0);
  });

  test('on the broken fixture it reports the one test that differs, under eager placement, and exits 1', async () => {
    const r = await runCli(['verify', '--', process.execPath, '--test', 'suite.js'], FIXTURE);
    expect(r.stdout).toMatch(/node-test results read per test/);
    expect(r.stdout).toMatch(/plain\s+3 passed, 0 failed/);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('  suite.js'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/handles requests on the main thread\s+pass\s+pass\s+fail: Expected values to be strictly/);
    expect(r.code).toBe(1);
  });
});

// Express's example acceptance tests (Mocha) through verify: no difference expected. Needs an
// Express checkout with its dev dependencies installed, given as EXPRESS_DIR (see
// scripts/express-examples.js); never part of this repository.
describe("Express's example acceptance tests", () => {
  const { unusable } = require('../scripts/express-examples');
  const dir = process.env.EXPRESS_DIR ? path.resolve(process.env.EXPRESS_DIR) : null;
  const why = unusable(dir);
  if (why) {
    test.skip(`skipped: ${why}`, () => {});
    return;
  }
  test('verify reports no difference', async () => {
    const mocha = path.join(dir, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const r = await runCli(['verify', '--', process.execPath, mocha, '--require', 'test/support/env', '--check-leaks', 'test/acceptance/'], dir);
    expect(r.stdout).toMatch(/mocha results read per test/);
    expect(r.stdout).toMatch(/No difference/);
    expect(r.code).toBe(0);
  }, 600000);
});
