'use strict';
// Project configuration: the "fluxion" key of package.json, or fluxion.config.js, found by
// walking up from the compiled file. Unknown or ill-typed keys are errors that name the key.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FluxionConfigError } = require('./errors');

/**
 * @typedef {import('../index').FluxionConfig} FluxionConfig
 */

const KNOWN = {
  rupturePoints: 'object',
  statelessModules: 'array',
  compileNodeModules: 'array',
};
const RUPTURE_KINDS = ['start', 'post'];

/**
 * Checks a config object; throws FluxionConfigError naming the first bad key.
 * @param {unknown} config
 * @param {string} [source] where it came from, for the message
 * @returns {FluxionConfig}
 */
function validate(config, source) {
  if (config === undefined || config === null) return {};
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new FluxionConfigError('fluxion', 'must be an object such as { "rupturePoints": { "post": ["db.query"] } }', source);
  }
  for (const key of Object.keys(config)) {
    if (!(key in KNOWN)) {
      throw new FluxionConfigError(key, `unknown key; known keys: ${Object.keys(KNOWN).join(', ')}`, source);
    }
  }
  for (const key of ['statelessModules', 'compileNodeModules']) {
    const list = config[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) {
      throw new FluxionConfigError(key, 'must be an array of package names', source);
    }
  }
  const rp = config.rupturePoints;
  if (rp !== undefined) {
    if (typeof rp !== 'object' || rp === null || Array.isArray(rp)) {
      throw new FluxionConfigError('rupturePoints', 'must be an object { start?: string[], post?: string[] }', source);
    }
    for (const key of Object.keys(rp)) {
      if (!RUPTURE_KINDS.includes(key)) {
        throw new FluxionConfigError(`rupturePoints.${key}`, 'unknown kind; use "start" (listeners) or "post" (continuations)', source);
      }
      const list = rp[key];
      if (!Array.isArray(list)) {
        throw new FluxionConfigError(`rupturePoints.${key}`, 'must be an array of callee patterns such as "db.query" or "redis.*"', source);
      }
      list.forEach((p, i) => {
        if (typeof p !== 'string') {
          throw new FluxionConfigError(`rupturePoints.${key}[${i}]`, `must be a string, got ${typeof p}`, source);
        }
      });
    }
  }
  return config;
}

// ---- process settings ---------------------------------------------------------------------
// Every setting fluxion reads from the environment, in one table: its key in the settings object,
// its variable, what it accepts, its default, what it does. `fluxion --help`, `fluxion help
// settings`, `fluxion run --<key>` and the README's table are made from it, and it is the only
// place in lib/ that reads `process.env`: the rest of the runtime gets `settings()`, validated
// once and frozen, and workers get the main thread's copy (workerData), never their own reading.

// No cap by default: the cap that meets scenario 7's RSS target (4 MB) cost gifsockets 10-15 %
// of its throughput (docs/bench.md, scenario 7): memory-tight deployments can set it.
const DEFAULT_WORKER_YOUNG_MB = 0;

/**
 * @typedef {object} SettingDef
 * @property {keyof import('../index').FluxionSettings} key
 * @property {string} env
 * @property {'integer'|'number'|'enum'|'flag'|'path'|'host'|'token'|'text'} type
 * @property {RegExp} [pattern] for 'text': what the whole value must match
 * @property {boolean} [secret] errors say how long the value is, never the value
 * @property {number} [min]
 * @property {number} [max]
 * @property {string[]} [values] for 'enum'
 * @property {string} [allowed] how the accepted values are said, when the type's wording is not enough
 * @property {unknown} default
 * @property {string} [defaultText] the default as users read it, when it is computed
 * @property {string} description
 */

