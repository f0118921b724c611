'use strict';
// Middleware that hangs an instance on req (AsyncLocalStorage, as Express's own body-parser
// tests do), read by the next handler.
const express = require('express');
const { AsyncLocalStorage } = require('node:async_hooks');
const way = require('./way');

const app = express();
way.early(app);

app.use((req, res, next) => {
  req.als = new AsyncLocalStorage();
  req.als.run({ foo: 'bar' }, next);
});
app.get('/als', (req, res) => res.end(String(req.als.getStore().foo)));

way.listen(app);
