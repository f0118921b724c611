#!/usr/bin/env node
'use strict';
// `npm run package`: writes to dist/ the tarballs to publish (napi-rs layout):
// - `fluxion-<version>.tgz`, the main package, whose package.json lists every platform package
//   of `napi.targets` as an optional dependency (exact version): npm installs the one matching
//   the user's os/cpu/libc and skips the others;
// - `fluxion-<platform>-<version>.tgz` (`@fluxion/<platform>`), the addon built on this machine
//   (`npm run build` first). Other platforms are built on their own machines (docs/publishing.md).
// The optional dependencies are added here, not in the repository's package.json: in a clone,
// npm would otherwise look each one up on every install, `npm ci` rejects a lockfile with
// unpublished optional packages (npm/cli#9846), and once published, an installed platform
// package would shadow the addon a developer just built.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { platformTriple, packageOf } = require('../lib/native');

const ROOT = path.join(__dirname, '..');

/** napi-rs target (Rust triple) -> the npm/ folder and `@fluxion/<platform>` suffix. */
const PLATFORMS = {
  'x86_64-unknown-linux-gnu': 'linux-x64-gnu',
  'aarch64-unknown-linux-gnu': 'linux-arm64-gnu',
  'x86_64-apple-darwin': 'darwin-x64',
  'aarch64-apple-darwin': 'darwin-arm64',
  'x86_64-pc-windows-msvc': 'win32-x64-msvc',
};

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The platform packages of `napi.targets`, each checked against its npm/ folder. */
function platformPackages(pkg = readJson(path.join(ROOT, 'package.json'))) {
  return pkg.napi.targets.map((target) => {
    const platform = PLATFORMS[target];
    if (!platform) throw new Error(`scripts/package.js: no npm/ folder is known for the napi target ${target}`);
    const dir = path.join(ROOT, 'npm', platform);
    const manifest = readJson(path.join(dir, 'package.json'));
    const name = packageOf(platform);
    if (manifest.name !== name || manifest.version !== pkg.version || manifest.main !== `fluxion.${platform}.node`) {
      throw new Error(`npm/${platform}/package.json must be ${name}@${pkg.version} with main fluxion.${platform}.node`);
    }
    return { target, platform, name, dir, manifest };
  });
}

/** The main package's manifest as published. */
function publishedManifest(pkg, platforms) {
  const out = { ...pkg };
  out.optionalDependencies = Object.fromEntries(platforms.map((p) => [p.name, pkg.version]));
  // Repository-only fields: nothing a user's install reads.
  for (const k of ['devDependencies', 'scripts', 'jest', 'overrides']) delete out[k];
  return out;
}

function pack(dir, dest) {
  const r = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack in ${dir} failed:\n${r.stderr}`);
  return path.join(dest, JSON.parse(r.stdout)[0].filename);
}

/**
 * Writes both tarballs; returns their paths.
 * @param {{ out?: string }} [options]
 * @returns {{ main: string, platform: string, platformName: string }}
 */
function packageAll({ out = path.join(ROOT, 'dist') } = {}) {
  const pkg = readJson(path.join(ROOT, 'package.json'));
  const platforms = platformPackages(pkg);
  const here = platformTriple();
  const mine = platforms.find((p) => p.platform === here);
  if (!mine) throw new Error(`this machine (${here}) is not among napi.targets`);
  const addon = path.join(ROOT, `fluxion.${here}.node`);
  if (!fs.existsSync(addon)) throw new Error(`${path.relative(ROOT, addon)} is missing: run \`npm run build\` first`);

  fs.mkdirSync(out, { recursive: true });
  const stage = fs.mkdtempSync(path.join(out, '.stage-'));
  try {
    // The main package: its "files", README, and the manifest with the optional dependencies.
    const main = path.join(stage, 'fluxion');
    fs.mkdirSync(main);
    for (const f of [...pkg.files, 'README.md', 'LICENSE']) {
      if (fs.existsSync(path.join(ROOT, f))) fs.cpSync(path.join(ROOT, f), path.join(main, f), { recursive: true });
    }
    fs.writeFileSync(path.join(main, 'package.json'), `${JSON.stringify(publishedManifest(pkg, platforms), null, 2)}\n`);
    // This machine's platform package: its manifest, README and the release build.
    const plat = path.join(stage, mine.platform);
    fs.cpSync(mine.dir, plat, { recursive: true });
    fs.copyFileSync(addon, path.join(plat, `fluxion.${here}.node`));
    return { main: pack(main, out), platform: pack(plat, out), platformName: mine.name };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    const r = packageAll();
    console.log(`${path.relative(process.cwd(), r.main)}\n${path.relative(process.cwd(), r.platform)}  (${r.platformName})`);
  } catch (err) {
    console.error(`npm run package: ${err.message}`);
    process.exit(1);
  }
}

module.exports = { packageAll, platformPackages, publishedManifest, PLATFORMS };
