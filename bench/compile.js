'use strict';
// Compile throughput over Express 5 and all its dependencies (release build, not a test):
//   npm run bench:compile
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { expressCorpus } = require('./corpus');

const { dirs, packages } = expressCorpus();
console.log(`corpus: express@${packages.get('express')} and ${packages.size - 1} dependencies`);
const r = spawnSync(
  'cargo',
  ['run', '--quiet', '--release', '-p', 'fluxion-compiler', '--example', 'corpus', '--', ...dirs],
  { cwd: path.join(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }
);
if (r.status !== 0) process.exit(r.status || 1);
const res = JSON.parse(r.stdout.trim().split('\n').pop());
console.log(JSON.stringify(res));
console.log(
  `${res.files} files, ${(res.bytes / 1e6).toFixed(2)} MB, ${res.rupturePoints} rupture points, ` +
    `${res.fluxions} fluxions, ${res.syntaxErrors} syntax errors: ${res.seconds.toFixed(3)} s, ` +
    `${res.mbPerSec} MB/s (goal >= 20 MB/s)`
);
