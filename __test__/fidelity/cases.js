'use strict';
// The fidelity fixtures and their request scripts, one entry per fixture: the known-failure and
// found-by-express-suite tests run each in the ways and placements their issue named, and
// the ways-in matrix (matrix.js: ways-in.test.js, and `npm run test:tarball` from the installed
// package) runs every one of them through every way in.
const path = require('node:path');
const { eachOnce } = require('../helpers/transcript');

const APPS = path.join(__dirname, 'apps');

/** The path of a fixture app. */
const fixture = (name) => path.join(APPS, name);

/**
 * @typedef {object} Case
 * @property {string} app the fixture's entry module
 * @property {import('../helpers/transcript').Step[]} script
 * @property {Record<string, string>} [env] for every mode, plain included
 */

// Stateless CPU work, enough of it for the default placement to measure the route and offload it
// (a worker then loads the app's module).
const avatars = Array.from({ length: 4 }, () => ({ concurrent: 40, url: (i) => `/avatar/u${i % 2}` }));
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const fruits = ['apples', 'pears', 'plums', 'figs', 'kiwis', 'limes'];
const basketRound = [{ url: '/basket' }, ...fruits.map((f) => ({ url: `/${f}` }))];
const distinct = (outcomes) => new Set(outcomes.map((o) => o.body)).size;
const ticked = (outcomes) => outcomes.filter((o) => o.headers['x-tick'] === 'yes' && o.body === 'ticked').length;
const orders = (n) => ({ concurrent: n, url: (i) => ['/buy', '/sell', '/ledger'][i % 3], summary: (os) => os.map((o) => o.body.split(' ')[0]).sort().join(',') });
const fwd = { 'x-forwarded-host': 'api.example.com:8080' };
const awaitScript = [{ url: '/v' }, { concurrent: 200, url: '/v', check: eachOnce(200, 2) }, { url: '/v' }];

