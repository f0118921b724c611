'use strict';
// The grammar of generated apps: each feature is a way ordinary Express code holds or reaches
// state, answers, or fails, with the requests that exercise it. A feature draws its parameters
// from the PRNG once (generate.js); rendering from those parameters is pure, so the shrinker can
// drop units and requests and re-render the rest.
//
// A unit (one use of a feature, id `u<k>`) renders to a Part:
//   files       extra files of the app (helper modules, data)            { [relPath]: source }
//   top         module top-level lines, before the routes
//   settings    lines right after the app is created (app.set, app.locals)
//   middleware  app.use(...) lines, before the routes
//   routes      route lines
//   errors      branches of the app's one error middleware (may `return res...`)
//   state       an expression: the unit's final state, served by GET /__state/<unit>
//   steps       sequential requests: { method, path, headers?, body? }
//   batches     concurrent requests: { requests, check: 'multiset' | 'status' }
//               'multiset': the same outcomes in any order; 'status': interleaving decides
//               the bodies, so only statuses (as a multiset), and no value answered twice by one
//               path (a counter never hands out a number twice), are compared
//   settle      ms to wait before reading the final state (timers, emitters after the response)
//   startup     ms to wait after the app says it listens, before the first request (start-up I/O)
// Each unit has its own `/__state/<unit>` route so that no route reads every unit's state:
// one reader of all state would put every group in one tag and hide placement bugs.

/** @typedef {{ method: string, path: string, headers?: Record<string,string>, body?: any }} Step */
/** @typedef {{ requests: Step[], check: 'multiset' | 'status' }} Batch */
/**
 * @typedef {{ files?: Record<string,string>, top?: string[], settings?: string[], middleware?: string[],
 *   routes?: string[], errors?: string[], state: string, steps: Step[], batches?: Batch[], settle?: number, startup?: number,
 *   stateRoute?: boolean }} Part
 */
/**
 * @typedef {{ name: string, about: string, once?: boolean, params: (rng: any) => object,
 *   render: (p: any, u: string) => Part }} Feature
 */