/** @type {SettingDef[]} */
const SETTINGS = [
  {
    key: 'workers', env: 'FLUXION_WORKERS', type: 'integer', min: 1, max: 256,
    // One worker per core (issue 5): the main thread mostly waits on sockets, so it shares a core
    // with a worker; with cores - 1 a CPU-bound route on 2 cores could not beat one thread.
    default: () => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length),
    defaultText: 'one per core',
    description: 'worker threads in the pool',
  },
  {
    key: 'placement', env: 'FLUXION_PLACEMENT', type: 'enum', values: ['auto', 'eager', 'inline'], default: 'auto',
    description: 'auto: stateless handlers move by measured cost; eager: everything that may move runs on the workers; inline: everything stays on the main thread',
  },
  {
    key: 'offloadAboveUs', env: 'FLUXION_OFFLOAD_ABOVE_US', type: 'number', min: 0, default: null,
    allowed: 'a number of microseconds ≥ 0',
    defaultText: '150, or twice what a message costs',
    description: 'mean run time (µs) above which a stateless handler moves to the workers under auto; when set, that threshold as it is',
  },
  {
    key: 'transport', env: 'FLUXION_TRANSPORT', type: 'enum', values: ['port', 'bus'], default: 'port',
    description: 'how threads talk: port (MessagePort) or bus (the Rust bus)',
  },
  {
    key: 'rebalance', env: 'FLUXION_REBALANCE', type: 'flag', default: true,
    description: '0: contexts move only by moveContext(), never by themselves',
  },
  {
    key: 'rebalanceMs', env: 'FLUXION_REBALANCE_MS', type: 'number', min: 50, default: 500,
    allowed: 'a number of milliseconds ≥ 50',
    description: 'how often the main thread compares the workers\' load to move contexts',
  },
  {
    key: 'workerYoungMb', env: 'FLUXION_WORKER_YOUNG_MB', type: 'integer', min: 0, max: 4096, default: DEFAULT_WORKER_YOUNG_MB,
    allowed: "a whole number of megabytes from 1 to 4096, or 0 for V8's default",
    description: "cap on each worker's V8 young generation (resourceLimits.maxYoungGenerationSizeMb); 0: V8's own",
  },
  {
    key: 'jit', env: 'FLUXION_JIT', type: 'flag', default: true,
    description: '0: do not compile handlers found in the live router (only modules the require hook compiled move)',
  },
  {
    key: 'tails', env: 'FLUXION_TAILS', type: 'flag', default: true,
    description: '0: do not split context-free tails off fluxions with a context',
  },
  {
    key: 'strict', env: 'FLUXION_STRICT', type: 'flag', default: false,
    description: '1: a module that cannot be compiled is an error instead of a warning',
  },
  {
    key: 'cache', env: 'FLUXION_CACHE', type: 'flag', default: true,
    description: '0: compile every module at every start (no on-disk cache)',
  },
  {
    key: 'cacheDir', env: 'FLUXION_CACHE_DIR', type: 'path', default: null,
    defaultText: 'node_modules/.cache/fluxion, else fluxion-cache-UID in the temp dir',
    // The checks are the cache's (lib/hook/cache.js): the path is only text here.
    description: 'where compiled modules are cached; a folder not owned by you or writable by group or others is refused (no cache, one warning)',
  },
  {
    // The live dashboard (lib/dashboard/): off by default, and then nothing of it is loaded.
    key: 'dashboard', env: 'FLUXION_DASHBOARD', type: 'integer', min: 0, max: 65535, default: null,
    allowed: 'a TCP port from 1 to 65535, or 0 for any free port',
    defaultText: 'off',
    description: 'serve the live dashboard (the fluxion graph, where each fluxion runs, its load) on this port; `fluxion run --dashboard` alone: 7331',
  },
  {
    key: 'dashboardHost', env: 'FLUXION_DASHBOARD_HOST', type: 'host', default: '127.0.0.1',
    allowed: 'an IP address or a host name; other than loopback only with FLUXION_DASHBOARD_TOKEN',
    description: 'the address the dashboard listens on (loopback by default: it shows the app\'s code structure and load)',
  },
  {
    key: 'dashboardToken', env: 'FLUXION_DASHBOARD_TOKEN', type: 'token', default: null,
    allowed: 'at least 16 characters (letters, digits, - _ . ~)',
    defaultText: 'unset',
    description: 'secret the dashboard asks for (`?token=`) when set; required when it listens on an address other than loopback',
  },
  {
    key: 'statsFile', env: 'FLUXION_STATS_FILE', type: 'path', default: null,
    defaultText: 'unset',
    description: 'write stats() as JSON to this file when the process exits, also on SIGINT/SIGTERM; %p is replaced by the process id',
  },
  {
    key: 'gotToken', env: 'FLUXION_GOT_TOKEN', type: 'text', secret: true, pattern: /^[A-Za-z0-9._~-]{16,256}$/, default: null,
    allowed: '16 to 256 characters of A-Z a-z 0-9 - . _ ~',
    defaultText: 'unset: no token',
    description: 'the token GoT servers (serve()) require from clients and remote dataframes present; e.g. node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))"',
  },
  {
    key: 'gotOrigins', env: 'FLUXION_GOT_ORIGINS', type: 'text', pattern: /^\s*(\*|https?:\/\/[^,\s/]+)\s*(,\s*https?:\/\/[^,\s/]+\s*)*$/, default: null,
    allowed: 'comma-separated origins such as https://app.example:8443, or *',
    defaultText: 'unset: the server\'s own host',
    description: 'web pages (WebSocket Origin) GoT servers accept; * accepts any page',
  },
];

