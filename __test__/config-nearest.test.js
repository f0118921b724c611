'use strict';
// A project's fluxion.config.js applies to its modules wherever the process was started from:
// `node -r fluxion/register /srv/app/app.js` run from / must still read /srv/app's
// "statelessModules" (it was read from the working directory only).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startApp } = require('./helpers/server');

const EXPRESS = path.dirname(require.resolve('express/package.json'));

function project(withConfig) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flx-nearest-'));
  fs.mkdirSync(path.join(dir, 'node_modules', 'shout'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'shout', 'package.json'), '{"name":"shout","main":"index.js"}');
  fs.writeFileSync(path.join(dir, 'node_modules', 'shout', 'index.js'), 'module.exports = (s) => String(s).toUpperCase();\n');
  if (withConfig) fs.writeFileSync(path.join(dir, 'fluxion.config.js'), "module.exports = { statelessModules: ['shout'] };\n");
  fs.writeFileSync(
    path.join(dir, 'app.js'),
    `const express = require(${JSON.stringify(EXPRESS)});
const shout = require('shout');
const app = express();
app.get('/shout/:w', (req, res) => res.send(shout(req.params.w)));
const server = app.listen(process.env.PORT || 0, () => console.log('listening ' + server.address().port));
`,
  );
  return dir;
}

async function placementOfShout(dir) {
  const stats = path.join(dir, 'stats.json');
  const app = await startApp(path.join(dir, 'app.js'), {
    cwd: os.tmpdir(),
    env: { FLUXION_PLACEMENT: 'eager', FLUXION_WORKERS: '1', FLUXION_STATS_FILE: stats },
  });
  const body = await (await fetch(`${app.url}/shout/hey`)).text();
  await app.stop();
  const row = JSON.parse(fs.readFileSync(stats, 'utf8')).find((f) => f.id.startsWith(path.join(dir, 'app.js')) && f.route === 'GET /shout/:w');
  return { body, placement: row && row.placement };
}

test('statelessModules of the fluxion.config.js next to the app, started from another folder', async () => {
  const without = await placementOfShout(project(false));
  const withIt = await placementOfShout(project(true));
  expect(without.body).toBe('HEY');
  expect(withIt.body).toBe('HEY');
  expect(without.placement).toMatch(/^main \(.*shout/);
  expect(withIt.placement).not.toMatch(/^main/);
}, 60000);