/** @type {Record<string, Case>} */
const cases = {
  '01': { app: fixture('01-await-after-cpu.js'), script: awaitScript },
  '01-esm': { app: fixture('01-await-after-cpu.mjs'), script: awaitScript },
  '02': { app: fixture('02-listen-callback.js'), script: [{ url: '/' }, { wait: 200 }, { url: '/' }] },
  '03': { app: fixture('03-routing-settings.js'), script: [{ url: '/Users' }, { url: '/users' }, { url: '/USERS' }, { url: '/dir/' }, { url: '/dir' }] },
  '04': {
    app: fixture('04-mvc/index.js'),
    script: [
      { url: '/pet/2' },
      { url: '/pet/2', method: 'PUT', headers: form, body: 'pet[name]=Boots' },
      { url: '/pet/2' },
      { url: '/pet/2/edit' },
      { url: '/pet/9', method: 'PUT', headers: form, body: 'pet[name]=Ghost' },
      { url: '/pet/3', method: 'PUT', headers: form, body: 'pet[name]=Raoul' },
      { url: '/pet/3' },
      { url: '/pet/2' },
    ],
  },
  '05': {
    app: fixture('05-startup-callback.js'),
    script: [
      { wait: 100 },
      { url: '/users' },
      { url: '/users', method: 'POST', json: { name: 'cy' } },
      ...avatars,
      { wait: 300 },
      { url: '/users' },
      { concurrent: 10, url: '/users', method: 'POST', json: (i) => ({ name: `u${i}` }) },
      { wait: 300 },
      { url: '/users', normalize: (o) => ({ ...o, body: JSON.stringify(JSON.parse(o.body).sort()) }) },
    ],
  },
  '06': { app: fixture('06-two-groups.js'), script: [...basketRound, ...basketRound, ...basketRound] },
  '07': {
    app: fixture('07-conflict-throw.js'),
    script: [
      // Enough buyers for the default placement to measure the handler and send it to workers.
      ...Array.from({ length: 6 }, () => ({ concurrent: 60, method: 'POST', url: '/buy' })),
      { url: '/left' },
      { url: '/buy', method: 'POST' },
    ],
  },
  '08': { app: fixture('08-non-cloneable-body.js'), script: [{ url: '/method' }, { url: '/tojson' }, { url: '/instance' }, { url: '/fine' }] },
  '09': {
    app: fixture('09-response-order.js'),
    script: [
      { url: '/tick' },
      { url: '/mixed' },
      { url: '/tick-counted' },
      { concurrent: 240, url: '/tick', summary: ticked },
      { concurrent: 240, url: '/tick-counted', summary: ticked },
      { concurrent: 40, url: '/mixed' },
    ],
  },
  // Several batches: the default placement offloads the signing route once it has measured it.
  '10': { app: fixture('10-module-constants.js'), script: Array.from({ length: 5 }, () => ({ concurrent: 60, url: '/instance', summary: distinct })) },
  '11': { app: fixture('11-req-app.js'), script: [{ url: '/about' }, { concurrent: 10, url: '/about' }] },
  '12': {
    app: fixture('12-error-classes.js'),
    script: [{ url: '/books/1' }, { url: '/books/2' }, { url: '/check' }, { url: '/check?isbn=1' }, { url: '/later/1' }, { url: '/later/7' }],
  },
  '13': { app: fixture('13-headers-sent.js'), script: [{ url: '/once' }, { url: '/fine' }, { url: '/once' }] },
  '14': { app: fixture('14-top-level-timers.js'), script: [{ wait: 100 }, { url: '/warm' }, ...avatars, { wait: 400 }, { url: '/warm' }, { wait: 100 }] },
  '15': {
    app: fixture('15-block-state.js'),
    script: [{ url: '/' }, { url: '/' }, { concurrent: 20, url: '/', check: eachOnce(20, 3, (b) => Number(b.split(' ')[1])) }, { url: '/' }],
  },
  // Long enough for several rebalancing intervals: the first ones pick the heavier order book.
  '16': { app: fixture('16-shared-group-move.js'), script: [...Array.from({ length: 12 }, () => orders(30)), { url: '/buy' }, { url: '/ledger' }], env: { FLUXION_REBALANCE_MS: '50' } },
  '17': { app: fixture('17-req-instances.js'), script: [{ url: '/als' }, { url: '/als' }] },
  '18': {
    app: fixture('18-response-values.js'),
    script: [{ url: '/coerce' }, { url: '/url' }, { url: '/replacer' }, { url: '/pet/1' }, { url: '/pet/1', method: 'PUT' }, { url: '/pet/1' }],
  },
  '19': { app: fixture('19-render-callback.js'), script: [{ url: '/render?name=ada' }, { url: '/render' }, { url: '/missing' }] },
  '20': {
    app: fixture('20-host.js'),
    script: [
      { url: '/host?h=tobi.ferrets.example.com:3000' },
      { url: '/host?h=tobi.ferrets.example.com', headers: fwd },
      { url: '/proxied/host?h=x.example.com', headers: fwd },
      { url: '/nohost' },
    ],
  },
  // Async wrappers (wrap(fn), catchAsync): those that may move run on workers under eager; the
  // counter's stays with its module variable.
  '21': {
    app: fixture('21-async-wrappers.js'),
    script: [
      { url: '/books/1' },
      { url: '/books/9' },
      { url: '/reject?r=7' },
      { url: '/next-err' },
      { url: '/skip' },
      { url: '/later' },
      { url: '/direct/2' },
      { url: '/direct/5' },
      { concurrent: 30, url: (i) => ['/books/1', '/books/2', '/books/9', '/direct/1', '/direct/6'][i % 5] },
      { concurrent: 30, url: '/hits', check: eachOnce(30, 1, (b) => JSON.parse(b).hits) },
      { url: '/hits' },
    ],
  },
  '22': {
    app: fixture('express4/22-async-errors.js'),
    // Not Jest's `test`: Express's final handler then logs what reaches it (a second next(err)).
    env: { NODE_ENV: 'development' },
    script: [
      { url: '/ok/1' },
      { url: '/boom' },
      { url: '/string' },
      { url: '/undefined' },
      { url: '/sync' },
      { url: '/next-err' },
      { url: '/after?n=1' },
      { wait: 50 },
      { concurrent: 24, url: (i) => ['/ok/2', '/boom', '/undefined'][i % 3] },
      { url: '/after?n=2' },
      { wait: 50 },
    ],
  },
  '23': {
    app: fixture('express4/23-unhandled.js'),
    script: [{ url: '/after?n=1' }, { wait: 50 }, { url: '/fine' }, { url: '/after?n=2' }, { wait: 50 }, { url: '/fine' }],
  },
  '24': {
    app: fixture('24-byte-order-mark.js'),
    script: [
      { url: '/visit' },
      { concurrent: 40, url: (i) => `/hash/w${i % 4}` },
      { concurrent: 30, url: '/visit', check: eachOnce(30, 2, (b) => Number(b.split(' ')[1])) },
      { url: '/visit' },
    ],
  },
};

module.exports = { cases, fixture, avatars, orders, APPS };