const FLAG_VALUES = { 1: true, true: true, yes: true, on: true, 0: false, false: false, no: false, off: false };

/** How a setting's accepted values are said, in errors and in help. */
function allowedText(def) {
  if (def.allowed) return def.allowed;
  switch (def.type) {
    case 'integer':
      return `an integer from ${def.min} to ${def.max}`;
    case 'number':
      return `a number ≥ ${def.min}`;
    case 'enum':
      return `one of ${def.values.join(', ')}`;
    case 'flag':
      return '0 or 1';
    default:
      return 'a path';
  }
}

/** The default as users read it. */
function defaultText(def) {
  if (def.defaultText) return def.defaultText;
  if (def.type === 'flag') return def.default ? '1' : '0';
  return String(def.default);
}

/**
 * One setting's value from its text; throws FluxionConfigError naming the key, the accepted
 * values and what was given. Empty text is unset (`FLUXION_X= node app.js`).
 * @param {SettingDef} def
 * @param {string | undefined} raw
 * @param {string} [name] how the user spelled the key (the variable, or a command-line option)
 * @param {string} [source]
 */
function parseSetting(def, raw, name = def.env, source = 'environment') {
  if (raw === undefined || raw === '') return typeof def.default === 'function' ? def.default() : def.default;
  const text = String(raw).trim();
  const given = def.secret ? `<${String(raw).length} characters>` : String(raw);
  const shown = def.secret ? given : `"${raw}"`;
  const bad = () => new FluxionConfigError(name, `must be ${allowedText(def)} (got ${shown})`, source, { allowed: allowedText(def), given });
  switch (def.type) {
    case 'integer': {
      if (!/^\d+$/.test(text)) throw bad();
      const n = Number(text);
      if (n < def.min || n > def.max) throw bad();
      return n;
    }
    case 'number': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n) || n < def.min) throw bad();
      return n;
    }
    case 'enum':
      if (!def.values.includes(text)) throw bad();
      return text;
    case 'flag': {
      const v = FLAG_VALUES[text.toLowerCase()];
      if (v === undefined) throw bad();
      return v;
    }
    case 'text':
      if (!def.pattern.test(text)) throw bad();
      return text;
    case 'host':
      // An address to bind: an IPv4/IPv6 literal or a host name (no scheme, port or path).
      if (!/^[A-Za-z0-9.:-]+$/.test(text) || text.length > 253) throw bad();
      return text;
    case 'token':
      if (!/^[A-Za-z0-9._~-]{16,}$/.test(text)) throw bad();
      return text;
    default:
      return String(raw);
  }
}

/**
 * Reads and checks every setting; throws FluxionConfigError on the first bad one.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Readonly<import('../index').FluxionSettings>}
 */
function load(env = process.env) {
  const out = {};
  for (const def of SETTINGS) out[def.key] = parseSetting(def, env[def.env]);
  checkTogether(out);
  return Object.freeze(out);
}

/** Loopback addresses: the dashboard may listen there without a token. */
const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/i;

/**
 * Rules between settings: the dashboard on an address other than loopback (anyone who reaches
 * the machine would see the app's structure and load) needs a token.
 * @param {Record<string, unknown>} s
 * @param {string} [source]
 */
function checkTogether(s, source = 'environment', nameOf = (key) => SETTINGS.find((d) => d.key === key).env) {
  if (s.dashboard !== null && s.dashboard !== undefined && s.dashboardHost && !LOOPBACK.test(String(s.dashboardHost)) && !s.dashboardToken) {
    const tokenName = nameOf('dashboardToken');
    throw new FluxionConfigError(
      nameOf('dashboardHost'),
      `listening on ${s.dashboardHost} (not loopback) needs a token: set ${tokenName} too`,
      source,
      { allowed: `a loopback address, or any address with ${tokenName}`, given: String(s.dashboardHost) },
    );
  }
}

let current = null;

/**
 * The process's settings, read once: on fluxion's workers, the main thread's (handed down in
 * workerData), so that every thread runs with the same values.
 * @returns {Readonly<import('../index').FluxionSettings>}
 */
function settings() {
  if (current) return current;
  const { isMainThread, workerData } = require('node:worker_threads');
  if (!isMainThread && workerData && workerData.fluxionSettings) current = Object.freeze({ ...workerData.fluxionSettings });
  else current = load();
  return current;
}

