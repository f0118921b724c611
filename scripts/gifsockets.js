#!/usr/bin/env node
'use strict';
// The paper's case study (§4): gifsockets-server's own mocha suite, run three ways — plain, under
// `--require fluxion/register` (default placement) and under FLUXION_PLACEMENT=eager — with
// per-configuration counts and every test whose outcome differs from the plain run.
//
//   GIFSOCKETS_DIR=/work/ext/gifsockets-server npm run test:gifsockets
//   node scripts/gifsockets.js /path/to/gifsockets-server
//   GIFSOCKETS_STATS=1 ...     also prints require('fluxion').stats() (placements, executions per
//                              thread) of the fluxion runs
//
// The checkout (tag 0.38.1) needs its dependencies installed, gifsockets-middleware included
// (tag 0.1.0; a `file:` dependency on a checkout of it makes the hook compile it too, since its
// real path is outside node_modules). Its grunt devDependencies are not needed.
//
// PhantomJS cannot run here: a stand-in `phantomjs` (put first on PATH) answers the pixel
// service's protocol (POST on :9090, body = encoded JSON with width/height) with an all-zero
// RGBA canvas. The text test "creates a GIF image" compares against PhantomJS's rendering, so it
// fails in every configuration with the stand-in; it is reported, not hidden.
//
// Mocha 1.14 (the suite's version) always calls process.exit from _mocha, so the suite is run
// through Mocha's programmatic API from `node -e` instead: a run that does not exit by itself
// after its report shows up as DID NOT EXIT. Ports 7050 and 9090 are fixed by the suite: runs
// are sequential. Exits 0 when the outcomes are identical, 1 when they differ or a run crashed,
// hung or did not exit, 0 with a skip message when no checkout is given.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const suite = require('./suite-compare');

const { ROOT, REGISTER, CONFIGS } = suite;
const TIMEOUT_MS = Number(process.env.GIFSOCKETS_TIMEOUT || 120000);
const LINGER_MS = Number(process.env.GIFSOCKETS_LINGER || 8000);
/** Fails under the PhantomJS stand-in in every configuration (expected pixels are PhantomJS's). */
const STAND_IN_FAILS = ['A request to a gifsockets-server writing a text frame and closing the image creates a GIF image'];

function unusable(dir) {
  if (!dir) return 'no gifsockets-server checkout given (pass its path or set GIFSOCKETS_DIR)';
  if (!fs.existsSync(path.join(dir, 'test', 'gifsockets-server_test.js'))) return `${dir} has no test/gifsockets-server_test.js`;
  for (const m of ['mocha', 'gifsockets-middleware', 'express', 'get-pixels', 'phantomjs-pixel-server']) {
    if (!fs.existsSync(path.join(dir, 'node_modules', m))) return `${dir} has no node_modules/${m} (npm install in it)`;
  }
  return null;
}

/** A directory holding the `phantomjs` stand-in. */
function pixelStandIn() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flx-gifsockets-'));
  const file = path.join(dir, 'phantomjs');
  fs.writeFileSync(
    file,
    `#!${process.execPath}
// Stand-in for phantomjs-pixel-server (spawned as \`phantomjs <server.js>\`): a blank canvas.
require('node:http').createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    let p;
    try { p = JSON.parse(decodeURIComponent(body)); } catch (e) { res.writeHead(400); return res.end(String(e)); }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('\\0'.repeat(p.width * p.height * 4));
  });
}).listen(9090);
// Leave with the test process even when it dies before its after() hook kills us.
const parent = process.ppid;
setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(0); } }, 500).unref();
`,
  );
  fs.chmodSync(file, 0o755);
  return dir;
}

const MARK = '@@FLUXION-MOCHA-REPORT@@';

