'use strict';
// `fluxion compile <file|dir> [--emit flx|json|dot]`: prints each module's fluxion graph.
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { compile, EMITS } = require('./compile');

const USAGE = `usage:
  fluxion compile <file|dir> [--emit flx|json|dot] [--include-node-modules]
      Print the fluxion graph of a module (or of every .js/.cjs/.mjs/.ts file under a directory).
  fluxion run <app.js> [--workers N] [--placement auto|eager|inline] [-- app arguments]
      Run an app with its fluxions on worker threads (same as node -r fluxion/register app.js).
  fluxion verify [--placements auto,eager] [--timeout S] -- <test command...>
      Run your tests plain and under fluxion; print the tests whose outcome differs (fluxion verify --help).
  fluxion --version
  fluxion --help
`;

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
  // verify takes the user's command after `--` with options of its own: it parses its arguments.
  if (argv[0] === 'verify') return require('./verify/cli').main(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        emit: { type: 'string', default: 'flx' },
        'include-node-modules': { type: 'boolean', default: false },
        workers: { type: 'string' },
        placement: { type: 'string' },
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
  const env = { ...process.env };
  if (values.workers !== undefined) {
    const n = Number(values.workers);
    if (!Number.isInteger(n) || n < 1) {
      err.write(`fluxion run: --workers must be a positive integer (got "${values.workers}")\n`);
      return 2;
    }
    env.FLUXION_WORKERS = String(n);
  }
  if (values.placement !== undefined) {
    if (!['auto', 'eager', 'inline'].includes(values.placement)) {
      err.write(`fluxion run: --placement must be auto, eager or inline (got "${values.placement}")\n`);
      return 2;
    }
    env.FLUXION_PLACEMENT = values.placement;
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

module.exports = { main, USAGE };