/**
 * Environment for a child process running the app (`fluxion run`): the parent's, with the
 * given settings (by key, as text) checked and set.
 * @param {Record<string, string | undefined>} values key -> text, e.g. { workers: '2' }
 * @param {(key: string) => string} [nameOf] how the user spelled a key, for errors
 */
function childEnv(values, nameOf = (k) => k) {
  const env = { ...process.env };
  const parsed = {};
  for (const def of SETTINGS) {
    const raw = values[def.key];
    if (raw === undefined) {
      parsed[def.key] = parseSetting(def, env[def.env]);
      continue;
    }
    parsed[def.key] = parseSetting(def, raw, nameOf(def.key), 'command line');
    env[def.env] = String(raw);
  }
  checkTogether(parsed, 'command line', (key) => (values[key] !== undefined ? nameOf(key) : SETTINGS.find((d) => d.key === key).env));
  return env;
}

/**
 * An environment for a child process (`fluxion verify`'s runs): `base` (this process's by
 * default) with the given settings by key set, or removed where the value is undefined.
 * @param {Record<string, string | undefined>} values key -> text, e.g. { placement: 'eager' }
 * @param {NodeJS.ProcessEnv} [base]
 */
function envWith(values, base = process.env) {
  const env = { ...base };
  for (const def of SETTINGS) {
    if (!(def.key in values)) continue;
    delete env[def.env];
    if (values[def.key] !== undefined) {
      parseSetting(def, values[def.key], def.key, 'verify');
      env[def.env] = String(values[def.key]);
    }
  }
  return env;
}

/**
 * V8 young-generation cap of each worker, in MB (Worker `resourceLimits.maxYoungGenerationSizeMb`),
 * from `workerYoungMb`; 0 (the default) leaves V8's default. Without a cap, V8 grows a busy worker's
 * new space as the main thread's, and what a large young generation holds until its next scavenge
 * (the objects, and native memory such as crypto Hash contexts that only GC frees) is most of a
 * worker's memory beyond a worker that only loaded the app: docs/bench.md (scenario 7).
 * @param {NodeJS.ProcessEnv} [env] read this environment instead of the process's settings
 * @returns {{ maxYoungGenerationSizeMb: number } | undefined}
 */
function workerResourceLimits(env) {
  const mb = env ? load(env).workerYoungMb : settings().workerYoungMb;
  return mb === 0 ? undefined : { maxYoungGenerationSizeMb: mb };
}

/** The stats file's path for this process (`%p`: its id), or null. */
function statsFilePath(s = settings()) {
  return s.statsFile ? s.statsFile.replace(/%p/g, String(process.pid)) : null;
}

/** Whether fluxion's ES-module loader hooks are wanted (Node 20): read from Node's own options. */
function nodeOptions() {
  return process.env.NODE_OPTIONS || '';
}

const cache = new Map();

/**
 * The configuration that applies to a file: the nearest fluxion.config.js or package.json with
 * a "fluxion" key, walking up from the file's directory.
 * @param {string} file
 * @returns {FluxionConfig}
 */
function forFile(file) {
  let dir = path.dirname(path.resolve(file));
  const seen = [];
  for (;;) {
    if (cache.has(dir)) {
      const found = cache.get(dir);
      for (const d of seen) cache.set(d, found);
      return found;
    }
    seen.push(dir);
    const js = path.join(dir, 'fluxion.config.js');
    const pkg = path.join(dir, 'package.json');
    let found;
    if (fs.existsSync(js)) {
      found = validate(require(js), js);
    } else if (fs.existsSync(pkg)) {
      let json;
      try {
        json = JSON.parse(fs.readFileSync(pkg, 'utf8'));
      } catch {
        json = null; // not ours to judge: Node reports broken package.json files itself
      }
      if (json && Object.prototype.hasOwnProperty.call(json, 'fluxion')) {
        found = validate(json.fluxion, `${pkg} "fluxion"`);
      }
    }
    const parent = path.dirname(dir);
    if (found || parent === dir) {
      found = found || {};
      for (const d of seen) cache.set(d, found);
      return found;
    }
    dir = parent;
  }
}

module.exports = {
  envWith,
  validate,
  forFile,
  SETTINGS,
  settings,
  load,
  parseSetting,
  allowedText,
  defaultText,
  childEnv,
  statsFilePath,
  nodeOptions,
  workerResourceLimits,
  DEFAULT_WORKER_YOUNG_MB,
  LOOPBACK,
};
