'use strict';
// On-disk cache of compiled modules, keyed by source, options and compiler version, so that a
// restart (and every worker thread) skips the compiler. The setting `cache` (0) turns it off.
//
// What is read from here is executed, so the cache must not be a way in for another local user
// (issue 15: a shared temp folder created first by someone else ran their code in every fluxion
// app on the machine). The rules, each checked where it cannot be raced:
// - the folder is created with mode 0700; a folder not owned by this user, writable by group or
//   others, or (for the default locations) a symbolic link is refused: no cache at all (modules
//   compile in memory at every start), with one warning naming the folder and why;
// - an entry is opened without following links and without blocking (a FIFO would hang the
//   require), then checked on the open descriptor: a regular file, owned by this user, not
//   writable by group or others;
// - an entry carries the sha256 of its key and content, checked before it is used: an entry
//   changed by hand, truncated by a crash, or copied under another key is ignored and recompiled
//   (then rewritten), with one warning;
// - writes go to a new private temp file (O_EXCL, 0600) renamed over the entry: a reader in
//   another thread or process sees the old entry or the new one, never half of one.
// On Windows (no uid, no mode bits) only the hash and the atomic writes apply.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { isMainThread, threadId } = require('node:worker_threads');

// The entry format: a header line, then the JSON value. The extension changed with the format,
// so entries of earlier versions (plain JSON, no hash) are never read, only left behind.
const FORMAT = 'fluxion-cache/2';
const EXT = '.fxc';
const C = fs.constants;
// Missing on Windows: there, 0 (no such flag) and the link check is lstat's.
const O_NOFOLLOW = C.O_NOFOLLOW || 0;
const O_NONBLOCK = C.O_NONBLOCK || 0;

/** This user's id, or null where there is none (Windows): ownership is then not checked. */
function currentUid() {
  return typeof process.getuid === 'function' ? process.getuid() : null;
}

/**
 * Why a folder or entry must not be trusted, or null when it may be.
 * @param {fs.Stats} st its stats (of the open descriptor, for an entry)
 * @param {'folder'|'file'} kind
 * @param {number|null} uid
 * @returns {string|null}
 */
function distrust(st, kind, uid) {
  if (kind === 'folder' && !st.isDirectory()) return 'it is not a folder';
  if (kind === 'file' && !st.isFile()) return 'it is not a regular file';
  if (uid === null) return null;
  if (st.uid !== uid) return `it is owned by uid ${st.uid}, not by this user (uid ${uid})`;
  const w = st.mode & 0o022;
  if (w) {
    const who = w === 0o022 ? 'group and others' : w & 0o002 ? 'others' : 'its group';
    return `it is writable by ${who} (mode ${(st.mode & 0o777).toString(8).padStart(3, '0')})`;
  }
  return null;
}

/**
 * Opens (creating it if needed) a cache folder and checks it.
 * @param {string} dir
 * @param {{ create?: boolean, followLinks?: boolean, uid?: number|null }} [opts] followLinks: a
 *   folder the user named may be a link to one they own; the default locations are never links
 * @returns {{ ok: true, dir: string } | { ok: false, refused: boolean, dir: string, why: string }}
 *   refused: it exists and is not safe (warn); otherwise it could not be made (try elsewhere)
 */
function checkFolder(dir, opts = {}) {
  const uid = opts.uid === undefined ? currentUid() : opts.uid;
  let st;
  try {
    st = opts.followLinks ? fs.statSync(dir) : fs.lstatSync(dir);
  } catch (err) {
    if (err.code !== 'ENOENT' || opts.create === false) return { ok: false, refused: false, dir, why: err.code || err.message };
    try {
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      // Only the last folder is private: its parents (node_modules/.cache) are shared by tools.
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if (e.code !== 'EEXIST') return { ok: false, refused: false, dir, why: e.code || e.message };
      // Someone made it between our look and our mkdir: it is checked below like any other.
    }
    try {
      st = opts.followLinks ? fs.statSync(dir) : fs.lstatSync(dir);
    } catch (e) {
      return { ok: false, refused: false, dir, why: e.code || e.message };
    }
  }
  if (st.isSymbolicLink()) return { ok: false, refused: true, dir, why: 'it is a symbolic link' };
  const why = distrust(st, 'folder', uid);
  if (why) return { ok: false, refused: true, dir, why };
  return { ok: true, dir };
}

/** The hash an entry carries: of its key and its content, so an entry is only good for its key. */
function digest(key, body) {
  return crypto.createHash('sha256').update(FORMAT).update('\0').update(key).update('\0').update(body).digest('hex');
}

/**
 * A cache in one folder that has passed checkFolder.
 * @param {string} dir
 * @param {{ warn?: (message: string) => void, uid?: number|null }} [opts] warn: how a refused entry
 *   is reported (once per entry and reason)
 */
