'use strict';
// The names compiled code calls (crates/compiler/src/abi.rs) are the names the runtime answers
// to (lib/core/abi.js, lib/core/runtime.js).
const fs = require('node:fs');
const path = require('node:path');
const abi = require('../../../lib/core/abi');
const runtime = require('../../../lib/core/runtime');
const { compile } = require('../../../lib/compile');

const ROOT = path.join(__dirname, '..', '..', '..');

function rustConsts() {
  const src = fs.readFileSync(path.join(ROOT, 'crates/compiler/src/abi.rs'), 'utf8');
  const out = {};
  for (const m of src.matchAll(/pub const (\w+): &str = "([^"]*)";/g)) out[m[1]] = m[2];
  return out;
}

test('abi.rs and abi.js name the same things the same way', () => {
  expect(rustConsts()).toEqual({ ...abi });
});

test('the per-module API has exactly the methods of the ABI', () => {
  const api = runtime({ filename: path.join(ROOT, 'x.js') });
  const methods = ['FN', 'ROUTE', 'POST', 'FACTORY', 'CONTEXT', 'TAIL'].map((k) => abi[k]).sort();
  expect(Object.keys(api).sort()).toEqual(methods);
});

test('compiled code calls only names of the ABI', () => {
  const src = `const express = require('express'); const fs = require('fs'); const app = express(); let n = 0;
app.get('/', (req, res) => { n += 1; fs.readFile(__filename, (e, d) => res.send(String(n))); });
setInterval(() => {}, 1000).unref();`;
  // The module as the require hook emits it (the flx text is another emitter).
  const out = require('../../../lib/native').load().transform(src, { filename: path.join(ROOT, 'x.js'), rupturePoints: { start: [], post: [] } }, 'runtime.js');
  const used = new Set([...out.code.matchAll(new RegExp(`\\b${abi.RUNTIME_VAR}\\.(\\w+)\\(`, 'g'))].map((m) => m[1]));
  expect(used.size).toBeGreaterThan(2);
  for (const name of used) expect(Object.values(abi)).toContain(name);
  expect(compile(src, { filename: 'x.js' }).output).toMatch(/flx/);
});
