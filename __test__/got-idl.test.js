'use strict';
// `fluxion idl`: the thesis's IDL generates TypeScript that type-checks against the Dataframe
// API, JavaScript that runs, Python that imports; broken schemas give file:line:col.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { main } = require('../lib/cli');
const { generate } = require('../lib/got/idl');

const ROOT = path.join(__dirname, '..');
const SCHEMAS = path.join(__dirname, 'got-idl');

function cli(args) {
  const out = [];
  const err = [];
  const code = main(['idl', ...args], {
    out: { write: (s) => out.push(s) },
    err: { write: (s) => err.push(s) },
  });
  return { code, out: out.join(''), err: err.join('') };
}

/** A temporary project folder where `require('fluxion')` / `import 'fluxion'` is this repository. */
function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-idl-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'fluxion'), 'dir');
  return dir;
}

let tsc = null;
try {
  tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  console.warn('SKIPPED the tsc check of generated code: the typescript package is not installed.');
}
const withTsc = tsc && fs.existsSync(tsc) ? test : test.skip;

withTsc('the grade schema and a larger one generate TypeScript that passes tsc --noEmit', () => {
  const dir = project();
  for (const s of ['grade.pcc', 'campus.pcc']) {
    const r = cli([path.join(SCHEMAS, s), '--lang', 'ts', '--out', dir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }
  fs.copyFileSync(path.join(SCHEMAS, 'use-grade.ts'), path.join(dir, 'use-grade.ts'));
  const r = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'es2020', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), path.join(dir, 'use-grade.ts')],
    { encoding: 'utf8', cwd: dir }
  );
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 120000);

test('generated JavaScript declares working types and dispatches merges by class', () => {
  const dir = project();
  const r = cli([path.join(SCHEMAS, 'campus.pcc'), '--lang', 'js', '--out', dir]);
  expect(r.code).toBe(0);
  expect(r.out).toBe(`wrote ${path.join(dir, 'campus.js')}\n`);
  const m = require(path.join(dir, 'campus.js'));
  expect(m.types.map((t) => t.name)).toEqual(['Student', 'Course', 'Counter', 'Presence']);
  expect(m.Student.key).toBe('student_id');
  expect(m.Student.dims.find((d) => d.name === 'gpa').kind).toBe('float');
  // Stubs keep the shared side until the user writes a merge.
  const theirs = { name: 'c', count: 2 };
  expect(m.mergeFn({ name: 'c', count: 0 }, { name: 'c', count: 1 }, theirs, 'Counter')).toBe(theirs);
  expect(m.mergeFn(null, null, theirs, 'Presence')).toBe(theirs);

  const { Dataframe } = require('..');
  const df = new Dataframe(`idl-${process.pid}`, m.types, { mergeFn: m.mergeFn });
  df.addOne(m.Counter, { name: 'visits', count: 1 });
  df.commit();
  expect(df.readOne(m.Counter, 'visits')).toEqual({ name: 'visits', count: 1 });
  expect(() => df.addOne(m.Counter, { name: 'x', count: 'three' })).toThrow(/dimension "count" expects int/);
});

test('a broken schema gives file:line:col and exit code 1', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-idl-'));
  const bad = path.join(dir, 'bad.pcc');
  fs.writeFileSync(bad, 'class grade:\n    primary int student_id\n    integer points\n');
  const r = cli([bad, '--lang', 'python', '--out', dir]);
  expect(r.code).toBe(1);
  expect(r.err).toBe(
    `${bad}:3:5: unknown type "integer" for a dimension (expected int, bool, str, float, bytes, list, map or any)\n`
  );
  expect(fs.readdirSync(dir)).toEqual(['bad.pcc']);
  expect(() => generate('class x:\n  int y\n', { lang: 'ts', file: 'x.pcc' })).toThrow(
    expect.objectContaining({ code: 'GOT_IDL', message: expect.stringMatching(/^x\.pcc:1:7: class "x" has no primary key/) })
  );
});

test('bad usage exits 2 and says why', () => {
  expect(cli([path.join(SCHEMAS, 'grade.pcc'), '--lang', 'rust']).err).toMatch(/--lang must be one of ts, js, python/);
  expect(cli(['--lang', 'ts']).code).toBe(2);
  expect(cli(['/nonexistent/x.pcc', '--lang', 'ts']).err).toBe('fluxion idl: cannot read /nonexistent/x.pcc\n');
});

// The Python classes import with the Python client (clients/python) when it is installed.
const python = spawnSync('python3', ['-c', 'import fluxion_got'], { encoding: 'utf8' });
const withPython = python.status === 0 ? test : test.skip;
if (python.status !== 0) {
  console.warn('SKIPPED the import of generated Python: python3 or the fluxion_got package (pip install ./clients/python) is missing.');
}

withPython('generated Python imports with fluxion_got and declares the classes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-idl-'));
  for (const s of ['grade.pcc', 'campus.pcc']) {
    expect(cli([path.join(SCHEMAS, s), '--lang', 'python', '--out', dir]).code).toBe(0);
  }
  const r = spawnSync(
    'python3',
    ['-c', [
      'import grade, campus',
      'g = grade.grade',
      'print(g.__r_meta__.name, g.__r_meta__.key, sorted(g.__r_meta__.dims.items()))',
      'print([t.__name__ for t in campus.types])',
      'print(grade.grade.__r_meta__.merge is not None, campus.Presence.__r_meta__.merge)',
    ].join('\n')],
    { encoding: 'utf8', cwd: dir }
  );
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(
    "grade student_id [('passed', 'bool'), ('points', 'int'), ('student_id', 'int')]\n" +
      "['Student', 'Course', 'Counter', 'Presence']\n" +
      'True None\n'
  );
});
