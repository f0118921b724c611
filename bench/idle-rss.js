#!/usr/bin/env node
'use strict';
// Memory a process keeps after the compiler has run and the process goes idle, as after the
// require hook's start-up compiles: a large module (typescript.js, 9 MB) compiled three times
// through the addon, then RSS sampled while nothing allocates. The allocator gives freed pages
// back on a thread of its own (crates/allocator); without it they stayed for as long as the
// process was idle.
//
//   node bench/idle-rss.js [--file path/to/module.js] [--seconds 24]
const fs = require('node:fs');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { parseArgs } = require('node:util');
const native = require('../lib/native').load();

const { values: args } = parseArgs({
  options: {
    file: { type: 'string', default: path.join(__dirname, '..', 'node_modules', 'typescript', 'lib', 'typescript.js') },
    seconds: { type: 'string', default: '24' },
  },
});
const seconds = Number(args.seconds);
if (!fs.existsSync(args.file)) {
  console.error(`idle-rss: ${args.file} does not exist (npm install, or pass --file)`);
  process.exit(2);
}
const source = fs.readFileSync(args.file, 'utf8');
const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);
const samples = { beforeMb: rssMb() };
for (let i = 0; i < 3; i++) {
  const out = native.transform(source, { file: path.basename(args.file) }, 'fluxion/runtime');
  if (out.error) {
    console.error(`idle-rss: ${args.file} did not compile: ${out.error.message}`);
    process.exit(1);
  }
}
samples.afterCompilesMb = rssMb();
(async () => {
  for (const at of [seconds / 2, seconds]) {
    await sleep((seconds / 2) * 1000);
    samples[`idle${at}sMb`] = rssMb();
  }
  console.log(JSON.stringify({ file: path.relative(process.cwd(), args.file), bytes: source.length, ...samples }));
})();