/** Mocha 1.x programmatic run: JSON report on stdout after a marker, no process.exit. */
function runnerSource(dir) {
  return `
const Mocha = require(${JSON.stringify(path.join(dir, 'node_modules', 'mocha'))});
const path = require('node:path');
const fs = require('node:fs');
const mocha = new Mocha({ reporter: function () {}, timeout: 2000 });
const tdir = ${JSON.stringify(path.join(dir, 'test'))};
for (const f of fs.readdirSync(tdir)) if (f.endsWith('.js')) mocha.addFile(path.join(tdir, f));
const report = { passes: [], failures: [], pending: [] };
const runner = mocha.run(function (failures) {
  process.stdout.write('\\n${MARK}' + JSON.stringify(report) + '\\n');
  process.exitCode = failures ? 1 : 0;
});
runner.on('pass', (t) => report.passes.push({ fullTitle: t.fullTitle() }));
runner.on('pending', (t) => report.pending.push({ fullTitle: t.fullTitle() }));
runner.on('fail', (t, err) => report.failures.push({ fullTitle: t.fullTitle(), err: { message: String(err && err.message || err) } }));
`;
}

async function runConfig(dir, cfg, standIn) {
  const args = [...(cfg.fluxion ? ['--require', REGISTER] : []), '-e', runnerSource(dir)];
  const statsFile = path.join(standIn, `stats-${cfg.name}.json`);
  const env = { ...process.env, FLUXION_CACHE: '0', FLUXION_STATS_FILE: statsFile, PATH: `${standIn}${path.delimiter}${process.env.PATH}` };
  delete env.FLUXION_PLACEMENT;
  Object.assign(env, cfg.env);
  const run = await suite.supervise(args, { cwd: dir, env, timeoutMs: TIMEOUT_MS, lingerMs: LINGER_MS, reported: (out) => out.includes(MARK) });
  let report = null;
  const i = run.stdout.lastIndexOf(MARK);
  if (i >= 0) {
    try {
      report = JSON.parse(run.stdout.slice(i + MARK.length).split('\n')[0]);
    } catch {
      report = null;
    }
  }
  return { cfg, ...run, report, stats: suite.readStats(statsFile) };
}

async function compare(dir) {
  const standIn = pixelStandIn();
  const runs = [];
  try {
    for (const cfg of CONFIGS) runs.push(await runConfig(dir, cfg, standIn));
  } finally {
    fs.rmSync(standIn, { recursive: true, force: true });
  }
  return suite.summarize(dir, runs, { ignore: /DEP0066|trace-deprecation|Unknown user config/ });
}

function print(result) {
  suite.print(result, {
    title: 'gifsockets-server suite (PhantomJS replaced by a blank-canvas stand-in)',
    timeoutMs: TIMEOUT_MS,
    lingerMs: LINGER_MS,
    maxWarnings: 30,
    notes: STAND_IN_FAILS.map((t) => `fails in every configuration with the stand-in: "${t}"`),
  });
  if (process.env.GIFSOCKETS_STATS === '1') {
    for (const c of result.configs) if (c.stats) console.log(`\nfluxion stats under ${c.name}:\n${JSON.stringify(c.stats, null, 1)}`);
  }
}

if (require.main === module) {
  const arg = process.argv[2] || process.env.GIFSOCKETS_DIR;
  suite.main({
    name: 'gifsockets',
    dir: arg && path.resolve(arg),
    unusable,
    compare,
    print,
    help: [
      'e.g. git clone https://github.com/twolfson/gifsockets-server /tmp/gs && git -C /tmp/gs checkout 0.38.1',
      '     git clone https://github.com/twolfson/gifsockets-middleware /tmp/gsm && git -C /tmp/gsm checkout 0.1.0',
      '     (cd /tmp/gsm && npm install --omit=dev) && (cd /tmp/gs && npm install --ignore-scripts ../gsm)',
      '     GIFSOCKETS_DIR=/tmp/gs npm run test:gifsockets',
    ],
  });
}

module.exports = { compare, unusable, print, CONFIGS };
