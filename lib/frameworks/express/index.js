'use strict';
// The Express adapter (lib/frameworks/adapter.js): the only place that knows Express — its
// router (discover.js), its request and response (views.js, prototype.js), its API as placement
// sees it (api.js), and running a route handler on either thread (dispatch.js).
const { checkAdapter } = require('../adapter');
const views = require('./views');
const dispatch = require('./dispatch');
const discover = require('./discover');
const api = require('./api');

module.exports = checkAdapter({
  name: 'express',
  api,
  dispatcher: dispatch.dispatcher,
  runHere: dispatch.runHere,
  handleState(kind, rec, checked) {
    const app = rec.req && rec.req.app;
    if (kind === 'res') return { state: views.snapshotResponse(rec.res, checked), settings: views.settingsOf(app) };
    return { state: views.snapshotRequest(rec.req), settings: views.settingsOf(app), appView: views.appViewOf(app) };
  },
  applyChanges: views.applyRequestChanges,
  applyOps: views.applyResponseOps,
  watch: discover.watch,
  appsOf: discover.appsOf,
});
