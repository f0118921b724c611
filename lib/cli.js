'use strict';
// `fluxion compile <file|dir> [--emit flx|json|dot]`: prints each module's fluxion graph.
// `fluxion run <app.js> [--<setting> value]`: runs an app. `fluxion help settings`: the settings.
// `fluxion verify -- <test command>`: the user's tests plain and under fluxion (lib/verify/).
// Help and run's options are made from the settings table (lib/config.js).
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { compile, EMITS } = require('./compile');
const config = require('./config');

/** `offloadAboveUs` -> `offload-above-us`: a setting's command-line option. */
const optionOf = (key) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every setting: variable, option, accepted values, default, meaning (for both help texts). */
function settingsHelp(indent = '  ') {
  const w0 = Math.max(...config.SETTINGS.map((d) => d.env.length));
  const pad = `\n${indent}${''.padEnd(w0)}  `;
  return config.SETTINGS.map((d) => {
    const lines = [...wrap(d.description, 72), `--${optionOf(d.key)} · ${config.allowedText(d)} · default: ${config.defaultText(d)}`];
    return `${indent}${d.env.padEnd(w0)}  ${lines.join(pad)}\n`;
  }).join('');
}

/** Words of `text` in lines of at most `width` characters. */
function wrap(text, width) {
  const lines = [''];
  for (const word of text.split(' ')) {
    const last = lines[lines.length - 1];
    if (last && last.length + 1 + word.length > width) lines.push(word);
    else lines[lines.length - 1] = last ? `${last} ${word}` : word;
  }
  return lines;
}

/** `fluxion run app.js --dashboard` without a port. */
const DEFAULT_DASHBOARD_PORT = 7331;

/**
 * `--dashboard` may come without its port (before the app's own arguments, `--`): it gets the
 * default one, so that parseArgs sees an option with a value.
 * @param {string[]} argv
 */
function withDashboardPort(argv) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return out.concat(argv.slice(i));
    out.push(argv[i]);
    if (argv[i] === '--dashboard' && !/^\d+$/.test(argv[i + 1] || '')) out.push(String(DEFAULT_DASHBOARD_PORT));
  }
  return out;
}

const USAGE = `usage:
  fluxion compile <file|dir> [--emit flx|json|dot|svg] [--include-node-modules]
      Print the fluxion graph of a module (or of every .js/.cjs/.mjs/.ts file under a directory);
      svg: a picture (one for a directory), laid out as the dashboard does.
  fluxion run <app.js> [--<setting> value ...] [-- app arguments]
      Run an app with its fluxions on worker threads (same as node -r fluxion/register app.js),
      e.g. fluxion run app.js --workers 2 --placement eager
      --dashboard [port]: the live dashboard on http://127.0.0.1:<port>/ (default ${DEFAULT_DASHBOARD_PORT})
  fluxion help settings
      Every setting in detail.
  fluxion idl <schema.pcc> --lang ts|js|python [--out DIR]
      Generate typed GoT classes from a schema (the thesis's IDL; see docs/versions.md).
  fluxion verify [--placements auto,eager] [--timeout S] -- <test command...>
      Run your tests plain and under fluxion; print the tests whose outcome differs (fluxion verify --help).
  fluxion --version
  fluxion --help

settings (environment variable, or run's option; a bad value stops the app before it starts):
${config.SETTINGS.map((d) => `  ${d.env.padEnd(26)}--${optionOf(d.key).padEnd(18)} default: ${config.defaultText(d)}`).join('\n')}
`;

const WORKERS = config.SETTINGS.find((d) => d.key === 'workers').env;
const SETTINGS_HELP = `fluxion settings: set as environment variables (${WORKERS}=2 node -r fluxion/register app.js)
or as options of fluxion run (fluxion run app.js --workers 2). Each is checked once, when fluxion
starts; a bad value stops the process before the app runs, with one line naming the setting.

${settingsHelp()}`;

const SOURCE_EXT = new Set(['.js', '.cjs', '.mjs', '.jsx', '.ts', '.cts', '.mts', '.tsx']);

function* walk(dir, includeNodeModules) {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === '.git' || (e.name === 'node_modules' && !includeNodeModules)) continue;
      yield* walk(p, includeNodeModules);
    } else if (e.isFile() && SOURCE_EXT.has(path.extname(e.name)) && !e.name.endsWith('.d.ts')) {
      yield p;
    }
  }
}

/**
 * Runs the CLI; returns the exit code (0 ok, 1 a module failed to compile, 2 bad usage).
 * @param {string[]} argv
 * @param {{ out?: NodeJS.WritableStream, err?: NodeJS.WritableStream }} [io]
 */
