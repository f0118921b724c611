'use strict';
// The live dashboard (issue 16): an example app run by `fluxion run --dashboard`, under load,
// watched by Debian's chromium (driven by playwright-core). Plus what needs no browser: the
// static picture (`--emit svg`), zero cost when off, loopback and the token.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'fluxion.js');
const APP = path.join(ROOT, 'examples', 'dashboard', 'app.js');
const CHROMIUM = '/usr/bin/chromium';
const reason = fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is absent (apt-get install -y chromium)`;
if (reason) console.warn(`SKIPPED the dashboard browser test: ${reason}.`);
const maybe = reason ? test.skip : test;

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

/** Starts the example app under `fluxion run --dashboard 0`; resolves with its two URLs. */
function startApp(extraArgs = [], env = {}) {
  const child = spawn(process.execPath, [CLI, 'run', APP, '--dashboard', '0', ...extraArgs], {
    env: { ...process.env, PORT: '0', FLUXION_MODULE: ROOT, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start: ${out} ${err}`)), 20000);
    const check = () => {
      const app = /listening (\d+)/.exec(out);
      const dash = /dashboard on (http:\S+)/.exec(err);
      if (app && dash) {
        clearTimeout(timer);
        resolve({ child, app: `http://127.0.0.1:${app[1]}`, dashboard: dash[1], stderr: () => err });
      }
    };
    child.stdout.on('data', (d) => ((out += d), check()));
    child.stderr.on('data', (d) => ((err += d), check()));
    child.once('exit', (code) => reject(new Error(`the app exited (${code}): ${out} ${err}`)));
  });
}

function stopApp(app) {
  if (!app || app.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    app.child.once('exit', resolve);
    process.kill(app.child.pid, 'SIGTERM');
  });
}

test('fluxion compile --emit svg draws the graph: a node per fluxion, routes named, contexts as variables', () => {
  const r = spawnSync(process.execPath, [CLI, 'compile', APP, '--emit', 'svg'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  for (const route of ['GET /cpu/:n', 'GET /hits', 'GET /', 'GET /move']) expect(r.stdout).toContain(`data-route="${route}"`);
  expect(r.stdout).toMatch(/class="fx-node scope" data-id="[^"]*#var:hits"/);
  expect(r.stdout).toMatch(/class="fx-edge post"/);
});

test('with the dashboard off nothing of it is loaded', () => {
  const probe = "process.on('exit', () => console.log(Object.keys(require.cache).filter((f) => /[\\/]lib[\\/]dashboard[\\/]|@dagrejs/.test(f)).length))";
  const loaded = (dashboard) => spawnSync(process.execPath, ['-r', path.join(ROOT, 'register.js'), '-e', probe], { encoding: 'utf8', env: { ...process.env, FLUXION_DASHBOARD: dashboard } }).stdout.trim();
  expect(loaded('')).toBe('0');
  expect(Number(loaded('0'))).toBeGreaterThan(0); // the probe sees it when it is on
});

test('another address than loopback needs a token', () => {
  const r = spawnSync(process.execPath, [CLI, 'run', APP, '--dashboard', '0', '--dashboard-host', '0.0.0.0'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--dashboard-host`: listening on 0\.0\.0\.0 \(not loopback\) needs a token: set FLUXION_DASHBOARD_TOKEN too/);
});

test('with a token, the dashboard answers only who has it; a foreign Host is refused', async () => {
  const token = 'a-test-token-0123456789';
  const app = await startApp([], { FLUXION_DASHBOARD_TOKEN: token });
  try {
    expect((await get(app.dashboard)).status).toBe(401);
    expect((await get(`${app.dashboard}events`)).status).toBe(401);
    const ok = await get(`${app.dashboard}?token=${token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<div id="graph">');
    const cookie = ok.headers['set-cookie'][0].split(';')[0];
    expect((await get(`${app.dashboard}dagre.min.js`, { cookie })).status).toBe(200);
    expect((await get(`${app.dashboard}?token=${token}`, { host: 'evil.example:80' })).status).toBe(421);
  } finally {
    await stopApp(app);
  }
}, 30000);

maybe(`a browser sees the graph, executions rising on a worker and a context move${reason ? ` (skipped: ${reason})` : ''}`, async () => {
  const { chromium } = require('playwright-core');
  const app = await startApp(['--placement', 'eager', '--workers', '2']);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-chromium-'));
  // Load: a few clients in a loop on the CPU route, the counter and Listing 1.
  let loading = true;
  const loops = ['/cpu/1', '/cpu/2', '/hits', '/'].map(async (p) => {
    while (loading) await get(app.app + p).catch(() => {});
  });
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(app.dashboard);
    await page.waitForSelector('.status.live', { timeout: 15000 });
    // The graph: a node for each route's handler.
    for (const route of ['GET /cpu/:n', 'GET /hits', 'GET /', 'GET /move']) {
      await page.waitForSelector(`#graph .fx-node[data-route="${route}"]`, { timeout: 15000 });
    }
    // The CPU route's handler runs on a worker (eager) and its executions counter goes up.
    const cpuRow = '#fluxions tr[data-id*="#cpu@"] .executions';
    await page.waitForFunction((sel) => {
      const el = document.querySelector(sel);
      return el && /\bt\d+: \d+/.test(el.textContent) && Number(el.dataset.total) > 0;
    }, cpuRow, { timeout: 15000 });
    const first = Number(await page.getAttribute(cpuRow, 'data-total'));
    await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel).dataset.total) > n, [cpuRow, first], { timeout: 15000 });
    expect(await page.getAttribute('#graph .fx-node[data-route="GET /cpu/:n"]', 'class')).toMatch(/at-workers/);
    // moveContext (the app's /move route calls it): the move appears on the timeline.
    const moved = JSON.parse((await get(`${app.app}/move`)).body);
    expect(moved.moved).toMatch(/#counter@/);
    await page.waitForFunction(() => [...document.querySelectorAll('#timeline li.move')].some((li) => /app\.js:counter/.test(li.textContent) && /moveContext/.test(li.textContent)), null, { timeout: 15000 });
    // The contexts' dataframe has versions to show.
    await page.waitForSelector('#versions g.version.head', { timeout: 15000 });
    await page.waitForTimeout(1200); // one more update, for the picture
    const shot = path.join(os.tmpdir(), `fluxion-dashboard-${process.pid}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(10000);
    // `FLUXION_UPDATE_SCREENSHOT=1 npx jest __test__/dashboard.test.js` refreshes the README's picture.
    if (process.env.FLUXION_UPDATE_SCREENSHOT === '1') fs.copyFileSync(shot, path.join(ROOT, 'docs', 'dashboard.png'));
    fs.rmSync(shot, { force: true });
    expect(pageErrors).toEqual([]);
  } finally {
    loading = false;
    await Promise.all(loops);
    await context.close();
    await stopApp(app);
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}, 90000);