const get = (path, headers) => ({ method: 'GET', path, ...(headers ? { headers } : {}) });
const post = (path, body, headers) => ({ method: 'POST', path, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
const times = (n, f) => Array.from({ length: n }, (_, i) => f(i));

/**
 * A handler in one of the ways people write them: an arrow, a named function expression, or a
 * function declared at top level and passed by name.
 */
function handler(style, name, params, body) {
  if (style === 'arrow') return { inline: `(${params}) => {\n${body}\n}`, decl: '' };
  if (style === 'named') return { inline: `function ${name}(${params}) {\n${body}\n}`, decl: '' };
  return { inline: name, decl: `function ${name}(${params}) {\n${body}\n}` };
}
const STYLES = ['arrow', 'named', 'declared'];

/** `app.<method>(path, handler)` plus the declaration the handler may need. */
function route(method, path, style, name, params, body) {
  const h = handler(style, name, params, body);
  return (h.decl ? h.decl + '\n' : '') + `app.${method}('${path}', ${h.inline});`;
}

/** Routes answering bodies of the drawn kinds (odd-body, unclonable-body). */
function bodies(p, u) {
  const body = {
    fn: `res.send({ a: 1, f() { return 2; } })`,
    tojson: `res.json(new Money${u}(5))`,
    map: `res.json({ m: new Map([[1, 2]]), s: new Set([3]) })`,
    instance: `res.send(new Point${u}(1, 2))`,
    date: `res.json({ when: new Date(0), nothing: undefined, nan: NaN })`,
  };
  return {
    top: [
      `class Money${u} {\n  constructor(cents) { this.cents = cents; this.format = () => '$' + cents; }\n  toJSON() { return { amount: this.cents / 100 }; }\n}`,
      `class Point${u} {\n  constructor(x, y) { this.x = x; this.y = y; }\n  norm() { return Math.hypot(this.x, this.y); }\n}`,
    ],
    routes: p.kinds.map((k) => `app.get('/${u}/${k}', (req, res) => {\n  ${body[k]};\n});`),
    state: `{}`,
    steps: p.kinds.map((k) => get(`/${u}/${k}`)),
  };
}

/** @type {Feature[]} */
const FEATURES = [
  {
    name: 'counter',
    about: 'a module-level counter incremented by one handler',
    params: (r) => ({ style: r.pick(STYLES), seq: r.int(1, 3), conc: r.int(0, 1) ? r.int(8, 24) : 0 }),
    render: (p, u) => ({
      top: [`let visits${u} = 0;`],
      routes: [route('get', `/${u}/hit`, p.style, `hit${u}`, 'req, res', `  visits${u} += 1;\n  res.send(String(visits${u}));`)],
      state: `{ visits: visits${u} }`,
      steps: times(p.seq, () => get(`/${u}/hit`)),
      batches: p.conc ? [{ requests: times(p.conc, () => get(`/${u}/hit`)), check: 'multiset' }] : [],
    }),
  },
  {
    name: 'shared-writers',
    about: 'two handlers write one variable (a share group); one of them may throw after writing',
    params: (r) => ({ style: r.pick(STYLES), by: r.int(2, 5), throws: r.chance(0.5), conc: r.chance(0.6) ? r.int(6, 16) : 0 }),
    render: (p, u) => ({
      top: [`let total${u} = 0;`],
      routes: [
        route('post', `/${u}/add`, p.style, `add${u}`, 'req, res', `  total${u} += 1;\n  res.json({ total: total${u} });`),
        route('post', `/${u}/addmore`, 'arrow', `addMore${u}`, 'req, res',
          `  total${u} += ${p.by};\n` +
          (p.throws ? `  if (req.query.fail) throw new Error('refused after writing');\n` : '') +
          `  res.json({ total: total${u} });`),
      ],
      state: `{ total: total${u} }`,
      steps: [post(`/${u}/add`), post(`/${u}/addmore`), ...(p.throws ? [post(`/${u}/addmore?fail=1`)] : []), post(`/${u}/add`)],
      batches: p.conc
        ? [{ requests: times(p.conc, (i) => post(i % 3 === 0 ? `/${u}/addmore${p.throws && i % 2 ? '?fail=1' : ''}` : `/${u}/add`)), check: 'status' }]
        : [],
    }),
  },
  {
    name: 'two-groups',
    about: 'one handler uses two shared variables, each also written by a handler of its own',
    params: (r) => ({ style: r.pick(STYLES), conc: r.chance(0.6) ? r.int(6, 16) : 0 }),
    render: (p, u) => ({
      top: [`let apples${u} = 0;`, `let pears${u} = 0;`],
      routes: [
        route('post', `/${u}/apple`, p.style, `apple${u}`, 'req, res', `  apples${u} += 1;\n  res.json({ apples: apples${u} });`),
        route('post', `/${u}/pear`, p.style, `pear${u}`, 'req, res', `  pears${u} += 1;\n  res.json({ pears: pears${u} });`),
        route('post', `/${u}/both`, p.style, `both${u}`, 'req, res', `  apples${u} += 1;\n  pears${u} += 1;\n  res.json({ apples: apples${u}, pears: pears${u} });`),
      ],
      state: `{ apples: apples${u}, pears: pears${u} }`,
      steps: [post(`/${u}/apple`), post(`/${u}/both`), post(`/${u}/pear`), post(`/${u}/both`)],
      batches: p.conc ? [{ requests: times(p.conc, (i) => post(`/${u}/${['apple', 'pear', 'both'][i % 3]}`)), check: 'status' }] : [],
    }),
  },
  {
    name: 'await-cpu',
    about: 'an async handler: CPU work (hashing), await I/O, more CPU work, then a state write',
    params: (r) => ({
      before: r.int(0, 1) ? r.int(50, 300) : 0,
      after: r.int(0, 1) ? r.int(50, 300) : 0,
      awaits: r.int(1, 2),
      io: r.pick(['readFile', 'stat', 'timer']),
      conc: r.chance(0.7) ? r.int(8, 24) : 0,
    }),
    render: (p, u) => {
      const io = { readFile: `await fs.promises.readFile(__filename)`, stat: `await fs.promises.stat(__dirname)`, timer: `await new Promise((resolve) => setTimeout(resolve, 1))` }[p.io];
      const body = [
        p.before ? `  work(${p.before});` : '',
        ...times(p.awaits, () => `  ${io};`),
        p.after ? `  work(${p.after});` : '',
        `  visits${u} += 1;`,
        `  res.send(String(visits${u}));`,
      ].filter(Boolean).join('\n');
      return {
        top: [`let visits${u} = 0;`],
        routes: [`app.get('/${u}/visit', async (req, res) => {\n${body}\n});`],
        state: `{ visits: visits${u} }`,
        steps: [get(`/${u}/visit`), get(`/${u}/visit`)],
        batches: p.conc ? [{ requests: times(p.conc, () => get(`/${u}/visit`)), check: 'multiset' }] : [],
      };
    },
  },
  {
    name: 'then-chain',
    about: 'a .then chain over I/O that writes state in a later link',
    params: (r) => ({ links: r.int(1, 3), conc: r.chance(0.5) ? r.int(6, 16) : 0 }),
    render: (p, u) => ({
      top: [`let loaded${u} = 0;`],
      routes: [
        `app.get('/${u}/then', (req, res, next) => {\n  fs.promises.readFile(__filename, 'utf8')\n    .then((text) => text.length)\n` +
          times(p.links - 1, (i) => `    .then((n) => n + ${i + 1})\n`).join('') +
          `    .then((n) => {\n      loaded${u} += 1;\n      res.json({ big: n > 10, loaded: loaded${u} });\n    })\n    .catch(next);\n});`,
      ],
      state: `{ loaded: loaded${u} }`,
      steps: [get(`/${u}/then`), get(`/${u}/then`)],
      batches: p.conc ? [{ requests: times(p.conc, () => get(`/${u}/then`)), check: 'multiset' }] : [],
    }),
  },
  {
    name: 'startup-callback',
    about: 'state filled by a callback at start-up (fs.readFile of a data file at top level), then changed by requests',
    params: (r) => ({ how: r.pick(['callback', 'promise']), conc: r.chance(0.4) ? r.int(4, 10) : 0 }),
    render: (p, u) => ({
      files: { [`data/users${u}.json`]: JSON.stringify([{ name: 'ada' }, { name: 'bob' }]) },
      top: [
        `let users${u} = [];`,
        p.how === 'callback'
          ? `fs.readFile(path.join(__dirname, 'data', 'users${u}.json'), 'utf8', (err, text) => {\n  if (!err) users${u} = JSON.parse(text);\n});`
          : `fs.promises.readFile(path.join(__dirname, 'data', 'users${u}.json'), 'utf8').then((text) => {\n  users${u} = JSON.parse(text);\n});`,
      ],
      routes: [
        `app.post('/${u}/users', (req, res) => {\n  users${u}.push({ name: req.body && req.body.name });\n  res.status(201).json({ count: users${u}.length });\n});`,
        // Sorted: after a concurrent batch of additions, the order is the interleaving's.
        `app.get('/${u}/users', (req, res) => res.json(users${u}.map((x) => x.name).sort()));`,
      ],
      state: `{ users: users${u}.map((x) => x.name).sort() }`,
      // The read must be done before the first request in every configuration, or the runs
      // differ by timing alone (seen under load: fluxion's start-up is heavier than plain's).
      startup: 300,
      steps: [get(`/${u}/users`), post(`/${u}/users`, { name: 'cy' }), get(`/${u}/users`), post(`/${u}/users`, { name: 'di' })],
      batches: p.conc ? [{ requests: times(p.conc, (i) => post(`/${u}/users`, { name: `n${i}` })), check: 'status' }] : [],
    }),
  },
  {
    name: 'top-timer',
    about: 'top-level timers (a setTimeout and a setInterval that stops itself) with effects in a file',
    params: (r) => ({ ticks: r.int(2, 4) }),
    render: (p, u) => ({
      top: [
        `let ticks${u} = 0;`,
        `setTimeout(() => fs.appendFileSync(path.join(__dirname, 'effects.log'), '${u}:once\\n'), 1);`,
        `const ticker${u} = setInterval(() => {\n  ticks${u} += 1;\n  fs.appendFileSync(path.join(__dirname, 'effects.log'), '${u}:tick\\n');\n  if (ticks${u} === ${p.ticks}) clearInterval(ticker${u});\n}, 5);`,
      ],
      state: `{ ticks: ticks${u}, effects: effects('${u}') }`,
      steps: [],
      settle: 120,
    }),
  },
  {
    name: 'tick-order',
    about: 'response calls made in process.nextTick, a microtask and setImmediate (headers in one, send in another)',
    params: (r) => {
      const ways = r.shuffle(['tick', 'micro', 'immediate']).slice(0, r.int(2, 3));
      return { ways, status: r.chance(0.5), conc: r.chance(0.5) ? r.int(8, 20) : 0 };
    },
    render: (p, u) => {
      // Node runs nextTick callbacks before promise callbacks, and both before setImmediate:
      // the last of them to run sends; the source lists them in the drawn order.
      const order = ['tick', 'micro', 'immediate'].filter((w) => p.ways.includes(w));
      const last = order[order.length - 1];
      const wrap = { tick: (s) => `process.nextTick(() => { ${s} });`, micro: (s) => `Promise.resolve().then(() => { ${s} });`, immediate: (s) => `setImmediate(() => { ${s} });` };
      const lines = p.ways.map((w, i) => {
        const call = w === last
          ? `res.append('X-Step', '${w}'); res.send('sent in ${w}');`
          : `res.append('X-Step', '${w}');${p.status && i === 0 ? ' res.status(202);' : ''}`;
        return '  ' + wrap[w](call);
      });
      return {
        routes: [`app.get('/${u}/order', (req, res) => {\n  res.set('X-Step', 'sync');\n${lines.join('\n')}\n});`],
        state: `{}`,
        steps: [get(`/${u}/order`), get(`/${u}/order`)],
        batches: p.conc ? [{ requests: times(p.conc, () => get(`/${u}/order`)), check: 'multiset' }] : [],
      };
    },
  },
  {
    name: 'custom-error',
    about: 'custom error classes with fields, thrown or passed to next(err), and an error middleware branching on instanceof',
    params: (r) => ({ where: r.pick(['module', 'helper']), how: r.pick(['throw', 'next', 'async']) }),
    render: (p, u) => {
      const classes =
        `class NotFound${u} extends Error {\n  constructor(what) {\n    super(what + ' not found');\n    this.name = 'NotFound${u}';\n    this.status = 404;\n    this.what = what;\n  }\n}\n` +
        `class Invalid${u} extends Error {\n  constructor(fields) {\n    super('invalid');\n    this.status = 422;\n    this.fields = fields;\n  }\n}`;
      const fail = {
        throw: (e) => `throw ${e};`,
        next: (e) => `return next(${e});`,
        async: (e) => `await fs.promises.stat(__dirname);\n  throw ${e};`,
      }[p.how];
      const h = (name, cond, e, ok) =>
        `app.get('/${u}/${name}/:id', ${p.how === 'async' ? 'async ' : ''}(req, res, next) => {\n  if (${cond}) {\n  ${fail(e)}\n  }\n  res.json(${ok});\n});`;
      return {
        files: p.where === 'helper' ? { [`errors${u}.js`]: `'use strict';\n${classes}\nmodule.exports = { NotFound${u}, Invalid${u} };\n` } : {},
        top: [p.where === 'helper' ? `const { NotFound${u}, Invalid${u} } = require('./errors${u}');` : classes],
        routes: [
          h('item', `req.params.id !== '1'`, `new NotFound${u}(req.params.id)`, `{ id: 1 }`),
          h('check', `req.params.id.length > 2`, `new Invalid${u}(['id', req.params.id])`, `{ ok: req.params.id }`),
        ],
        errors: [
          `if (err instanceof NotFound${u}) return res.status(err.status).json({ name: err.name, what: err.what, message: err.message, isError: err instanceof Error });`,
          `if (err instanceof Invalid${u}) return res.status(err.status).json({ fields: err.fields, message: err.message });`,
        ],
        state: `{}`,
        steps: [get(`/${u}/item/1`), get(`/${u}/item/7`), get(`/${u}/check/ab`), get(`/${u}/check/abcd`)],
      };
    },
  },
  {
    name: 'odd-body',
    about: 'bodies structured clone changes but JSON keeps: Maps and Sets, plain class instances, Dates, undefined, NaN',
    params: (r) => ({ kinds: r.shuffle(['map', 'instance', 'date']).slice(0, r.int(1, 3)) }),
    render: (p, u) => bodies(p, u),
  },
  {
    name: 'unclonable-body',
    about: 'bodies structured clone refuses: an object with a method, a class instance with toJSON and a function field',
    params: (r) => ({ kinds: r.shuffle(['fn', 'tojson']).slice(0, r.int(1, 2)) }),
    render: (p, u) => bodies(p, u),
  },
  {
    name: 'app-settings',
    about: 'app.set(...) and app.locals read through req.app in a handler',
    params: (r) => ({ via: r.pick(['get', 'settings', 'enabled']) }),
    render: (p, u) => ({
      settings: [`app.set('title${u}', 'Title ${u}');`, `app.locals.site${u} = { name: 'Site ${u}' };`, `app.enable('feature${u}');`],
      routes: [
        `app.get('/${u}/about', (req, res) => {\n  res.json({\n    title: ${p.via === 'settings' ? `req.app.settings['title${u}']` : `req.app.get('title${u}')`},\n    site: req.app.locals.site${u},\n    feature: ${p.via === 'enabled' ? `req.app.enabled('feature${u}')` : `req.app.get('feature${u}')`},\n    same: req.app === app,\n  });\n});`,
      ],
      state: `{}`,
      steps: [get(`/${u}/about`)],
    }),
  },
  {
    name: 'routing-setting',
    about: "'case sensitive routing' / 'strict routing' set after the app is created",
    once: true,
    params: (r) => ({ setting: r.pick(['case sensitive routing', 'strict routing']) }),
    render: (p, u) => ({
      settings: [`app.set('${p.setting}', true);`],
      routes: [`app.get('/${u}/Mixed', (req, res) => res.send('mixed'));`, `app.get('/${u}/slash/', (req, res) => res.send('slash'));`],
      state: `{}`,
      steps: [get(`/${u}/Mixed`), get(`/${u}/mixed`), get(`/${u}/slash/`), get(`/${u}/slash`)],
    }),
  },
  {
    name: 'middleware-chain',
    about: 'middleware hanging fields, helper functions and res.locals on req/res, deleting a field, read by the route',
    params: (r) => ({ depth: r.int(1, 3), mount: r.chance(0.5) }),
    render: (p, u) => {
      const at = p.mount ? `'/${u}', ` : '';
      const mws = [
        `app.use(${at}function first${u}(req, res, next) {\n  req.trace${u} = ['first'];\n  req.tmp${u} = 'gone';\n  res.locals.who${u} = req.get('x-user') || 'anon';\n  next();\n});`,
        ...times(p.depth - 1, (i) => `app.use(${at}(req, res, next) => {\n  (req.trace${u} || []).push('m${i}');\n  next();\n});`),
        `app.use(${at}function last${u}(req, res, next) {\n  delete req.tmp${u};\n  req.shout${u} = (s) => String(s).toUpperCase();\n  next();\n});`,
      ];
      return {
        middleware: mws,
        routes: [
          `app.get('/${u}/chain', (req, res) => {\n  res.json({ trace: req.trace${u}, who: res.locals.who${u}, tmp: 'tmp${u}' in req, shout: req.shout${u}('hi') });\n});`,
        ],
        state: `{}`,
        steps: [get(`/${u}/chain`), get(`/${u}/chain`, { 'x-user': 'ada' })],
      };
    },
  },
  {
    name: 'streaming',
    about: 'res.write several times (some after a timer) then res.end',
    params: (r) => ({ chunks: r.int(2, 5), later: r.chance(0.5) }),
    render: (p, u) => ({
      routes: [
        `app.get('/${u}/stream', (req, res) => {\n  res.type('text');\n  res.set('X-Chunks', '${p.chunks}');\n` +
          times(p.chunks, (i) => `  res.write('chunk ${i}\\n');\n`).join('') +
          (p.later ? `  setTimeout(() => res.end('end\\n'), 2);\n` : `  res.end('end\\n');\n`) +
          `});`,
      ],
      state: `{}`,
      steps: [get(`/${u}/stream`)],
    }),
  },
  {
    name: 'alias-write',
    about: 'state written through local aliases of a module-level object',
    params: (r) => ({ conc: r.chance(0.5) ? r.int(6, 16) : 0 }),
    render: (p, u) => ({
      top: [`const store${u} = { n: 0, items: [] };`],
      routes: [
        `app.post('/${u}/alias', (req, res) => {\n  const s = store${u};\n  s.n += 1;\n  const items = s.items;\n  items.push(s.n);\n  res.json({ n: s.n });\n});`,
      ],
      state: `{ n: store${u}.n, items: store${u}.items.slice().sort((a, b) => a - b) }`,
      steps: [post(`/${u}/alias`), post(`/${u}/alias`)],
      batches: p.conc ? [{ requests: times(p.conc, () => post(`/${u}/alias`)), check: 'multiset' }] : [],
    }),
  },
  {
    name: 'helper-param',
    about: "state written by a helper function through its parameter",
    params: (r) => ({ conc: r.chance(0.5) ? r.int(6, 16) : 0 }),
    render: (p, u) => ({
      top: [`const tally${u} = {};`, `function bump${u}(counts, key, by) {\n  counts[key] = (counts[key] || 0) + by;\n  return counts[key];\n}`],
      routes: [`app.get('/${u}/tally/:k', (req, res) => {\n  res.json({ [req.params.k]: bump${u}(tally${u}, req.params.k, 1) });\n});`],
      state: `tally${u}`,
      steps: [get(`/${u}/tally/a`), get(`/${u}/tally/b`), get(`/${u}/tally/a`)],
      batches: p.conc ? [{ requests: times(p.conc, (i) => get(`/${u}/tally/${'ab'[i % 2]}`)), check: 'multiset' }] : [],
    }),
  },
  {
    name: 'helper-module',
    about: 'state kept inside a helper module, changed only by its exported functions',
    params: (r) => ({ destructure: r.chance(0.5), conc: r.chance(0.5) ? r.int(6, 16) : 0 }),
    render: (p, u) => ({
      files: {
        [`counter${u}.js`]:
          `'use strict';\nlet n = 0;\nconst seen = new Set();\nexports.inc = (who) => {\n  n += 1;\n  seen.add(who);\n  return n;\n};\nexports.snapshot = () => ({ n, seen: [...seen].sort() });\n`,
      },
      top: [p.destructure ? `const { inc: inc${u}, snapshot: snapshot${u} } = require('./counter${u}');` : `const counter${u} = require('./counter${u}');`],
      routes: [`app.post('/${u}/mod', (req, res) => {\n  res.json({ n: ${p.destructure ? `inc${u}` : `counter${u}.inc`}(req.query.who || 'x') });\n});`],
      state: p.destructure ? `snapshot${u}()` : `counter${u}.snapshot()`,
      steps: [post(`/${u}/mod?who=ada`), post(`/${u}/mod?who=bob`)],
      batches: p.conc ? [{ requests: times(p.conc, () => post(`/${u}/mod`)), check: 'multiset' }] : [],
    }),
  },
  {
    name: 'session',
    about: 'a session-like object from a module-level store that middleware hangs on req; routes mutate it in place',
    params: (r) => ({ conc: r.chance(0.5) ? r.int(6, 16) : 0 }),
    render: (p, u) => ({
      top: [`const sessions${u} = new Map();`],
      middleware: [
        `app.use(function session${u}(req, res, next) {\n  const sid = req.get('x-sid${u}');\n  if (!sid) return next();\n  let s = sessions${u}.get(sid);\n  if (!s) {\n    s = { views: 0, cart: [] };\n    sessions${u}.set(sid, s);\n  }\n  req.session${u} = s;\n  next();\n});`,
      ],
      routes: [
        `app.get('/${u}/view', (req, res) => {\n  req.session${u}.views += 1;\n  res.json({ views: req.session${u}.views });\n});`,
        `app.post('/${u}/cart', (req, res) => {\n  req.session${u}.cart.push(req.query.item);\n  res.json({ size: req.session${u}.cart.length });\n});`,
      ],
      state: `Object.fromEntries([...sessions${u}].map(([k, s]) => [k, { views: s.views, cart: s.cart.slice().sort() }]))`,
      steps: [get(`/${u}/view`, { [`x-sid${u}`]: 'a' }), post(`/${u}/cart?item=pen`, undefined, { [`x-sid${u}`]: 'a' }), get(`/${u}/view`, { [`x-sid${u}`]: 'b' }), get(`/${u}/view`, { [`x-sid${u}`]: 'a' })],
      batches: p.conc ? [{ requests: times(p.conc, () => get(`/${u}/view`, { [`x-sid${u}`]: 'c' })), check: 'multiset' }] : [],
    }),
  },
  {
    name: 'req-objects',
    about: 'middleware hangs a per-request cart, a token and a helper function on req; the route uses them',
    params: (r) => ({ items: r.int(1, 3) }),
    render: (p, u) => ({
      middleware: [
        `app.use('/${u}', (req, res, next) => {\n  req.cart${u} = { items: [], add(x) { this.items.push(x); return this; } };\n  req.token${u} = crypto.randomBytes(8).toString('hex');\n  res.locals.price${u} = (n) => n * 3;\n  next();\n});`,
      ],
      routes: [
        `app.get('/${u}/cart', (req, res) => {\n` + times(p.items, (i) => `  req.cart${u}.add('item${i}');\n`).join('') +
          `  res.json({ items: req.cart${u}.items, token: req.token${u}.length, price: res.locals.price${u}(req.cart${u}.items.length) });\n});`,
      ],
      state: `{}`,
      steps: [get(`/${u}/cart`)],
    }),
  },
  {
    name: 'emitter-after',
    about: 'an emitter listener and a timer change an object after the response was sent',
    params: (r) => ({ conc: r.chance(0.4) ? r.int(4, 10) : 0 }),
    render: (p, u) => ({
      top: [
        `const orders${u} = [];`,
        `const bus${u} = new EventEmitter();`,
        `bus${u}.on('placed', (order) => {\n  setTimeout(() => {\n    order.status = 'shipped';\n  }, 5);\n});`,
      ],
      routes: [
        `app.post('/${u}/order', (req, res) => {\n  const order = { id: orders${u}.length + 1, status: 'new' };\n  orders${u}.push(order);\n  res.status(201).json(order);\n  bus${u}.emit('placed', order);\n});`,
      ],
      state: `{ orders: orders${u}.slice().sort((a, b) => a.id - b.id) }`,
      steps: [post(`/${u}/order`), post(`/${u}/order`)],
      batches: p.conc ? [{ requests: times(p.conc, () => post(`/${u}/order`)), check: 'multiset' }] : [],
      settle: 60,
    }),
  },
  {
    name: 'timer-after',
    about: "a timer started by a handler changes state after the response; res.on('finish') counts",
    params: () => ({}),
    render: (p, u) => ({
      top: [`const jobs${u} = { queued: 0, done: 0, finished: 0 };`],
      routes: [
        `app.post('/${u}/job', (req, res) => {\n  jobs${u}.queued += 1;\n  res.on('finish', () => {\n    jobs${u}.finished += 1;\n  });\n  res.status(202).send('queued');\n  setTimeout(() => {\n    jobs${u}.done += 1;\n  }, 5);\n});`,
      ],
      state: `jobs${u}`,
      steps: [post(`/${u}/job`), post(`/${u}/job`)],
      settle: 60,
    }),
  },
  {
    name: 'load-constant',
    about: 'values computed at module load in another module (crypto.randomBytes, Date.now())',
    params: (r) => ({ kind: r.pick(['random', 'time']), conc: r.chance(0.5) ? r.int(4, 12) : 0 }),
    render: (p, u) => ({
      // `nonce:` marks a value that differs from run to run: the comparison renames each distinct
      // one by order of first appearance, so only "the same constant or not" is compared.
      files: {
        [`boot${u}.js`]: `'use strict';\nconst crypto = require('node:crypto');\nmodule.exports = { id: ${p.kind === 'random' ? `crypto.randomBytes(6).toString('hex')` : `Date.now().toString(16) + process.hrtime.bigint().toString(16)`} };\n`,
      },
      top: [`const boot${u} = require('./boot${u}');`],
      routes: [`app.get('/${u}/boot', (req, res) => res.json({ id: 'nonce:' + boot${u}.id }));`],
      state: `{ id: 'nonce:' + boot${u}.id }`,
      steps: [get(`/${u}/boot`), get(`/${u}/boot`)],
      batches: p.conc ? [{ requests: times(p.conc, () => get(`/${u}/boot`)), check: 'multiset' }] : [],
    }),
  },
  {
    name: 'block-state',
    about: 'state declared in a top-level block (if / try / bare block) with its routes',
    params: (r) => ({ block: r.pick(['if', 'try', 'bare']), conc: r.chance(0.4) ? r.int(4, 12) : 0 }),
    render: (p, u) => {
      const inner = `  let visits${u} = 0;\n  app.get('/${u}/block', (req, res) => {\n    visits${u} += 1;\n    res.send(String(visits${u}));\n  });\n  app.get('/__state/${u}', (req, res) => res.json({ visits: visits${u} }));`;
      const wrapped = { if: `if (process.env.PORT !== undefined) {\n${inner}\n}`, try: `try {\n${inner}\n} catch (err) {\n  console.error(err);\n}`, bare: `{\n${inner}\n}` }[p.block];
      return {
        routes: [wrapped],
        stateRoute: false,
        state: '',
        steps: [get(`/${u}/block`), get(`/${u}/block`)],
        batches: p.conc ? [{ requests: times(p.conc, () => get(`/${u}/block`)), check: 'multiset' }] : [],
      };
    },
  },
  {
    name: 'headers-sent',
    about: 'res.headersSent and res.statusCode read after res.json / res.status',
    params: (r) => ({ status: r.pick([200, 201, 203]) }),
    render: (p, u) => ({
      top: [`const sent${u} = [];`],
      routes: [
        `app.get('/${u}/sent', (req, res) => {\n  const before = res.headersSent;\n  res.status(${p.status});\n  const code = res.statusCode;\n  res.json({ before, code });\n  sent${u}.push([before, code, res.headersSent].join(','));\n});`,
      ],
      state: `{ sent: sent${u}.slice().sort() }`,
      steps: [get(`/${u}/sent`), get(`/${u}/sent`)],
    }),
  },
];

/** The ways the app starts listening (every app has one; shrinking prefers the first). */
const LISTENS = {
  top: `const server = app.listen(process.env.PORT || 3000, () => {\n  console.log('listening ' + server.address().port);\n});`,
  'main-block': `if (require.main === module) {\n  const port = process.env.PORT || 3000;\n  const server = app.listen(port, () => {\n    console.log('listening ' + server.address().port);\n  });\n}`,
  http: `const server = http.createServer(app);\nserver.listen(process.env.PORT || 3000, function () {\n  console.log('listening ' + this.address().port);\n});`,
};

const byName = new Map(FEATURES.map((f) => [f.name, f]));

/** @param {string} name */
function feature(name) {
  const f = byName.get(name);
  if (!f) throw new Error(`unknown feature "${name}" (known: ${FEATURES.map((x) => x.name).join(', ')})`);
  return f;
}

module.exports = { FEATURES, LISTENS, feature };