function store(dir, opts = {}) {
  const uid = opts.uid === undefined ? currentUid() : opts.uid;
  const warned = new Set();
  /** Reports a refused entry (once per entry and reason); returns null, what get() answers. */
  const refuse = (file, why) => {
    const k = `${file}\0${why}`;
    if (warned.has(k)) return null;
    warned.add(k);
    const msg = `fluxion: ignoring the cached compilation ${file}: ${why}; the module is compiled again`;
    if (opts.warn) opts.warn(msg);
    else process.emitWarning(msg, { code: 'FLUXION_CACHE_REFUSED' });
    return null;
  };
  const fileOf = (key) => {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`fluxion: bad cache key ${JSON.stringify(key)}`);
    return path.join(dir, key + EXT);
  };

  /** The value stored under `key`, or null (absent, or refused with a warning). */
  function get(key) {
    const file = fileOf(key);
    let fd;
    try {
      fd = fs.openSync(file, C.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      if (err.code === 'ELOOP' || err.code === 'EMLINK') refuse(file, 'it is a symbolic link');
      else if (err.code !== 'ENOENT') refuse(file, `it cannot be opened (${err.code || err.message})`);
      return null;
    }
    let text;
    try {
      const st = fs.fstatSync(fd);
      const why = distrust(st, 'file', uid);
      if (why) return refuse(file, why);
      if (!O_NOFOLLOW && fs.lstatSync(file).isSymbolicLink()) return refuse(file, 'it is a symbolic link');
      text = fs.readFileSync(fd, 'utf8');
    } catch (err) {
      return refuse(file, `it cannot be read (${err.code || err.message})`);
    } finally {
      fs.closeSync(fd);
    }
    const nl = text.indexOf('\n');
    const header = (nl < 0 ? text : text.slice(0, nl)).split(' ');
    const body = nl < 0 ? '' : text.slice(nl + 1);
    if (header.length !== 3 || header[0] !== FORMAT || header[1] !== key) {
      return refuse(file, 'it is not an entry of this cache for this key');
    }
    if (header[2] !== digest(key, body)) {
      return refuse(file, 'its content does not match its sha256 (changed or truncated)');
    }
    try {
      return JSON.parse(body);
    } catch {
      return refuse(file, 'its content is not JSON');
    }
  }

  /** Stores `value` under `key`; a cache that cannot be written is only slower. */
  function set(key, value) {
    const file = fileOf(key);
    const body = JSON.stringify(value);
    const text = `${FORMAT} ${key} ${digest(key, body)}\n${body}`;
    // A name no one can have prepared (O_EXCL fails on anything there, a link included).
    const tmp = path.join(dir, `.${key}.${process.pid}.${threadId}.${crypto.randomBytes(6).toString('hex')}.tmp`);
    let fd;
    try {
      fd = fs.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, 0o600);
      fs.writeFileSync(fd, text); // loops until all is written, unlike writeSync
      fs.closeSync(fd);
      fd = undefined;
      // rename replaces the entry itself, a link included, never the file a link points to.
      fs.renameSync(tmp, file);
    } catch {
      if (fd !== undefined) fs.closeSync(fd);
      try {
        fs.unlinkSync(tmp);
      } catch {
        // never created, or already renamed
      }
    }
  }

  return { dir, get, set };
}

/** The default locations, in order: the project's node_modules/.cache, then a per-user temp folder. */
function defaultFolders() {
  const uid = currentUid();
  return [
    path.join(process.cwd(), 'node_modules', '.cache', 'fluxion'),
    path.join(os.tmpdir(), `fluxion-cache-${uid === null ? os.userInfo().username : uid}`),
  ];
}

/**
 * Chooses the cache for this process from the settings: `cacheDir` if set (only it: a folder the
 * user named and that is refused is not replaced by another), else the first default location
 * that exists or can be made. A refused folder means no cache, with one warning (main thread
 * only: workers make the same choice and would repeat it).
 * @param {{ cache: boolean, cacheDir: string|null }} s
 * @param {{ warn?: (message: string) => void }} [opts]
 * @returns {ReturnType<typeof store> | null}
 */
function choose(s, opts = {}) {
  if (!s.cache) return null;
  /** Reports a refused folder; returns null: no cache. */
  const refuse = (r) => {
    // The variable's name comes from the settings table, the one place that names them.
    const variable = require('../config').SETTINGS.find((d) => d.key === 'cacheDir').env;
    const msg = `fluxion: not using the compile cache ${r.dir}: ${r.why}; modules are compiled in memory at every start (${variable} names another folder)`;
    if (opts.warn) opts.warn(msg);
    else if (isMainThread) process.emitWarning(msg, { code: 'FLUXION_CACHE_REFUSED' });
    return null;
  };
  if (s.cacheDir) {
    const r = checkFolder(path.resolve(s.cacheDir), { followLinks: true });
    if (r.ok) return store(r.dir, opts);
    return refuse(r.refused ? r : { dir: r.dir, why: `it cannot be created (${r.why})` });
  }
  for (const d of defaultFolders()) {
    // node_modules/.cache only in a project that has node_modules: never create node_modules.
    if (d.includes(`${path.sep}node_modules${path.sep}`) && !fs.existsSync(path.dirname(path.dirname(d)))) continue;
    const r = checkFolder(d);
    if (r.ok) return store(r.dir, opts);
    if (r.refused) return refuse(r);
    // Not writable (a read-only project): the next location.
  }
  return null;
}

let current;
function chosen() {
  if (current === undefined) current = choose(require('../config').settings());
  return current;
}

/** The folder in use, or null (cache off or refused). */
function cacheDir() {
  const c = chosen();
  return c ? c.dir : null;
}

/** A key from its parts (the source, the compiler version, the options...). */
function keyOf(parts) {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\0');
  return h.digest('hex');
}

function get(key) {
  const c = chosen();
  return c ? c.get(key) : null;
}

function set(key, value) {
  const c = chosen();
  if (c) c.set(key, value);
}

module.exports = { keyOf, get, set, cacheDir, checkFolder, store, choose, distrust, FORMAT, EXT };
