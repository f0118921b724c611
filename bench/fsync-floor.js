'use strict';
// The disk's floor under a durable push: write N bytes then fdatasync, in three kinds of file
// region, interleaved so that the three see the same neighbours (docs/durability.md).
//
//   node bench/fsync-floor.js [--runs 30] [--bytes 1048576] [--dir /tmp]
//
// written: blocks already allocated and written (what got-disk's redb file commits into,
//          crates/got-disk/src/backend.rs); sparse: a hole left by ftruncate (what redb's own
//          file growth leaves); append: past the end of the file.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    bytes: { type: 'string', default: String(1 << 20) },
    dir: { type: 'string', default: os.tmpdir() },
  },
});
const runs = Number(values.runs);
const size = Number(values.bytes);
const dir = fs.mkdtempSync(path.join(values.dir, 'fluxion-fsync-floor-'));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const data = Buffer.alloc(size, 'y');
const files = {};
for (const kind of ['written', 'sparse', 'append']) {
  const fd = fs.openSync(path.join(dir, kind), 'w+');
  if (kind === 'written') {
    const zeros = Buffer.alloc(size);
    for (let i = 0; i < runs; i++) fs.writeSync(fd, zeros, 0, size, i * size);
  } else if (kind === 'sparse') {
    fs.ftruncateSync(fd, runs * size);
  }
  fs.fsyncSync(fd);
  files[kind] = { fd, times: [] };
}
for (let i = 0; i < runs; i++) {
  for (const f of Object.values(files)) {
    const t = now();
    fs.writeSync(f.fd, data, 0, size, i * size);
    fs.fdatasyncSync(f.fd);
    f.times.push(now() - t);
  }
}
console.log(`write ${size} B + fdatasync, ${runs} runs each, in ${values.dir} (load ${os.loadavg()[0].toFixed(2)})`);
for (const [kind, f] of Object.entries(files)) {
  fs.closeSync(f.fd);
  console.log(`  ${kind.padEnd(8)} median ${median(f.times).toFixed(2).padStart(6)} ms   fastest ${Math.min(...f.times).toFixed(2).padStart(6)} ms`);
}
fs.rmSync(dir, { recursive: true, force: true });
