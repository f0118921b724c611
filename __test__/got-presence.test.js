'use strict';
// The thesis's web-presence demo end to end: Debian's chromium (driven by playwright-core)
// joins over WebSocket; a Node dataframe on the GoT TCP protocol sees the browser's push, and
// the browser sees the Node client's.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Dataframe } = require('..');
const { start, Presence } = require('../examples/presence/server');

const CHROMIUM = '/usr/bin/chromium';
const reason = fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is absent (apt-get install -y chromium)`;
if (reason) console.warn(`SKIPPED the browser presence test: ${reason}.`);
const maybe = reason ? test.skip : test;

maybe(`a browser joins over WebSocket and a Node client sees it${reason ? ` (skipped: ${reason})` : ''}`, async () => {
  const { chromium } = require('playwright-core');
  const logs = [];
  const app = `Presence-${process.pid}-${Date.now()}`;
  const demo = await start({ app, log: (l) => logs.push(l) });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${demo.httpUrl}?name=${encodeURIComponent('Harry Potter')}`);
    await page.waitForSelector('body[data-joined="Harry Potter"]', { timeout: 15000 });

    // A Node client over TCP (got://) waits for the browser's push.
    const node = new Dataframe(app, [Presence], { remote: demo.gotUrl });
    node.pull();
    let p = node.readOne(Presence, 'Presence');
    for (let i = 0; i < 20 && !JSON.parse(p.users).includes('Harry Potter'); i++) {
      await node.pullAwait({ timeoutMs: 1000 });
      p = node.readOne(Presence, 'Presence');
    }
    expect(p.count).toBe(1);
    expect(JSON.parse(p.users)).toEqual(['Harry Potter']);

    // And the browser's long-poll sees the Node client join.
    node.updateOne(Presence, 'Presence', { count: p.count + 1, users: JSON.stringify(['Harry Potter', 'Hermione']) });
    node.commit();
    node.push();
    await page.waitForFunction(() => document.getElementById('count').textContent === '2', null, { timeout: 15000 });
    expect(await page.$$eval('#users li', (lis) => lis.map((li) => li.textContent))).toEqual(['Harry Potter', 'Hermione']);
    expect(pageErrors).toEqual([]);
    // The server process reports it too (the thesis's host loop).
    for (let i = 0; i < 50 && !logs.some((l) => l.includes('Hermione')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(logs.some((l) => l.startsWith('No. of users online = 2'))).toBe(true);
  } finally {
    await context.close();
    await demo.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}, 60000);
