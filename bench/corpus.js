'use strict';
// Express 5 and its transitive dependencies, as installed in node_modules (devDependency).
const fs = require('node:fs');
const path = require('node:path');

function pkgDir(name, from) {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** @returns {{ dirs: string[], packages: Map<string, string> }} */
function expressCorpus(root = path.join(__dirname, '..')) {
  const packages = new Map();
  const dirs = [];
  const queue = [[ 'express', root ]];
  while (queue.length) {
    const [name, from] = queue.shift();
    const dir = pkgDir(name, from);
    if (!dir) {
      if (name === 'express') {
        throw new Error('express is not installed: run `npm install` (it is a devDependency)');
      }
      continue;
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    if (packages.has(pkg.name)) continue;
    packages.set(pkg.name, pkg.version);
    dirs.push(dir);
    for (const dep of Object.keys(pkg.dependencies || {})) queue.push([dep, dir]);
  }
  return { dirs, packages };
}

module.exports = { expressCorpus };
