'use strict';
// Nesting as deep as Node runs never takes the app down. Each compile runs on a stack sized from
// its source (crates/compiler/src/stack.rs); before, the addon died with SIGSEGV on a worker at
// 1,248 parentheses or 1,552 nested functions, and the app with it, where plain node runs.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const REGISTER = path.join(__dirname, '..', 'register.js');
const INDEX = path.join(__dirname, '..');

const nest = (open, middle, close, depth) => open.repeat(depth) + middle + close.repeat(depth);

/**
 * A function body for each shape at depth `k` × a depth plain node runs on its main thread
 * (k = 1: the modules run; k = 4: compiled on a worker, where node itself parses deeper).
 */
const bodies = (k) => ({
  parentheses: `return ${nest('(', 'a', ')', 1200 * k)};`,
  functions: `return ${nest('function f(){ return ', 'a', '}', 800 * k)};`,
  not: `return ${nest('!', 'a', '', 4000 * k)};`,
  arrays: `return ${nest('[', 'a', ']', 1500 * k)};`,
  // Blocks cost swc's resolver depth × statements (crates/compiler/src/limits.rs): at most
  // 2× here, deeper is refused (below).
  blocks: `${nest('{', 'a++;', '}', 2000 * Math.min(k, 2))} return a;`,
  chain: `return a${'+a'.repeat(300000 * k)};`,
});
const SHAPES = bodies(1);

/** A module that exports the deep function, and one where it is an Express handler. */
const moduleOf = (body) => `var a = 1;\nmodule.exports = function deep() { ${body} };\n`;
const routeOf = (body) =>
  "const express = require('express');\nconst app = express();\nvar a = 1;\n" +
  `app.get('/', function deep(req, res) { res.send(String((function () { ${body} })())); });\napp.listen(0);\n`;

let dir;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flx-deep-'));
  for (const [name, body] of Object.entries(SHAPES)) fs.writeFileSync(path.join(dir, `${name}.js`), moduleOf(body));
  for (const [name, body] of Object.entries(bodies(4))) fs.writeFileSync(path.join(dir, `${name}-route.js`), routeOf(body));
  fs.writeFileSync(
    path.join(dir, 'main.js'),
    `const out = {};\nfor (const n of ${JSON.stringify(Object.keys(SHAPES))}) {\n` +
      `  const v = require('./' + n)();\n  out[n] = Array.isArray(v) ? 'array' : typeof v === 'function' ? 'function' : String(v);\n}\n` +
      'console.log(JSON.stringify(out));\n'
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args) {
  const env = { ...process.env, FLUXION_CACHE: '0' };
  delete env.NODE_OPTIONS;
  return spawnSync(process.execPath, [...args, path.join(dir, 'main.js')], { cwd: dir, encoding: 'utf8', env, timeout: 120000 });
}

test('a deeply nested module runs under -r fluxion/register as under plain node', () => {
  const plain = run([]);
  expect(plain.stderr).toBe("");
  expect(plain.status).toBe(0);
  const flx = run(['-r', REGISTER]);
  expect({ status: flx.status, signal: flx.signal, stdout: flx.stdout }).toEqual({ status: 0, signal: null, stdout: plain.stdout });
  // compiled, not skipped: no "loads unmodified" warning
  expect(flx.stderr).not.toMatch(/FLUXION_UNCOMPILED|cannot compile/);
});

/** graph() on a worker thread (4 MB stack, where the addon crashed). */
function compileOnWorker(file) {
  return new Promise((resolve, reject) => {
    const w = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const fs = require('node:fs');
       const fluxion = require(workerData.index);
       const g = fluxion.graph(fs.readFileSync(workerData.file, 'utf8'), { filename: workerData.file });
       parentPort.postMessage(g.fluxions.map((f) => f.name));`,
      { eval: true, workerData: { index: INDEX, file } }
    );
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited ${code}`)));
  });
}

test.each(Object.keys(SHAPES))('%s: compiled on a worker thread, its handler found', async (name) => {
  const names = await compileOnWorker(path.join(dir, `${name}-route.js`));
  expect(names).toContain('deep');
});

test('a file over the size limit is refused with an error that says so', () => {
  const fluxion = require('..');
  expect(() => fluxion.compile(' '.repeat(16 * 1024 * 1024 + 1), { filename: 'huge.js' })).toThrow(
    /huge\.js: 16777217 bytes is over the compiler's limit of 16777216 bytes a file/
  );
});

test('blocks nested past what compiles in time are refused at once, with an error that says so', async () => {
  // 8,000 nested blocks: 32 KB that kept swc's resolver busy for a second (4× that at 16,000).
  const file = path.join(dir, 'blocks-8000.js');
  fs.writeFileSync(file, routeOf(`${nest('{', 'a++;', '}', 8000)} return a;`));
  await expect(compileOnWorker(file)).rejects.toThrow(
    /blocks-8000\.js: statements nested too deeply to compile in time \(about \d+ resolver steps, over the compiler's limit of 28000000\)/
  );
});

test('a file with more else than swc chains in time is refused with an error that says so', () => {
  // 20,000 `else if`: swc's parser appends each by walking the chain (50,000 took 20 s).
  const fluxion = require('..');
  const src = 'var x = 1, y = 0;\n' + Array.from({ length: 20000 }, (_, i) => `if (x === ${i}) { y = ${i}; }`).join(' else ') + ';\n';
  expect(() => fluxion.compile(src, { filename: 'elses.js' })).toThrow(
    /elses\.js: 19999 `else if`, over the compiler's limit of 16384 \(swc parses a chain that long in quadratic time\)/
  );
});
