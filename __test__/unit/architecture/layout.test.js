'use strict';
// The rules of lib/'s layout (README, "Layout and architecture"), checked on the code itself.
const fs = require('node:fs');
const path = require('node:path');

const LIB = path.join(__dirname, '..', '..', '..', 'lib');

function files(dir = LIB) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (/\.(c|m)?js$/.test(e.name)) out.push(p);
  }
  return out;
}
const rel = (f) => path.relative(LIB, f).split(path.sep).join('/');
const code = (f) => fs.readFileSync(f, 'utf8').replace(/^\s*(\/\/|\*|\/\*).*$/gm, ''); // comments are not code

test('no import cycle in lib/ (madge)', async () => {
  const madge = require('madge');
  const res = await madge(LIB, { fileExtensions: ['js', 'mjs'] });
  expect(res.circular()).toEqual([]);
});

test('only frameworks/express/ knows Express: its package and its internals', () => {
  const offenders = [];
  const pattern = /require\(['"]express['"]\)|\('express'\)|\b_router\b|\blazyrouter\b|\bapp\.router\b/;
  for (const f of files()) {
    if (rel(f).startsWith('frameworks/express/')) continue;
    if (pattern.test(code(f))) offenders.push(rel(f));
  }
  expect(offenders).toEqual([]);
});

test('message kinds are spelled only in protocol/messages.js', () => {
  const { TABLE } = require('../../../lib/protocol/messages');
  const kinds = Object.keys(TABLE).map((k) => k.replace(/-/g, '\\-'));
  const literal = new RegExp(`(\\bt: |case |\\.t [!=]== )'(${kinds.join('|')})'`);
  const offenders = files().filter((f) => rel(f) !== 'protocol/messages.js' && !rel(f).startsWith('got/') && literal.test(code(f)));
  expect(offenders.map(rel)).toEqual([]);
});

test('every message kind has a sender and a handler in the code', () => {
  const { TABLE, kinds } = require('../../../lib/protocol/messages');
  const all = files().map((f) => code(f)).join('\n');
  for (const [kind, spec] of Object.entries(TABLE)) {
    const name = `M.${kind.toUpperCase().replace(/-/g, '_')}`;
    expect(kinds[name.slice(2)]).toBe(kind);
    expect(all.includes(`t: ${name}`) || kind === 'undeliverable').toBe(true);
    expect(all.includes(`case ${name}:`) || all.includes(`.t === ${name}`)).toBe(true);
    expect(Object.keys(spec.fields).length).toBeGreaterThan(0);
  }
});

test('the core does not import the hosts: the thread role is injected', () => {
  for (const f of files(path.join(LIB, 'core'))) {
    expect(code(f)).not.toMatch(/require\(['"]\.\.\/hosts/);
    expect(code(f)).not.toMatch(/\bisMainThread\b/);
  }
});