function main(argv, io = {}) {
  const out = io.out || process.stdout;
  const err = io.err || process.stderr;
  if (argv[0] === 'idl') return require('./got/idl').idlCommand(argv.slice(1), { out, err });
  // verify takes the user's command after `--` with options of its own: it parses its arguments.
  if (argv[0] === 'verify') return require('./verify/cli').main(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseArgs({
      args: withDashboardPort(argv),
      allowPositionals: true,
      options: {
        emit: { type: 'string', default: 'flx' },
        'include-node-modules': { type: 'boolean', default: false },
        ...Object.fromEntries(config.SETTINGS.map((d) => [optionOf(d.key), { type: 'string' }])),
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (e) {
    err.write(`fluxion: ${e.message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.write(USAGE);
    return 0;
  }
  if (values.version) {
    out.write(`${require('../package.json').version}\n`);
    return 0;
  }
  const [command, target, ...rest] = positionals;
  if (command === 'help') {
    if (target === 'settings') out.write(SETTINGS_HELP);
    else out.write(USAGE);
    return 0;
  }
  if (command === 'run') return run(target, rest, values, err);
  if (command !== 'compile') {
    err.write(command ? `fluxion: unknown command "${command}"\n${USAGE}` : USAGE);
    return 2;
  }
  if (!target || rest.length) {
    err.write(`fluxion compile: expected exactly one file or directory\n${USAGE}`);
    return 2;
  }
  if (!EMITS.includes(values.emit)) {
    err.write(`fluxion compile: --emit must be one of ${EMITS.join(', ')} (got "${values.emit}")\n`);
    return 2;
  }
  let stat;
  try {
    stat = fs.statSync(target);
  } catch {
    err.write(`fluxion compile: ${target}: no such file or directory\n`);
    return 2;
  }
  const files = stat.isDirectory() ? [...walk(target, values['include-node-modules'])] : [target];
  if (values.emit === 'svg') return compileSvg(files, target, out, err);
  let failed = 0;
  const outputs = [];
  for (const file of files) {
    try {
      const { output, warnings } = compile(fs.readFileSync(file, 'utf8'), { filename: file, emit: values.emit });
      for (const w of warnings) err.write(`${w.file}:${w.line}:${w.column}: warning: ${w.message}\n`);
      outputs.push({ file, output });
    } catch (e) {
      failed++;
      err.write(`${e.message}\n`);
      if (!e.code) throw e;
    }
  }
  if (values.emit === 'json' && stat.isDirectory()) {
    out.write(`[${outputs.map((o) => o.output).join(',\n')}]\n`);
  } else {
    for (const { file, output } of outputs) {
      if (files.length > 1) out.write(values.emit === 'flx' ? `// ${file}\n` : values.emit === 'dot' ? `// ${file}\n` : '');
      out.write(output);
      if (files.length > 1) out.write('\n');
    }
  }
  return failed ? 1 : 0;
}

/** `--emit svg`: one picture for every module given (a directory's modules side by side). */
function compileSvg(files, target, out, err) {
  let failed = 0;
  const modules = [];
  for (const file of files) {
    try {
      const source = fs.readFileSync(file, 'utf8');
      const { output, warnings } = compile(source, { filename: file, emit: 'json' });
      for (const w of warnings) err.write(`${w.file}:${w.line}:${w.column}: warning: ${w.message}\n`);
      modules.push({ file, graph: JSON.parse(output), source });
    } catch (e) {
      failed++;
      err.write(`${e.message}\n`);
      if (!e.code) throw e;
    }
  }
  out.write(require('./dashboard/svg').svgOf(modules, { title: target }));
  return failed ? 1 : 0;
}

/** `fluxion run app.js`: the app in a child Node process with the require hook preloaded. */
function run(app, args, values, err) {
  if (!app) {
    err.write(`fluxion run: expected the app's entry file\n${USAGE}`);
    return 2;
  }
  if (!fs.existsSync(app)) {
    err.write(`fluxion run: ${app}: no such file\n`);
    return 2;
  }
  let env;
  try {
    const given = Object.fromEntries(config.SETTINGS.map((d) => [d.key, values[optionOf(d.key)]]));
    env = config.childEnv(given, (key) => `--${optionOf(key)}`);
  } catch (e) {
    if (e.code !== 'FLUXION_CONFIG') throw e;
    err.write(`${e.message}\n`);
    return 2;
  }
  const { spawn } = require('node:child_process');
  const register = path.join(__dirname, '..', 'register.js');
  const child = spawn(process.execPath, ['-r', register, app, ...args], { stdio: 'inherit', env });
  // Signals sent to `fluxion run` are the app's.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (sig) => child.kill(sig);
  for (const sig of signals) process.on(sig, forward);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      for (const sig of signals) process.off(sig, forward);
      resolve(signal ? 128 + (require('node:os').constants.signals[signal] || 1) : code);
    });
  });
}

module.exports = { main, USAGE, SETTINGS_HELP, optionOf, withDashboardPort, DEFAULT_DASHBOARD_PORT };
