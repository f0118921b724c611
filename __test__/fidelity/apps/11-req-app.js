'use strict';
// Handlers that read the app through req.app: its locals, settings and methods.
const way = require('./way'); // first: under FLUXION_WAY=require it is the app's require('fluxion/register')
const express = require('express');

const app = express();

way.early(app); // fluxionize(app) right after express(), when FLUXION_WAY asks for it
app.locals.title = 'Pet Shop';
app.set('currency', 'EUR');
app.enable('prices include tax');

app.get('/about', (req, res) => {
  res.json({
    title: req.app.locals.title,
    currency: req.app.get('currency'),
    tax: req.app.enabled('prices include tax'),
    mountpath: req.app.mountpath,
  });
});

way.listen(app);
