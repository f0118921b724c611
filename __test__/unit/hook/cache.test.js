'use strict';
// The compile cache executes what it reads: each way another user (or a crash) could put code
// there is made for real on disk, and the cache must refuse it and fall back to compiling.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const cache = require('../../../lib/hook/cache');

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const posix = process.platform !== 'win32';
const NOBODY = 65534;

let root;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-cache-test-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A store on a fresh checked folder, with its warnings collected. */
function fresh() {
  const warnings = [];
  const r = cache.checkFolder(path.join(root, 'c'));
  expect(r.ok).toBe(true);
  return { s: cache.store(r.dir, { warn: (m) => warnings.push(m) }), warnings, dir: r.dir };
}
const KEY = cache.keyOf(['source', 'v1', '{}']);
const fileOf = (dir, key = KEY) => path.join(dir, key + cache.EXT);

(posix ? test : test.skip)('a new cache folder is made with mode 0700; its parents are left as they are', () => {
  const d = path.join(root, 'project', 'node_modules', '.cache', 'fluxion');
  expect(cache.checkFolder(d)).toEqual({ ok: true, dir: d });
  expect(fs.statSync(d).mode & 0o777).toBe(0o700);
  expect(fs.statSync(path.dirname(d)).mode & 0o700).toBe(0o700);
});

test('an entry round-trips, carries the sha256 of its key and content, and no temp file is left', () => {
  const { s, dir, warnings } = fresh();
  expect(s.get(KEY)).toBeNull();
  s.set(KEY, { code: 'module.exports = 1', map: null, graph: { a: [1] } });
  expect(s.get(KEY)).toEqual({ code: 'module.exports = 1', map: null, graph: { a: [1] } });
  const text = fs.readFileSync(fileOf(dir), 'utf8');
  expect(text.split('\n')[0]).toMatch(new RegExp(`^${cache.FORMAT} ${KEY} [0-9a-f]{64}$`));
  expect(fs.readdirSync(dir)).toEqual([KEY + cache.EXT]);
  if (posix) expect(fs.statSync(fileOf(dir)).mode & 0o777).toBe(0o600);
  expect(warnings).toEqual([]);
});

(posix ? test : test.skip)('a world-writable folder (0777) is refused: no cache, one warning naming it and why', () => {
  const d = path.join(root, 'open');
  fs.mkdirSync(d);
  fs.chmodSync(d, 0o777);
  const warnings = [];
  expect(cache.choose({ cache: true, cacheDir: d }, { warn: (m) => warnings.push(m) })).toBeNull();
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(d);
  expect(warnings[0]).toContain('writable by group and others (mode 777)');
  expect(warnings[0]).toContain('compiled in memory');
  expect(fs.readdirSync(d)).toEqual([]);
});

(posix ? test : test.skip)('a group-writable folder is refused', () => {
  const d = path.join(root, 'group');
  fs.mkdirSync(d);
  fs.chmodSync(d, 0o770);
  expect(cache.checkFolder(d)).toEqual({ ok: false, refused: true, dir: d, why: 'it is writable by its group (mode 770)' });
});

(posix ? test : test.skip)("a folder owned by another user is refused (someone made the temp folder first)", () => {
  let d;
  if (isRoot) {
    // The attack of issue 15: another user created fluxion-cache-<uid> before us, mode 0755 so
    // that it even looks private.
    d = path.join(root, `fluxion-cache-${process.getuid()}`);
    fs.mkdirSync(d, { mode: 0o755 });
    fs.chownSync(d, NOBODY, NOBODY);
  } else {
    d = '/usr'; // owned by root, writable by no one else: only the owner is wrong
  }
  const r = cache.checkFolder(d);
  expect(r.ok).toBe(false);
  expect(r.refused).toBe(true);
  expect(r.why).toMatch(/^it is owned by uid \d+, not by this user \(uid \d+\)$/);
  const warnings = [];
  expect(cache.choose({ cache: true, cacheDir: d }, { warn: (m) => warnings.push(m) })).toBeNull();
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(`compile cache ${d}: it is owned by uid`);
});

(posix ? test : test.skip)('a default location that is a symbolic link is refused; a folder the user names may be one', () => {
  const real = path.join(root, 'real');
  fs.mkdirSync(real, { mode: 0o700 });
  const link = path.join(root, 'link');
  fs.symlinkSync(real, link);
  expect(cache.checkFolder(link)).toMatchObject({ ok: false, refused: true, why: 'it is a symbolic link' });
  // FLUXION_CACHE_DIR pointing at the user's own private folder through a link: its target is checked.
  expect(cache.checkFolder(link, { followLinks: true }).ok).toBe(true);
  fs.chmodSync(real, 0o777);
  expect(cache.checkFolder(link, { followLinks: true })).toMatchObject({ ok: false, refused: true });
});

test('a tampered entry is ignored with one warning, recompiled, and rewritten good', () => {
  const { s, dir, warnings } = fresh();
  s.set(KEY, { code: 'module.exports = 1' });
  const file = fileOf(dir);
  // Another payload under the old hash: what a edit that does not know the format does.
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('module.exports = 1', 'require("child_process").execSync("id")'));
  expect(s.get(KEY)).toBeNull();
  expect(s.get(KEY)).toBeNull();
  expect(warnings).toEqual([`fluxion: ignoring the cached compilation ${file}: its content does not match its sha256 (changed or truncated); the module is compiled again`]);
  // What the require hook does next: compile, then store the result over the bad entry.
  s.set(KEY, { code: 'module.exports = 1' });
  expect(s.get(KEY)).toEqual({ code: 'module.exports = 1' });
  expect(warnings).toHaveLength(1);
});

