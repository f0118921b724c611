'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const bin = path.join(__dirname, '..', 'bin', 'fluxion.js');
const fixtures = path.join(__dirname, '..', 'crates', 'compiler', 'tests', 'fixtures');
const run = (...args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

test('fluxion compile <file> prints the fluxional program', () => {
  const r = run('compile', path.join(fixtures, 'figure5.js'));
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('flx add & grp_c {a, c}\n-> end [res, r]\n');
  expect(r.stdout).toContain('flx end & network, grp_c {c}\n');
});

test('--emit json over a directory gives one graph per file', () => {
  const r = run('compile', fixtures, '--emit', 'json');
  expect(r.status).toBe(0);
  const graphs = JSON.parse(r.stdout);
  expect(graphs.map((g) => path.basename(g.file)).sort()).toEqual(
    fs.readdirSync(fixtures).filter((f) => f.endsWith('.js')).sort()
  );
});

test('a syntax error exits 1 with file:line:col and a code frame', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-cli-'));
  const file = path.join(dir, 'broken.js');
  fs.writeFileSync(file, 'function f() {\n  return 1 +;\n}\n');
  const r = run('compile', file);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`${file}:2:13: `);
  expect(r.stderr).toContain('> 2 |   return 1 +;');
});

test('bad usage exits 2 and says what is wrong', () => {
  expect(run('compile', path.join(fixtures, 'figure5.js'), '--emit', 'png').stderr).toMatch(/--emit must be one of flx, json, dot, svg/);
  expect(run('compile', '/nonexistent.js').status).toBe(2);
  expect(run('frobnicate').stderr).toMatch(/unknown command "frobnicate"/);
  expect(run('--help').stdout).toMatch(/fluxion compile <file\|dir>/);
});
