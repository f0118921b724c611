'use strict';
// Settings (issue 14, item 3): one table in lib/config.js; a bad value stops the process before
// the app runs with one line; help and the README are made from the table; nothing else in lib/
// reads the environment.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const config = require('../lib/config');
const { FluxionConfigError } = require('../lib/errors');
const { withTable, README } = require('../scripts/settings-table');

const ROOT = path.join(__dirname, '..');
const REGISTER = path.join(ROOT, 'register.js');
const BIN = path.join(ROOT, 'bin', 'fluxion.js');
// An app that says when it starts and when it listens, then exits.
const APP = "console.log('app started'); require('http').createServer().listen(0, () => { console.log('listening'); process.exit(0); })";

/** A value each kind of setting refuses (paths accept any text). */
const BAD = { integer: '1.5', number: 'fast', enum: 'sometimes', flag: 'maybe', text: 'maybe' };

function cleanEnv(extra) {
  const env = { ...process.env, FLUXION_CACHE: '0' };
  for (const d of config.SETTINGS) if (d.env !== 'FLUXION_CACHE') delete env[d.env];
  return { ...env, ...extra };
}

describe.each(config.SETTINGS.filter((d) => BAD[d.type]).map((d) => [d.env, d]))('%s', (env, def) => {
  test('a bad value stops the process before the app runs, in one line naming it, no stack', () => {
    const bad = BAD[def.type];
    const r = spawnSync(process.execPath, ['-r', REGISTER, '-e', APP], { encoding: 'utf8', env: cleanEnv({ [env]: bad }) });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(''); // the app never ran, let alone listened
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(env);
    expect(lines[0]).toContain(config.allowedText(def));
    // A secret (the GoT token) is never echoed: only its length.
    if (def.secret) expect(lines[0]).toContain(`<${bad.length} characters>`);
    else expect(lines[0]).toContain(`"${bad}"`);
  });

  test('from the API: a FluxionConfigError with a code, the key, what it accepts and what was given', () => {
    let err;
    try {
      config.load({ [env]: BAD[def.type] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FluxionConfigError);
    const given = def.secret ? `<${BAD[def.type].length} characters>` : BAD[def.type];
    expect(err).toMatchObject({ code: 'FLUXION_CONFIG', key: env, allowed: config.allowedText(def), given });
    if (def.secret) expect(err.message).not.toContain(BAD[def.type]);
  });
});

test('good values: typed, frozen; unset or empty gives the default', () => {
  const s = config.load({
    FLUXION_WORKERS: '3',
    FLUXION_PLACEMENT: 'eager',
    FLUXION_OFFLOAD_ABOVE_US: '80.5',
    FLUXION_REBALANCE: '0',
    FLUXION_JIT: 'true',
    FLUXION_STRICT: '1',
    FLUXION_STATS_FILE: '/tmp/s-%p.json',
    FLUXION_CACHE_DIR: '',
  });
  expect(Object.isFrozen(s)).toBe(true);
  expect(s).toMatchObject({ workers: 3, placement: 'eager', offloadAboveUs: 80.5, rebalance: false, jit: true, strict: true, cacheDir: null, transport: 'port', rebalanceMs: 500 });
  expect(config.statsFilePath(s)).toBe(`/tmp/s-${process.pid}.json`);
  const d = config.load({});
  expect(d.workers).toBeGreaterThanOrEqual(1);
  expect(d).toMatchObject({ placement: 'auto', offloadAboveUs: null, tails: true, strict: false, statsFile: null, workerYoungMb: 0 });
});

test('a good setting lets the app run', () => {
  const r = spawnSync(process.execPath, ['-r', REGISTER, '-e', APP], { encoding: 'utf8', env: cleanEnv({ FLUXION_WORKERS: '1', FLUXION_REBALANCE: '0' }) });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('app started\nlistening\n');
});

test('no file in lib/ but config.js reads the environment or names a setting\'s variable', () => {
  const names = config.SETTINGS.map((d) => d.env);
  const offenders = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(c|m)?js$/.test(e.name) && p !== path.join(ROOT, 'lib', 'config.js')) {
        const text = fs.readFileSync(p, 'utf8');
        if (/process\.env\b/.test(text)) offenders.push(`${path.relative(ROOT, p)}: process.env`);
        for (const n of names) if (new RegExp(`\\b${n}\\b`).test(text)) offenders.push(`${path.relative(ROOT, p)}: ${n}`);
        // A FLUXION_ word that is no error code is a variable read behind the table's back.
        for (const m of text.matchAll(/\bFLUXION_[A-Z_]+/g)) {
          if (!new RegExp(`code[^\\n]{0,40}${m[0]}|${m[0]}[^\\n]{0,3}\\)|'${m[0]}'`).test(text)) offenders.push(`${path.relative(ROOT, p)}: ${m[0]}`);
        }
      }
    }
  };
  walk(path.join(ROOT, 'lib'));
  expect(offenders).toEqual([]);
});

test("the README's settings table is the one made from the table", () => {
  const readme = fs.readFileSync(README, 'utf8');
  expect(readme).toBe(withTable(readme)); // else: node scripts/settings-table.js --write
});

test('fluxion --help and fluxion help settings list every setting with its default', () => {
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  const detail = spawnSync(process.execPath, [BIN, 'help', 'settings'], { encoding: 'utf8' });
  expect(help.status).toBe(0);
  expect(detail.status).toBe(0);
  for (const d of config.SETTINGS) {
    expect(help.stdout).toMatch(new RegExp(`${d.env} .*default: ${config.defaultText(d).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(detail.stdout).toContain(d.env);
    expect(detail.stdout).toContain(config.allowedText(d));
  }
});

test('fluxion run checks its setting options with the same table', () => {
  const app = path.join(__dirname, 'apps', 'state.js');
  const r = spawnSync(process.execPath, [BIN, 'run', app, '--placement', 'sideways'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe('fluxion config (command line): `--placement`: must be one of auto, eager, inline (got "sideways")\n');
});
