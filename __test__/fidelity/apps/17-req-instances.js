'use strict';
// Middleware that hangs an instance on req (AsyncLocalStorage, as Express's own body-parser
// tests do), read by the next handler.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');
const { AsyncLocalStorage } = require('node:async_hooks');

const app = express();
way.early(app);

app.use((req, res, next) => {
  req.als = new AsyncLocalStorage();
  req.als.run({ foo: 'bar' }, next);
});
app.get('/als', (req, res) => res.end(String(req.als.getStore().foo)));

way.listen(app);