test('a truncated entry (a crash mid-write on a filesystem without ordered renames) is refused', () => {
  const { s, dir, warnings } = fresh();
  s.set(KEY, { code: 'x'.repeat(1000) });
  const file = fileOf(dir);
  fs.truncateSync(file, 200);
  expect(s.get(KEY)).toBeNull();
  fs.truncateSync(file, 0);
  expect(s.get(KEY)).toBeNull();
  expect(warnings.map((w) => w.replace(/.*: (its|it) /, '$1 '))).toEqual([
    'its content does not match its sha256 (changed or truncated); the module is compiled again',
    'it is not an entry of this cache for this key; the module is compiled again',
  ]);
});

test('a good entry copied under another key is refused (the hash covers the key)', () => {
  const { s, dir, warnings } = fresh();
  const other = cache.keyOf(['another source']);
  s.set(other, { code: 'evil()' });
  fs.copyFileSync(fileOf(dir, other), fileOf(dir));
  expect(s.get(KEY)).toBeNull();
  expect(warnings[0]).toContain('it is not an entry of this cache for this key');
});

(posix ? test : test.skip)('a group-writable entry is refused, then replaced by a private one', () => {
  const { s, dir, warnings } = fresh();
  s.set(KEY, { code: 'ok' });
  fs.chmodSync(fileOf(dir), 0o664);
  expect(s.get(KEY)).toBeNull();
  expect(warnings).toEqual([expect.stringContaining('it is writable by its group (mode 664)')]);
  s.set(KEY, { code: 'ok' });
  expect(fs.statSync(fileOf(dir)).mode & 0o777).toBe(0o600);
  expect(s.get(KEY)).toEqual({ code: 'ok' });
});

(posix && isRoot ? test : test.skip)('an entry owned by another user is refused', () => {
  const { s, dir, warnings } = fresh();
  s.set(KEY, { code: 'ok' });
  fs.chownSync(fileOf(dir), NOBODY, NOBODY);
  expect(s.get(KEY)).toBeNull();
  expect(warnings[0]).toContain(`it is owned by uid ${NOBODY}, not by this user (uid 0)`);
});

(posix ? test : test.skip)('a symlinked entry is refused, and writing the key replaces the link, not its target', () => {
  const { s, dir, warnings } = fresh();
  // A link to a well-formed entry the attacker controls elsewhere (here: one of ours, to show
  // that even a good entry is not followed).
  const elsewhere = path.join(root, 'elsewhere');
  fs.mkdirSync(elsewhere, { mode: 0o700 });
  const other = cache.store(elsewhere);
  other.set(KEY, { code: 'from elsewhere' });
  const target = fileOf(elsewhere);
  const before = fs.readFileSync(target, 'utf8');
  fs.symlinkSync(target, fileOf(dir));
  expect(s.get(KEY)).toBeNull();
  expect(warnings).toEqual([expect.stringContaining('it is a symbolic link')]);
  s.set(KEY, { code: 'compiled here' });
  expect(fs.lstatSync(fileOf(dir)).isSymbolicLink()).toBe(false);
  expect(fs.readFileSync(target, 'utf8')).toBe(before);
  expect(s.get(KEY)).toEqual({ code: 'compiled here' });
});

(posix ? test : test.skip)('a FIFO in place of an entry does not hang the require: refused', () => {
  const { s, dir, warnings } = fresh();
  execFileSync('mkfifo', [fileOf(dir)]);
  expect(s.get(KEY)).toBeNull();
  expect(warnings).toEqual([expect.stringContaining('it is not a regular file')]);
});

test('concurrent writers in two processes: a reader never sees half an entry', async () => {
  const { s, dir, warnings } = fresh();
  const writer = (tag) =>
    spawn(
      process.execPath,
      [
        '-e',
        `const c = require(${JSON.stringify(require.resolve('../../../lib/hook/cache'))}).store(${JSON.stringify(dir)});
         const v = { code: ${JSON.stringify(tag)}.repeat(200000) };
         const end = Date.now() + 1500;
         while (Date.now() < end) c.set(${JSON.stringify(KEY)}, v);`,
      ],
      { stdio: 'inherit' }
    );
  const ws = [writer('a'), writer('b')];
  const done = Promise.all(ws.map((w) => new Promise((r) => w.once('exit', r))));
  let exited = false;
  done.then(() => (exited = true));
  const seen = new Set();
  let reads = 0;
  while (!exited) {
    const v = s.get(KEY);
    reads++;
    if (v) seen.add(v.code[0] + v.code.length);
    await new Promise((r) => setImmediate(r));
  }
  expect(await done).toEqual([0, 0]);
  expect(reads).toBeGreaterThan(20);
  expect(seen.size).toBeGreaterThan(0);
  expect(warnings).toEqual([]);
  for (const x of seen) expect(['a200000', 'b200000']).toContain(x);
  // No temp file is left behind by the writers.
  expect(fs.readdirSync(dir)).toEqual([KEY + cache.EXT]);
});
