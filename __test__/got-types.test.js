'use strict';
// versions.d.ts, through index.d.ts: typed objects are inferred from pccSet declarations.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

let tsc = null;
try {
  tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  console.warn('SKIPPED the declaration test: the typescript package is not installed.');
}
const maybe = tsc && fs.existsSync(tsc) ? test : test.skip;

maybe('versions.d.ts types dataframes from their pccSet declarations', () => {
  const file = path.join(__dirname, 'types', 'versions-usage.ts');
  const r = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'es2020', '--module', 'nodenext', '--moduleResolution', 'nodenext', file],
    { encoding: 'utf8' }
  );
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 60000);
