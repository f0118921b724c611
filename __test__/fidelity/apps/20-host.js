'use strict';
// Express's host getters on a request whose headers a handler changed, with and without a
// trusted proxy.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();
way.early(app);
app.set('trust proxy', process.env.TRUST === '1');
// fetch() cannot set Host: the handler sets it, as a proxy-aware middleware might.
const setHost = (req) => {
  if (req.query.h) req.headers.host = req.query.h;
};
app.get('/host', (req, res) => {
  setHost(req);
  res.json({ host: req.host, hostname: req.hostname, subdomains: req.subdomains });
});
app.get('/nohost', (req, res) => {
  req.headers.host = null;
  res.end(String(req.hostname));
});
const trusting = express();
trusting.set('trust proxy', true);
trusting.get('/host', (req, res) => {
  setHost(req);
  res.json({ host: req.host, hostname: req.hostname });
});
app.use('/proxied', trusting);

way.listen(app);
