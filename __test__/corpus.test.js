'use strict';
// Every .js file of Express 5 and all its dependencies compiles without a compiler failure.
const fs = require('node:fs');
const path = require('node:path');
const fluxion = require('..');
const { expressCorpus } = require('../bench/corpus');

function* jsFiles(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') yield* jsFiles(p);
    else if (e.isFile() && /\.(c|m)?js$/.test(e.name)) yield p;
  }
}

test('Express 5 and its dependencies compile: no panic, no syntax error', () => {
  const { dirs, packages } = expressCorpus();
  expect(packages.get('express')).toMatch(/^5\./);
  let files = 0;
  let ruptures = 0;
  const found = new Set();
  const failures = [];
  for (const dir of dirs) {
    for (const file of jsFiles(dir)) {
      files++;
      try {
        const g = fluxion.graph(fs.readFileSync(file, 'utf8'), { filename: file, config: {} });
        ruptures += g.rupturePoints.length;
        const pkg = path.relative(path.join(dir, '..'), file);
        for (const r of g.rupturePoints) found.add(`${pkg} ${r.kind} ${r.callee} -> ${r.to.join(',')}`);
      } catch (e) {
        failures.push(`${e.name}: ${e.message.split('\n')[0]}`);
      }
    }
  }
  expect(failures).toEqual([]);
  expect(files).toBeGreaterThan(100);
  // Callbacks in place, by name, on streams and on promises, in code we did not write.
  expect([...found]).toEqual(
    expect.arrayContaining([
      'send/index.js post fs.stat -> onstat',
      'raw-body/index.js start stream.on -> onData',
      'express/lib/view.js post process.nextTick -> renderTick',
      'router/lib/layer.js post out.then -> anonymous_228,anonymous_235',
    ])
  );
  console.log(`compiled ${files} files from ${packages.size} packages: ${ruptures} rupture points`);
});
