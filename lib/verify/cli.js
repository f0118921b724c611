'use strict';
// `fluxion verify [options] -- <test command>`: parses the options, runs verify, prints the
// table; exit 0 when nothing differs, 1 when something does, 2 for bad usage.
const { parseArgs } = require('node:util');
const { verify, PLACEMENTS } = require('./index');

const USAGE = `usage: fluxion verify [--placements auto,eager] [--timeout SECONDS] [--show-output] -- <test command...>
  Runs the test command plain, then with fluxion (NODE_OPTIONS=-r fluxion/register) in each
  placement, and prints the tests whose outcome differs. Mocha, Jest and node:test are read per
  test (also through \`npm test\` when its script runs one of them); any other command by its exit
  status. Exit status 0 only if nothing differs.
  e.g. npx fluxion verify -- npx mocha test/
       npx fluxion verify -- npm test
       npx fluxion verify -- node --test
`;

/**
 * @param {string[]} argv the arguments after `verify`
 * @param {{ out?: NodeJS.WritableStream, err?: NodeJS.WritableStream, cwd?: string }} [io]
 * @returns {Promise<number>}
 */
async function main(argv, io = {}) {
  const out = io.out || process.stdout;
  const err = io.err || process.stderr;
  const dd = argv.indexOf('--');
  const own = dd === -1 ? argv : argv.slice(0, dd);
  const command = dd === -1 ? [] : argv.slice(dd + 1);
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: own,
      allowPositionals: true,
      options: {
        placements: { type: 'string', default: PLACEMENTS.join(',') },
        timeout: { type: 'string', default: '600' },
        'show-output': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    err.write(`fluxion verify: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out.write(USAGE);
    return 0;
  }
  if (!command.length || positionals.length) {
    const stray = positionals.length ? ` (got "${positionals.join(' ')}" before it; put the command after --)` : '';
    err.write(`fluxion verify: expected the test command after \`--\`${stray}\n${USAGE}`);
    return 2;
  }
  const placements = values.placements.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = placements.find((p) => !PLACEMENTS.includes(p));
  if (bad || !placements.length) {
    err.write(`fluxion verify: --placements takes ${PLACEMENTS.join(' and/or ')} (got "${values.placements}")\n`);
    return 2;
  }
  const seconds = Number(values.timeout);
  if (!(seconds > 0)) {
    err.write(`fluxion verify: --timeout must be a positive number of seconds (got "${values.timeout}")\n`);
    return 2;
  }
  const result = await verify({
    command,
    cwd: io.cwd,
    placements,
    timeoutMs: seconds * 1000,
    onRun: (r) => {
      err.write(`fluxion verify: ${r.config} run done (${(r.ms / 1000).toFixed(1)} s)\n`);
      if (values['show-output']) err.write(r.output.replace(/^/gm, `  [${r.config}] `) + '\n');
    },
  });
  out.write(result.text);
  if (result.runs[0].spawnError) {
    err.write(`fluxion verify: ${result.runs[0].spawnError}\n`);
    return 2;
  }
  return result.identical ? 0 : 1;
}

module.exports = { main, USAGE };
